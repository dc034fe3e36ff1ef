#include "common/image/format.h"

#include <xxhash.h>

#include <cstring>

#include "common/image/archive.h"

namespace ckpt::image::format {

uint64_t checksum(std::span<const std::byte> bytes) {
  return XXH3_64bits(bytes.data(), bytes.size());
}

std::string encode_preamble(const Header& header) {
  std::string body = to_bytes(header);
  std::string out(kPreambleFixedSize + body.size() + kHeaderChecksumSize, '\0');
  auto* p = reinterpret_cast<std::byte*>(out.data());
  std::memcpy(p, kMagic.data(), kMagic.size());
  store<uint32_t>(p + 8, header.format_version);
  store<uint32_t>(p + 12, static_cast<uint32_t>(body.size()));
  std::memcpy(p + kPreambleFixedSize, body.data(), body.size());
  store<uint64_t>(p + kPreambleFixedSize + body.size(), checksum(body));
  return out;
}

SectionHeaderBytes encode_section_header(const SectionInfo& info) {
  SectionHeaderBytes bytes{};
  std::byte* p = bytes.data();
  store<uint32_t>(p + 0, kSectionMagic);
  store<uint32_t>(p + 4, static_cast<uint32_t>(info.type));
  store<uint64_t>(p + 8, info.id);
  store<uint32_t>(p + 16, info.flags);
  store<uint32_t>(p + 20, info.seq);
  store<uint64_t>(p + 24, info.raw_size);
  store<uint64_t>(p + 32, info.stored_size);
  store<uint64_t>(p + 40, info.checksum);
  store<uint64_t>(p + 48, section_header_checksum(bytes));
  return bytes;
}

uint64_t section_header_checksum(std::span<const std::byte, kSectionHeaderSize> bytes) {
  return checksum(bytes.first(kSectionHeaderSize - 8));
}

SectionHeader decode_section_header(std::span<const std::byte, kSectionHeaderSize> bytes,
                                    uint64_t offset) {
  const std::byte* p = bytes.data();
  SectionHeader h;
  h.magic = load<uint32_t>(p + 0);
  h.info.type = static_cast<SectionType>(load<uint32_t>(p + 4));
  h.info.id = load<uint64_t>(p + 8);
  h.info.flags = load<uint32_t>(p + 16);
  h.info.seq = load<uint32_t>(p + 20);
  h.info.raw_size = load<uint64_t>(p + 24);
  h.info.stored_size = load<uint64_t>(p + 32);
  h.info.checksum = load<uint64_t>(p + 40);
  h.info.offset = offset;
  h.header_checksum = load<uint64_t>(p + 48);
  return h;
}

std::string encode_index(const std::vector<SectionInfo>& sections) {
  std::string out(sections.size() * kIndexEntrySize, '\0');
  auto* p = reinterpret_cast<std::byte*>(out.data());
  for (const SectionInfo& s : sections) {
    store<uint32_t>(p + 0, static_cast<uint32_t>(s.type));
    store<uint32_t>(p + 4, s.seq);
    store<uint64_t>(p + 8, s.id);
    store<uint64_t>(p + 16, s.offset);
    p += kIndexEntrySize;
  }
  return out;
}

std::vector<IndexEntry> decode_index(std::string_view bytes) {
  std::vector<IndexEntry> entries(bytes.size() / kIndexEntrySize);
  const auto* p = reinterpret_cast<const std::byte*>(bytes.data());
  for (IndexEntry& e : entries) {
    e.type = static_cast<SectionType>(load<uint32_t>(p + 0));
    e.seq = load<uint32_t>(p + 4);
    e.id = load<uint64_t>(p + 8);
    e.offset = load<uint64_t>(p + 16);
    p += kIndexEntrySize;
  }
  return entries;
}

std::array<std::byte, kFooterSize> encode_footer(uint64_t trailer_offset) {
  std::array<std::byte, kFooterSize> bytes{};
  store<uint64_t>(bytes.data(), trailer_offset);
  std::memcpy(bytes.data() + 8, kEndMagic.data(), kEndMagic.size());
  return bytes;
}

std::string type_label(SectionType type) {
  std::string_view name = section_name(type);
  if (name == "unknown") return fmt::format("type-{}", static_cast<uint32_t>(type));
  return std::string(name);
}

std::string describe(const SectionInfo& info) {
  return fmt::format("{}/{} #{} at offset {}", type_label(info.type), info.id, info.seq,
                     info.offset);
}

}  // namespace ckpt::image::format
