#include "ckpt/dump.h"

#include "common/error.h"

namespace ckpt::dump {

void dump_container(const DumpOptions& options) {
  fail("dump {}: not implemented yet", options.container_id);
}

}  // namespace ckpt::dump
