// An overlayfs mount's layers, read from its options as mountinfo shows them
// ("lowerdir=/a:/b,upperdir=/u,workdir=/w,uuid=on") and written back as mount data.
// Paths holding ':' or ',' are not supported (mountinfo does not show them unambiguously).
#pragma once

#include <string>
#include <vector>

namespace ckpt::overlay {

struct Layers {
  std::vector<std::string> lower;  // top first
  std::string upper, work;         // empty for a read-only overlay
  std::vector<std::string> other;  // every other option, as it was ("uuid=on", "index=off")
};

Layers parse_options(const std::string& options);
std::string mount_data(const Layers& layers);

}  // namespace ckpt::overlay
