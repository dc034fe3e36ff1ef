#include "common/records/json.h"

namespace ckpt::records {
namespace {

template <typename T>
nlohmann::json optional_json(const std::optional<T>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

}  // namespace

void to_json(nlohmann::json& j, const CgroupLimits& l) {
  j = {{"memory_limit", optional_json(l.memory_limit)},
       {"memory_soft_limit", optional_json(l.memory_soft_limit)},
       {"memory_swap_limit", optional_json(l.memory_swap_limit)},
       {"memory_swappiness", optional_json(l.memory_swappiness)},
       {"cpu_shares", optional_json(l.cpu_shares)},
       {"cpu_quota_us", optional_json(l.cpu_quota_us)},
       {"cpu_period_us", optional_json(l.cpu_period_us)},
       {"cpuset_cpus", optional_json(l.cpuset_cpus)},
       {"cpuset_mems", optional_json(l.cpuset_mems)},
       {"pids_max", optional_json(l.pids_max)},
       {"io_weight", optional_json(l.io_weight)}};
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

void to_json(nlohmann::json& j, const UtsState& uts) {
  j = {{"hostname", uts.hostname}, {"domainname", uts.domainname}};
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
