#include "common/overlay.h"

#include <sstream>

#include "common/error.h"

namespace ckpt::overlay {
namespace {

std::vector<std::string> split(const std::string& text, char by) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string part; std::getline(in, part, by);)
    if (!part.empty()) out.push_back(part);
  return out;
}

}  // namespace

Layers parse_options(const std::string& options) {
  Layers layers;
  for (const auto& option : split(options, ',')) {
    if (option.starts_with("lowerdir="))
      layers.lower = split(option.substr(9), ':');
    else if (option.starts_with("upperdir="))
      layers.upper = option.substr(9);
    else if (option.starts_with("workdir="))
      layers.work = option.substr(8);
    else if (option != "rw" && option != "ro")
      layers.other.push_back(option);
  }
  if (layers.lower.empty()) fail("overlay options without lowerdir: {}", options);
  return layers;
}

std::string mount_data(const Layers& layers) {
  std::string data = "lowerdir=";
  for (size_t i = 0; i < layers.lower.size(); ++i) data += (i ? ":" : "") + layers.lower[i];
  if (!layers.upper.empty()) data += ",upperdir=" + layers.upper + ",workdir=" + layers.work;
  for (const auto& option : layers.other) data += "," + option;
  return data;
}

}  // namespace ckpt::overlay
