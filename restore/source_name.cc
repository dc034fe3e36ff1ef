#include "restore/source_name.h"

#include <thread>

#include "common/cancel.h"
#include "common/container_lock.h"
#include "common/container_state.h"
#include "common/error.h"
#include "common/error_kind.h"

namespace ckpt::restore {

namespace {

bool held_by_a_dump(const std::string& id) {
  auto holder = container_lock_holder(id);
  return holder && holder->starts_with("dump ");
}

}  // namespace

bool held_by_leaving_source(const std::string& id, pid_t source_init) {
  if (ContainerState::exists(id)) {
    try {
      return ContainerState::load(id).init_pid == source_init;
    } catch (const Error&) {  // removed meanwhile: by its dump, if one still holds the name
    }
  }
  return held_by_a_dump(id);
}

void wait_for_source_name(const std::string& id) {
  auto deadline = std::chrono::steady_clock::now() + kSourceNameWait;
  while (ContainerState::exists(id) || container_lock_holder(id)) {
    if (std::chrono::steady_clock::now() >= deadline)
      fail(ErrorKind::kBusy, "container '{}' is still there {} s after its stream ended",
           id, kSourceNameWait.count());
    throw_if_cancelled();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace ckpt::restore
