// The restore's groundwork: what its preflight, cgroups and netns stages make before the
// container's init, from records a dump reads while the container runs (records::
// GroundworkRecords): the new id checked and locked, its state directory, the cgroup subtree with
// its limits, the network namespace (host links held down when asked). Destroying it before
// commit() removes all of it.
//
// restore_container() makes it in those stages. A migration's target makes it while the
// pre-copy rounds run (prebuild_groundwork) and hands it to restore_container(), which keeps it
// when the final image's records are the same (groundwork_change: nothing it was made from changed
// while the container ran) and otherwise tears it down and makes it anew, inside the downtime.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "common/cgroup/container_cgroup.h"
#include "common/container_lock.h"
#include "common/container_state.h"
#include "common/records/groundwork.h"
#include "netns/netns.h"
#include "restore/cgroups.h"
#include "restore/restore.h"

namespace ckpt::restore {

// Removes the state directory unless commit()ed.
class StateDirGuard {
 public:
  explicit StateDirGuard(std::filesystem::path dir);
  ~StateDirGuard();
  StateDirGuard(const StateDirGuard&) = delete;
  StateDirGuard& operator=(const StateDirGuard&) = delete;
  void commit() { committed_ = true; }

 private:
  std::filesystem::path dir_;
  bool committed_ = false;
};

// Made in this order, undone in the reverse one.
struct Groundwork {
  explicit Groundwork(records::GroundworkRecords from) : records(std::move(from)) {}

  records::GroundworkRecords records;        // what it is made from, as read
  // Set before the preflight: a streamed image whose dump removes its source (config.id) once
  // the image is written; on one host that source is still there, frozen. Left out of the
  // address clash check, waited for (wait_for_leaving_source) before the host links come up.
  bool source_goes_away = false;
  std::optional<records::NetNamespace> net;  // records.net, address clashes resolved
  netns::NetMap net_map;
  // preflight
  ContainerState state;
  std::unique_ptr<ContainerLock> lock;
  // cgroups
  std::unique_ptr<StateDirGuard> state_dir;
  std::unique_ptr<cgroup::ContainerCgroup> cgroup;
  std::unique_ptr<RestoredCgroups> restored_cgroups;
  // netns
  std::unique_ptr<netns::RebuiltNetns> rebuilt_net;

  // Keeps all of it (the container runs).
  void commit();
};

// Stage preflight's part: the id and its cgroup are free, the bridges and link parents present,
// no address clashes with running containers (resolved as the options say); the id is locked.
void check_groundwork(Groundwork& g, const RestoreOptions& options);
// Stage cgroups: the state directory, the cgroup subtree with its limits.
void make_cgroups(Groundwork& g);
// Stage netns: the network namespace, its host links held down until bring_host_links_up().
void rebuild_network(Groundwork& g, bool hold_host_links_down);
// With source_goes_away: waits (at most kLeavingSourceWait, cancellable) until no running
// container on its bridges has its addresses or MACs (the source has gone with the end of its
// dump); throws ErrorKind::kRefused naming the clash that remains. Otherwise returns at once.
inline constexpr std::chrono::seconds kLeavingSourceWait{30};
void wait_for_leaving_source(const Groundwork& g);

// A migration's target, while the pre-copy rounds run: the three stages (their fault points
// checked), the host links held down until the resume.
std::unique_ptr<Groundwork> prebuild_groundwork(records::GroundworkRecords records,
                                                const RestoreOptions& options);

// What keeps groundwork made from `made_from` from being what `now` needs ("its cgroups", "its
// network addresses (...)"), "" when nothing does: the same configuration, cgroup nodes and
// limits (their members aside: they are the processes'), network namespace.
std::string groundwork_change(const records::GroundworkRecords& made_from,
                              const records::GroundworkRecords& now);

// restore_container(), its groundwork `prebuilt` already made (null: made as usual). Used when
// the image's records are the same (groundwork_change), else torn down and made anew.
RestoreReport restore_container(const RestoreOptions& options,
                                std::unique_ptr<Groundwork> prebuilt);

}  // namespace ckpt::restore
