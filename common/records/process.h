// Per-process state other than memory, threads and files.
#pragma once

#include "common/records/fields.h"
#include "common/records/seccomp.h"
#include "common/records/std_optional.h"

#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <boost/serialization/version.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ckpt::records {

// struct kernel_sigaction as rt_sigaction(2) takes it.
struct SigAction {
  uint64_t handler = 0;
  uint64_t flags = 0;
  uint64_t restorer = 0;
  uint64_t mask = 0;

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, handler, flags, restorer, mask);
  }
};

struct Itimer {
  int64_t interval_sec = 0, interval_usec = 0, value_sec = 0, value_usec = 0;

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, interval_sec, interval_usec, value_sec, value_usec);
  }
};

struct Rlimit {
  uint64_t soft = 0;
  uint64_t hard = 0;

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, soft, hard);
  }
};

struct Creds {
  std::vector<uint32_t> uids;  // real, effective, saved, fs
  std::vector<uint32_t> gids;
  std::vector<uint32_t> groups;
  uint64_t cap_inheritable = 0, cap_permitted = 0, cap_effective = 0, cap_bounding = 0,
           cap_ambient = 0;
  bool no_new_privs = false;
  uint32_t securebits = 0;  // PR_GET_SECUREBITS. Version 2.

  bool operator==(const Creds&) const = default;

  template <class Ar>
  void serialize(Ar& ar, unsigned version) {
    fields(ar, uids, gids, groups, cap_inheritable, cap_permitted, cap_effective, cap_bounding, cap_ambient, no_new_privs);
    if (version >= 2) fields(ar, securebits);
  }
};

struct ProcessState {
  std::vector<SigAction> sigactions;        // index = signal - 1, 64 entries
  std::vector<std::string> shared_pending;  // siginfo_t queued to the whole process
  std::vector<Itimer> itimers;              // ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF
  std::vector<Rlimit> rlimits;              // RLIMIT_* order
  uint32_t umask = 022;
  std::string cwd;
  std::string root;
  uint32_t personality = 0;
  std::string comm;
  int32_t exit_signal = 17;  // SIGCHLD
  int32_t pdeath_signal = 0;
  bool child_subreaper = false;
  int32_t oom_score_adj = 0;
  Creds creds;
  // In a group stop (SIGSTOP, SIGTSTP: a job stopped with Ctrl-Z) at dump time. Version 2.
  bool stopped = false;
  // Version 3: the signal that stopped it (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU) and its seccomp.
  int32_t stop_signal = 0;
  Seccomp seccomp;
  // Version 4: prctl(PR_GET_DUMPABLE) (0, 1, or 2 when a uid change found fs.suid_dumpable 2)
  // and the audit login uid (/proc/PID/loginuid; unset: the kernel has no audit).
  std::optional<int32_t> dumpable;
  std::optional<uint32_t> loginuid;
  // /proc/PID/coredump_filter: which mappings a core dump holds (a setting of the memory, which
  // a child inherits at fork). Version 5; unset: not read (the restore leaves the default).
  std::optional<uint32_t> coredump_filter;

  template <class Ar>
  void serialize(Ar& ar, unsigned version) {
    fields(ar, sigactions, shared_pending, itimers, rlimits, umask, cwd, root, personality, comm, exit_signal, pdeath_signal, child_subreaper, oom_score_adj, creds);
    if (version >= 2) fields(ar, stopped);
    if (version >= 3) fields(ar, stop_signal, seccomp);
    if (version >= 4) fields(ar, dumpable, loginuid);
    if (version >= 5) fields(ar, coredump_filter);
  }
};

}  // namespace ckpt::records

BOOST_CLASS_VERSION(ckpt::records::SigAction, 1)
BOOST_CLASS_VERSION(ckpt::records::Itimer, 1)
BOOST_CLASS_VERSION(ckpt::records::Rlimit, 1)
BOOST_CLASS_VERSION(ckpt::records::Creds, 2)
BOOST_CLASS_VERSION(ckpt::records::ProcessState, 5)
