#include "ckpt/dump.h"

#include <signal.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <thread>

#include "ckpt/audit.h"
#include "ckpt/cgroups.h"
#include "ckpt/cpu.h"
#include "ckpt/files.h"
#include "ckpt/ipc.h"
#include "ckpt/event_files.h"
#include "ckpt/event_files_muted.h"
#include "ckpt/mounts.h"
#include "ckpt/nested_ns.h"
#include "ckpt/pages_index.h"
#include "ckpt/pages_deferred.h"
#include "ckpt/pages_late.h"
#include "ckpt/shared_tables.h"
#include "ckpt/processes.h"
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
#include "common/clock.h"
#include "common/container_state.h"
#include "common/dump_marks.h"
#include "common/error.h"
#include "common/error_kind.h"
#include "common/fs.h"
#include "common/image/signing.h"
#include "common/image/image.h"
#include "common/image/progress.h"
#include "common/records/stream_order.h"
#include "netns/host_link_lock.h"
#include "netns/netns.h"

namespace ckpt::dump {

namespace {

// /proc/locks, read on a thread as soon as the container is frozen, while the namespaces are
// collected. Read in the freeze: the locks it lists are those of the frozen processes (the files
// stage checks them). The kernel takes its file lock list for writing to show it, which waits
// for an RCU grace period (5-15 ms here: most of the files stage) unless the list was taken so
// less than a grace period before (its rcu_sync stays in the writer's state that long: a read
// 1-5 ms after another takes 0.1 ms here). So the thread reads it over and over from before the
// freeze (which waits for the first read: a grace period while the container still runs) until
// the container is frozen, and keeps the read it starts after that.
class ProcLocksRead {
 public:
  ProcLocksRead() : text_(std::async(std::launch::async, [this] { return read(); })) {}
  ~ProcLocksRead() {
    abandoned_ = true;  // a dump failed before the freeze: no read kept
    if (text_.valid()) text_.wait();
  }
  ProcLocksRead(const ProcLocksRead&) = delete;
  ProcLocksRead& operator=(const ProcLocksRead&) = delete;

  void wait_warm() { warm_future_.wait(); }  // the first read done: the next ones are quick
  void frozen() { frozen_ = true; }  // once the container is frozen: the next read is kept
  std::string get() { return text_.get(); }

