#pragma once

#include "common/image/section_type.h"
#include "common/records/fields.h"

#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <boost/serialization/version.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace ckpt::records {

// The section of the CpuFeatures record (id 0), "cpu-features"; images made before it lack it.
inline constexpr image::SectionType kCpuFeaturesSection = static_cast<image::SectionType>(12);

// What the dumping CPU offered user space: the xsave components enabled by the kernel (XCR0)
// and the names of the CPUID features programs pick code paths by (common/cpu_features.h).
// A process restored where one is missing would crash later, so restore refuses then.
struct CpuFeatures {
  uint64_t xcr0 = 0;
  std::vector<std::string> features;  // sorted

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, xcr0, features);
  }
};

}  // namespace ckpt::records

BOOST_CLASS_VERSION(ckpt::records::CpuFeatures, 1)
