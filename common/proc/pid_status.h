// /proc/PID/status, the fields ckpt uses, with the ids as seen in every nested pid namespace.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace ckpt::proc {

struct PidStatus {
  std::string name;
  char state = '?';
  pid_t tgid = 0;
  pid_t pid = 0;
  pid_t ppid = 0;
  int threads = 0;
  // Outermost (the reader's) namespace first, innermost last — as the kernel prints them.
  std::vector<pid_t> ns_tgid, ns_pid, ns_pgid, ns_sid;
  std::vector<uid_t> uids;  // real, effective, saved, fs
  std::vector<gid_t> gids;
  std::vector<gid_t> groups;  // supplementary
  // Capability sets: CapInh, CapPrm, CapEff, CapBnd, CapAmb.
  uint64_t cap_inheritable = 0, cap_permitted = 0, cap_effective = 0, cap_bounding = 0,
           cap_ambient = 0;
  bool no_new_privs = false;
  unsigned umask = 0;
  // Signals with a handler (SigCgt) and ignored ones (SigIgn): bit N-1 for signal N.
  uint64_t sig_caught = 0, sig_ignored = 0;
  int seccomp = 0;  // SECCOMP_MODE_*: 0 none, 1 strict, 2 filter
  pid_t tracer = 0;  // TracerPid: the process tracing it, 0 when none
  uint64_t rss_kib = 0;  // VmRSS: resident memory (none for a kernel thread or a zombie)
};

// Parses the text of a status file; `origin` names it in errors.
PidStatus parse_pid_status(const std::string& text, const std::string& origin);
// Reads and parses /proc/PID/status (or PROC_ROOT/PID/status for fixture trees).
PidStatus read_pid_status(pid_t pid, const std::filesystem::path& proc_root = "/proc");

// The pid in the innermost pid namespace (the last NSpid entry); throws when there is none.
pid_t innermost_pid(const PidStatus& status);
// The same for host process `pid`.
pid_t read_innermost_pid(pid_t pid);

}  // namespace ckpt::proc
