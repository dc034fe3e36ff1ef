#include "restore/cgroups.h"

#include "common/cgroup/kill.h"
#include "common/untrusted_path.h"

namespace ckpt::restore {

void check_cgroup_tree(const records::CgroupTree& tree) {
  for (const auto& node : tree.nodes)
    if (!node.path.empty()) fs::check_relative_path(node.path, "cgroup");
}

RestoredCgroups::RestoredCgroups(cgroup::ContainerCgroup& cgroup, const records::CgroupTree& tree)
    : cgroup_(cgroup) {
  check_cgroup_tree(tree);
  cgroup_.create(/*must_be_new=*/true);
  try {
    for (const auto& node : tree.nodes) {
      if (!node.path.empty()) cgroup_.create_child(node.path);
      cgroup_.apply_limits(node.path, node.limits);
    }
  } catch (...) {
    cgroup_.remove();
    throw;
  }
}

RestoredCgroups::~RestoredCgroups() {
  if (committed_) return;
  try {
    cgroup::kill_all_processes(cgroup_);
    cgroup_.remove();
  } catch (const std::exception& e) {
    spdlog::error("removing cgroup {} after a failed restore: {}", cgroup_.path(), e.what());
  }
}

}  // namespace ckpt::restore
