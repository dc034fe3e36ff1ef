// What the restore's groundwork is made from (its preflight, cgroups and netns stages:
// restore/groundwork.h): the container's configuration, its cgroup subtree with the limits and
// its network namespace. A dump reads all of it while the container runs (ckpt/groundwork.h), so
// a migration's source sends it before the pre-copy rounds and the target makes the groundwork
// while they run. Not an image section: the image holds the same records as kConfig, kCgroups
// and kNetNs.
#pragma once

#include "common/records/fields.h"

#include <boost/serialization/version.hpp>
#include <optional>

#include "common/records/cgroup.h"
#include "common/records/container.h"
#include "common/records/net.h"

namespace ckpt::records {

struct GroundworkRecords {
  ContainerConfig config;
  CgroupTree cgroups;               // the nodes' members are not part of it (they change)
  std::optional<NetNamespace> net;  // none: an image without a network record

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, config, cgroups, net);
  }
};

}  // namespace ckpt::records

BOOST_CLASS_VERSION(ckpt::records::GroundworkRecords, 1)
