// The container's configuration as `ckpt run` was given it, kept in the image so that a restore
// can recreate the same container.
#pragma once

#include "common/records/fields.h"

#include <boost/serialization/version.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/records/cgroup.h"

namespace ckpt::records {

struct ContainerConfig {
  std::string id;
  std::vector<std::string> command;  // argv of the container's first process
  std::string hostname;
  std::string rootfs;  // empty: the host's files
  CgroupLimits limits;
  std::vector<std::string> net_specs;  // `--net` values as given (see netns/)

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, id, command, hostname, rootfs, limits, net_specs);
  }
};

}  // namespace ckpt::records

BOOST_CLASS_VERSION(ckpt::records::ContainerConfig, 1)
