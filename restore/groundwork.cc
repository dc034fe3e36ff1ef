#include "restore/groundwork.h"

#include <algorithm>
#include <chrono>

#include "common/cgroup/hierarchy.h"
#include "common/error.h"
#include "common/error_kind.h"
#include "common/image/archive.h"
#include "netns/net_map_use.h"
#include "netns/plan.h"
#include "restore/net_conflicts.h"

namespace ckpt::restore {
namespace {

int64_t now_unix() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// --net-map's renames, its address entries applied to g.net.
void map_network(Groundwork& g, const RestoreOptions& options) {
  g.net = g.records.net;
  auto specs = options.net_map;
  if (g.net) specs = netns::apply_address_map(*g.net, specs);
  g.net_map = netns::parse_net_map(specs);
}

template <typename Record>
bool differ(const Record& a, const Record& b) {
  return image::to_bytes(a) != image::to_bytes(b);
}

// The cgroup tree as groundwork is made from it: without the nodes' members.
records::CgroupTree without_members(records::CgroupTree tree) {
  for (auto& node : tree.nodes) node.members.clear();
  return tree;
}

// The first element of `now` that `was` lacks, described by `describe` ("" when none).
template <typename Item, typename Describe>
std::string first_new(const std::vector<Item>& was, const std::vector<Item>& now,
                      Describe describe) {
  for (const auto& item : now)
    if (std::find(was.begin(), was.end(), item) == was.end()) return describe(item);
  return "";
}

std::string network_change(const records::NetNamespace& was, const records::NetNamespace& now) {
  if (was.links != now.links) return "its network links";
  if (was.addresses != now.addresses) {
    auto one = first_new(was.addresses, now.addresses, [](const auto& a) {
      return fmt::format(" ({}/{} on {}, flags {:#x})", a.local, a.prefix, a.link, a.flags);
    });
    return "its network addresses" + one;
  }
  if (was.routes != now.routes) return "its routes";
  if (was.rules != now.rules) return "its routing rules";
  if (was.neighbours != now.neighbours) return "its permanent neighbours";
  if (was.sysctls != now.sysctls) {
    auto one = first_new(was.sysctls, now.sysctls, [](const auto& s) {
      return fmt::format(" (net/{} = {})", s.path, s.value);
    });
    return "its network sysctls" + one;
  }
  return "";
}

}  // namespace

StateDirGuard::StateDirGuard(std::filesystem::path dir) : dir_(std::move(dir)) {
  std::filesystem::create_directories(dir_);
}

StateDirGuard::~StateDirGuard() {
  if (!committed_) std::filesystem::remove_all(dir_);
}

void Groundwork::commit() {
  restored_cgroups->commit();
  if (rebuilt_net) rebuilt_net->commit();
  state_dir->commit();
}

void check_groundwork(Groundwork& g, const RestoreOptions& options) {
  map_network(g, options);
  const auto& config = g.records.config;
  auto& state = g.state;
  state.id = options.name.empty() ? config.id : options.name;
  validate_container_id(state.id);
  netns::refuse_unused_net_map(g.net ? *g.net : records::NetNamespace{}, state.id, g.net_map);
  g.lock = std::make_unique<ContainerLock>(state.id, "restore");
  if (ContainerState::exists(state.id))
    fail(ErrorKind::kRefused, "a container named '{}' already exists", state.id);
  state.cgroup_path = cgroup::container_cgroup_path(state.id);
  cgroup::ContainerCgroup cgroup(cgroup::host_hierarchies(), state.cgroup_path);
  if (cgroup.exists()) fail(ErrorKind::kRefused, "cgroup {} already exists", cgroup.path());
  if (g.net) {
    auto users = running_containers_on_bridges();
    // On one host, the source shares its addresses until a migration's handover, or until the
    // dump of a streamed image removes it.
    if (options.migration || g.source_goes_away)
      for (auto& [bridge, containers] : users) containers.erase(config.id);
    resolve_net_conflicts(*g.net, g.net_map, users,
                          {options.ignore_static_ip, options.ignore_static_mac});
    netns::preflight_netns(*g.net, state.id, g.net_map);
  }
  state.config = config;
  state.config.id = state.id;
  state.restored_from = options.input;
  state.created_unix = now_unix();
}

void make_cgroups(Groundwork& g) {
  g.state_dir = std::make_unique<StateDirGuard>(g.state.dir());
  g.cgroup =
      std::make_unique<cgroup::ContainerCgroup>(cgroup::host_hierarchies(), g.state.cgroup_path);
  g.restored_cgroups = std::make_unique<RestoredCgroups>(*g.cgroup, g.records.cgroups);
}

void rebuild_network(Groundwork& g, bool hold_host_links_down) {
  if (g.net)
    g.rebuilt_net = netns::rebuild_netns(*g.net, g.state.id, g.net_map, hold_host_links_down);
}

void wait_for_leaving_source(const Groundwork& g) {
  if (!g.source_goes_away || !g.net) return;
  auto clash = wait_for_no_net_conflict(*g.net, g.net_map, kLeavingSourceWait);
  if (!clash.empty())
    fail(ErrorKind::kRefused, "still clashing {} s after the stream of {} ended: {}",
         kLeavingSourceWait.count(), g.records.config.id, clash);
}

std::unique_ptr<Groundwork> prebuild_groundwork(records::GroundworkRecords records,
                                                const RestoreOptions& options) {
  auto g = std::make_unique<Groundwork>(std::move(records));
  check_groundwork(*g, options);
  stage_done(Stage::kPreflight);
  make_cgroups(*g);
  stage_done(Stage::kCgroups);
  rebuild_network(*g, /*hold_host_links_down=*/true);
  stage_done(Stage::kNetns);
  return g;
}

std::string groundwork_change(const records::GroundworkRecords& made_from,
                              const records::GroundworkRecords& now) {
  if (differ(made_from.config, now.config)) return "its configuration";
  if (differ(without_members(made_from.cgroups), without_members(now.cgroups)))
    return "its cgroups";
  if (made_from.net.has_value() != now.net.has_value()) return "its network";
  if (!made_from.net) return "";
  return network_change(netns::without_kernel_made(*made_from.net),
                        netns::without_kernel_made(*now.net));
}

}  // namespace ckpt::restore
