#include "common/units.h"

#include <fmt/format.h>
#include <cctype>

#include "common/error.h"

namespace ckpt {

int64_t parse_size(const std::string& text, const std::string& what) {
  size_t pos = 0;
  while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) ++pos;
  if (pos == 0 || pos > 18) fail("{}: '{}' is not a size (e.g. 256M, 1G)", what, text);
  int64_t value = std::stoll(text.substr(0, pos));
  std::string suffix = text.substr(pos);
  for (auto& c : suffix) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (suffix.size() > 1 && (suffix.ends_with("IB") || suffix.ends_with("B")))
    suffix.resize(suffix.ends_with("IB") ? suffix.size() - 2 : suffix.size() - 1);
  int shift = 0;
  if (suffix.empty() || suffix == "B")
    shift = 0;
  else if (suffix == "K")
    shift = 10;
  else if (suffix == "M")
    shift = 20;
  else if (suffix == "G")
    shift = 30;
  else if (suffix == "T")
    shift = 40;
  else
    fail("{}: '{}' has an unknown unit (use K, M, G or T)", what, text);
  if (value > (INT64_MAX >> shift)) fail("{}: '{}' is too large", what, text);
  return value << shift;
}

std::string format_size(uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  return u == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", v, units[u]);
}

}  // namespace ckpt
