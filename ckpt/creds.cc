#include "ckpt/creds.h"

#include <sstream>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/error_kind.h"
#include "common/fs.h"

namespace ckpt::dump {
namespace {

// The value after "Key:" in /proc/PID/status text, or "".
std::string status_field(const std::string& status, const std::string& key) {
  size_t at = status.find("\n" + key + ":");
  if (at == std::string::npos) return "";
  at += key.size() + 2;
  return fs::trim(status.substr(at, status.find('\n', at) - at));
}

std::vector<uint32_t> numbers(const std::string& text) {
  std::vector<uint32_t> out;
  std::istringstream in(text);
  uint32_t value;
  while (in >> value) out.push_back(value);
  return out;
}

uint64_t hex(const std::string& text) {
  return text.empty() ? 0 : std::stoull(text, nullptr, 16);
}

// A restore gives every thread the credentials of the process: a thread that changed its own
// with the raw system calls (glibc's setuid() changes all of them) cannot come back so.
void check_thread_creds(pid_t pid, const std::string& status, const std::vector<pid_t>& tids) {
  static const char* const kKeys[] = {"Uid",    "Gid",    "Groups", "CapInh",    "CapPrm",
                                      "CapEff", "CapBnd", "CapAmb", "NoNewPrivs"};
  for (pid_t tid : tids) {
    if (tid == pid) continue;
    std::string theirs =
        "\n" + fs::read_file("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) +
                             "/status");
    for (const char* key : kKeys)
      if (status_field(theirs, key) != status_field(status, key))
        fail(ErrorKind::kRefused,
             "pid {}: thread {} has credentials of its own ({} {}, the process {}): cannot "
             "restore them",
             pid, tid, key, status_field(theirs, key), status_field(status, key));
  }
}

}  // namespace

void dump_creds(pid_t pid, const std::vector<pid_t>& tids, records::ProcessState& state) {
  std::string dir = "/proc/" + std::to_string(pid);
  std::string status = "\n" + fs::read_file(dir + "/status");
  check_thread_creds(pid, status, tids);
  auto& creds = state.creds;
  creds.uids = numbers(status_field(status, "Uid"));
  creds.gids = numbers(status_field(status, "Gid"));
  creds.groups = numbers(status_field(status, "Groups"));
  if (creds.uids.size() != 4 || creds.gids.size() != 4) fail("cannot read the ids of {}", pid);
  creds.cap_inheritable = hex(status_field(status, "CapInh"));
  creds.cap_permitted = hex(status_field(status, "CapPrm"));
  creds.cap_effective = hex(status_field(status, "CapEff"));
  creds.cap_bounding = hex(status_field(status, "CapBnd"));
  creds.cap_ambient = hex(status_field(status, "CapAmb"));
  creds.no_new_privs = status_field(status, "NoNewPrivs") == "1";
  state.umask = static_cast<uint32_t>(std::stoul(status_field(status, "Umask"), nullptr, 8));
  state.oom_score_adj = std::stoi(fs::read_line(dir + "/oom_score_adj"));
}

}  // namespace ckpt::dump
