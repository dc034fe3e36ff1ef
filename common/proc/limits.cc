#include "common/proc/limits.h"

#include <sys/resource.h>

#include <sstream>

#include "common/error.h"
#include "common/fs.h"

namespace ckpt::proc {
namespace {

// The name column: "%-25s " in fs/proc/base.c (names hold spaces, values do not).
constexpr size_t kValuesAt = 26;

uint64_t limit_value(const std::string& word, const std::string& origin) {
  if (word == "unlimited") return RLIM_INFINITY;
  try {
    size_t used = 0;
    uint64_t value = std::stoull(word, &used);
    if (used == word.size()) return value;
  } catch (const std::exception&) {
  }
  fail("{}: bad limit value '{}'", origin, word);
}

}  // namespace

std::vector<Limit> parse_limits(const std::string& text, const std::string& origin) {
  std::istringstream lines(text);
  std::string line;
  std::getline(lines, line);  // the header
  std::vector<Limit> limits;
  while (std::getline(lines, line)) {
    if (line.size() <= kValuesAt) continue;
    std::istringstream values(line.substr(kValuesAt));
    std::string soft, hard;
    if (!(values >> soft >> hard)) fail("{}: malformed line '{}'", origin, line);
    limits.push_back({limit_value(soft, origin), limit_value(hard, origin)});
  }
  if (limits.size() < RLIM_NLIMITS)
    fail("{}: {} limits, expected {}", origin, limits.size(), int(RLIM_NLIMITS));
  limits.resize(RLIM_NLIMITS);
  return limits;
}

std::vector<Limit> read_limits(pid_t pid) {
  std::string path = "/proc/" + std::to_string(pid) + "/limits";
  return parse_limits(fs::read_file(path), path);
}

}  // namespace ckpt::proc
