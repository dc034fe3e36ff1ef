// preflight_netns, rebuild_netns and setup_container_network: a record mapped to this host,
// checked against it, then applied as a plan through libnl.
#include "common/error_kind.h"
#include "netns/host_link_lock.h"
#include "netns/libnl_netlink.h"
#include "netns/net_spec.h"
#include "netns/netns.h"
#include "netns/ns_thread.h"
#include "netns/plan.h"
#include "netns/sysctl.h"

namespace ckpt::netns {

namespace {

void fail_on_problems(const records::NetNamespace& mapped, Netlink& nl) {
  auto problems = host_problems(mapped, nl);
  if (problems.empty()) return;
  fail(ErrorKind::kHostMissing, "network: {}", fmt::join(problems, "; "));
}

}  // namespace

RebuiltNetns::RebuiltNetns(UniqueFd netns, std::unique_ptr<HostLinkUndo> undo,
                           std::vector<std::string> held_down)
    : netns_(std::move(netns)), undo_(std::move(undo)), held_down_(std::move(held_down)) {}

RebuiltNetns::~RebuiltNetns() = default;

void RebuiltNetns::commit() {
  if (undo_) undo_->release();
  undo_.reset();
}

void RebuiltNetns::bring_host_links_up() {
  for (const auto& name : held_down_) set_host_link_up(name, true);
  held_down_.clear();
}

void RebuiltNetns::add_neighbours(const std::vector<records::NetNeighbour>& neighbours) {
  if (neighbours.empty()) return;
  LibnlNetlink nl(netns_.get());
  for (const auto& neighbour : neighbours) nl.add_neighbour(neighbour);
}

void preflight_netns(const records::NetNamespace& net, const std::string& container_id,
                     const NetMap& map) {
  check_net_sysctl_names(net.sysctls);
  LibnlNetlink host(-1);
  fail_on_problems(map_to_host(net, container_id, map), host);
}

std::unique_ptr<RebuiltNetns> rebuild_netns(const records::NetNamespace& net,
                                            const std::string& container_id, const NetMap& map,
                                            bool hold_host_links_down) {
  records::NetNamespace mapped = map_to_host(net, container_id, map);
  {
    LibnlNetlink host(-1);
    fail_on_problems(mapped, host);
  }
  UniqueFd netns = create_netns();
  auto nl = std::make_shared<LibnlNetlink>(netns.get());
  auto undo = std::make_unique<HostLinkUndo>(nl);
  Plan plan = build_plan(mapped);
  std::vector<std::string> held_down;
  if (hold_host_links_down) held_down = take_host_up_steps(plan);
  apply_plan(plan, *nl, *undo);
  spdlog::debug("netns: rebuilt {} links, {} addresses, {} routes", mapped.links.size(),
                mapped.addresses.size(), mapped.routes.size());
  return std::make_unique<RebuiltNetns>(std::move(netns), std::move(undo), std::move(held_down));
}

void setup_container_network(pid_t init_pid, const std::string& container_id,
                             const std::vector<std::string>& net_specs) {
  records::NetNamespace net = network_from_specs(container_id, net_specs);
  UniqueFd netns = open_netns_of(init_pid);
  auto nl = std::make_shared<LibnlNetlink>(netns.get());
  fail_on_problems(net, *nl);
  HostLinkUndo undo(nl);
  apply_plan(build_plan(net), *nl, undo);
  undo.release();
}

void remove_host_veths(const std::string& container_id, const std::vector<std::string>& net_specs) {
  if (net_specs.empty() || net_specs == std::vector<std::string>{"none"}) return;
  LibnlNetlink host(-1);
  for (size_t i = 0; i < net_specs.size(); ++i)
    host.delete_host_link(host_veth_name(container_id, static_cast<int>(i)));
}

}  // namespace ckpt::netns
