#include "common/image/describe.h"

#include <map>

#include "common/image/format.h"
#include "common/records/cpu.h"
#include "common/records/json.h"
#include "common/records/net_inspect_json.h"
#include "common/records/resources_json.h"

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

nlohmann::json decode_net(const ImageReader& reader, SectionType type) {
  return records::inspect_json(reader.get<records::NetNamespace>(type, 0));
}

nlohmann::json decode_cpu(const ImageReader& reader, SectionType type) {
  auto cpu = reader.get<records::CpuFeatures>(type, 0);
  return {{"xcr0", cpu.xcr0}, {"features", cpu.features}};
}

constexpr RecordFamily kFamilies[] = {
    {SectionType::kConfig, "config", decode_as<records::ContainerConfig>},
    {SectionType::kUts, "uts", decode_as<records::UtsState>},
    {SectionType::kProcessTree, "process_tree", decode_as<records::ProcessTree>},
    {SectionType::kCgroups, "cgroups", decode_as<records::CgroupTree>},
    {SectionType::kNetNs, "net", decode_net},
    {records::kCpuFeaturesSection, "cpu", decode_cpu},
    {SectionType::kFiles, "files", decode_as<records::FilesState>},
    {SectionType::kUnixSockets, "unix_sockets", decode_as<records::UnixSocketsState>},
    {SectionType::kInetSockets, "udp_sockets", decode_as<records::UdpSocketsState>},
    {SectionType::kTcpConnections, "tcp_connections", decode_as<records::TcpConnections>},
    {SectionType::kIpc, "ipc", decode_as<records::IpcNamespace>},
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

// Bytes of memory stored, in all and per process (pages sections have the host pid as id).
nlohmann::json memory_summary(const ImageReader& reader) {
  uint64_t pages = 0, shared = 0, sysv = 0;
  std::map<uint64_t, uint64_t> per_process;
  for (const SectionInfo& s : reader.sections()) {
    if (s.type == SectionType::kPages) pages += s.raw_size, per_process[s.id] += s.raw_size;
    if (s.type == SectionType::kSharedMem) shared += s.raw_size;
    if (s.type == SectionType::kIpcShmData) sysv += s.raw_size;
  }
  nlohmann::json processes = nlohmann::json::array();
  for (const auto& [pid, bytes] : per_process)
    processes.push_back({{"host_pid", pid}, {"bytes", bytes}});
  return {{"bytes", pages + shared + sysv},
          {"private_bytes", pages},
          {"shared_bytes", shared},
          {"sysv_shm_bytes", sysv},
          {"processes", processes}};
}

}  // namespace

nlohmann::json describe_image(const ImageReader& reader) {
  nlohmann::json doc = {{"schema", kInspectSchema},
                        {"header", reader.header()},
                        {"file_size", reader.file_size()},
                        {"sections", describe_sections(reader)}};
  for (const RecordFamily& family : kFamilies) {
    if (reader.has(family.type, 0)) doc[family.key] = family.decode(reader, family.type);
  }
  doc["memory"] = memory_summary(reader);
  return doc;
}

}  // namespace ckpt::image
