#include "cli/commands.h"
#include "common/cgroup/freezer.h"
#include "common/container_lock.h"
#include "common/container_state.h"

namespace ckpt::cli {

void add_freeze(CLI::App& app) {
  auto id = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("freeze", "Freeze every process of a container");
  cmd->add_option("id", *id, "Container id")->required();
  cmd->callback([id] {
    ContainerLock lock(*id, "freeze");
    auto state = ContainerState::load(*id);
    cgroup::ContainerCgroup cgroup(cgroup::host_hierarchies(), state.cgroup_path);
    cgroup::container_freezer(cgroup)->freeze();
  });
}

}  // namespace ckpt::cli
