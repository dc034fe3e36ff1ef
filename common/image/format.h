// The on-disk layout of an image (see image.h for the grammar): encoding and decoding of the
// fixed-size parts. Nothing here trusts what it decodes; the reader checks it.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/image/image.h"

namespace ckpt::image::format {

static_assert(std::endian::native == std::endian::little, "the image format is little-endian");

inline constexpr std::string_view kMagic{"CKPTIMG\0", 8};
inline constexpr std::string_view kEndMagic{"CKPTEND\0", 8};
inline constexpr uint32_t kSectionMagic = 0x54434553;  // "SECT"

inline constexpr size_t kPreambleFixedSize = 16;  // magic, version, header size
inline constexpr size_t kHeaderChecksumSize = 8;
inline constexpr size_t kSectionHeaderSize = 56;
inline constexpr size_t kFooterSize = 16;
inline constexpr size_t kIndexEntrySize = 24;  // u32 type | u32 seq | u64 id | u64 offset

inline constexpr uint64_t kMaxHeaderSize = 1u << 20;
inline constexpr uint64_t kMaxSectionRawSize = 1ull << 30;
inline constexpr uint32_t kKnownFlags = kCompressed;

// The smallest possible image: preamble with an empty header, an empty trailer, the footer.
inline constexpr size_t kMinImageSize =
    kPreambleFixedSize + kHeaderChecksumSize + kSectionHeaderSize + kFooterSize;

using SectionHeaderBytes = std::array<std::byte, kSectionHeaderSize>;

uint64_t checksum(std::span<const std::byte> bytes);
inline uint64_t checksum(std::string_view bytes) {
  return checksum(std::as_bytes(std::span(bytes.data(), bytes.size())));
}

// magic | version | header size | header | xxh3(header)
std::string encode_preamble(const Header& header);

// A section header as found in the file, before any check.
struct SectionHeader {
  uint32_t magic = 0;
  SectionInfo info;
  uint64_t header_checksum = 0;  // as stored
};
SectionHeaderBytes encode_section_header(const SectionInfo& info);
SectionHeader decode_section_header(std::span<const std::byte, kSectionHeaderSize> bytes,
                                    uint64_t offset);
// xxh3 of the header fields, i.e. of everything but the stored header checksum.
uint64_t section_header_checksum(std::span<const std::byte, kSectionHeaderSize> bytes);

struct IndexEntry {
  SectionType type{};
  uint32_t seq = 0;
  uint64_t id = 0;
  uint64_t offset = 0;
};
std::string encode_index(const std::vector<SectionInfo>& sections);
// `bytes.size()` must be a multiple of kIndexEntrySize.
std::vector<IndexEntry> decode_index(std::string_view bytes);

std::array<std::byte, kFooterSize> encode_footer(uint64_t trailer_offset);

// "pages/1234 #3 at offset 81920", for error messages.
std::string describe(const SectionInfo& info);
// section_name(), or "type-77" for a type this version does not know.
std::string type_label(SectionType type);

// Little-endian field access on byte buffers.
template <typename T>
T load(const std::byte* p) {
  T value;
  std::memcpy(&value, p, sizeof value);
  return value;
}
template <typename T>
void store(std::byte* p, T value) {
  std::memcpy(p, &value, sizeof value);
}

}  // namespace ckpt::image::format
