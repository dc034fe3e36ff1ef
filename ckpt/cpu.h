// The dump side of the CPU check: the dumping CPU's features go into the image, so that a
// restore on a CPU lacking one refuses (restore/cpu.h) instead of a process crashing later.
#pragma once

#include "common/image/image.h"

namespace ckpt::dump {

// Writes this CPU's XCR0 and CPUID features (common/cpu_features.h), section kCpuFeatures.
void dump_cpu_features(image::ImageWriter& image);

}  // namespace ckpt::dump
