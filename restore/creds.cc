#include "restore/creds.h"

#include <linux/capability.h>
#include <linux/securebits.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include <array>

#include "common/error.h"
#include "common/error_kind.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/records/tree.h"

namespace ckpt::restore {
namespace {

struct CapSets {
  uint64_t effective = 0, permitted = 0, inheritable = 0;
};

// capget/capset through the scratch area: the header at kDataOffset, the two data words after.
constexpr uint64_t kHeaderAt = Restorer::kDataOffset;
constexpr uint64_t kDataAt = Restorer::kDataOffset + 64;

CapSets get_caps(Restorer& r, ptrace::RemoteSyscall& call) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  r.write(kHeaderAt, &header, sizeof header);
  call.checked("capget", SYS_capget, r.scratch() + kHeaderAt, r.scratch() + kDataAt);
  __user_cap_data_struct data[2]{};
  r.read(kDataAt, data, sizeof data);
  auto both = [](uint32_t low, uint32_t high) { return uint64_t{high} << 32 | low; };
  return {both(data[0].effective, data[1].effective), both(data[0].permitted, data[1].permitted),
          both(data[0].inheritable, data[1].inheritable)};
}

void set_caps(Restorer& r, ptrace::RemoteSyscall& call, const CapSets& caps) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {
      {static_cast<uint32_t>(caps.effective), static_cast<uint32_t>(caps.permitted),
       static_cast<uint32_t>(caps.inheritable)},
      {static_cast<uint32_t>(caps.effective >> 32), static_cast<uint32_t>(caps.permitted >> 32),
       static_cast<uint32_t>(caps.inheritable >> 32)}};
  r.write(kHeaderAt, &header, sizeof header);
  r.write(kDataAt, data, sizeof data);
  call.checked("capset", SYS_capset, r.scratch() + kHeaderAt, r.scratch() + kDataAt);
}

// Ids and groups; the capabilities are left whole (no setuid fixup) for what follows.
void set_ids(Restorer& r, ptrace::RemoteSyscall& call, const records::Creds& c) {
  if (!c.groups.empty())
    r.write(Restorer::kDataOffset, c.groups.data(), c.groups.size() * sizeof(uint32_t));
  call.checked("setgroups", SYS_setgroups, c.groups.size(), r.scratch() + Restorer::kDataOffset);
  call.checked("setresgid", SYS_setresgid, c.gids[0], c.gids[1], c.gids[2]);
  call.checked("setfsgid", SYS_setfsgid, c.gids[3]);
  call.checked("prctl(PR_SET_SECUREBITS)", SYS_prctl, PR_SET_SECUREBITS, SECBIT_NO_SETUID_FIXUP);
  call.checked("setresuid", SYS_setresuid, c.uids[0], c.uids[1], c.uids[2]);
  call.checked("setfsuid", SYS_setfsuid, c.uids[3]);
}

