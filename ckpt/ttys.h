// Dump of the ptys of the container's own devpts: which fds are pty masters and slaves (a hook
// for fd_kinds.cc), and each pty's settings, lock and packet state, session and foreground
// process group (section kTtys, records/ttys.h).
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <filesystem>
#include <optional>

#include "common/image/image.h"
#include "common/records/files.h"
#include "common/records/tree.h"

namespace ckpt::dump {

// kPtyMaster for /dev/ptmx, kPtySlave for /dev/pts/N and /dev/tty (restored as the slave of
// the pty it was); nullopt for any other file.
std::optional<records::FileKind> pty_kind(const struct stat& st);

// The pty index of a slave device number (136:0 -> 0, 137:3 -> 259).
int slave_index(dev_t rdev);

struct TtysContext {
  pid_t init_pid = 0;  // host pid of the container's init
  const records::ProcessTree* tree = nullptr;
  std::filesystem::path state_dir;  // the container's state dir (its console's pty index)
};

// Writes kTtys (id 0) when the container has a pty console or a process holds a pty or has one
// as its controlling terminal. Throws when such a pty is not of the container's own devpts.
void dump_ttys(const TtysContext& context, const records::FilesState& files,
               image::ImageWriter& image);

}  // namespace ckpt::dump
