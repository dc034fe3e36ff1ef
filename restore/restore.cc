#include "restore/restore.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "common/cancel.h"
#include "common/cgroup/container_cgroup.h"
#include "common/chain/image_chain.h"
#include "common/container_state.h"
#include "common/error.h"
#include "common/error_kind.h"
#include "common/image/image.h"
#include "common/image/progress.h"
#include "common/image/signing.h"
#include "common/records/stream_order.h"
#include "common/records/tree.h"
#include "netns/announce.h"
#include "restore/audit.h"
#include "restore/cgroups.h"
#include "restore/cpu.h"
#include "restore/creds.h"
#include "restore/files_locks.h"
#include "restore/files.h"
#include "restore/groundwork.h"
#include "restore/ipc.h"
#include "restore/mounts.h"
#include "restore/processes.h"
#include "restore/root_task.h"
#include "restore/shmem.h"
#include "restore/source_name.h"
#include "restore/tcp_connections.h"
#include "restore/time_ns.h"
#include "restore/ttys.h"
#include "restore/uts.h"

namespace ckpt::restore {

namespace {

using image::SectionType;

// What the stages make and the later ones use, in the order it is made. Declared in that
// order, so that a failure undoes it in reverse: the processes are killed, the root task, the
// network, the cgroups and the state directory removed.
struct Restore {
  // open: an incremental image with its parents, each checked to be the one it was made against
  std::unique_ptr<chain::ImageChain> chain;
  const image::ImageReader* image = nullptr;
  records::GroundworkRecords records;  // the configuration, cgroups and network of the image
  bool source_goes_away = false;       // read from a pipe its dump removes the source after
  records::UtsState uts;
  // preflight, cgroups, netns (a migration's target made them while the rounds ran)
  std::unique_ptr<Groundwork> groundwork;
  std::unique_ptr<MountsRestore> mounts;  // preflight
  // root task
  std::unique_ptr<ProcessesRestore> processes;
  std::unique_ptr<RestoredRootfs> rootfs;
  std::unique_ptr<TtysRestore> ttys;
  std::unique_ptr<RootTask> root;
};

// Whether `image` comes through a pipe (or FIFO) from a dump that removes its container once the
// image is written (records/stream_order.h): on one host that source still exists, frozen, while
// this restore runs. Not for a file: its dump ended long ago.
bool source_goes_away(const image::ImageReader& image, const std::string& input) {
  std::error_code ec;
  bool piped = input == "-" || std::filesystem::is_fifo(input, ec);
  if (!piped || !image.has(SectionType::kStreamOrder, 0)) return false;
  auto bytes = image.get_bytes(SectionType::kStreamOrder, 0);
  if (bytes.empty()) return false;  // an older ckpt's stream: it does not say
  return image::from_bytes<records::StreamOrder>(bytes, "stream-order").source_removed;
}

// Restored under its source's own name while that source is still there (one host, no --name):
// the rest of the stream is read into a temp file, so that its dump can write it all and remove
// the source, and every checksum checked; then the name is waited for. Otherwise the restore
// reads the stream as it comes.
void take_name_from_leaving_source(Restore& r, const RestoreOptions& options) {
  const std::string& id = r.records.config.id;
  if (!r.source_goes_away || (!options.name.empty() && options.name != id))
    return r.image->stream_rest();
  auto tree = r.image->get<records::ProcessTree>(SectionType::kProcessTree, 0);
  if (tree.processes.empty() || !held_by_leaving_source(id, tree.processes.front().host_pid))
    return r.image->stream_rest();
  spdlog::info("{} is the stream's source, still there: the stream read to its end first", id);
  r.image->spool_rest();
  r.chain->verify_for_restore();
  wait_for_source_name(id);
}

void open(Restore& r, const RestoreOptions& options) {
  r.chain = std::make_unique<chain::ImageChain>(options.input, options.parent_dir,
                                                image::pick_signing_key(options.verify_key),
                                                image::PipeMode::kStream);
  r.chain->verify_for_restore();
  r.image = &r.chain->image();
  if (!options.skip_cpu_check) refuse_missing_cpu_features(*r.image);
  refuse_unsettable_rlimits(*r.image);
  classify_errors(ErrorKind::kImage, [&] {  // a record that does not decode: a damaged image
    r.records.config = r.image->get<records::ContainerConfig>(SectionType::kConfig, 0);
    r.uts = r.image->get<records::UtsState>(SectionType::kUts, 0);
    r.records.cgroups = r.image->get<records::CgroupTree>(SectionType::kCgroups, 0);
    if (r.image->has(SectionType::kNetNs, 0))
      r.records.net = r.image->get<records::NetNamespace>(SectionType::kNetNs, 0);
    r.source_goes_away = source_goes_away(*r.image, options.input);
  });
  check_cgroup_tree(r.records.cgroups);
  take_name_from_leaving_source(r, options);
}

// The groundwork made before (a migration's, during the rounds) if it was made from what the
// image holds; torn down otherwise (something changed while the container ran), so that the
// stages make it anew. Whether it is kept.
bool take_prebuilt(Restore& r, std::unique_ptr<Groundwork> prebuilt) {
  if (!prebuilt) return false;
  if (auto change = groundwork_change(prebuilt->records, r.records); !change.empty()) {
    spdlog::info("the container changed {} while the groundwork was prebuilt: made again",
                 change);
    return false;  // `prebuilt` torn down here, before it is made anew
  }
  r.groundwork = std::move(prebuilt);
  if (r.groundwork->rebuilt_net && r.records.net)
    r.groundwork->rebuilt_net->add_neighbours(r.records.net->learned_neighbours);
  return true;
}

void preflight(Restore& r, const RestoreOptions& options, bool prebuilt) {
  if (!prebuilt) {
    r.groundwork = std::make_unique<Groundwork>(r.records);
    r.groundwork->source_goes_away = r.source_goes_away;
    check_groundwork(*r.groundwork, options);
  }
  r.mounts =
      std::make_unique<MountsRestore>(*r.image, MountMap(options.mount_map), r.chain.get());
}

// Held down until the resume with TCP connections to repair, in a migration (the source runs on
// with the same addresses until the handover), and while a streamed image's source may be there.
bool hold_host_links_down(const Restore& r, const RestoreOptions& options) {
  return options.migration || r.source_goes_away ||
         (has_tcp_connections(*r.image) && !options.tcp_close);
}

// The container's init: the steps below run in it, top to bottom; then it waits, as pid 1 with
// every open file description of the image, for the tree to be forked from it.
void start_root_task(Restore& r, const RestoreOptions& options) {
  auto& image = *r.image;
  r.processes = std::make_unique<ProcessesRestore>(image, r.chain.get(), options.held_pages,
                                                  options.post_copy);
  auto& g = *r.groundwork;
  r.rootfs = std::make_unique<RestoredRootfs>(*r.mounts, r.records.config.rootfs, options.rootfs,
                                              g.state.id, options.prebuilt_rootfs);
  g.state.config.rootfs = r.rootfs->path();
  r.ttys = std::make_unique<TtysRestore>(image);
  auto restore_ipc = image.has(SectionType::kIpc, 0) ? ipc_restore_step(image) : [] {};
  // The root task's stdout is the new console (set up before the body runs, also with a rootfs).
  FilesRestoreContext files_context;
  files_context.console_path = g.state.console_path().string();
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
  RootTaskSpec spec{r.rootfs->path(), g.rebuilt_net ? g.rebuilt_net->fd() : -1,
                    g.state.console_path().string()};
  r.root = std::make_unique<RootTask>(spec, steps);
  time_ns.reset();
  r.ttys->receive_console();
  g.cgroup->attach(r.root->pid());
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
  auto& g = *r.groundwork;
  wait_for_leaving_source(g);  // a streamed image's source: its dump has ended, it goes
  if (g.rebuilt_net) g.rebuilt_net->bring_host_links_up();  // the connections are repaired
  r.processes->resume();
  if (g.rebuilt_net) netns::announce_addresses(g.rebuilt_net->fd());  // switches learn its port
  r.ttys->start_console(g.state.dir(), r.root->pid());
  g.state.init_pid = r.root->pid();
  g.state.init_start_time = process_start_time(r.root->pid()).value_or(0);
  g.state.save();
  r.rootfs->commit();
  r.root->release();
  g.commit();
  spdlog::info("restored {} as {} (init pid {})", r.records.config.id, g.state.id,
               r.root->pid());
}

RestoreReport report_of(const Restore& r, RestoreReport report) {
  report.id = r.groundwork->state.id;
  report.init_pid = r.groundwork->state.init_pid;
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
  return restore_container(options, nullptr);
}

RestoreReport restore_container(const RestoreOptions& options,
                                std::unique_ptr<Groundwork> prebuilt) {
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
  report.groundwork_prebuilt = take_prebuilt(r, std::move(prebuilt));
  preflight(r, options, report.groundwork_prebuilt);
  done(Stage::kPreflight);
  if (!report.groundwork_prebuilt) make_cgroups(*r.groundwork);
  done(Stage::kCgroups);
  if (!report.groundwork_prebuilt) rebuild_network(*r.groundwork, hold_host_links_down(r, options));
  done(Stage::kNetns);
  start_root_task(r, options);
  done(Stage::kRootTask);
  with_root_task_failure(r, [&] { r.processes->fork_tree(r.root->pid()); });
  done(Stage::kTree);
  with_root_task_failure(r, [&] {
    r.processes->restore();  // kMemory's point per process
    set_file_owners(*r.image, r.processes->host_pids());  // every thread exists now
  });
  r.image->finish_reading();  // a streamed image: its end checked before anything runs
  done(Stage::kProcesses);
  check_restored(*r.image, r.processes->host_pids(), r.groundwork->state, options);
  if (options.before_resume) options.before_resume();  // migration: throws to undo instead
  resume(r);
  clock.lap(stage_name(Stage::kResume));
  return report_of(r, std::move(report));
}

}  // namespace ckpt::restore
