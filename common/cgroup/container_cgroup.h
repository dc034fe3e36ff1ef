// A container's cgroup: the same relative path (e.g. "ckpt/web1") in every hierarchy ckpt uses,
// with its nested subtree.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/cgroup/hierarchy.h"
#include "common/records/cgroup.h"

namespace ckpt::cgroup {

// The cgroup path of container `id` in every hierarchy: "ckpt/ID".
std::string container_cgroup_path(const std::string& id);

class ContainerCgroup {
 public:
  ContainerCgroup(const Hierarchies& hierarchies, std::string rel_path);

  const std::string& path() const { return path_; }
  // True when the directory exists in the first hierarchy ckpt uses.
  bool exists() const;

  // mkdir in every hierarchy (parents too; v1 cpuset parents get their parent's cpus/mems).
  // Throws if it already exists and `must_be_new`.
  void create(bool must_be_new = true);
  // Creates the nested cgroup `sub` ("" is this one) in every hierarchy.
  void create_child(const std::string& sub);
  // Applies limits to `sub`.
  void apply_limits(const std::string& sub, const records::CgroupLimits& limits);
  records::CgroupLimits read_limits(const std::string& sub) const;

  // Moves process `pid` into `sub` in every hierarchy.
  void attach(pid_t pid, const std::string& sub = "") const;
  // Processes of `sub` alone, in the primary hierarchy, or in `hierarchy` (see Hierarchy::name()).
  std::vector<pid_t> procs(const std::string& sub = "") const;
  std::vector<pid_t> procs_in(const Hierarchy& hierarchy, const std::string& sub) const;
  // Processes of the whole subtree, each once.
  std::vector<pid_t> all_procs() const;
  // Nested cgroups, relative to this one, parents before children ("" first): the union over
  // every hierarchy.
  std::vector<std::string> subtree() const;

  // Removes the subtree from every hierarchy, children first. Processes must be gone.
  // Missing directories are fine; a busy one throws.
  void remove() const;

  const Hierarchies& hierarchies() const { return hierarchies_; }
  // The directory of `sub` in `hierarchy`.
  std::filesystem::path dir(const Hierarchy& hierarchy, const std::string& sub = "") const;

 private:
  const Hierarchy& primary() const;
  const Hierarchies& hierarchies_;
  std::string path_;
};

}  // namespace ckpt::cgroup
