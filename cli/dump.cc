#include "ckpt/dump.h"
#include "cli/commands.h"
#include "common/container_lock.h"
#include "runtime/remove.h"

namespace ckpt::cli {

void add_dump(CLI::App& app) {
  auto opts = std::make_shared<dump::DumpOptions>();
  auto* cmd = app.add_subcommand(
      "dump", "Checkpoint a container into one image; it is stopped unless --leave-running");
  cmd->add_option("id", opts->container_id, "Container id")->required();
  cmd->add_option("-o,--output", opts->output, "Image path, or - for stdout")->required();
  cmd->add_flag("--leave-running", opts->leave_running, "Thaw the container after the dump");
  cmd->add_flag(
      "--tcp-established", opts->tcp_established,
      "Checkpoint established TCP connections (TCP_REPAIR); without it they fail the dump");
  cmd->add_flag("--with-rootfs", opts->with_rootfs,
                "Store the rootfs contents too, so that restore does not need the directory");
  cmd->add_option("--parent", opts->parent,
                  "An earlier image of this container: store only what changed since (an "
                  "incremental image; restore needs the parent next to it)");
  cmd->add_option("--compress-level", opts->zstd_level, "zstd level, 0 = store (default 1)")
      ->check(CLI::Range(0, 19));
  cmd->callback([opts] {
    ContainerLock lock(opts->container_id, "dump");
    dump::dump_container(*opts);
    // Without --leave-running the dump killed the processes; what is left of the container
    // (cgroups, host links, state) goes too, still under the lock.
    if (!opts->leave_running) runtime::remove_container(opts->container_id, /*force=*/true);
  });
}

}  // namespace ckpt::cli