 private:
  std::string read() {
    bool first = true;
    while (!frozen_ && !abandoned_) {
      (void)fs::try_read_file("/proc/locks");
      if (first) warm_.set_value();
      first = false;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (first) warm_.set_value();
    return abandoned_ ? std::string() : fs::read_file("/proc/locks");
  }

  std::atomic<bool> frozen_{false}, abandoned_{false};
  std::promise<void> warm_;
  std::future<void> warm_future_ = warm_.get_future();
  std::future<std::string> text_;
};

// What the stages make and the later ones use, in the order it is made.
struct Dump {
  DumpReport report;
  StageClock clock{report.stage_seconds};
  ContainerState state;
  std::unique_ptr<cgroup::ContainerCgroup> cgroup;
  std::unique_ptr<cgroup::Freezer> freezer;
  // For the next command, should this one be killed: made first and gone last, once all it
  // names is undone (the temp image removed, the container thawed): a dump killed while a
  // failure unwinds must leave nothing the marks no longer name.
  std::unique_ptr<DumpMarks> marks;
  std::unique_ptr<PageIndex> index;  // the parent image's pages and files; this image's index
  std::unique_ptr<image::ImageWriter> image;
  // Declared in the reverse order of their undoing: on a failure the processes are detached,
  // then the write tracking ends, then the container is thawed.
  std::unique_ptr<DeferredPages> deferred;      // --leave-running: the pre-copied pages
  bool stream_order = false;                    // `-o -`: records first, page streams last
  std::unique_ptr<LatePages> late;              // stream order: the streams not yet written
  bool pages_written = false;                   // the page streams and the lineage
  DeferredPages* pages = nullptr;               // those, or the migration's (options.precopied)
  std::unique_ptr<cgroup::FreezeGuard> frozen;  // thaws unless released
  // The container's inotify watches blind to the dump's own reads, until it runs again.
  std::unique_ptr<MutedWatches> muted;
  std::unique_ptr<TrackingGuard> untrack;       // ends the write tracking on any way out
  std::unique_ptr<SeizedProcesses> seized;      // stopped under ptrace until released or killed
  std::chrono::steady_clock::time_point freeze_start;
  records::ProcessTree tree;
  records::NetNamespace net;
  records::IpcNamespace ipc;
  std::vector<pid_t> live_pids;  // the tree without its zombies (which are recorded as such)
  std::unique_ptr<SharedMemory> shared_memory;
  records::FilesState files;
  std::unique_ptr<DumpedTcpConnections> tcp;  // null without connections
  SmapsBefore audit_smaps;  // read before the freeze for the audit (ckpt/audit.h)
  std::unique_ptr<ProcLocksRead> proc_locks;  // the read kept is made from the freeze on
};

// The point checked after `stage`: "dump:freeze"; the stage's time goes into the report.
void stage_done(Dump& d, Stage stage) {
  d.clock.lap(stage_name(stage));
  spdlog::debug("dump stage {}: {:.1f} ms", stage_name(stage), 1000 * d.report.stage_seconds.back().second);
  cancellation_point(fmt::format("dump:{}", stage_name(stage)));
}

void locate(Dump& d, const std::string& id) {
  d.state = ContainerState::load(id);
  if (!d.state.init_alive())
    fail("container {} is not running (init pid {} is gone)", id, d.state.init_pid);
}

void preflight(Dump& d, const DumpOptions& options) {
  d.cgroup = std::make_unique<cgroup::ContainerCgroup>(cgroup::host_hierarchies(),
                                                       d.state.cgroup_path);
  if (!d.cgroup->exists()) fail("container {} has no cgroup {}", d.state.id, d.state.cgroup_path);
  d.freezer = cgroup::container_freezer(*d.cgroup);
  image::WriterOptions writer_options;
  writer_options.zstd_level = options.zstd_level;
  writer_options.sign_key = image::pick_signing_key(options.sign_key).value_or("");
  // The marks first: a kill right after the temp image is made must find it named.
  d.marks = std::make_unique<DumpMarks>(d.state.id, options.output);
  d.index = std::make_unique<PageIndex>(options.parent);  // an incremental dump's parent, checked
  d.image = std::make_unique<image::ImageWriter>(options.output, image::make_header(d.state.id),
                                                 writer_options);
  // A pipe's reader restores while it reads: it needs every record before the pages, and to
  // know whether this container goes once the image is written (on one host it still exists,
  // frozen, while that restore starts).
  d.stream_order = options.output == "-";
  if (d.stream_order)
    d.image->put(image::SectionType::kStreamOrder, 0,
                 records::StreamOrder{.source_removed = !options.leave_running});
  // A container its user froze stays frozen, also when the dump fails.
  d.report.was_frozen = d.freezer->state() != cgroup::FreezerState::kThawed;
}

// --leave-running: pages are copied while the container runs, written after the release. Not
// for a container its user froze: it does not run, and its v1-frozen tasks would not stop for
// the injection. Then the reads of /proc/locks begin (ProcLocksRead), the first one waited for.
void precopy(Dump& d, const DumpOptions& options) {
  if (options.leave_running && !d.report.was_frozen &&
      DeferredPages::fits_in_memory(d.cgroup->all_procs()))
    d.deferred = std::make_unique<DeferredPages>(d.cgroup->all_procs(), /*precopy=*/true, d.index.get());
  d.pages = options.precopied ? options.precopied : d.deferred.get();
  if (d.stream_order && !d.pages) d.late = std::make_unique<LatePages>();
  d.proc_locks = std::make_unique<ProcLocksRead>();  // its first grace period while it runs
  d.proc_locks->wait_warm();
}

// Stopped processes are seized before the freeze (seizing a frozen one would hang); zombies
// are dumped as they are, their parents reap them after the restore.
void freeze(Dump& d, const DumpOptions& options) {
  if (options.audit)
    d.audit_smaps = read_smaps_before_freeze(d.cgroup->all_procs());  // out of the window
  d.seized = std::make_unique<SeizedProcesses>();
  d.seized->seize_stopped(d.cgroup->all_procs());
  d.freeze_start = std::chrono::steady_clock::now();
  d.marks->set_frozen(true);
  d.frozen = std::make_unique<cgroup::FreezeGuard>(*d.freezer, d.report.was_frozen);
  if (d.report.was_frozen) d.marks->set_frozen(false);  // its user's freeze: kept
  spdlog::info("froze {} in {:.1f} ms", d.state.id, ms_since(d.freeze_start));
  d.proc_locks->frozen();
  if (options.on_frozen) options.on_frozen();
  d.untrack = std::make_unique<TrackingGuard>(d.pages);
}

void collect_namespaces(Dump& d, const DumpOptions& options) {
  d.tree = collect_process_tree(d.state.init_pid);
  d.index->bind(d.tree);
  check_tree_matches_cgroup(d.tree, d.cgroup->all_procs());
  refuse_nested_namespaces(d.tree);
  std::vector<NotifyFd> notify = notify_fds(d.tree);
  refuse_queued_notify_events(notify);  // before dump_mounts reads files
  d.muted = std::make_unique<MutedWatches>(notify, *d.marks);  // before too
  mark_shared_tables(d.tree);
  auto& image = *d.image;
  image.put(image::SectionType::kConfig, 0, d.state.config);
  dump_cpu_features(image);
  image.put(image::SectionType::kUts, 0, collect_uts(d.state.init_pid));
  image.put(image::SectionType::kTime, 0, collect_time(d.state.init_pid));
  image.put(image::SectionType::kProcessTree, 0, d.tree);
  std::optional<tree::FileStamps> rootfs_held;
  if (options.rootfs_held) {
    std::vector<pid_t> pids;
    for (const auto& process : d.tree.processes)
      if (!process.zombie) pids.push_back(process.host_pid);
    rootfs_held = without_shared_writable_maps(*options.rootfs_held, pids);
  }
  dump_mounts(d.state.init_pid, !d.state.config.rootfs.empty(), options.with_rootfs, image,
              d.index.get(), rootfs_held ? &*rootfs_held : nullptr);
  image.put(image::SectionType::kCgroups, 0, collect_cgroups(*d.cgroup, d.tree));
  d.net = netns::dump_netns(d.state.init_pid);
  image.put(image::SectionType::kNetNs, 0, d.net);
  d.ipc = write_ipc(d.state.init_pid, image);
}

void seize(Dump& d, const DumpOptions& options) {
  for (const auto& process : d.tree.processes)
    if (!process.zombie) d.live_pids.push_back(process.host_pid);
  std::vector<pid_t> frozen_stopped = d.seized->seize(d.live_pids);
  if (!d.freezer->is_v2()) {
    d.frozen->thaw();  // v1 reports the ptrace stops only once thawed
    d.seized->seize_stopped(frozen_stopped);  // thawed, back in their group stop
  } else if (!frozen_stopped.empty()) {
    fail(ErrorKind::kRefused, "process {} is stopped and frozen; thaw the container and dump again", frozen_stopped[0]);
  }
  d.seized->wait_stopped();
  refuse_shared_tables(d.tree);  // once a vfork child has left its parent's memory
  if (options.audit) write_audit(d.tree, d.state, std::move(d.audit_smaps), d.net,
                               d.muted->fdinfo_before(), *d.image);
}

void collect_files(Dump& d, const DumpOptions& options) {
  d.shared_memory = std::make_unique<SharedMemory>(d.tree);  // before the files: see shmem.h
  d.files = dump_files({d.live_pids, d.state.console_path().string(),
                        d.shared_memory->deleted_file_inodes(), d.proc_locks->get(),
                        d.muted->fdinfo_before()},
                       *d.image);
  check_tcp_connections(d.files, options.tcp_established);  // refused before any injection
  dump_ttys({d.state.init_pid, &d.tree, d.state.dir()}, d.files, *d.image);
}

void collect_processes(Dump& d) {
  bool migration = d.pages && d.pages != d.deferred.get();  // its pages travelled already
  dump_processes(d.tree, *d.seized, *d.image, d.pages, d.index.get(), !migration, d.late.get());
  dump_sem_undo(d.tree, *d.seized, d.ipc, *d.image);
  d.shared_memory->write(d.files, *d.image);
  spdlog::info("collected {} processes", d.tree.processes.size());
  d.report.processes = d.tree.processes.size();
}

// With the v1 freezer the container ran only ptrace stops since the seize: should ckpt die,
// the processes would run on with sockets in repair mode, which fail every call. Frozen again
// (v1 counts ptrace-stopped tasks as frozen), they stay frozen when the tracer is gone.
void lock_network(Dump& d, const DumpOptions& options) {
  if (!has_tcp_connections(d.files)) return;
  if (!d.freezer->is_v2()) d.frozen->refreeze();
  d.tcp = dump_tcp_connections(
      d.files, {options.tcp_established, netns::host_veth_ends(d.net), d.marks.get()}, *d.image);
}

// The page streams and the lineage (which counts the pagemaps); in stream order the pagemaps
// and the lineage come first, the streams last (ckpt/pages_late.h), read from the processes
// while they are still stopped.
void write_pages(Dump& d, const DumpOptions& options) {
  if (d.pages_written) return;
  d.pages_written = true;
  auto& image = *d.image;
  if (!d.stream_order) {
    if (d.pages) d.pages->write(image, d.index.get());  // after the release, or (migration) the final round's
    image.put(image::SectionType::kLineage, 0, d.index->lineage(options.output));
    return;
  }
  if (d.pages) d.pages->write_pagemaps(image, d.index.get());
  image.put(image::SectionType::kLineage, 0, d.index->lineage(options.output));
  if (d.pages) d.pages->write_streams(image, d.index.get());
  if (d.late) d.late->write(image);
}

void release(Dump& d, const DumpOptions& options) {
  if (d.late) write_pages(d, options);  // their processes still stopped
  d.tcp.reset();  // repair off, network unlocked: the connections carry on
  // Frozen by its user: frozen again before the detach (v1 freezes ptrace-stopped tasks).
  if (d.report.was_frozen) d.frozen->end();
  d.seized.reset();  // detached: registers and signal masks as they were
  d.muted.reset();   // the watches' masks given back
  d.frozen->end();   // thawed, or left frozen for its user
  d.marks->set_frozen(false);
  d.report.frozen_ms = ms_since(d.freeze_start);
  spdlog::info("{} released after {:.1f} ms", d.state.id, d.report.frozen_ms);
  // Closing the userfaultfds unprotects every tracked page (~10 ms per GiB): with the
  // container running again, whose first write to a page meanwhile costs it a minor fault.
  if (d.deferred) d.deferred->stop_tracking();
}

void write(Dump& d, const DumpOptions& options) {
  write_pages(d, options);
  stage_done(d, Stage::kWrite);  // before the commit: a failure here leaves no image
  d.image->finish();
  d.clock.lap("commit");
  d.report.image_bytes = d.image->bytes_written();
  d.report.memory_bytes = image::progress().written.memory_bytes.load();
}

// Connections stay in repair mode and the network locked: they close without a RST.
void kill(Dump& d) {
  if (d.tcp) d.tcp->keep_for_kill();
  for (pid_t pid : d.seized->pids()) ::kill(pid, SIGKILL);  // before any of it runs again
  d.seized.reset();
  d.muted.reset();
  // Thawed, the processes die at once (the SIGKILL comes before any of their code): a ckpt
  // killed before it removes the container leaves no frozen container behind.
  d.frozen->thaw();
  d.frozen->release();
  d.report.frozen_ms = ms_since(d.freeze_start);
  d.clock.lap(stage_name(Stage::kKill));
}

}  // namespace

std::string_view stage_name(Stage stage) {
  switch (stage) {
    case Stage::kLocate: return "locate";
    case Stage::kPreflight: return "preflight";
    case Stage::kPrecopy: return "precopy";
    case Stage::kFreeze: return "freeze";
    case Stage::kNamespaces: return "namespaces";
    case Stage::kSeize: return "seize";
    case Stage::kFiles: return "files";
    case Stage::kProcesses: return "processes";
    case Stage::kTcp: return "tcp";
    case Stage::kRelease: return "release";
    case Stage::kWrite: return "write";
    case Stage::kKill: return "kill";
  }
  return "?";
}

DumpReport dump_container(const DumpOptions& options) {
  CancelOnSignals cancel_on_signals;  // a signal now would kill a traced container
  Dump d;
  locate(d, options.container_id);
  stage_done(d, Stage::kLocate);
  preflight(d, options);
  stage_done(d, Stage::kPreflight);
  precopy(d, options);
  stage_done(d, Stage::kPrecopy);
  freeze(d, options);
  stage_done(d, Stage::kFreeze);
  collect_namespaces(d, options);
  stage_done(d, Stage::kNamespaces);
  seize(d, options);
  stage_done(d, Stage::kSeize);
  collect_files(d, options);
  stage_done(d, Stage::kFiles);
  collect_processes(d);
  stage_done(d, Stage::kProcesses);
  lock_network(d, options);
  stage_done(d, Stage::kTcp);
  if (options.leave_running) {
    release(d, options);
    stage_done(d, Stage::kRelease);
  }
  write(d, options);  // checks its point itself, before the commit
  if (options.handover) options.handover();  // migration: throws to thaw the container instead
  if (!options.leave_running) {
    kill(d);
    if (options.after_kill) {
      d.marks->set_frozen(true);  // the removal freezes the cgroup while it kills
      options.after_kill();
    }
  }
  return d.report;
}

}  // namespace ckpt::dump
