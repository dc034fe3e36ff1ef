#include <unistd.h>

#include <chrono>

#include "cli/commands.h"
#include "migrate/receiver.h"

namespace ckpt::cli {

void add_receive(CLI::App& app) {
  auto opts = std::make_shared<restore::RestoreOptions>();
  auto timeout = std::make_shared<int>(30);
  auto lazy = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand(
      "receive", "The target of `ckpt migrate`: speaks the migration protocol on stdin/stdout");
  cmd->add_option("--name", opts->name, "Id of the restored container (default: the dumped id)");
  cmd->add_option("--net-map", opts->net_map, "As for restore (repeatable)")
      ->allow_extra_args(false);
  cmd->add_flag("--tcp-close", opts->tcp_close, "As for restore");
  cmd->add_option("--mount-map", opts->mount_map, "As for restore (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--rootfs", opts->rootfs, "As for restore");
  cmd->add_option("--verify-key", opts->verify_key,
                  "Refuse a final image not signed with this key file (default: "
                  "/etc/ckpt/image.key when it exists)");
  cmd->add_option("--timeout", *timeout, "Seconds the source may stay silent (default 30)")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--lazy", *lazy,
                "Post-copy (the source's --lazy): the final round's pages come after the "
                "resume too, from the source (the held ones are filled after it either way; "
                "this runs until every page is in)");
  cmd->callback([opts, timeout, lazy] {
    // Never destroyed: a post-copy's reader thread may still wait on it when a receive fails
    // (the process ends right after).
    static auto* channel = new migrate::Channel(STDIN_FILENO, STDOUT_FILENO, "the source",
                                                std::chrono::seconds(*timeout));
    migrate::receive_container(*opts, *channel, *lazy);
  });
}

}  // namespace ckpt::cli
