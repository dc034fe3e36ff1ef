// The "key: value" lines of /proc files (status, fdinfo, ...).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ckpt::proc {

// Each line with a colon as (key, value with blanks trimmed at both ends), in order.
std::vector<std::pair<std::string, std::string>> key_value_lines(std::string_view text);

}  // namespace ckpt::proc
