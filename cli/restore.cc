#include <fmt/format.h>

#include <filesystem>

#include "cli/commands.h"
#include "cli/global_options.h"
#include "cli/progress.h"
#include "cli/results.h"
#include "common/error.h"
#include "common/image/image.h"
#include "common/image/progress.h"
#include "common/units.h"
#include "restore/restore.h"

namespace ckpt::cli {

namespace {

void report(const restore::RestoreOptions& options, const restore::RestoreReport& r) {
  if (global_options().json) {
    print_result_json({{"container", r.id},
                       {"image", options.input},
                       {"init_pid", r.init_pid},
                       {"bytes", r.image_bytes},
                       {"memory_bytes", r.memory_bytes},
                       {"processes", r.processes},
                       {"seconds", total_seconds(r.stage_seconds)},
                       {"stages", stages_json(r.stage_seconds)}});
    return;
  }
  print_summary(fmt::format("restored {}: {} image -> {} of memory, {} processes in {}", r.id,
                            format_size(r.image_bytes), format_size(r.memory_bytes), r.processes,
                            format_seconds(total_seconds(r.stage_seconds))));
}

// The raw bytes a restore reads: every payload twice (verified first, then restored). Unknown
// for a pipe or FIFO, which only the restore reads.
uint64_t expected_bytes(const std::string& input) {
  std::error_code ec;
  if (input == "-" || !std::filesystem::is_regular_file(input, ec)) return 0;
  try {
    image::ImageReader reader(input);
    uint64_t raw = 0;
    for (const auto& s : reader.sections()) raw += s.raw_size;
    return 2 * raw;
  } catch (const Error&) {
    return 0;  // the restore itself says what is wrong
  }
}

}  // namespace

void add_restore(CLI::App& app) {
  auto opts = std::make_shared<restore::RestoreOptions>();
  auto* cmd = app.add_subcommand("restore", "Restore a container from an image");
  cmd->add_option("image", opts->input, "Image path, or - for stdin")->required();
  cmd->add_option("--name", opts->name, "Id of the restored container (default: the dumped id)");
  cmd->add_option("--net-map", opts->net_map,
                  "Rename host network objects: bridge:OLD=NEW, link:OLD=NEW (macvlan/vxlan "
                  "parent), veth:OLD=NEW (host-side veth); ip:OLD=NEW gives the container "
                  "another address (repeatable)")
      ->allow_extra_args(false);
  cmd->add_flag("--tcp-close", opts->tcp_close,
                "Restore established TCP connections closed (reads see end-of-file)");
  cmd->add_option("--mount-map", opts->mount_map,
                  "Bind mounts: take host path OLD (or below it) from NEW instead (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--parent-dir", opts->parent_dir,
                  "Where the parent images of an incremental image are (default: next to it)");
  cmd->add_option("--verify-key", opts->verify_key,
                  "Refuse an image not signed with this key file (default: /etc/ckpt/image.key "
                  "when it exists)");
  cmd->add_option("--rootfs", opts->rootfs,
                  "Rootfs directory: where a stored rootfs is unpacked (default "
                  "/var/lib/ckpt/rootfs/ID), else used instead of the dumped one");
  cmd->add_flag("--skip-cpu-check", opts->skip_cpu_check,
                "Restore even where the CPU lacks features the dumping CPU had");
  cmd->add_flag("--ignore-static-ip", opts->ignore_static_ip,
                "Drop the addresses a running container on the same bridge has");
  cmd->add_flag("--ignore-static-mac", opts->ignore_static_mac,
                "New MACs where a running container on the same bridge has the dumped one");
  cmd->add_flag("--check", opts->check,
                "Compare what /proc shows of each restored process (maps, fds, status, limits, "
                "scheduling, locks, cgroups, net sysctls, ...) with the dump; any difference "
                "fails the restore, each printed by name");
  cmd->add_flag("--check-report", opts->check_report,
                "Like --check, but the differences are only printed");
  cmd->add_option("--check-ignore", opts->check_ignore,
                  "Skip the facts whose name contains NAME in --check (repeatable)")
      ->allow_extra_args(false);
  cmd->callback([opts] {
    restore::RestoreReport r;
    {
      ProgressLine line("restore " + opts->input, image::progress().read,
                        expected_bytes(opts->input));
      r = restore::restore_container(*opts);
    }
    report(*opts, r);
  });
}

}  // namespace ckpt::cli
