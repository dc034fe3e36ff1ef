#include "ckpt/dump.h"
#include "ckpt/cli/commands.h"

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
  cmd->add_option("--compress-level", opts->zstd_level, "zstd level, 0 = store (default 1)")
      ->check(CLI::Range(0, 19));
  cmd->callback([opts] { dump::dump_container(*opts); });
}

}  // namespace ckpt::cli
