#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/global_options.h"
#include "common/container_lock.h"
#include "common/error.h"
#include "migrate/sender.h"
#include "migrate/transport.h"
#include "runtime/remove.h"

namespace ckpt::cli {
namespace {

struct MigrateCli {
  migrate::MigrateOptions migrate;
  std::string destination;
  std::string via;
  std::vector<std::string> ssh_options;
  std::string remote_ckpt = "ckpt";
  // Passed to `ckpt receive` on the target.
  std::string name;
  std::vector<std::string> net_map;
  std::vector<std::string> mount_map;
  std::string rootfs;
  int timeout = 30;
};

std::vector<std::string> receive_args(const MigrateCli& o) {
  std::vector<std::string> args = {"receive", "--timeout", std::to_string(o.timeout)};
  if (!o.name.empty()) args.insert(args.end(), {"--name", o.name});
  for (const auto& m : o.net_map) args.insert(args.end(), {"--net-map", m});
  for (const auto& m : o.mount_map) args.insert(args.end(), {"--mount-map", m});
  if (!o.rootfs.empty()) args.insert(args.end(), {"--rootfs", o.rootfs});
  if (o.migrate.lazy) args.push_back("--lazy");
  return args;
}

// The transport's command: --via CMD (the receive options appended), else ssh to DEST.
std::vector<std::string> transport_argv(const MigrateCli& o) {
  auto args = receive_args(o);
  if (!o.via.empty()) {
    args.erase(args.begin());  // CMD names the verb itself
    return {"/bin/sh", "-c", o.via + " " + migrate::shell_line(args)};
  }
  if (o.destination.empty()) fail("migrate needs a destination or --via");
  args.insert(args.begin(), o.remote_ckpt);
  return migrate::ssh_command(migrate::parse_destination(o.destination), o.ssh_options,
                              migrate::shell_line(args));
}

// The target's restore figures (whether its prebuilt groundwork was used, each stage's time).
nlohmann::ordered_json target_figures(const migrate::MigrationReport& r) {
  auto figures =
      nlohmann::ordered_json::parse(r.target_restore, nullptr, /*allow_exceptions=*/false);
  return figures.is_object() ? figures : nlohmann::ordered_json::object();
}

// Where the source's part of the downtime went (the dump's stages, the final state sent, the
// waits for the target's rebuilt and resumed).
nlohmann::ordered_json source_figures(const migrate::MigrationReport& r) {
  nlohmann::ordered_json stages = nlohmann::ordered_json::object();
  for (const auto& [stage, seconds] : r.source_stage_seconds) stages[stage] = 1000 * seconds;
  return {{"stage_ms", stages},
          {"final_sent_ms", r.final_sent_ms},
          {"rebuilt_wait_ms", r.rebuilt_wait_ms},
          {"resumed_wait_ms", r.resumed_wait_ms}};
}

void print_json(const MigrateCli& o, const migrate::MigrationReport& r) {
  nlohmann::ordered_json rounds = nlohmann::ordered_json::array();
  for (const auto& round : r.rounds)
    rounds.push_back({{"round", round.round}, {"bytes", round.bytes}, {"seconds", round.seconds}});
  nlohmann::ordered_json out = {{"container", o.migrate.container_id},
                        {"destination", o.via.empty() ? o.destination : o.via},
                        {"rounds", rounds},
                        {"final_bytes", r.final_bytes},
                        {"final_compress_level", r.final_zstd_level},
                        {"link_mib_s", r.link_rate / (1 << 20)},
                        {"lazy", o.migrate.lazy},
                        {"downtime_ms", r.downtime_ms},
                        {"post_copy_seconds", r.post_copy_seconds},
                        {"post_copied_bytes", r.post_copied_bytes},
                        {"filled_after_resume_bytes", r.filled_after_resume_bytes},
                        {"fill_after_resume_ms", r.fill_after_resume_ms},
                        {"total_seconds", r.total_seconds},
                        {"bytes_sent", r.bytes_sent},
                        {"target_prebuild_ms", r.target_prebuild_ms},
                        {"rootfs_prebuild", {{"bytes", r.rootfs_prebuild.bytes},
                                             {"entries", r.rootfs_prebuild.entries},
                                             {"ms", r.rootfs_prebuild.target_ms},
                                             {"send_ms", r.rootfs_prebuild.send_ms}}},
                        {"source", source_figures(r)},
                        {"target", target_figures(r)}};
  std::cout << out.dump() << std::endl;
}

void run(const MigrateCli& o) {
  if (o.migrate.max_rounds == 0 && !o.migrate.lazy)
    fail("--max-rounds 0 sends every page after the resume: it needs --lazy");
  ContainerLock lock(o.migrate.container_id, "migrate");
  migrate::Transport transport(transport_argv(o));
  migrate::Channel channel(transport.read_fd(), transport.write_fd(), "the target",
                           std::chrono::seconds(o.timeout));
  migrate::MigrationReport report;
  try {
    // Once the target runs it, the dump has killed the processes; what is left of the
    // container goes too, under the lock.
    migrate::migrate_container(o.migrate, channel, report, [&] {
      runtime::remove_container(o.migrate.container_id, /*force=*/true);
    });
  } catch (const Error& e) {
    transport.finish();  // the target has removed what it made, unless it runs the container
    if (report.resumed && o.migrate.lazy)
      fail("{} runs on the target, but its post-copy did not report every page in (if the "
           "target lacks pages, the container is lost there): {}",
           o.migrate.container_id, e.what());
    if (report.resumed)
      fail("{} was moved and resumed on the target, but filling its memory there did not end "
           "well (the source is gone; if the target says its fill failed, the container is "
           "lost): {}",
           o.migrate.container_id, e.what());
    fail("{} stays here and runs on: {}", o.migrate.container_id, e.what());
  }
  transport.finish();
  if (global_options().json) {
    print_json(o, report);
  } else {
    std::fprintf(stderr,
                 "migrated %s: downtime %.0f ms, %d rounds, %.1f MiB sent in %.2f s, memory "
                 "filled %.2f s after the resume\n",
                 o.migrate.container_id.c_str(), report.downtime_ms,
                 static_cast<int>(report.rounds.size()),
                 static_cast<double>(report.bytes_sent) / (1 << 20), report.total_seconds,
                 report.fill_after_resume_ms / 1000);
  }
}

}  // namespace

void add_migrate(CLI::App& app) {
  auto o = std::make_shared<MigrateCli>();
  auto* cmd = app.add_subcommand(
      "migrate", "Move a running container to another host (pre-copy, then a short freeze)");
  cmd->add_option("id", o->migrate.container_id, "Container id")->required();
  cmd->add_option("destination", o->destination,
                  "[ssh://][user@]host[:port]: `ckpt receive` runs there through ssh");
  cmd->add_option("--via", o->via,
                  "Instead of ssh: a shell command whose stdin/stdout reach `ckpt receive` "
                  "(the receive options are appended)");
  cmd->add_option("--ssh-option", o->ssh_options, "An ssh -o option (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--remote-ckpt", o->remote_ckpt, "The ckpt command on the target (default ckpt)");
  cmd->add_option("--name", o->name, "Id of the container on the target (default: the same)");
  cmd->add_flag("--tcp-established", o->migrate.tcp_established,
                "Move established TCP connections too (TCP_REPAIR): their peers keep them");
  cmd->add_option("--net-map", o->net_map, "As for restore, on the target (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--mount-map", o->mount_map, "As for restore, on the target (repeatable)")
      ->allow_extra_args(false);
  cmd->add_flag("--with-rootfs", o->migrate.with_rootfs, "Send the rootfs contents too");
  cmd->add_option("--rootfs", o->rootfs, "As for restore, on the target");
  cmd->add_flag("--lazy", o->migrate.lazy,
                "Post-copy: the target resumes before the pre-copied pages are in and fills them "
                "while the container runs (if `ckpt receive` dies before that ends, the "
                "container is lost)");
  cmd->add_option("--max-rounds", o->migrate.max_rounds,
                  "Pre-copy rounds at most (default 8); 0 with --lazy: a pure post-copy, every "
                  "page sent once, after the resume")
      ->check(CLI::Range(0, 1000));
  cmd->add_option("--max-downtime", o->migrate.max_downtime_ms,
                  "Downtime budget in ms for the last pages (default 100)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--sign-key", o->migrate.sign_key,
                  "Sign the final image with HMAC-SHA256 under this key file (default: "
                  "/etc/ckpt/image.key when it exists); the target checks it with its own key");
  cmd->add_option("--compress-level", o->migrate.zstd_level,
                  "zstd level of the final image, 0 = store (default: stored on a link the "
                  "rounds measured at 400 MiB/s or more, else 1)")
      ->check(CLI::Range(0, 19));
  cmd->add_option("--timeout", o->timeout,
                  "Seconds either side may stay silent before the channel counts as broken "
                  "(default 30)")
      ->check(CLI::PositiveNumber);
  cmd->callback([o] {
    o->migrate.progress = show_progress();
    run(*o);
  });
}

}  // namespace ckpt::cli
