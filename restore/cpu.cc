#include "restore/cpu.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/cpu_features.h"
#include "common/error.h"
#include "common/error_kind.h"

namespace ckpt::restore {

std::optional<std::vector<std::string>> missing_cpu_features(const image::ImageReader& image) {
  if (!image.has(records::kCpuFeaturesSection, 0)) return std::nullopt;
  auto dumped = image.get<records::CpuFeatures>(records::kCpuFeaturesSection, 0);
  return ckpt::missing_cpu_features(dumped, host_cpu_features());
}

void refuse_missing_cpu_features(const image::ImageReader& image) {
  auto missing = missing_cpu_features(image);
  if (!missing || missing->empty()) return;
  fail(ErrorKind::kHostMissing,
       "this CPU lacks what the image's CPU had: {} (processes using it would crash; "
       "--skip-cpu-check restores anyway)",
       fmt::join(*missing, ", "));
}

}  // namespace ckpt::restore
