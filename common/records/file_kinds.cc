#include "common/records/file_kinds.h"

#include <string>

namespace ckpt::records {

const FileKindInfo* file_kind_info(FileKind kind) {
  for (const FileKindInfo& info : kFileKinds)
    if (info.kind == kind) return &info;
  return nullptr;
}

std::string file_kind_name(FileKind kind) {
  const FileKindInfo* info = file_kind_info(kind);
  if (info) return std::string(info->name);
  return "kind " + std::to_string(static_cast<uint32_t>(kind));
}

}  // namespace ckpt::records
