// The restore's CPU check: an image records the dumping CPU's features (common/cpu_features.h);
// processes that chose code paths by them would crash later on a CPU without one.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/image/image.h"

namespace ckpt::restore {

// The features the image's CPU had and this one lacks, by name; nullopt for an image that
// does not record them (made before the check).
std::optional<std::vector<std::string>> missing_cpu_features(const image::ImageReader& image);

// Throws ErrorKind::kHostMissing naming every missing feature (before anything is created).
void refuse_missing_cpu_features(const image::ImageReader& image);

}  // namespace ckpt::restore
