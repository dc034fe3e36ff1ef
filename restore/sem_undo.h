// SEM_UNDO adjustments given back to a restored process by semop() calls injected into it,
// which leave every semaphore value as it is (common/ipc/sem_undo_ops.h). Runs once the ipc
// namespace is rebuilt and before the process gets its own credentials (the restorer may alter
// every set); its threads share the adjustments (they are made with CLONE_SYSVSEM).
#pragma once

#include "common/records/sem_undo.h"
#include "restore/seize.h"

namespace ckpt::restore {

void restore_sem_undo(Restorer& r, const records::SemUndo& undo);

}  // namespace ckpt::restore
