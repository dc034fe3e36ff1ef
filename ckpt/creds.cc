#include "ckpt/creds.h"

#include <sstream>
#include <string>

#include "common/error.h"
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

}  // namespace

void dump_creds(pid_t pid, records::ProcessState& state) {
  std::string dir = "/proc/" + std::to_string(pid);
  std::string status = "\n" + fs::read_file(dir + "/status");
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
