// The SEM_UNDO adjustments of every process of the tree, read by semop() probes injected into
// each seized process (common/ipc/sem_undo_ops.h); the probes change nothing, so the container
// may go on running. Written as kSemUndo (id = host pid) for each process holding some.
#pragma once

#include "ckpt/seize.h"
#include "common/image/image.h"
#include "common/records/ipc.h"
#include "common/records/tree.h"

namespace ckpt::dump {

void dump_sem_undo(const records::ProcessTree& tree, const SeizedProcesses& seized,
                   const records::IpcNamespace& ipc, image::ImageWriter& image);

}  // namespace ckpt::dump
