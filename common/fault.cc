#include "common/fault.h"

#include <cstdlib>

#include "common/error.h"

namespace ckpt {

void fault_point(std::string_view name) {
  static const char* wanted = std::getenv("CKPT_FAULT");
  if (wanted && name == wanted) fail("injected fault at {} (CKPT_FAULT)", name);
}

}  // namespace ckpt
