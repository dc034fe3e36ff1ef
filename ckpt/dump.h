// The dump engine: one container into one image. The caller holds the container's lock
// (common/container_lock.h) and, without --leave-running, removes what is left of the container
// afterwards (runtime/remove.h). Any failure before the image is committed detaches, thaws and
// deletes the temp image: the container never notices a failed dump.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "common/stage_clock.h"
#include "common/tree_pack.h"

namespace ckpt::dump {

class DeferredPages;

struct DumpOptions {
  std::string container_id;
  std::string output;  // path, or "-" for stdout
  bool leave_running = false;
  bool tcp_established = false;  // dump established TCP connections (else they fail the dump)
  bool with_rootfs = false;  // store the rootfs contents too
  std::string parent;  // an earlier image of the container: store only what changed since
  int zstd_level = 1;
  std::string sign_key;  // --sign-key FILE ("" = /etc/ckpt/image.key when it exists, else none)
  // Migration: memory pre-copied by the caller in rounds while the container ran; the final
  // round reads only what changed since the last one (see DeferredPages::leave_unchanged_out).
  DeferredPages* precopied = nullptr;
  // Migration with --with-rootfs: the rootfs files its target holds already (sent while the
  // container ran, ckpt/mounts.h pack_rootfs); those still unchanged are stored without data.
  const tree::FileStamps* rootfs_held = nullptr;
  // Migration's two-phase handover: called once the image is finished, the container still
  // frozen, seized and its TCP connections in repair mode. Returning lets the dump kill it;
  // throwing thaws it as any failed dump does (connections repaired, links up).
  std::function<void()> handover;
  // Migration: called the moment the container is frozen (its downtime starts there).
  std::function<void()> on_frozen;
  // Without --leave-running: called once the processes are killed, with the dump's marks still
  // standing (the command line removes what is left of the container, which freezes the cgroup
  // while it kills): a ckpt killed meanwhile leaves marks by which the next command thaws it.
  std::function<void()> after_kill;
  // The audit facts `restore --check` compares with (ckpt/audit.h). A migration leaves them
  // out: its target never checks, and taking them costs ~40 ms of the freeze.
  bool audit = true;
};

// The stages, in the order dump_container() runs them (one function each in ckpt/dump.cc).
// After each, the cancellation and fault point "dump:<stage_name>" is checked (common/cancel.h;
// CKPT_FAULT=dump:freeze fails the dump there): a signal or fault there undoes everything.
enum class Stage {
  kLocate,      // id -> container state, init pid, cgroup paths; nothing is touched yet
  kPreflight,   // the cgroup exists, the freezer is known, the image's temp file is created
  kPrecopy,     // --leave-running: pages copied while the container runs, later writes tracked
  kFreeze,      // processes in a group stop seized first, then the freezer quiesces the subtree
  kNamespaces,  // config, uts, time, process tree, mounts, cgroup subtree, network, ipc
  kSeize,       // every thread of every live process stopped under ptrace
  kFiles,       // fds and open file descriptions, ptys; TCP connections checked (not touched)
  kProcesses,   // per process: memory, threads, signals, credentials; SEM_UNDO; shared memory
  kTcp,         // established TCP connections (--tcp-established): the container frozen again
                // (the v1 freezer was thawed for the injections), its host links down, each
                // connection in repair mode and read. A ckpt killed from here on leaves it frozen,
                // for the next ckpt command to release (runtime/dump_recovery).
  kRelease,     // --leave-running only: repair off, processes detached, the container thawed
  kWrite,       // the pages copied before the release, the trailer; its point comes before the
                // image is committed (fsync and rename into place)
  kKill,        // without --leave-running: every process killed while still held
};

// "freeze" for Stage::kFreeze (the point is "dump:freeze").
std::string_view stage_name(Stage stage);

// What a dump did, for the summary line and `dump --json`.
struct DumpReport {
  uint64_t image_bytes = 0;   // the image file
  uint64_t memory_bytes = 0;  // memory pages stored (process, shared, SysV shm)
  size_t processes = 0;
  double frozen_ms = 0;        // from the freeze until released (--leave-running) or killed
  bool was_frozen = false;     // frozen by its user before the dump: left frozen
  StageSeconds stage_seconds;  // seconds per stage, by stage_name, in order
};

DumpReport dump_container(const DumpOptions& options);

}  // namespace ckpt::dump
