#include <cstdio>
#include <nlohmann/json.hpp>

#include "runtime/check.h"
#include "cli/commands.h"

namespace ckpt::cli {

namespace {

const char* level_name(check::Level level) {
  switch (level) {
    case check::Level::kOk:
      return "ok";
    case check::Level::kWarn:
      return "limited";
    case check::Level::kMissing:
      return "missing";
  }
  return "?";
}

}  // namespace

void add_check(CLI::App& app) {
  auto json = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("check", "Report what this host offers for checkpoint/restore");
  cmd->add_flag("--json", *json, "Machine-readable output");
  cmd->callback([json] {
    auto facts = check::probe_host();
    if (*json) {
      auto out = nlohmann::json::array();
      for (const auto& f : facts)
        out.push_back({{"name", f.name}, {"level", level_name(f.level)}, {"detail", f.detail}});
      std::printf("%s\n", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
      return;
    }
    for (const auto& f : facts)
      std::printf("%-18s %-8s %s\n", f.name.c_str(), level_name(f.level), f.detail.c_str());
  });
}

}  // namespace ckpt::cli
