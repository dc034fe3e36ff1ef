// `ckpt backup ID --dir DIR [--keep-* N] [--full-every N] ...` for cron jobs and systemd timers,
// and `ckpt backup --list DIR [ID]`. Quiet on success when stdout is not a terminal; --json
// prints one line. A backup already running for DIR and ID: one line, exit code 4 (busy).
#include <unistd.h>

#include <fmt/format.h>

#include <ctime>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "backup/backup.h"
#include "backup/lock.h"
#include "cli/commands.h"
#include "cli/global_options.h"
#include "common/clock.h"
#include "common/units.h"

namespace ckpt::cli {
namespace {

struct BackupArgs {
  backup::BackupOptions options;
  std::string list_dir;
};

void print_result(const backup::BackupResult& r, bool json) {
  if (json) {
    nlohmann::json j = {{"image", r.image},
                        {"parent", r.parent.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.parent)},
                        {"bytes", r.bytes},
                        {"seconds", r.seconds},
                        {"frozen_ms", r.frozen_ms},
                        {"pruned", r.pruned},
                        {"flattened", r.flattened}};
    std::cout << j.dump() << std::endl;
    return;
  }
  if (!::isatty(STDOUT_FILENO)) return;  // cron and timers: quiet on success
  fmt::print("{} ({}, {}{}) in {:.2f} s, frozen {:.1f} ms{}\n", r.image, format_size(r.bytes),
             r.parent.empty() ? "full" : "incremental on ", r.parent, r.seconds, r.frozen_ms,
             r.pruned.empty() ? "" : fmt::format("; pruned {}", r.pruned.size()));
}

void print_list(const std::vector<backup::ListedImage>& images, bool json) {
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& i : images)
      out.push_back({{"id", i.image.id},
                     {"image", i.image.path},
                     {"time", i.image.time},
                     {"parent", i.parent.empty() ? nlohmann::json(nullptr) : nlohmann::json(i.parent)},
                     {"chain_length", i.chain_length},
                     {"own_bytes", i.own_bytes},
                     {"total_bytes", i.total_bytes},
                     {"problem", i.problem.empty() ? nlohmann::json(nullptr) : nlohmann::json(i.problem)}});
    std::cout << out.dump() << std::endl;
    return;
  }
  fmt::print("{:<40} {:<19} {:>5} {:>12} {:>12}  {}\n", "IMAGE", "TIME (UTC)", "CHAIN", "OWN",
             "TOTAL", "PARENT");
  for (const auto& i : images)
    fmt::print("{:<40} {:<19} {:>5} {:>12} {:>12}  {}\n", i.image.name, format_utc(i.image.time),
               i.chain_length, format_size(i.own_bytes), format_size(i.total_bytes),
               !i.problem.empty() ? "BROKEN: " + i.problem
               : i.parent.empty() ? std::string("(full)")
                                  : i.parent);
}

}  // namespace

void add_backup(CLI::App& app) {
  auto args = std::make_shared<BackupArgs>();
  auto& o = args->options;
  auto* cmd = app.add_subcommand(
      "backup", "Back up a running container into a directory: incremental images, pruned by "
                "a keep policy (for cron jobs and systemd timers)");
  cmd->add_option("id", o.container_id, "Container id (with --list: only its images)");
  cmd->add_option("--dir", o.dir, "Directory of the images (made 0700 if missing)");
  cmd->add_option("--list", args->list_dir, "List the images in this directory instead");
  cmd->add_option("--keep-last", o.keep.last, "Keep the N newest images")->check(CLI::NonNegativeNumber);
  cmd->add_option("--keep-hourly", o.keep.hourly, "Keep the newest image of each of the last N hours with one")->check(CLI::NonNegativeNumber);
  cmd->add_option("--keep-daily", o.keep.daily, "... of the last N days")->check(CLI::NonNegativeNumber);
  cmd->add_option("--keep-weekly", o.keep.weekly, "... of the last N weeks")->check(CLI::NonNegativeNumber);
  cmd->add_option("--keep-monthly", o.keep.monthly, "... of the last N months")->check(CLI::NonNegativeNumber);
  cmd->add_option("--full-every", o.full_every,
                  "Make a full image once the chain holds N images (default 16)")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--with-rootfs", o.with_rootfs, "Store the rootfs contents too");
  cmd->add_flag("--tcp-established", o.tcp_established,
                "Checkpoint established TCP connections (TCP_REPAIR)");
  cmd->add_option("--sign-key", o.sign_key,
                  "Sign the images with HMAC-SHA256 under this key file (default: "
                  "/etc/ckpt/image.key when it exists)");
  cmd->add_option("--compress-level", o.zstd_level, "zstd level, 0 = store (default 1)")
      ->check(CLI::Range(0, 19));
  cmd->callback([args] {
    if (!args->list_dir.empty()) {
      print_list(backup::list_backups(args->list_dir, args->options.container_id),
                 global_options().json);
      return;
    }
    if (args->options.container_id.empty() || args->options.dir.empty())
      throw CLI::ValidationError("backup", "needs ID and --dir DIR (or --list DIR)");
    print_result(backup::run_backup(args->options), global_options().json);
  });
}

}  // namespace ckpt::cli
