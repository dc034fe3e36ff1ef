// `ckpt check --image IMG`: whether this host can restore an image (CPU features, bridges and
// link parents, bind mount sources), each as a fact like the host's.
#pragma once

#include <string>
#include <vector>

#include "runtime/check.h"

namespace ckpt::check {

std::vector<Fact> probe_image(const std::string& path);

}  // namespace ckpt::check
