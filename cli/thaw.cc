#include "cli/commands.h"
#include "common/cgroup/freezer.h"
#include "common/container_lock.h"
#include "common/container_state.h"

namespace ckpt::cli {

void add_thaw(CLI::App& app) {
  auto id = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("thaw", "Thaw a frozen container");
  cmd->add_option("id", *id, "Container id")->required();
  cmd->callback([id] {
    ContainerLock lock(*id, "thaw");
    auto state = ContainerState::load(*id);
    cgroup::ContainerCgroup cgroup(cgroup::host_hierarchies(), state.cgroup_path);
    cgroup::container_freezer(cgroup)->thaw();
  });
}

}  // namespace ckpt::cli
