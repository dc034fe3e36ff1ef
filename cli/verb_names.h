// The verb a command line names, found before CLI11 parses it, so that a mistyped one gets a
// "did you mean" instead of "A subcommand is required".
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace ckpt::cli {

// The first argument that is not an option (nor the value of one of `valued_options`), if any.
std::optional<std::string> first_word(const std::vector<std::string>& args,
                                      const std::vector<std::string>& valued_options);

// The name in `names` closest to `typed` (edit distance at most 2, or `typed` a prefix of just
// one name); empty when none is close.
std::string closest_name(const std::string& typed, const std::vector<std::string>& names);

}  // namespace ckpt::cli
