#include "ckpt/creds.h"

#include <linux/keyctl.h>
#include <sys/syscall.h>

#include <algorithm>
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

// The credentials a status text shows (securebits are not there: read by injection).
records::Creds creds_in(const std::string& status, const std::string& who) {
  records::Creds creds;
  creds.uids = numbers(status_field(status, "Uid"));
  creds.gids = numbers(status_field(status, "Gid"));
  creds.groups = numbers(status_field(status, "Groups"));
  if (creds.uids.size() != 4 || creds.gids.size() != 4) fail("cannot read the ids of {}", who);
  creds.cap_inheritable = hex(status_field(status, "CapInh"));
  creds.cap_permitted = hex(status_field(status, "CapPrm"));
  creds.cap_effective = hex(status_field(status, "CapEff"));
  creds.cap_bounding = hex(status_field(status, "CapBnd"));
  creds.cap_ambient = hex(status_field(status, "CapAmb"));
  creds.no_new_privs = status_field(status, "NoNewPrivs") == "1";
  return creds;
}

bool same_creds(const records::Creds& a, const records::Creds& b) {
  return a.uids == b.uids && a.gids == b.gids && a.groups == b.groups &&
         a.cap_inheritable == b.cap_inheritable && a.cap_permitted == b.cap_permitted &&
         a.cap_effective == b.cap_effective && a.cap_bounding == b.cap_bounding &&
         a.cap_ambient == b.cap_ambient && a.no_new_privs == b.no_new_privs;
}

// How many keys the session keyring holds besides the user keyring, which the kernel's default
// session keyring (a process that never joined one) links to.
long session_keys(ptrace::Injection& injection) {
  constexpr long kRoom = 2048;  // bytes of key ids read: 512 keys
  auto& call = injection.main();
  long bytes = call.call(SYS_keyctl, KEYCTL_READ, KEY_SPEC_SESSION_KEYRING, injection.scratch(),
                         kRoom);
  if (bytes <= 0) return 0;  // none, or no session keyring to read
  if (bytes > kRoom) return bytes / 4;
  std::vector<int32_t> ids(static_cast<size_t>(bytes) / 4);
  injection.read(0, ids.data(), ids.size() * 4);
  long user = call.call(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_USER_KEYRING, 0);
  return static_cast<long>(std::count_if(ids.begin(), ids.end(), [&](int32_t id) { return id != user; }));
}

}  // namespace

void refuse_process_keyrings(ptrace::Injection& injection, pid_t pid) {
  if (long keys = session_keys(injection); keys > 0)
    fail(ErrorKind::kRefused,
         "process {}: its session keyring holds {} keys (keyctl): their ids cannot be made "
         "again; not supported",
         pid, keys);
  if (injection.main().call(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_PROCESS_KEYRING, 0) >= 0)
    fail(ErrorKind::kRefused,
         "process {} has a process keyring (keyctl): its id cannot be made again; not supported",
         pid);
}

void refuse_thread_keyring(ptrace::RemoteSyscall& thread, pid_t pid, pid_t tid) {
  if (thread.call(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_THREAD_KEYRING, 0) >= 0)
    fail(ErrorKind::kRefused,
         "process {}: thread {} has a thread keyring (keyctl): its id cannot be made again; "
         "not supported",
         pid, tid);
}

void dump_creds(pid_t pid, const std::vector<pid_t>& tids, records::ProcessState& state,
                records::ThreadsState& threads) {
  std::string dir = "/proc/" + std::to_string(pid);
  std::string status = "\n" + fs::read_file(dir + "/status");
  state.creds = creds_in(status, "pid " + std::to_string(pid));
  for (size_t i = 0; i < tids.size(); ++i) {
    if (tids[i] == pid) continue;
    std::string who = "thread " + std::to_string(tids[i]) + " of pid " + std::to_string(pid);
    records::Creds own = creds_in(
        "\n" + fs::read_file(dir + "/task/" + std::to_string(tids[i]) + "/status"), who);
    if (!same_creds(own, state.creds)) threads.threads[i].own_creds = std::move(own);
  }
  state.umask = static_cast<uint32_t>(std::stoul(status_field(status, "Umask"), nullptr, 8));
  state.oom_score_adj = std::stoi(fs::read_line(dir + "/oom_score_adj"));
}

}  // namespace ckpt::dump
