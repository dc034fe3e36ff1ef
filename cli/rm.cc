#include "cli/commands.h"
#include "common/container_lock.h"
#include "runtime/remove.h"

namespace ckpt::cli {

void add_rm(CLI::App& app) {
  auto ids = std::make_shared<std::vector<std::string>>();
  auto force = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("rm", "Remove stopped containers (their cgroups and state)");
  cmd->add_option("id", *ids, "Container ids")->required();
  cmd->add_flag("-f,--force", *force, "Kill a running container first");
  cmd->callback([ids, force] {
    for (const auto& id : *ids) {
      ContainerLock lock(id, "rm");
      runtime::remove_container(id, *force);
    }
  });
}

}  // namespace ckpt::cli
