#include "common/proc/pid_status.h"

#include <sstream>

#include "common/error.h"
#include "common/fs.h"

namespace ckpt::proc {

namespace {

template <typename T>
std::vector<T> parse_numbers(const std::string& value) {
  std::vector<T> out;
  std::istringstream in(value);
  long long v;
  while (in >> v) out.push_back(static_cast<T>(v));
  return out;
}

template <typename T>
T first_number(const std::string& key, const std::string& value, const std::string& origin) {
  auto v = parse_numbers<T>(value);
  if (v.empty()) fail("{}: field {} is not a number: '{}'", origin, key, value);
  return v.front();
}

void parse_field(PidStatus& st, const std::string& key, const std::string& value,
                 const std::string& origin) {
  if (key == "Name")
    st.name = value;
  else if (key == "State")
    st.state = value.empty() ? '?' : value[0];
  else if (key == "Tgid")
    st.tgid = first_number<pid_t>(key, value, origin);
  else if (key == "Pid")
    st.pid = first_number<pid_t>(key, value, origin);
  else if (key == "PPid")
    st.ppid = first_number<pid_t>(key, value, origin);
  else if (key == "TracerPid")
    st.tracer = first_number<pid_t>(key, value, origin);
  else if (key == "Threads")
    st.threads = first_number<int>(key, value, origin);
  else if (key == "NStgid")
    st.ns_tgid = parse_numbers<pid_t>(value);
  else if (key == "NSpid")
    st.ns_pid = parse_numbers<pid_t>(value);
  else if (key == "NSpgid")
    st.ns_pgid = parse_numbers<pid_t>(value);
  else if (key == "NSsid")
    st.ns_sid = parse_numbers<pid_t>(value);
  else if (key == "Uid")
    st.uids = parse_numbers<uid_t>(value);
  else if (key == "Gid")
    st.gids = parse_numbers<gid_t>(value);
  else if (key == "Groups")
    st.groups = parse_numbers<gid_t>(value);
  else if (key == "CapInh")
    st.cap_inheritable = std::stoull(value, nullptr, 16);
  else if (key == "CapPrm")
    st.cap_permitted = std::stoull(value, nullptr, 16);
  else if (key == "CapEff")
    st.cap_effective = std::stoull(value, nullptr, 16);
  else if (key == "CapBnd")
    st.cap_bounding = std::stoull(value, nullptr, 16);
  else if (key == "CapAmb")
    st.cap_ambient = std::stoull(value, nullptr, 16);
  else if (key == "NoNewPrivs")
    st.no_new_privs = value == "1";
  else if (key == "Umask")
    st.umask = static_cast<unsigned>(std::stoul(value, nullptr, 8));
  else if (key == "SigCgt")
    st.sig_caught = std::stoull(value, nullptr, 16);
  else if (key == "SigIgn")
    st.sig_ignored = std::stoull(value, nullptr, 16);
  else if (key == "Seccomp")
    st.seccomp = first_number<int>(key, value, origin);
  else if (key == "VmRSS")
    st.rss_kib = first_number<uint64_t>(key, value, origin);
}

}  // namespace

PidStatus parse_pid_status(const std::string& text, const std::string& origin) {
  PidStatus st;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    parse_field(st, line.substr(0, colon), fs::trim(line.substr(colon + 1)), origin);
  }
  if (st.pid == 0 || st.tgid == 0) fail("{}: no Pid/Tgid field", origin);
  if (st.ns_pid.empty()) st.ns_pid = {st.pid};
  if (st.ns_tgid.empty()) st.ns_tgid = {st.tgid};
  return st;
}

PidStatus read_pid_status(pid_t pid, const std::filesystem::path& proc_root) {
  auto path = proc_root / std::to_string(pid) / "status";
  return parse_pid_status(fs::read_file(path), path.string());
}

pid_t innermost_pid(const PidStatus& status) {
  if (status.ns_pid.empty() || status.ns_pid.back() <= 0)
    fail("status of {} ({}): no NSpid line", status.pid, status.name);
  return status.ns_pid.back();
}

pid_t read_innermost_pid(pid_t pid) { return innermost_pid(read_pid_status(pid)); }

}  // namespace ckpt::proc
