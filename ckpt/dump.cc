#include "ckpt/dump.h"

#include <signal.h>

#include <chrono>
#include <memory>

#include "ckpt/cgroups.h"
#include "ckpt/deferred_pages.h"
#include "ckpt/files.h"
#include "ckpt/ipc.h"
#include "ckpt/mounts.h"
#include "ckpt/nested_ns.h"
#include "ckpt/page_index.h"
#include "ckpt/processes.h"
#include "runtime/remove.h"
#include "ckpt/seize.h"
#include "ckpt/sem_undo.h"
#include "ckpt/shmem.h"
#include "ckpt/tcp_connections.h"
#include "ckpt/time_ns.h"
#include "ckpt/tree.h"
#include "ckpt/ttys.h"
#include "ckpt/uts.h"
#include "common/cancel.h"
#include "common/cgroup/freezer.h"
#include "common/container_state.h"
#include "common/error.h"
#include "common/image/image.h"
#include "netns/host_link_lock.h"
#include "netns/netns.h"

namespace ckpt::dump {

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

ContainerState locate(const std::string& id) {
  auto state = ContainerState::load(id);
  if (!state.init_alive())
    fail("container {} is not running (init pid {} is gone)", id, state.init_pid);
  return state;
}

// What stays held after the collection: the processes seized (stopped under ptrace) and the
// TCP connections in repair mode, until the caller lets them go or kills them.
struct Held {
  std::unique_ptr<SeizedProcesses> seized;
  std::unique_ptr<DumpedTcpConnections> tcp;  // null without connections
};

// Everything the image holds, collected while the container is frozen.
// `seized`: the processes in a group stop, seized before the freeze.
Held collect(const ContainerState& state, const DumpOptions& options,
             const cgroup::ContainerCgroup& cgroup, cgroup::Freezer& freezer,
             cgroup::FreezeGuard& frozen, image::ImageWriter& image, DeferredPages* deferred,
             PageIndex& index, std::unique_ptr<SeizedProcesses> seized) {
  auto tree = collect_process_tree(state.init_pid);
  index.bind(tree);
  check_tree_matches_cgroup(tree, cgroup.all_procs());
  refuse_nested_namespaces(tree);
  image.put(image::SectionType::kConfig, 0, state.config);
  image.put(image::SectionType::kUts, 0, collect_uts(state.init_pid));
  image.put(image::SectionType::kTime, 0, collect_time(state.init_pid));
  image.put(image::SectionType::kProcessTree, 0, tree);
  dump_mounts(state.init_pid, !state.config.rootfs.empty(), options.with_rootfs, image, &index);
  image.put(image::SectionType::kCgroups, 0, collect_cgroups(cgroup, tree));
  auto net = netns::dump_netns(state.init_pid);
  image.put(image::SectionType::kNetNs, 0, net);
  auto ipc = write_ipc(state.init_pid, image);
  std::vector<pid_t> pids;
  for (const auto& process : tree.processes)
    if (!process.zombie) pids.push_back(process.host_pid);
  seized->seize(pids);
  if (!freezer.is_v2()) frozen.thaw();  // v1 reports the ptrace stops only once thawed
  seized->wait_stopped();
  cancellation_point("dump:seized");
  SharedMemory shared_memory(tree);
  auto files =
      dump_files({pids, state.console_path().string(), shared_memory.deleted_file_inodes()}, image);
  auto tcp =
      dump_tcp_connections(files, {options.tcp_established, netns::host_veth_ends(net)}, image);
  cancellation_point("dump:tcp-repair");
  dump_ttys({state.init_pid, &tree, state.dir()}, files, image);
  dump_processes(tree, *seized, image, deferred, &index);
  cancellation_point("dump:processes");
  dump_sem_undo(tree, *seized, ipc, image);
  shared_memory.write(files, image);
  cancellation_point("dump:collected");
  spdlog::info("collected {} processes", tree.processes.size());
  return {std::move(seized), std::move(tcp)};
}

}  // namespace

DumpResult dump_container(const DumpOptions& options) {
  CancelOnSignals cancel_on_signals;  // a signal now would kill a traced container
  // 1-2. locate and preflight: nothing is touched yet.
  ContainerState state = locate(options.container_id);
  cgroup::ContainerCgroup cgroup(cgroup::host_hierarchies(), state.cgroup_path);
  if (!cgroup.exists()) fail("container {} has no cgroup {}", state.id, state.cgroup_path);
  auto freezer = cgroup::container_freezer(cgroup);
  image::WriterOptions writer_options;
  writer_options.zstd_level = options.zstd_level;
  PageIndex index(options.parent);  // the parent of an incremental dump, read and checked
  image::ImageWriter image(options.output, image::make_header(state.id), writer_options);

  // --leave-running: pages are pre-copied while the container runs, written after the thaw.
  std::unique_ptr<DeferredPages> deferred;
  if (options.leave_running && DeferredPages::fits_in_memory(cgroup.all_procs()))
    deferred = std::make_unique<DeferredPages>(cgroup.all_procs(), /*precopy=*/true, &index);
  cancellation_point("dump:precopied");

  // 3. freeze; the guard thaws on any failure below. Stopped processes are seized first.
  auto seized = std::make_unique<SeizedProcesses>();
  seized->seize_stopped(cgroup.all_procs());
  auto start = Clock::now();
  // Zombies are dumped as they are: their parents reap them after the restore.
  cgroup::FreezeGuard frozen(*freezer);
  spdlog::info("froze {} in {:.1f} ms", state.id, ms_since(start));
  TrackingGuard untrack(deferred.get());
  cancellation_point("dump:frozen");

  // 4-5. seize, collect and write (pages only copied into `deferred` when it exists).
  auto held = collect(state, options, cgroup, *freezer, frozen, image, deferred.get(), index,
                      std::move(seized));

  // 6. finish.
  if (options.leave_running) {
    held.tcp.reset();     // repair off, network unlocked: the connections carry on
    held.seized.reset();  // detached: registers and signal masks as they were
    frozen.thaw();
    DumpResult result{ms_since(start), 0};
    spdlog::info("{} released after {:.1f} ms", state.id, result.frozen_ms);
    // Closing the userfaultfds unprotects every tracked page (~10 ms per GiB): with the
    // container running again, whose first write to a page meanwhile costs it a minor fault.
    if (deferred) deferred->stop_tracking();
    cancellation_point("dump:released");
    if (deferred) deferred->write(image, &index);
    image.put(image::SectionType::kLineage, 0, index.lineage(options.output));
    image.finish();  // the trailer and the fsync after the release too
    result.image_bytes = image.bytes_written();
    return result;
  }
  cancellation_point("dump:written");
  image.put(image::SectionType::kLineage, 0, index.lineage(options.output));
  image.finish();
  // Connections stay in repair mode and the network locked: they close without a RST.
  if (held.tcp) held.tcp->keep_for_kill();
  for (pid_t pid : held.seized->pids()) ::kill(pid, SIGKILL);  // before any of it runs again
  held.seized.reset();
  frozen.release();
  return {ms_since(start), image.bytes_written()};
}

}  // namespace ckpt::dump
