#include "ckpt/creds.h"

#include <linux/keyctl.h>
#include <sys/syscall.h>

#include <algorithm>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/error_kind.h"
#include "common/fs.h"
#include "common/proc/pid_status.h"

namespace ckpt::dump {
namespace {

// The credentials a status file shows (securebits are not there: read by injection).
records::Creds creds_in(const proc::PidStatus& status, const std::string& who) {
  if (status.uids.size() != 4 || status.gids.size() != 4) fail("cannot read the ids of {}", who);
  records::Creds creds;
  creds.uids = {status.uids.begin(), status.uids.end()};
  creds.gids = {status.gids.begin(), status.gids.end()};
  creds.groups = {status.groups.begin(), status.groups.end()};
  creds.cap_inheritable = status.cap_inheritable;
  creds.cap_permitted = status.cap_permitted;
  creds.cap_effective = status.cap_effective;
  creds.cap_bounding = status.cap_bounding;
  creds.cap_ambient = status.cap_ambient;
  creds.no_new_privs = status.no_new_privs;
  return creds;
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
  return static_cast<long>(
      std::count_if(ids.begin(), ids.end(), [&](int32_t id) { return id != user; }));
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
  proc::PidStatus status = proc::read_pid_status(pid);
  state.creds = creds_in(status, "pid " + std::to_string(pid));
  for (size_t i = 0; i < tids.size(); ++i) {
    if (tids[i] == pid) continue;
    std::string who = "thread " + std::to_string(tids[i]) + " of pid " + std::to_string(pid);
    records::Creds own = creds_in(proc::read_pid_status(tids[i], dir + "/task"), who);
    if (own != state.creds) threads.threads[i].own_creds = std::move(own);
  }
  state.umask = status.umask;
  state.oom_score_adj = std::stoi(fs::read_line(dir + "/oom_score_adj"));
  state.coredump_filter =
      static_cast<uint32_t>(std::stoul(fs::read_line(dir + "/coredump_filter"), nullptr, 16));
}

}  // namespace ckpt::dump
