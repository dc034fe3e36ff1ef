// The audit's one collector, used at dump time (ckpt/audit) and on the restored copy before it
// resumes (restore/audit): what the kernel shows of each process through /proc, as named facts.
//
// Per process: "comm", "cmdline", "exe", "cwd", "root", "personality", "oom_score_adj",
// "coredump_filter", "timerslack_ns", "ppid", "pgid", "sid", "tty", "tpgid",
// "status.<Umask|ShdPnd|SigIgn|SigCgt|Threads|VmLck|THP_enabled>", "stat.exit_signal",
// "limits.<Max ...>", "cgroup <controllers>", "locks"; per mapping "map START-END" (perms,
// offset, name), "map START-END VmFlags", "map START-END file" (size, mtime), "map START-END
// inode" (not for tmpfs files, recreated on restore); per fd "fd N" (target), "fd N <fdinfo
// key>" (flags, pos, eventfd-count, tfd, lock, ...), "fd N peer" (a unix socket's SO_PEERCRED
// and SO_PEERGROUPS, read on a pidfd_getfd copy); per thread (tid in the container)
// "thread T comm", "thread T status.<Uid|Gid|Groups|Cap*|NoNewPrivs|Seccomp|SigPnd|SigBlk|
// Cpus_allowed_list|...>", "thread T stat.<nice|priority|policy|rt_priority>".
// Container-wide: "net.<path>" for every writable sysctl under /proc/sys/net of its netns.
// Only /proc is read (and /proc/sys/net from a helper thread in the container's netns; peer
// credentials by a child in its pid namespace): the
// processes must be stopped (frozen or under ptrace) for the facts to hold still.
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/audit/normalize.h"
#include "common/proc/fdinfo.h"
#include "common/proc/maps.h"
#include "common/records/audit.h"
#include "common/records/net.h"

namespace ckpt::audit {

struct AuditScope {
  std::map<pid_t, pid_t> ns_pid_of;  // host pid -> pid in the container, of every process
  std::vector<pid_t> audited;        // host pids whose facts are taken (not zombies)
  pid_t init_host_pid = 0;           // its root is the container's, its netns the container's
  std::string cgroup_path;           // the container's cgroup, "ckpt/ID"
  std::string state_dir;             // "/run/ckpt/ID" (its console log), shown as "<state>"
  // smaps read a moment before (outside a freeze window): smaps walks every page table (~0.1 s
  // per GiB here), so a process whose maps listing still matches takes its VmFlags from there.
  std::map<pid_t, std::vector<proc::MapEntry>> smaps_before;
  // The container's net sysctls when the caller read them in the same freeze (the dump's
  // network stage): not read a second time.
  std::optional<std::vector<records::NetSysctl>> net_sysctls;
  // fdinfo of the fds whose text the dump changed for its own reads (the muted inotify watches:
  // ckpt/event_files_muted), as it was before: the facts are the container's, not the dump's.
  proc::FdinfoTexts fdinfo_before;
};

// The smaps of each of `pids` (host pids) still there, for AuditScope::smaps_before.
std::map<pid_t, std::vector<proc::MapEntry>> read_smaps_before(const std::vector<pid_t>& pids);

records::AuditFacts collect_audit(const AuditScope& scope);

// The facts of process `host_pid`: `root` is the container's root as the host sees it, `locks`
// the lines of /proc/locks.
records::AuditFactMap collect_process_facts(pid_t host_pid, const AuditScope& scope,
                                            const std::string& root,
                                            const std::vector<LockLine>& locks);

// The lines of /proc/locks.
std::vector<LockLine> read_lock_lines();

// The sysctls of a netns (common/proc/net_sysctls) as facts "net.a.b.c".
records::AuditFactMap net_sysctl_facts(const std::vector<records::NetSysctl>& sysctls);

// The multicast groups of the calling thread's netns, as "net.multicast DEVICE GROUP".
records::AuditFactMap read_net_multicast_facts();

}  // namespace ckpt::audit
