// The restore engine: one image into a running container, here or on another host. Every stage
// is undone when a later one fails (or the run is cancelled): a failed restore leaves nothing.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ckpt::restore {

struct RestoreOptions {
  std::string input;                 // path, or "-" for stdin
  std::string name;                  // new container id; empty: the id in the image
  std::vector<std::string> net_map;  // --net-map KIND:OLD=NEW (see netns::parse_net_map)
  bool tcp_close = false;            // --tcp-close: established TCP connections come back closed
  std::vector<std::string> mount_map;  // --mount-map OLD=NEW: host paths of bind mounts
  std::string parent_dir;  // where the parents of an incremental image are (default: next to it)
  std::string rootfs;  // where the rootfs is: stored rootfs unpacked here (default
                       // /var/lib/ckpt/rootfs/ID), else used instead of the dumped path
};

// The stages, in the order restore_container() runs them (one function each in
// restore/restore.cc). After each, the cancellation and fault point "restore:<stage_name>" is
// checked (common/cancel.h; CKPT_FAULT=restore:netns fails the restore there).
enum class Stage {
  kOpen,        // the header and every checksum verified; nothing is created yet
  kPreflight,   // the id and its cgroup are free; bridges, link parents, bind sources present
  kCgroups,     // the cgroup subtree with its limits
  kNetns,       // the network namespace rebuilt, its host links held down
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

void restore_container(const RestoreOptions& options);

}  // namespace ckpt::restore
