#include "runtime/stop.h"
#include "cli/commands.h"
#include "common/container_lock.h"

namespace ckpt::cli {

void add_stop(CLI::App& app) {
  auto ids = std::make_shared<std::vector<std::string>>();
  auto seconds = std::make_shared<double>(10);
  auto* cmd = app.add_subcommand(
      "stop", "Stop containers: SIGTERM to init, SIGKILL to all after --time seconds");
  cmd->add_option("id", *ids, "Container ids")->required();
  cmd->add_option("-t,--time", *seconds, "Seconds to wait after SIGTERM (default 10)")
      ->check(CLI::Range(0.0, 86400.0));
  cmd->callback([ids, seconds] {
    for (const auto& id : *ids) {
      ContainerLock lock(id, "stop");
      runtime::stop_container(id, std::chrono::milliseconds(static_cast<int64_t>(*seconds * 1000)));
    }
  });
}

}  // namespace ckpt::cli
