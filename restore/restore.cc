#include "restore/restore.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "common/cancel.h"
#include "common/chain/image_chain.h"
#include "common/cgroup/container_cgroup.h"
#include "common/container_lock.h"
#include "common/container_state.h"
#include "common/error.h"
#include "common/image/image.h"
#include "netns/netns.h"
#include "restore/cgroups.h"
#include "restore/files.h"
#include "restore/ipc.h"
#include "restore/mounts.h"
#include "restore/processes.h"
#include "restore/root_task.h"
#include "restore/shmem.h"
#include "restore/tcp_connections.h"
#include "restore/time_ns.h"
#include "restore/ttys.h"

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

void preflight(const std::string& id) {
  validate_container_id(id);
  if (ContainerState::exists(id)) fail("a container named '{}' already exists", id);
  cgroup::ContainerCgroup cgroup(cgroup::host_hierarchies(), "ckpt/" + id);
  if (cgroup.exists()) fail("cgroup {} already exists", cgroup.path());
}

int64_t now_unix() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void restore_container(const RestoreOptions& options) {
  CancelOnSignals cancel_on_signals;  // undo everything rather than leave it half made
  // 1. open: structure and every checksum, before anything is created; an incremental image
  // with its parents, each checked to be the one it was made against.
  chain::ImageChain chain(options.input, options.parent_dir);
  chain.verify();
  const image::ImageReader& image = chain.image();
  auto config = image.get<records::ContainerConfig>(SectionType::kConfig, 0);
  auto uts = image.get<records::UtsState>(SectionType::kUts, 0);
  auto cgroups = image.get<records::CgroupTree>(SectionType::kCgroups, 0);
  std::optional<records::NetNamespace> net;
  if (image.has(SectionType::kNetNs, 0))
    net = image.get<records::NetNamespace>(SectionType::kNetNs, 0);
  auto net_map = netns::parse_net_map(options.net_map);

  // 2. preflight.
  ContainerState state;
  state.id = options.name.empty() ? config.id : options.name;
  ContainerLock lock(state.id, "restore");
  preflight(state.id);
  if (net) netns::preflight_netns(*net, state.id, net_map);
  MountsRestore mounts(image, MountMap(options.mount_map), &chain);
  state.cgroup_path = "ckpt/" + state.id;
  state.config = config;
  state.config.id = state.id;
  state.restored_from = options.input;
  state.created_unix = now_unix();

  // 3. cgroups.
  StateDirGuard state_dir(state.dir());
  cgroup::ContainerCgroup cgroup(cgroup::host_hierarchies(), state.cgroup_path);
  RestoredCgroups restored_cgroups(cgroup, cgroups);
  cancellation_point("restore:cgroups");

  // 4. namespaces: the network rebuilt (undone unless committed), then the root task in it as
  // the container's init; IPC objects are recreated inside before any process is forked.
  std::unique_ptr<netns::RebuiltNetns> rebuilt_net;
  bool repair_tcp = has_tcp_connections(image) && !options.tcp_close;
  if (net) rebuilt_net = netns::rebuild_netns(*net, state.id, net_map, repair_tcp);
  cancellation_point("restore:netns");
  ProcessesRestore processes(image, &chain);
  RestoredRootfs rootfs(mounts, config.rootfs, options.rootfs, state.id);
  state.config.rootfs = rootfs.path();
  // The root task's stdout is the new console (set up before the body runs, also with a rootfs).
  FilesRestoreContext files_context;
  files_context.console_path = state.console_path().string();
  files_context.console_fd = STDOUT_FILENO;
  files_context.tcp_close = options.tcp_close;
  RootTaskSpec spec{
      uts, rootfs.path(), rebuilt_net ? rebuilt_net->fd() : -1, state.console_path().string(), {},
      {}};
  spec.before_mounts.push_back([&] { mounts.take_host_binds(); });
  spec.in_namespaces.push_back([&] { mounts.rebuild(); });
  if (image.has(SectionType::kIpc, 0)) spec.in_namespaces.push_back(ipc_restore_step(image));
  TtysRestore ttys(image);
  if (!ttys.empty()) {
    spec.in_namespaces.push_back([&ttys] { ttys.create_in_namespaces(); });
    files_context.openers.add({records::FileKind::kPtyMaster, records::FileKind::kPtySlave},
                              [&ttys](const auto& d) { return ttys.open_description(d); });
  }
  auto time_ns = prepare_time_namespace(image);  // the root task starts the new one
  RootTask root(spec, [&] {
    create_shared_objects(image, files_context);  // before the files: memfds are both
    auto files = open_files(image, files_context);
    processes.run_root_task(files.get(), [&ttys](pid_t pid) { ttys.take_terminal(pid); });
  });
  time_ns.reset();
  ttys.receive_console();
  cgroup.attach(root.pid());
  cancellation_point("restore:root-task");

  // 5-7. the tree forked with its pids, then every process rebuilt by the tracer (this process).
  try {
    processes.restore(root.pid());
  } catch (const Error& e) {
    std::string why = root.failure();
    if (why.empty()) throw;
    fail("{} ({})", why, e.what());
  }
  cancellation_point("restore:processes");
  if (rebuilt_net) rebuilt_net->bring_host_links_up();  // the connections are repaired
  processes.resume();
  ttys.start_console(state.dir(), root.pid());

  // 6. resume.
  state.init_pid = root.pid();
  state.init_start_time = process_start_time(root.pid()).value_or(0);
  state.save();
  restored_cgroups.commit();
  if (rebuilt_net) rebuilt_net->commit();
  rootfs.commit();
  root.release();
  state_dir.commit();
  spdlog::info("restored {} as {} (init pid {})", config.id, state.id, root.pid());
}

}  // namespace ckpt::restore
