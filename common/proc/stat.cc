#include "common/proc/stat.h"

#include <fstream>

#include <sstream>
#include <vector>

#include "common/error.h"
#include "common/fs.h"

namespace ckpt::proc {

// "pid (comm) state ppid pgrp session ..." — comm may hold spaces and parentheses.
Stat parse_stat(const std::string& text) {
  size_t open = text.find('('), close = text.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open)
    fail("malformed stat line: {}", text.substr(0, 80));
  Stat stat;
  stat.comm = text.substr(open + 1, close - open - 1);
  std::istringstream in(text.substr(close + 2));
  std::vector<std::string> f{""};  // f[3] is field 3 (state), as proc(5) numbers them
  f.resize(3);
  std::string word;
  while (in >> word) f.push_back(word);
  if (f.size() < 52) fail("stat line has {} fields, expected 52", f.size());
  auto num = [&](int i) { return std::stoull(f[i]); };
  stat.state = f[3][0];
  stat.ppid = static_cast<pid_t>(num(4));
  stat.pgrp = static_cast<pid_t>(num(5));
  stat.session = static_cast<pid_t>(num(6));
  stat.tty_nr = static_cast<uint32_t>(num(7));
  stat.tpgid = static_cast<pid_t>(std::stoll(f[8]));
  stat.priority = static_cast<int>(std::stoll(f[18]));
  stat.start_code = num(26);
  stat.end_code = num(27);
  stat.start_stack = num(28);
  stat.exit_signal = static_cast<int>(num(38));
  stat.start_data = num(45);
  stat.end_data = num(46);
  stat.start_brk = num(47);
  stat.arg_start = num(48);
  stat.arg_end = num(49);
  stat.env_start = num(50);
  stat.env_end = num(51);
  if (f.size() > 52) stat.exit_code = static_cast<int>(num(52));
  return stat;
}

Stat read_stat(pid_t pid) {
  return parse_stat(fs::read_file("/proc/" + std::to_string(pid) + "/stat"));
}

char state_of(pid_t pid) {
  try {
    return read_stat(pid).state;
  } catch (const Error&) {
    return '?';
  }
}

std::string wchan_of(pid_t tid) {
  std::ifstream wchan("/proc/" + std::to_string(tid) + "/wchan");
  std::string where;
  wchan >> where;
  return where;
}

bool waits_for_vfork_child(pid_t tid) {
  return wchan_of(tid) == "kernel_clone";
}

}  // namespace ckpt::proc
