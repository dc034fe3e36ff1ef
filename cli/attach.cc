#include <cstdio>

#include "runtime/attach.h"
#include "cli/commands.h"

namespace ckpt::cli {

void add_attach(CLI::App& app) {
  auto options = std::make_shared<runtime::AttachOptions>();
  auto* cmd = app.add_subcommand(
      "attach", "Connect this terminal to the console of a container run with -t (detach: ^P^Q)");
  cmd->add_option("id", options->container_id, "Container id")->required();
  cmd->add_option("--linger", options->linger_ms,
                  "Without a terminal: after stdin's EOF, wait for output this long (ms)")
      ->capture_default_str();
  cmd->callback([options] {
    if (runtime::attach_console(*options) == runtime::AttachEnd::kDetached)
      std::fprintf(stderr, "\r\nckpt: detached from %s\r\n", options->container_id.c_str());
  });
}

}  // namespace ckpt::cli
