#include "cli/results.h"

#include <cstdio>

#include "cli/global_options.h"
#include "common/log_options.h"

namespace ckpt::cli {

nlohmann::json stages_json(const StageSeconds& stages) {
  auto out = nlohmann::json::array();
  for (const auto& [name, seconds] : stages) out.push_back({{"stage", name}, {"seconds", seconds}});
  return out;
}

double total_seconds(const StageSeconds& stages) {
  double total = 0;
  for (const auto& stage : stages) total += stage.second;
  return total;
}

void print_result_json(nlohmann::json doc) {
  doc["warnings"] = log::warnings();
  std::printf("%s\n", doc.dump().c_str());
}

void print_summary(const std::string& line) {
  if (show_summary()) std::fprintf(stderr, "%s\n", line.c_str());
}

}  // namespace ckpt::cli
