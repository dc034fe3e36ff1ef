// The dump pipeline, as a flat sequence of stages:
//   1. locate     id -> container state, init pid, cgroup
//   2. preflight  the container runs; the output can be created (before anything is touched)
//   3. freeze     the freezer quiesces the whole cgroup subtree
//   4. collect    config, UTS, time, mounts, process tree, cgroup subtree with limits, [network], [processes]
//   5. write      records go into the image as they are collected
//   6. finish     thaw (--leave-running) or kill and remove the container
// Any failure before 6 thaws the container and removes the temp image: the container never
// notices a failed dump.
#pragma once

#include <string>

namespace ckpt::dump {

struct DumpOptions {
  std::string container_id;
  std::string output;  // path, or "-" for stdout
  bool leave_running = false;
  bool tcp_established = false;  // dump established TCP connections (else they fail the dump)
  bool with_rootfs = false;  // store the rootfs contents too
  std::string parent;  // an earlier image of the container: store only what changed since
  int zstd_level = 1;
};

// What a dump took, for `ckpt backup --json`.
struct DumpResult {
  double frozen_ms = 0;    // from the freeze to the release (--leave-running) or the kill
  uint64_t image_bytes = 0;
};

DumpResult dump_container(const DumpOptions& options);

}  // namespace ckpt::dump
