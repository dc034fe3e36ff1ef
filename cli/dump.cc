#include <fmt/format.h>

#include <ctime>

#include "backup/naming.h"
#include "ckpt/dump.h"
#include "cli/commands.h"
#include "cli/global_options.h"
#include "cli/progress.h"
#include "cli/results.h"
#include "common/container_lock.h"
#include "common/image/progress.h"
#include "common/output_path.h"
#include "common/units.h"
#include "runtime/list.h"
#include "runtime/remove.h"

namespace ckpt::cli {

namespace {

void report(const dump::DumpOptions& options, const dump::DumpReport& r) {
  if (global_options().json) {
    print_result_json({{"container", options.container_id},
                       {"image", options.output},
                       {"bytes", r.image_bytes},
                       {"memory_bytes", r.memory_bytes},
                       {"processes", r.processes},
                       {"frozen_ms", r.frozen_ms},
                       {"left_frozen", r.was_frozen && options.leave_running},
                       {"seconds", total_seconds(r.stage_seconds)},
                       {"stages", stages_json(r.stage_seconds)}});
    return;
  }
  print_summary(fmt::format(
      "dumped {}: {} of memory -> {} ({}) in {}, frozen {}{}", options.container_id,
      format_size(r.memory_bytes), options.output, format_size(r.image_bytes),
      format_seconds(total_seconds(r.stage_seconds)), format_seconds(r.frozen_ms / 1000),
      r.was_frozen && options.leave_running ? " (left frozen)" : ""));
}

}  // namespace

void add_dump(CLI::App& app) {
  auto opts = std::make_shared<dump::DumpOptions>();
  auto* cmd = app.add_subcommand(
      "dump", "Checkpoint a container into one image; it is stopped unless --leave-running");
  cmd->add_option("id", opts->container_id, "Container id")->required();
  auto force = std::make_shared<bool>(false);
  auto* output = cmd->add_option("-o,--output", opts->output,
                  "Image path, or - for stdout (default: ID-YYYYmmddTHHMMSSZ.ckpt here, UTC)");
  cmd->add_flag("-f,--force", *force, "Replace an existing image file");
  cmd->add_flag("--leave-running", opts->leave_running, "Thaw the container after the dump");
  cmd->add_flag(
      "--tcp-established", opts->tcp_established,
      "Checkpoint established TCP connections (TCP_REPAIR); without it they fail the dump");
  cmd->add_flag("--with-rootfs", opts->with_rootfs,
                "Store the rootfs contents too, so that restore does not need the directory");
  cmd->add_option("--parent", opts->parent,
                  "An earlier image of this container: store only what changed since (an "
                  "incremental image; restore needs the parent next to it)");
  cmd->add_option("--sign-key", opts->sign_key,
                  "Sign the image with HMAC-SHA256 under this key file (default: "
                  "/etc/ckpt/image.key when it exists)");
  cmd->add_option("--compress-level", opts->zstd_level, "zstd level, 0 = store (default 1)")
      ->check(CLI::Range(0, 19));
  cmd->callback([opts, force, output] {
    if (output->count() == 0) opts->output = backup::image_name(opts->container_id, std::time(nullptr));
    check_output_path(opts->output);
    if (!*force) refuse_existing_output(opts->output);
    ContainerLock lock(opts->container_id, "dump");
    // Without --leave-running the dump killed the processes; what is left of the container
    // (cgroups, host links, state) goes too, still under the lock and the dump's marks.
    opts->after_kill = [id = opts->container_id] { runtime::remove_container(id, /*force=*/true); };
    dump::DumpReport r;
    {
      ProgressLine line("dump " + opts->container_id, image::progress().written,
                        runtime::container_memory_bytes(opts->container_id));
      r = dump::dump_container(*opts);
    }
    report(*opts, r);
  });
}

}  // namespace ckpt::cli
