#include "cli/commands.h"
#include "runtime/remove.h"
#include "common/container_lock.h"

namespace ckpt::cli {

void add_rm(CLI::App& app) {
  auto ids = std::make_shared<std::vector<std::string>>();
  auto force = std::make_shared<bool>(true);
  auto* cmd = app.add_subcommand("rm", "Stop containers and remove their cgroups and state");
  cmd->add_option("id", *ids, "Container ids")->required();
  cmd->add_flag("!--no-force", *force, "Refuse to remove a running container");
  cmd->callback([ids, force] {
    for (const auto& id : *ids) {
      ContainerLock lock(id, "rm");
      runtime::remove_container(id, *force);
    }
  });
}

}  // namespace ckpt::cli
