// Processes (not threads) that share a kernel table made by clone(2) without CLONE_THREAD: an fd
// table (CLONE_FILES), fs state (CLONE_FS: cwd, root, umask), signal handlers (CLONE_SIGHAND) or
// an address space (CLONE_VM), found by kcmp.
//
// An fd table or fs state a child shares with its parent is kept: mark_shared_tables() records
// it in the tree (ProcessEntry::shares_parent_files/fs) and the restore clones the child with
// the same flag (restore/tree). Sharers that are not parent and child (two siblings that kept a
// table their parent has since left) are refused by pid, as are shared signal handlers and
// address spaces, which the restore would give each its own: either way before the state of any
// process is read (the container thaws and runs on).
#pragma once

#include "common/records/tree.h"

namespace ckpt::dump {

// Run on the frozen tree, before it is written: zombies share nothing.
void mark_shared_tables(records::ProcessTree& tree);

// Run once every process is seized: a vfork child shares its parent's memory until it execs
// (seize waits for that).
void refuse_shared_tables(const records::ProcessTree& tree);

}  // namespace ckpt::dump
