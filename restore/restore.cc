#include "restore/restore.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "common/cancel.h"
#include "common/cgroup/container_cgroup.h"
#include "common/chain/image_chain.h"
#include "common/container_lock.h"
#include "common/container_state.h"
#include "common/error.h"
#include "common/error_kind.h"
#include "common/image/image.h"
#include "common/image/progress.h"
#include "common/image/signing.h"
#include "common/records/tree.h"
#include "netns/net_map_use.h"
#include "netns/netns.h"
#include "restore/audit.h"
#include "restore/cgroups.h"
#include "restore/cpu.h"
#include "restore/files_locks.h"
#include "restore/files.h"
#include "restore/ipc.h"
#include "restore/mounts.h"
#include "restore/net_conflicts.h"
#include "restore/processes.h"
#include "restore/root_task.h"
#include "restore/shmem.h"
#include "restore/tcp_connections.h"
#include "restore/time_ns.h"
#include "restore/ttys.h"
#include "restore/uts.h"

namespace ckpt::restore {

namespace {

using image::SectionType;

// Removes the state directory unless commit()ed.
class StateDirGuard {
 public:
  explicit StateDirGuard(std::filesystem::path dir) : dir_(std::move(dir)) {
    std::filesystem::create_directories(dir_);
  }
  ~StateDirGuard() {
    if (!committed_) std::filesystem::remove_all(dir_);
  }
  void commit() { committed_ = true; }

