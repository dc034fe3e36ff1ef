// Restore of the container's cgroup subtree: every nested cgroup with its limits.
#pragma once

#include <string>

#include "common/cgroup/container_cgroup.h"
#include "common/records/cgroup.h"

namespace ckpt::restore {

// Refuses, naming it, a node whose path is not relative and made of plain names ("a/b": no "..",
// ".", empty or absolute parts): every node stays below the container's own cgroup ckpt/ID.
void check_cgroup_tree(const records::CgroupTree& tree);

// Creates the subtree under `cgroup` (which must not exist yet) with the limits of each node.
// Until commit(), the destructor kills whatever was put in it and removes the whole subtree.
class RestoredCgroups {
 public:
  RestoredCgroups(cgroup::ContainerCgroup& cgroup, const records::CgroupTree& tree);
  ~RestoredCgroups();
  RestoredCgroups(const RestoredCgroups&) = delete;
  RestoredCgroups& operator=(const RestoredCgroups&) = delete;

  void commit() { committed_ = true; }
  cgroup::ContainerCgroup& cgroup() { return cgroup_; }

 private:
  cgroup::ContainerCgroup& cgroup_;
  bool committed_ = false;
};

}  // namespace ckpt::restore
