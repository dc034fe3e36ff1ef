// Processes (not threads) that share a kernel table made by clone(2) without CLONE_THREAD: an fd
// table (CLONE_FILES), fs state (CLONE_FS: cwd, root, umask), signal handlers (CLONE_SIGHAND) or
// an address space (CLONE_VM). The restore forks every process with tables of its own, so each
// of these would come back as two: such a tree is refused, naming both processes, before any
// the state of any process is read (the container thaws and runs on). Run once every process is
// seized: a vfork child shares its parent's memory until it execs (seize waits for that).
#pragma once

#include "common/records/tree.h"

namespace ckpt::dump {

void refuse_shared_tables(const records::ProcessTree& tree);

}  // namespace ckpt::dump
