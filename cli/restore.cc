#include "restore/restore.h"
#include "cli/commands.h"

namespace ckpt::cli {

void add_restore(CLI::App& app) {
  auto opts = std::make_shared<restore::RestoreOptions>();
  auto* cmd = app.add_subcommand("restore", "Restore a container from an image");
  cmd->add_option("image", opts->input, "Image path, or - for stdin")->required();
  cmd->add_option("--name", opts->name, "Id of the restored container (default: the dumped id)");
  cmd->add_option("--net-map", opts->net_map,
                  "Rename host network objects: bridge:OLD=NEW, link:OLD=NEW (macvlan/vxlan "
                  "parent), veth:OLD=NEW (host-side veth) (repeatable)")
      ->allow_extra_args(false);
  cmd->add_flag("--tcp-close", opts->tcp_close,
                "Restore established TCP connections closed (reads see end-of-file)");
  cmd->add_option("--mount-map", opts->mount_map,
                  "Bind mounts: take host path OLD (or below it) from NEW instead (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--parent-dir", opts->parent_dir,
                  "Where the parent images of an incremental image are (default: next to it)");
  cmd->add_option("--rootfs", opts->rootfs,
                  "Rootfs directory: where a stored rootfs is unpacked (default "
                  "/var/lib/ckpt/rootfs/ID), else used instead of the dumped one");
  cmd->callback([opts] { restore::restore_container(*opts); });
}

}  // namespace ckpt::cli
