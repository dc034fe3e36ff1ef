// How verbs report what they did: one JSON object on stdout with --json, else one summary line
// on stderr (on a terminal or with -v).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/stage_clock.h"

namespace ckpt::cli {

// [{"stage": "preflight", "seconds": 0.01}, ...] in the stages' order.
nlohmann::json stages_json(const StageSeconds& stages);
double total_seconds(const StageSeconds& stages);

// Prints `doc` with "warnings" (those logged) added, as one JSON line on stdout.
void print_result_json(nlohmann::json doc);

// Prints `line` on stderr when show_summary().
void print_summary(const std::string& line);

}  // namespace ckpt::cli
