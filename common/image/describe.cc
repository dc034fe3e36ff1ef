#include "common/image/describe.h"

#include <map>

#include "common/image/format.h"
#include "common/records/json.h"

namespace ckpt::image {
namespace {

// A record family inspect knows how to decode; container-wide records have id 0.
struct RecordFamily {
  SectionType type;
  const char* key;
  nlohmann::json (*decode)(const ImageReader&, SectionType);
};

template <typename Record>
nlohmann::json decode_as(const ImageReader& reader, SectionType type) {
  return reader.get<Record>(type, 0);
}

constexpr RecordFamily kFamilies[] = {
    {SectionType::kConfig, "config", decode_as<records::ContainerConfig>},
    {SectionType::kUts, "uts", decode_as<records::UtsState>},
    {SectionType::kProcessTree, "process_tree", decode_as<records::ProcessTree>},
    {SectionType::kCgroups, "cgroups", decode_as<records::CgroupTree>},
    {SectionType::kNetNs, "net", decode_as<records::NetNamespace>},
    {SectionType::kTime, "time", decode_as<records::TimeNamespace>},
    {SectionType::kMounts, "mounts", decode_as<records::MountNamespace>},
    {SectionType::kAudit, "audit", decode_as<records::AuditFacts>},
};

nlohmann::json describe_sections(const ImageReader& reader) {
  nlohmann::json out = nlohmann::json::array();
  std::map<std::pair<SectionType, uint64_t>, size_t> position;
  for (const SectionInfo& s : reader.sections()) {
    auto [it, added] = position.emplace(std::pair{s.type, s.id}, out.size());
    if (added) {
      out.push_back({{"type", format::type_label(s.type)},
                     {"type_id", static_cast<uint32_t>(s.type)},
                     {"id", s.id},
                     {"chunks", 0},
                     {"raw_size", 0},
                     {"stored_size", 0},
                     {"offset", s.offset}});
    }
    nlohmann::json& entry = out[it->second];
    entry["chunks"] = entry["chunks"].get<uint64_t>() + 1;
    entry["raw_size"] = entry["raw_size"].get<uint64_t>() + s.raw_size;
    entry["stored_size"] = entry["stored_size"].get<uint64_t>() + s.stored_size;
  }
  return out;
}

}  // namespace

nlohmann::json describe_image(const ImageReader& reader) {
  nlohmann::json doc = {{"header", reader.header()},
                        {"file_size", reader.file_size()},
                        {"sections", describe_sections(reader)}};
  for (const RecordFamily& family : kFamilies) {
    if (reader.has(family.type, 0)) doc[family.key] = family.decode(reader, family.type);
  }
  return doc;
}

}  // namespace ckpt::image
