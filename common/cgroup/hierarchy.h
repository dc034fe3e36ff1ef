// The cgroup hierarchies of this host, found in mountinfo: v1 hierarchies by controller and the
// cgroup2 tree. On a hybrid host (v1 controllers + a controller-less cgroup2) ckpt uses the v1
// hierarchies for limits and both trees for membership.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace ckpt::cgroup {

// The v1 controllers a container's cgroups are made in (when mounted).
inline const std::vector<std::string> kV1Controllers = {"freezer", "memory", "cpu",  "cpuacct",
                                                        "cpuset",  "pids",   "blkio"};

struct Hierarchy {
  std::filesystem::path mount;           // e.g. /sys/fs/cgroup/memory
  std::vector<std::string> controllers;  // v1: from mount options; v2: cgroup.controllers
  bool v2 = false;

  bool has(const std::string& controller) const;
  std::string name() const;  // "memory", "cpu,cpuacct", "unified"
};

struct Hierarchies {
  std::vector<Hierarchy> v1;    // only those carrying a controller of kV1Controllers
  std::optional<Hierarchy> v2;  // the cgroup2 mount, if any

  // v1 when any v1 controller hierarchy is mounted, else v2.
  bool uses_v1() const { return !v1.empty(); }
  // The hierarchy carrying `controller`, preferring v1; nullptr when none does.
  const Hierarchy* find(const std::string& controller) const;
  // Every hierarchy a container is placed in (v1 ones and the cgroup2 tree).
  std::vector<const Hierarchy*> all() const;
};

// Parses /proc/self/mountinfo text. `root` prefixes cgroup2 paths read for cgroup.controllers
// (fixture trees in tests).
Hierarchies parse_hierarchies(const std::string& mountinfo, const std::filesystem::path& root = "");
// The hierarchies of this host (read once and cached).
const Hierarchies& host_hierarchies();

}  // namespace ckpt::cgroup
