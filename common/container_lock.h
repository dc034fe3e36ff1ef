// One ckpt verb at a time per container. dump, restore, run (until started), rm, freeze and thaw
// hold an exclusive lock on <state root>/.locks/ID for as long as they work on the container:
// an `rm`, a second dump or a thaw cannot pull a container from under a dump in progress, nor
// can two restores or runs make one name. A verb that finds the lock taken fails at once, naming
// the verb and pid that hold it. The lock goes with the holder (flock), also when it is killed;
// its file goes with the last holder once the container is gone.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "common/unique_fd.h"

namespace ckpt {

// Run right after the lock is taken, with it held: the command line sets it to undo what a
// killed dump left (runtime::recover_after_killed_dump, which common/ cannot call).
using AfterLockHook = void (*)(const std::string& id);
void set_after_lock_hook(AfterLockHook hook);

// In a child just forked or cloned: closes its copies of every lock this process holds (a flock
// is held while any copy is open: a restore's root task left behind by a killed ckpt held the
// lock for good, naming a dead pid).
void close_inherited_container_locks();

// What holds the lock on `id` ("dump (pid 12)"; "" when it did not say), if a command holds it.
std::optional<std::string> container_lock_holder(const std::string& id);

class ContainerLock {
 public:
  // `verb`: what the holder is doing ("dump"), for the message others get.
  ContainerLock(const std::string& id, const std::string& verb);
  ~ContainerLock();
  ContainerLock(const ContainerLock&) = delete;
  ContainerLock& operator=(const ContainerLock&) = delete;

 private:
  std::string id_;
  std::filesystem::path path_;
  UniqueFd fd_;
};

}  // namespace ckpt
