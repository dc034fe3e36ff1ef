#include "common/proc/timers.h"

#include <signal.h>

#include <sstream>

#include "common/error.h"
#include "common/fs.h"

namespace ckpt::proc {

namespace {

// "signal/pid.12", "thread/tid.13", "none/pid.1".
void parse_notify(const std::string& value, ProcTimer& timer, const std::string& origin) {
  auto slash = value.find('/');
  auto dot = value.find('.', slash == std::string::npos ? 0 : slash);
  if (slash == std::string::npos || dot == std::string::npos)
    fail("{}: bad notify line '{}'", origin, value);
  std::string how = value.substr(0, slash);
  if (how == "signal")
    timer.notify = SIGEV_SIGNAL;
  else if (how == "none")
    timer.notify = SIGEV_NONE;
  else if (how == "thread")
    timer.notify = SIGEV_THREAD;
  else
    fail("{}: unknown timer notification '{}'", origin, how);
  if (value.compare(slash + 1, dot - slash - 1, "tid") == 0) timer.notify |= SIGEV_THREAD_ID;
  timer.target = std::stoi(value.substr(dot + 1));
}

}  // namespace

std::vector<ProcTimer> parse_timers(const std::string& text, const std::string& origin) {
  std::vector<ProcTimer> timers;
  std::istringstream in(text);
  std::string key, value;
  while (in >> key >> value) {
    if (key == "ID:") {
      timers.emplace_back().id = std::stoi(value);
      continue;
    }
    if (timers.empty()) fail("{}: '{}' before any ID line", origin, key);
    ProcTimer& timer = timers.back();
    if (key == "signal:") {
      auto slash = value.find('/');
      if (slash == std::string::npos) fail("{}: bad signal line '{}'", origin, value);
      timer.signo = std::stoi(value.substr(0, slash));
      timer.sigval = std::stoull(value.substr(slash + 1), nullptr, 16);
    } else if (key == "notify:") {
      parse_notify(value, timer, origin);
    } else if (key == "ClockID:") {
      timer.clock = std::stoi(value);
    }
  }
  return timers;
}

std::vector<ProcTimer> read_timers(pid_t pid) {
  std::string path = "/proc/" + std::to_string(pid) + "/timers";
  return parse_timers(fs::read_file(path), path);
}

}  // namespace ckpt::proc
