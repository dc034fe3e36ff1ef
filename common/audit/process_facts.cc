// Facts of a whole process: identity, tree position, status and stat fields shared by its
// threads, limits, cgroups and the small files of /proc/PID.
#include <algorithm>
#include <set>
#include <sstream>

#include "common/audit/process_view.h"
#include "common/error.h"
#include "common/fs.h"
#include "common/proc/key_value.h"

namespace ckpt::audit {

namespace {

// Fields of /proc/PID/status that belong to the process (per-thread ones: thread_facts.cc).
const std::set<std::string> kProcessStatus = {"Umask",  "ShdPnd", "SigIgn",     "SigCgt",
                                              "Threads", "VmLck", "THP_enabled"};

std::string innermost(const std::string& ids) {
  std::istringstream in(ids);
  std::string id, last;
  while (in >> id) last = id;
  return last;
}

void add_status(const ProcessView& p, records::AuditFactMap& facts) {
  for (const auto& [key, value] : proc::key_value_lines(read_text_or_empty(p.path("status")))) {
    if (kProcessStatus.count(key)) facts["status." + key] = squeeze_blanks(value);
    if (key == "ShdPnd") facts["status.ShdPnd"] = pending_without_timer_signals(squeeze_blanks(value));
    if (key == "NSpgid") facts["pgid"] = innermost(value);
    if (key == "NSsid") facts["sid"] = innermost(value);
  }
}

void add_stat(const ProcessView& p, records::AuditFactMap& facts) {
  auto f = stat_fields_after_comm(read_text_or_empty(p.path("stat")));
  auto pid_field = [&](size_t n) {
    try {
      return p.ns_pid_text(static_cast<pid_t>(std::stol(stat_field(f, n))));
    } catch (const std::exception&) {
      return std::string("?");
    }
  };
  facts["ppid"] = pid_field(4);
  facts["tty"] = stat_field(f, 7);
  std::string tpgid = stat_field(f, 8);
  facts["tpgid"] = tpgid == "-1" ? "-1" : pid_field(8);
  facts["stat.exit_signal"] = stat_field(f, 38);
}

// "Max open files            1024                 1048576              files"
void add_limits(const ProcessView& p, records::AuditFactMap& facts) {
  std::istringstream in(read_text_or_empty(p.path("limits")));
  std::string line;
  std::getline(in, line);  // the header
  constexpr size_t kNameWidth = 26;
  while (std::getline(in, line)) {
    if (line.size() <= kNameWidth) continue;
    std::istringstream values(line.substr(kNameWidth));
    std::string soft, hard;
    values >> soft >> hard;
    facts["limits." + fs::trim(line.substr(0, kNameWidth))] = soft + " " + hard;
  }
}

// "12:freezer:/ckpt/ID/sub" -> "cgroup freezer" = "<container>/sub"; "0::/..." -> "cgroup 0::".
void add_cgroups(const ProcessView& p, records::AuditFactMap& facts) {
  std::istringstream in(read_text_or_empty(p.path("cgroup")));
  std::string line;
  while (std::getline(in, line)) {
    size_t first = line.find(':'), second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    std::string controllers = line.substr(first + 1, second - first - 1);
    std::string key = controllers.empty() ? line.substr(0, second + 1) : controllers;
    facts["cgroup " + key] = normalize_cgroup_path(line.substr(second + 1), p.scope.cgroup_path);
  }
}

void add_small_files(const ProcessView& p, records::AuditFactMap& facts) {
  facts["comm"] = read_line_fact(p.path("comm"));
  std::string cmdline = read_text_or_empty(p.path("cmdline"));
  std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
  facts["cmdline"] = fs::trim(cmdline);
  facts["exe"] = p.container_path(read_link_fact(p.path("exe")));
  facts["cwd"] = p.container_path(read_link_fact(p.path("cwd")));
  facts["root"] = p.container_path(read_link_fact(p.path("root")));
  for (const char* name : {"personality", "oom_score_adj", "coredump_filter", "loginuid"})
    facts[name] = read_line_fact(p.path(name));
}

}  // namespace

std::vector<std::string> stat_fields_after_comm(const std::string& text) {
  std::vector<std::string> out;
  size_t close = text.rfind(')');
  if (close == std::string::npos) return out;
  std::istringstream in(text.substr(close + 1));
  std::string word;
  while (in >> word) out.push_back(word);
  return out;
}

std::string stat_field(const std::vector<std::string>& fields, size_t n) {
  return n >= 3 && n - 3 < fields.size() ? fields[n - 3] : "?";
}

void add_process_facts(const ProcessView& p, records::AuditFactMap& facts) {
  add_small_files(p, facts);
  add_status(p, facts);
  add_stat(p, facts);
  add_limits(p, facts);
  add_cgroups(p, facts);
}

}  // namespace ckpt::audit
