// What ckpt knows of a container it runs: /run/ckpt/ID/state.json, plus its console log in the
// same directory. Written by `ckpt run` and `ckpt restore`, read by every other verb.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/records/container.h"

namespace ckpt {

// Where state directories live (CKPT_STATE_DIR overrides /run/ckpt, for tests).
std::filesystem::path state_root();

struct ContainerState {
  std::string id;
  pid_t init_pid = 0;            // on the host
  uint64_t init_start_time = 0;  // /proc/PID/stat field 22, guards against pid reuse
  std::string cgroup_path;       // relative to each hierarchy, "ckpt/ID"
  std::string restored_from;     // image path, when made by `ckpt restore`
  int64_t created_unix = 0;
  records::ContainerConfig config;

  std::filesystem::path dir() const { return state_root() / id; }
  std::filesystem::path console_path() const { return dir() / "console.log"; }

  // Writes state.json atomically.
  void save() const;
  // Loads the state of `id`; throws "no container named ID" when there is none.
  static ContainerState load(const std::string& id);
  // Ids of every container with a state directory, sorted.
  static std::vector<std::string> list_ids();
  // Whether a state directory for `id` exists.
  static bool exists(const std::string& id);

  // True while init_pid is the process that was started (same start time).
  bool init_alive() const;
};

// Checks a container id: 1-64 of [A-Za-z0-9_.-], starting alphanumeric. Throws otherwise.
void validate_container_id(const std::string& id);

// /proc/PID/stat start time (clock ticks after boot), nullopt when the process is gone.
std::optional<uint64_t> process_start_time(pid_t pid);

}  // namespace ckpt
