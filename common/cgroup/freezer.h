// The freezer, one interface over cgroup v1 `freezer.state` and v2 `cgroup.freeze`.
// Freezing covers the whole subtree in both versions.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "common/cgroup/container_cgroup.h"

namespace ckpt::cgroup {

enum class FreezerState { kThawed, kFreezing, kFrozen };

std::string_view to_string(FreezerState state);

class Freezer {
 public:
  virtual ~Freezer() = default;
  // Freezes and waits until every task is frozen; throws (after thawing again) when the cgroup
  // is still FREEZING after `timeout`.
  virtual void freeze(std::chrono::milliseconds timeout = std::chrono::seconds(10)) = 0;
  virtual void thaw() = 0;
  virtual FreezerState state() const = 0;
  virtual bool is_v2() const = 0;
  virtual const std::filesystem::path& dir() const = 0;
};

// The v1 freezer at `dir` (a directory of the freezer hierarchy).
std::unique_ptr<Freezer> make_v1_freezer(std::filesystem::path dir);
// The v2 freezer at `dir` (a cgroup2 directory).
std::unique_ptr<Freezer> make_v2_freezer(std::filesystem::path dir);

// The freezer of a container's cgroup: the v1 freezer hierarchy when mounted, else cgroup2.
std::unique_ptr<Freezer> container_freezer(const ContainerCgroup& cgroup);

// Freezes on construction, thaws on destruction unless release()d: a failed dump leaves the
// container running. With `keep_frozen` (a cgroup its user had frozen) the guard freezes it
// again instead, also after a thaw() in between: the user's freeze is respected.
class FreezeGuard {
 public:
  explicit FreezeGuard(Freezer& freezer, bool keep_frozen = false);
  ~FreezeGuard();
  FreezeGuard(const FreezeGuard&) = delete;
  FreezeGuard& operator=(const FreezeGuard&) = delete;
  // Keeps the container frozen after the guard goes away.
  void release() { active_ = false; }
  // Thaws now (with keep_frozen, end() or the destructor freezes it again).
  void thaw();
  // Freezes again after thaw(); end() or the destructor thaw it as before.
  void refreeze();
  // Leaves the cgroup as its user had it (thawed, or frozen with keep_frozen); the guard is done.
  void end();

 private:
  Freezer& freezer_;
  bool keep_frozen_;
  bool active_ = true;
};

}  // namespace ckpt::cgroup