 private:
  std::filesystem::path dir_;
  bool committed_ = false;
};

int64_t now_unix() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// What the stages make and the later ones use, in the order it is made. Declared in that
// order, so that a failure undoes it in reverse: the processes are killed, the root task, the
// network, the cgroups and the state directory removed.
struct Restore {
  // open: an incremental image with its parents, each checked to be the one it was made against
  std::unique_ptr<chain::ImageChain> chain;
  const image::ImageReader* image = nullptr;
  records::ContainerConfig config;
  records::UtsState uts;
  records::CgroupTree cgroups;
  std::optional<records::NetNamespace> net;
  netns::NetMap net_map;
  // preflight
  ContainerState state;
  std::unique_ptr<ContainerLock> lock;
  std::unique_ptr<MountsRestore> mounts;
  // cgroups
  std::unique_ptr<StateDirGuard> state_dir;
  std::unique_ptr<cgroup::ContainerCgroup> cgroup;
  std::unique_ptr<RestoredCgroups> restored_cgroups;
  // netns
  std::unique_ptr<netns::RebuiltNetns> rebuilt_net;
  // root task
  std::unique_ptr<ProcessesRestore> processes;
  std::unique_ptr<RestoredRootfs> rootfs;
  std::unique_ptr<TtysRestore> ttys;
  std::unique_ptr<RootTask> root;
};

// The decoded page streams of a chain's newer links, kept from the checks of the open stage for
// the memory stage (which lays them over the oldest link's pages), are at most this many bytes.
constexpr uint64_t kKeptPagesBudget = 256u << 20;

void open(Restore& r, const RestoreOptions& options) {
  r.chain = std::make_unique<chain::ImageChain>(options.input, options.parent_dir,
                                                image::pick_signing_key(options.verify_key));
  r.chain->verify_keeping_pages(kKeptPagesBudget);
  r.image = &r.chain->image();
  if (!options.skip_cpu_check) refuse_missing_cpu_features(*r.image);
  classify_errors(ErrorKind::kImage, [&] {  // a record that does not decode: a damaged image
    r.config = r.image->get<records::ContainerConfig>(SectionType::kConfig, 0);
    r.uts = r.image->get<records::UtsState>(SectionType::kUts, 0);
    r.cgroups = r.image->get<records::CgroupTree>(SectionType::kCgroups, 0);
    if (r.image->has(SectionType::kNetNs, 0))
      r.net = r.image->get<records::NetNamespace>(SectionType::kNetNs, 0);
  });
  check_cgroup_tree(r.cgroups);
  auto specs = options.net_map;
  if (r.net) specs = netns::apply_address_map(*r.net, specs);
  r.net_map = netns::parse_net_map(specs);
}

void preflight(Restore& r, const RestoreOptions& options) {
  auto& state = r.state;
  state.id = options.name.empty() ? r.config.id : options.name;
  validate_container_id(state.id);
  netns::refuse_unused_net_map(r.net ? *r.net : records::NetNamespace{}, state.id, r.net_map);
  r.lock = std::make_unique<ContainerLock>(state.id, "restore");
  if (ContainerState::exists(state.id))
    fail(ErrorKind::kRefused, "a container named '{}' already exists", state.id);
  state.cgroup_path = cgroup::container_cgroup_path(state.id);
  cgroup::ContainerCgroup cgroup(cgroup::host_hierarchies(), state.cgroup_path);
  if (cgroup.exists()) fail(ErrorKind::kRefused, "cgroup {} already exists", cgroup.path());
  if (r.net) {
    auto users = running_containers_on_bridges();
    // A migration on one host: the source it replaces shares its addresses until the handover.
    if (options.migration)
      for (auto& [bridge, containers] : users) containers.erase(r.config.id);
    resolve_net_conflicts(*r.net, r.net_map, users,
                          {options.ignore_static_ip, options.ignore_static_mac});
  }
  if (r.net) netns::preflight_netns(*r.net, state.id, r.net_map);
  r.mounts =
      std::make_unique<MountsRestore>(*r.image, MountMap(options.mount_map), r.chain.get());
  state.config = r.config;
  state.config.id = state.id;
  state.restored_from = options.input;
  state.created_unix = now_unix();
}

void make_cgroups(Restore& r) {
  r.state_dir = std::make_unique<StateDirGuard>(r.state.dir());
  r.cgroup =
      std::make_unique<cgroup::ContainerCgroup>(cgroup::host_hierarchies(), r.state.cgroup_path);
  r.restored_cgroups = std::make_unique<RestoredCgroups>(*r.cgroup, r.cgroups);
}

// Undone unless committed; with TCP connections to repair, its host links stay down.
void rebuild_network(Restore& r, const RestoreOptions& options) {
  bool repair_tcp = has_tcp_connections(*r.image) && !options.tcp_close;
  if (r.net) r.rebuilt_net = netns::rebuild_netns(*r.net, r.state.id, r.net_map, repair_tcp);
}

// The container's init: the steps below run in it, top to bottom; then it waits, as pid 1 with
// every open file description of the image, for the tree to be forked from it.
void start_root_task(Restore& r, const RestoreOptions& options) {
  auto& image = *r.image;
  r.processes = std::make_unique<ProcessesRestore>(image, r.chain.get(), options.held_pages,
                                                  options.post_copy);
  r.rootfs = std::make_unique<RestoredRootfs>(*r.mounts, r.config.rootfs, options.rootfs,
                                              r.state.id);
  r.state.config.rootfs = r.rootfs->path();
  r.ttys = std::make_unique<TtysRestore>(image);
  auto restore_ipc = image.has(SectionType::kIpc, 0) ? ipc_restore_step(image) : [] {};
  // The root task's stdout is the new console (set up before the body runs, also with a rootfs).
  FilesRestoreContext files_context;
  files_context.console_path = r.state.console_path().string();
  files_context.console_fd = STDOUT_FILENO;
  files_context.tcp_close = options.tcp_close;
  if (!r.ttys->empty())
    files_context.openers.add({records::FileKind::kPtyMaster, records::FileKind::kPtySlave},
                              [&ttys = *r.ttys](const auto& d) { return ttys.open_description(d); });

  RootTaskSteps steps;
  // IPC objects and sysctls before the mounts: the container may have made /proc/sys read-only
  // (writes through any proc reach the root task's own ipc namespace).
  steps.before_mounts = [&] {
    restore_uts(r.uts);
    restore_ipc();
    r.mounts->take_host_binds();
  };
  steps.in_namespaces = [&] {
    r.mounts->rebuild(!r.rootfs->path().empty());
    if (!r.ttys->empty()) r.ttys->create_in_namespaces();
  };
  steps.body = [&] {
    create_shared_objects(image, files_context);  // before the files: memfds are both
    auto files = open_files(image, files_context);
    r.processes->run_root_task(files.get(), [&ttys = *r.ttys](pid_t pid) { ttys.take_terminal(pid); });
  };
  auto time_ns = prepare_time_namespace(image);  // the root task starts the new one
  RootTaskSpec spec{r.rootfs->path(), r.rebuilt_net ? r.rebuilt_net->fd() : -1,
                    r.state.console_path().string()};
  r.root = std::make_unique<RootTask>(spec, steps);
  time_ns.reset();
  r.ttys->receive_console();
  r.cgroup->attach(r.root->pid());
}

// A failure of a process is reported with what the root task said about it, when it said so.
template <typename Step>
void with_root_task_failure(Restore& r, Step step) {
  try {
    step();
  } catch (const Error& e) {
    std::string why = r.root->failure();
    if (why.empty()) throw;
    fail("{} ({})", why, e.what());
  }
}

void resume(Restore& r) {
  if (r.rebuilt_net) r.rebuilt_net->bring_host_links_up();  // the connections are repaired
  r.processes->resume();
  r.ttys->start_console(r.state.dir(), r.root->pid());
  r.state.init_pid = r.root->pid();
  r.state.init_start_time = process_start_time(r.root->pid()).value_or(0);
  r.state.save();
  r.restored_cgroups->commit();
  if (r.rebuilt_net) r.rebuilt_net->commit();
  r.rootfs->commit();
  r.root->release();
  r.state_dir->commit();
  spdlog::info("restored {} as {} (init pid {})", r.config.id, r.state.id, r.root->pid());
}

RestoreReport report_of(const Restore& r, RestoreReport report) {
  report.id = r.state.id;
  report.init_pid = r.state.init_pid;
  report.image_bytes = r.image->file_size();
  for (const auto& s : r.image->sections())
    if (image::is_memory(s.type)) report.memory_bytes += s.raw_size;
  report.processes =
      r.image->get<records::ProcessTree>(SectionType::kProcessTree, 0).processes.size();
  return report;
}

}  // namespace

std::string_view stage_name(Stage stage) {
  switch (stage) {
    case Stage::kOpen: return "open";
    case Stage::kPreflight: return "preflight";
    case Stage::kCgroups: return "cgroups";
    case Stage::kNetns: return "netns";
    case Stage::kRootTask: return "root-task";
    case Stage::kTree: return "tree";
    case Stage::kMemory: return "memory";
    case Stage::kProcesses: return "processes";
    case Stage::kResume: return "resume";
  }
  return "?";
}

void stage_done(Stage stage) {
  cancellation_point(fmt::format("restore:{}", stage_name(stage)));
}

RestoreReport restore_container(const RestoreOptions& options) {
  CancelOnSignals cancel_on_signals;  // undo everything rather than leave it half made
  RestoreReport report;
  StageClock clock(report.stage_seconds);
  auto done = [&](Stage stage) {
    clock.lap(stage_name(stage));
    stage_done(stage);
  };
  Restore r;
  open(r, options);
  done(Stage::kOpen);
  preflight(r, options);
  done(Stage::kPreflight);
  make_cgroups(r);
  done(Stage::kCgroups);
  rebuild_network(r, options);
  done(Stage::kNetns);
  start_root_task(r, options);
  done(Stage::kRootTask);
  with_root_task_failure(r, [&] { r.processes->fork_tree(r.root->pid()); });
  done(Stage::kTree);
  with_root_task_failure(r, [&] {
    r.processes->restore();  // kMemory's point per process
    set_file_owners(*r.image, r.processes->host_pids());  // every thread exists now
  });
  done(Stage::kProcesses);
  check_restored(*r.image, r.processes->host_pids(), r.state, options);
  if (options.before_resume) options.before_resume();  // migration: throws to undo instead
  resume(r);
  clock.lap(stage_name(Stage::kResume));
  return report_of(r, std::move(report));
}

}  // namespace ckpt::restore
