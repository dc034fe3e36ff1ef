#include "ckpt/dump.h"

#include <chrono>

#include "ckpt/cgroups.h"
#include "ckpt/files.h"
#include "ckpt/ipc.h"
#include "ckpt/remove.h"
#include "ckpt/tree.h"
#include "ckpt/uts.h"
#include "common/cgroup/freezer.h"
#include "common/container_state.h"
#include "common/error.h"
#include "common/image/image.h"
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

// Everything the image holds, collected while the container is frozen.
void collect(const ContainerState& state, const cgroup::ContainerCgroup& cgroup,
             image::ImageWriter& image) {
  auto tree = collect_process_tree(state.init_pid);
  check_tree_matches_cgroup(tree, cgroup.all_procs());
  image.put(image::SectionType::kConfig, 0, state.config);
  image.put(image::SectionType::kUts, 0, collect_uts(state.init_pid));
  image.put(image::SectionType::kProcessTree, 0, tree);
  image.put(image::SectionType::kCgroups, 0, collect_cgroups(cgroup, tree));
  image.put(image::SectionType::kNetNs, 0, netns::dump_netns(state.init_pid));
  write_ipc(state.init_pid, image);
  std::vector<pid_t> pids;
  for (const auto& p : tree.processes) pids.push_back(p.host_pid);
  dump_files({pids, state.console_path().string()}, image);
  spdlog::info("collected {} processes", tree.processes.size());
}

}  // namespace

void dump_container(const DumpOptions& options) {
  // 1-2. locate and preflight: nothing is touched yet.
  ContainerState state = locate(options.container_id);
  cgroup::ContainerCgroup cgroup(cgroup::host_hierarchies(), state.cgroup_path);
  if (!cgroup.exists()) fail("container {} has no cgroup {}", state.id, state.cgroup_path);
  auto freezer = cgroup::container_freezer(cgroup);
  image::WriterOptions writer_options;
  writer_options.zstd_level = options.zstd_level;
  image::ImageWriter image(options.output, image::make_header(state.id), writer_options);

  // 3. freeze; the guard thaws on any failure below.
  auto start = Clock::now();
  cgroup::FreezeGuard frozen(*freezer);
  spdlog::info("froze {} in {:.1f} ms", state.id, ms_since(start));

  // 4-5. collect and write.
  collect(state, cgroup, image);
  image.finish();

  // 6. finish.
  if (options.leave_running) {
    frozen.thaw();
    spdlog::info("{} thawed after {:.1f} ms frozen", state.id, ms_since(start));
    return;
  }
  frozen.release();
  runtime::remove_container(state.id, /*force=*/true);
}

}  // namespace ckpt::dump
