#include "restore/restore.h"

#include "common/error.h"

namespace ckpt::restore {

void restore_container(const RestoreOptions& options) {
  fail("restore {}: not implemented yet", options.input);
}

}  // namespace ckpt::restore
