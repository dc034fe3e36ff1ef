#pragma once

#include "common/records/fields.h"

#include <boost/serialization/string.hpp>
#include <boost/serialization/version.hpp>
#include <string>

namespace ckpt::records {

// The UTS namespace: what uname(2) reports inside the container.
struct UtsState {
  std::string hostname;
  std::string domainname;

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, hostname, domainname);
  }
};

}  // namespace ckpt::records

BOOST_CLASS_VERSION(ckpt::records::UtsState, 1)
