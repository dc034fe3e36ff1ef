// The restore engine: one image into a running container, here or on another host. Every stage
// is undone when a later one fails (or the run is cancelled): a failed restore leaves nothing.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/stage_clock.h"

namespace ckpt::restore {

class HeldPages;
class PostCopy;
struct PrebuiltRootfs;

struct RestoreOptions {
  std::string input;                 // path, or "-" for stdin
  std::string name;                  // new container id; empty: the id in the image
  std::vector<std::string> net_map;  // --net-map KIND:OLD=NEW (see netns::parse_net_map)
  bool tcp_close = false;            // --tcp-close: established TCP connections come back closed
  std::vector<std::string> mount_map;  // --mount-map OLD=NEW: host paths of bind mounts
  std::string parent_dir;  // where the parents of an incremental image are (default: next to it)
  std::string verify_key;  // --verify-key FILE ("" = /etc/ckpt/image.key when it exists)
  std::string rootfs;  // where the rootfs is: stored rootfs unpacked here (default
                       // /var/lib/ckpt/rootfs/ID), else used instead of the dumped path
  // Migration with --with-rootfs: the rootfs unpacked while the rounds ran (restore/mounts.h).
  const PrebuiltRootfs* prebuilt_rootfs = nullptr;
  // Migration (ckpt receive): the source container, the image's id, runs until the handover;
  // its addresses and MACs on a bridge of this host are not a clash.
  bool migration = false;
  // Migration: pages held outside the image (pre-copied), filled with the image's.
  const HeldPages* held_pages = nullptr;
  // Migration: the held pages are left to it, the processes get them once they run
  // (restore/pages_post_copy.h; with --lazy, and without unless CKPT_MIGRATE_FILL_BEFORE_RESUME).
  PostCopy* post_copy = nullptr;
  // Migration's two-phase handover: called once every process is rebuilt (stopped, host links
  // down). Returning resumes the container; throwing undoes the restore as any failure does.
  std::function<void()> before_resume;
  bool check = false;         // --check: a difference from the dump-time audit fails the restore
  bool check_report = false;  // --check-report: differences are only reported
  std::vector<std::string> check_ignore;  // --check-ignore NAME: facts whose name contains NAME
  bool skip_cpu_check = false;  // --skip-cpu-check: restore on a CPU lacking dumped features
  // An address / MAC a running container on the same bridge has: dropped / made anew instead
  // of refused (restore/net_conflicts.h).
  bool ignore_static_ip = false;
  bool ignore_static_mac = false;
};

// What a restore did, for the summary line and `restore --json`.
struct RestoreReport {
  std::string id;  // of the restored container
  pid_t init_pid = 0;
  uint64_t image_bytes = 0;   // the image file
  uint64_t memory_bytes = 0;  // memory pages restored
  size_t processes = 0;
  StageSeconds stage_seconds;  // seconds per stage, by stage_name, in order
  // A migration's target: the groundwork (preflight, cgroups, netns) made while the rounds ran
  // was used; those stages only checked it (restore/groundwork.h).
  bool groundwork_prebuilt = false;
};

// The stages, in the order restore_container() runs them (one function each in
// restore/restore.cc). After each, the cancellation and fault point "restore:<stage_name>" is
// checked (common/cancel.h; CKPT_FAULT=restore:netns fails the restore there).
enum class Stage {
  kOpen,        // the header and every checksum verified; nothing is created yet
  kPreflight,   // the id and its cgroup are free; bridges, link parents, bind sources present
  kCgroups,     // the cgroup subtree with its limits
  kNetns,       // the network namespace rebuilt, its host links held down
                // (these three: the groundwork, restore/groundwork.h; a migration's target
                // makes it while the pre-copy rounds run, the stages then only check it)
  kRootTask,    // the container's init in fresh pid/mnt/uts/ipc/time namespaces: uts, mounts,
                // ipc objects, ptys, shared memory objects and open files, then waiting as pid 1
  kTree,        // every process forked with its pid, session and group, threads stopped
  kMemory,      // per process (the point after each): its mappings and page contents
  kProcesses,   // per process: signals, threads and registers, credentials, timers
  kResume,      // host links up, the processes let run, the container's state saved
};

// "netns" for Stage::kNetns (the point is "restore:netns").
std::string_view stage_name(Stage stage);
// The cancellation and fault point after `stage`.
void stage_done(Stage stage);

RestoreReport restore_container(const RestoreOptions& options);

}  // namespace ckpt::restore
