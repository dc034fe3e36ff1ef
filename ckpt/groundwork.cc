#include "ckpt/groundwork.h"

#include "ckpt/cgroups.h"
#include "common/cgroup/hierarchy.h"
#include "common/error.h"
#include "netns/netns.h"

namespace ckpt::dump {

records::GroundworkRecords read_groundwork_records(const ContainerState& state) {
  cgroup::ContainerCgroup cgroup(cgroup::host_hierarchies(), state.cgroup_path);
  if (!cgroup.exists()) fail("container {} has no cgroup {}", state.id, state.cgroup_path);
  records::GroundworkRecords out;
  out.config = state.config;
  out.cgroups = collect_cgroups(cgroup, records::ProcessTree{});  // members come with the image
  out.net = netns::dump_netns(state.init_pid);
  return out;
}

}  // namespace ckpt::dump