// Every set exactly: inheritable first (ambient needs it), ambient, bounding and securebits
// while CAP_SETPCAP is still there, then effective and permitted.
void set_capabilities(Restorer& r, ptrace::RemoteSyscall& call, const records::Creds& c) {
  CapSets now = get_caps(r, call);
  set_caps(r, call, {now.effective, now.permitted, c.cap_inheritable});
  call.checked("prctl(PR_CAP_AMBIENT_CLEAR_ALL)", SYS_prctl, PR_CAP_AMBIENT,
               PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  for (int cap = 0; cap < 64; ++cap)
    if (c.cap_ambient & (1ull << cap))
      call.checked("prctl(PR_CAP_AMBIENT_RAISE)", SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE,
                   cap, 0, 0);
  for (int cap = 0; cap < 64; ++cap)
    if (!(c.cap_bounding & (1ull << cap)) && call.call(SYS_prctl, PR_CAPBSET_READ, cap) == 1)
      call.checked("prctl(PR_CAPBSET_DROP)", SYS_prctl, PR_CAPBSET_DROP, cap);
  call.checked("prctl(PR_SET_SECUREBITS)", SYS_prctl, PR_SET_SECUREBITS, c.securebits);
  set_caps(r, call, {c.cap_effective, c.cap_permitted, c.cap_inheritable});
}

// Credentials belong to each thread (the raw system calls change the caller's only).
void set_thread_creds(Restorer& r, ptrace::RemoteSyscall& call, const records::Creds& c) {
  set_ids(r, call, c);
  set_capabilities(r, call, c);
  if (c.no_new_privs)
    call.checked("prctl(PR_SET_NO_NEW_PRIVS)", SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

// After the credentials: changing them set it to fs.suid_dumpable. prctl sets 0 or 1 only.
void set_dumpable(Restorer& r, int32_t dumpable) {
  auto& call = r.main();
  if (dumpable == 0 || dumpable == 1) {
    call.checked("prctl(PR_SET_DUMPABLE)", SYS_prctl, PR_SET_DUMPABLE, dumpable);
    return;
  }
  long now = call.checked("prctl(PR_GET_DUMPABLE)", SYS_prctl, PR_GET_DUMPABLE);
  if (now != dumpable)
    fail("process {}: dumpable {} (what fs.suid_dumpable gave it) cannot be set here, it got {}",
         r.ns_pid(), dumpable, now);
}

bool own_capability(int cap) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (::syscall(SYS_capget, &header, data) != 0) throw_errno("capget");
  return (data[cap / 32].effective & (1u << (cap % 32))) != 0;
}

std::string limit_text(uint64_t limit) {
  return limit == RLIM_INFINITY ? "unlimited" : std::to_string(limit);
}

}  // namespace

const char* rlimit_name(size_t resource) {
  static constexpr std::array<const char*, RLIM_NLIMITS> kNames = {
      "RLIMIT_CPU",    "RLIMIT_FSIZE",  "RLIMIT_DATA",   "RLIMIT_STACK",
      "RLIMIT_CORE",   "RLIMIT_RSS",    "RLIMIT_NPROC",  "RLIMIT_NOFILE",
      "RLIMIT_MEMLOCK", "RLIMIT_AS",    "RLIMIT_LOCKS",  "RLIMIT_SIGPENDING",
      "RLIMIT_MSGQUEUE", "RLIMIT_NICE", "RLIMIT_RTPRIO", "RLIMIT_RTTIME"};
  return resource < kNames.size() ? kNames[resource] : "a limit this ckpt does not know";
}

void refuse_unsettable_rlimits(const image::ImageReader& image) {
  bool can_raise = own_capability(CAP_SYS_RESOURCE);
  uint64_t nr_open = std::stoull(fs::read_line("/proc/sys/fs/nr_open"));
  auto tree = image.get<records::ProcessTree>(image::SectionType::kProcessTree, 0);
  for (const auto& entry : tree.processes) {
    if (entry.zombie) continue;  // exits before it sets any
    auto limits =
        image.get<records::ProcessState>(image::SectionType::kProcess, entry.host_pid).rlimits;
    for (size_t r = 0; r < limits.size() && r < RLIM_NLIMITS; ++r) {
      rlimit own{};
      if (::getrlimit(static_cast<__rlimit_resource>(r), &own) != 0) throw_errno("getrlimit {}", r);
      uint64_t hard = limits[r].hard;
      if (r == RLIMIT_NOFILE && hard > nr_open)
        fail(ErrorKind::kHostMissing,
             "process {}: its hard limit RLIMIT_NOFILE {} is above this host's fs.nr_open {}: it "
             "cannot be set again here",
             entry.pid, limit_text(hard), nr_open);
      if (hard > own.rlim_max && !can_raise)
        fail(ErrorKind::kHostMissing,
             "process {}: its hard limit {} {} cannot be set again here: this restore's own is {} "
             "and raising it needs CAP_SYS_RESOURCE",
             entry.pid, rlimit_name(r), limit_text(hard), limit_text(own.rlim_max));
    }
  }
}

void restore_creds(Restorer& r, const records::ProcessState& process,
                   const records::ThreadsState& threads, const std::vector<pid_t>& host_tids) {
  auto& call = r.main();
  if (process.pdeath_signal)
    call.checked("prctl(PR_SET_PDEATHSIG)", SYS_prctl, PR_SET_PDEATHSIG, process.pdeath_signal);
  std::string proc_dir = "/proc/" + std::to_string(r.host_pid());
  fs::write_file(proc_dir + "/oom_score_adj", std::to_string(process.oom_score_adj));
  if (process.coredump_filter)
    fs::write_file(proc_dir + "/coredump_filter", fmt::format("{:#x}", *process.coredump_filter));
  for (size_t i = 1; i < host_tids.size(); ++i) {
    const auto& own = i < threads.threads.size() ? threads.threads[i].own_creds : std::nullopt;
    set_thread_creds(r, *r.on_thread(host_tids[i]), own ? *own : process.creds);
  }
  set_thread_creds(r, call, process.creds);
  if (process.dumpable) set_dumpable(r, *process.dumpable);
}

}  // namespace ckpt::restore
