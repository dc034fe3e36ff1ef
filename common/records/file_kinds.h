// The kinds of open file description (file_kinds.def, the one list of them): the enum the
// records carry, and each kind's printable name and image section.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/image/section_type.h"

namespace ckpt::records {

enum class FileKind : uint32_t {
#define FILE_KIND(name, value, text, section) name = value,
#include "common/records/file_kinds.def"
#undef FILE_KIND
};

struct FileKindInfo {
  FileKind kind;
  std::string_view name;        // for people and `inspect --json`
  image::SectionType section;   // where its state beyond the FileDescription lives
};

inline constexpr FileKindInfo kFileKinds[] = {
#define FILE_KIND(name, value, text, section) \
  {FileKind::name, text, image::SectionType::section},
#include "common/records/file_kinds.def"
#undef FILE_KIND
};

// The entry of `kind`; nullptr for a value no kind has (a damaged or newer image).
const FileKindInfo* file_kind_info(FileKind kind);
// The printable name of `kind` ("kind N" for a value no kind has).
std::string file_kind_name(FileKind kind);

}  // namespace ckpt::records
