// The target side of a live migration (`ckpt receive`), speaking the protocol on a Channel
// (its stdin/stdout): the restore's groundwork (cgroups, network namespace: restore/groundwork.h)
// made from the source's kPrebuild while the rounds run, with --with-rootfs the rootfs unpacked
// as it comes (migrate/rootfs_prebuild.h), pre-copied pages kept in memory
// (PageStore), the final image in a memfd (no disk spool), then the restore engine, on that
// groundwork, rebuilds every process and waits for the source's kCommit before it resumes
// them. A failure, kAbort, or a closed or silent channel before that undoes the restore: nothing
// is left here, and the source carries on. The held pages are filled after the resume, from
// this process's memory (restore/pages_post_copy.h): it ends once every page is in.
#pragma once

#include "migrate/protocol.h"
#include "restore/restore.h"

namespace ckpt::migrate {

// `options`: as for restore, without input (the channel is the input). With `lazy` (the
// source's --lazy), the pages of the final round come after the resume too, from the source.
// Returns once every page is in; if that fails after the resume, the container is killed (the
// source is gone) and this throws.
void receive_container(restore::RestoreOptions options, Channel& channel, bool lazy = false);

}  // namespace ckpt::migrate
