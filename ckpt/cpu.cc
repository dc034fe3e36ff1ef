#include "ckpt/cpu.h"

#include "common/cpu_features.h"
#include "common/records/cpu.h"

namespace ckpt::dump {

void dump_cpu_features(image::ImageWriter& image) {
  image.put(records::kCpuFeaturesSection, 0, host_cpu_features());
}

}  // namespace ckpt::dump
