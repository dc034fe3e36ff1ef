#include "cli/verb_names.h"

#include <algorithm>

namespace ckpt::cli {

namespace {

// Optimal string alignment distance: insertions, deletions, substitutions, transpositions.
size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i)
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

}  // namespace

std::optional<std::string> first_word(const std::vector<std::string>& args,
                                      const std::vector<std::string>& valued_options) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") return i + 1 < args.size() ? std::optional(args[i + 1]) : std::nullopt;
    if (arg.empty() || arg[0] != '-' || arg == "-") return arg;
    if (std::find(valued_options.begin(), valued_options.end(), arg) != valued_options.end()) ++i;
  }
  return std::nullopt;
}

std::string closest_name(const std::string& typed, const std::vector<std::string>& names) {
  std::string best;
  size_t best_distance = 3;
  size_t prefixed = 0;
  std::string prefix_of;
  for (const auto& name : names) {
    size_t distance = edit_distance(typed, name);
    if (distance < best_distance) best_distance = distance, best = name;
    if (typed.size() >= 2 && name.starts_with(typed)) ++prefixed, prefix_of = name;
  }
  if (best.empty() && prefixed == 1) return prefix_of;
  return best;
}

}  // namespace ckpt::cli
