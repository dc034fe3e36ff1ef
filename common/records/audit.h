// What the kernel shows of each process of the container, as named facts, taken at dump time
// (section kAudit, id 0) so that `ckpt restore --check` can compare the restored copy with it.
// The facts are text, normalised where a restore legitimately differs (host pids, inode
// numbers of recreated pipes and sockets, the container's cgroup and rootfs paths); see
// common/audit/collect.h for what is taken and common/audit/compare.h for the comparison.
#pragma once

#include "common/records/fields.h"

#include <boost/serialization/map.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/version.hpp>
#include <cstdint>
#include <map>
#include <string>

namespace ckpt::records {

// Fact name ("stat.nice", "fd 3 flags", "thread 7 status.SigBlk", ...) -> value.
using AuditFactMap = std::map<std::string, std::string>;

struct AuditFacts {
  std::map<int32_t, AuditFactMap> processes;  // pid in the container's pid namespace -> facts
  AuditFactMap container;                     // namespace-wide facts ("net.ipv4.ip_forward")
  // Version 2: `container` has the multicast groups ("net.multicast DEVICE GROUP"); an older
  // image has not, and a restore from it is not compared on them.
  bool multicast_groups = true;

  template <class Ar>
  void serialize(Ar& ar, unsigned version) {
    fields(ar, processes, container);
    if (version >= 2)
      fields(ar, multicast_groups);
    else
      multicast_groups = false;
  }
};

}  // namespace ckpt::records

BOOST_CLASS_VERSION(ckpt::records::AuditFacts, 2)
