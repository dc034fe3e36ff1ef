#include "common/proc/key_value.h"

#include "common/fs.h"

namespace ckpt::proc {

std::vector<std::pair<std::string, std::string>> key_value_lines(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    out.emplace_back(std::string(line.substr(0, colon)),
                     fs::trim(std::string(line.substr(colon + 1))));
  }
  return out;
}

}  // namespace ckpt::proc
