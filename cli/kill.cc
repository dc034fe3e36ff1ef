#include <csignal>
#include <cstring>

#include "cli/commands.h"
#include "runtime/remove.h"
#include "common/error.h"

namespace ckpt::cli {

namespace {

// "TERM", "SIGTERM", "15" -> 15.
int parse_signal(const std::string& name) {
  if (!name.empty() && std::isdigit(static_cast<unsigned char>(name[0]))) {
    int sig = std::stoi(name);
    if (sig > 0 && sig < NSIG) return sig;
  }
  std::string bare = name.rfind("SIG", 0) == 0 ? name.substr(3) : name;
  for (int sig = 1; sig < NSIG; ++sig) {
    const char* abbrev = sigabbrev_np(sig);
    if (abbrev && bare == abbrev) return sig;
  }
  fail("unknown signal '{}'", name);
}

}  // namespace

void add_kill(CLI::App& app) {
  auto id = std::make_shared<std::string>();
  auto signal = std::make_shared<std::string>("TERM");
  auto* cmd = app.add_subcommand("kill", "Send a signal to a container's init (default TERM)");
  cmd->add_option("id", *id, "Container id")->required();
  cmd->add_option("signal", *signal, "Signal name or number");
  cmd->callback([id, signal] { runtime::kill_container(*id, parse_signal(*signal)); });
}

}  // namespace ckpt::cli
