#include "common/records/json.h"

namespace ckpt::records {
namespace {

template <typename T>
nlohmann::json optional_json(const std::optional<T>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

}  // namespace

void to_json(nlohmann::json& j, const CgroupLimits& l) {
  j = nlohmann::json::object();
  CgroupLimits::visit(l,
                      [&](const char* name, const auto& field) { j[name] = optional_json(field); });
}

void from_json(const nlohmann::json& j, CgroupLimits& l) {
  CgroupLimits::visit(l, [&](const char* name, auto& field) {
    if (j.contains(name) && !j.at(name).is_null())
      field = j.at(name).get<typename std::decay_t<decltype(field)>::value_type>();
  });
}

void to_json(nlohmann::json& j, const CgroupNode& node) {
  j = {{"path", node.path}, {"limits", node.limits}, {"members", node.members}};
}

void to_json(nlohmann::json& j, const CgroupTree& tree) {
  j = {{"dumped_on", tree.dumped_on}, {"nodes", tree.nodes}};
}

void to_json(nlohmann::json& j, const ContainerConfig& c) {
  j = {{"id", c.id},         {"command", c.command}, {"hostname", c.hostname},
       {"rootfs", c.rootfs}, {"limits", c.limits},   {"net_specs", c.net_specs}};
}

void from_json(const nlohmann::json& j, ContainerConfig& c) {
  c.id = j.at("id");
  c.command = j.at("command").get<std::vector<std::string>>();
  c.hostname = j.value("hostname", "");
  c.rootfs = j.value("rootfs", "");
  c.limits = j.at("limits").get<CgroupLimits>();
  c.net_specs = j.value("net_specs", std::vector<std::string>{});
}

void to_json(nlohmann::json& j, const UtsState& uts) {
  j = {{"hostname", uts.hostname}, {"domainname", uts.domainname}};
}

void to_json(nlohmann::json& j, const AuditFacts& facts) {
  nlohmann::json processes = nlohmann::json::object();
  for (const auto& [pid, process] : facts.processes) processes[std::to_string(pid)] = process;
  j = {{"container", facts.container}, {"processes", processes}};
}

void to_json(nlohmann::json& j, const ThreadId& t) {
  j = {{"host_tid", t.host_tid}, {"ns_tid", t.ns_tid}};
}

void to_json(nlohmann::json& j, const ProcessEntry& p) {
  j = {{"host_pid", p.host_pid}, {"pid", p.pid},         {"ppid", p.ppid}, {"pgid", p.pgid},
       {"sid", p.sid},           {"threads", p.threads}, {"comm", p.comm}, {"cmdline", p.cmdline}};
}

void to_json(nlohmann::json& j, const ProcessTree& tree) {
  j = tree.processes;
}

}  // namespace ckpt::records

namespace ckpt::image {

void to_json(nlohmann::json& j, const Header& h) {
  j = {{"format_version", h.format_version},
       {"arch", h.arch},
       {"kernel", h.kernel},
       {"ckpt_version", h.ckpt_version},
       {"created_unix", h.created_unix},
       {"container_id", h.container_id}};
}

}  // namespace ckpt::image
