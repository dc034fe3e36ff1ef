#include "common/task_tuning.h"

#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "common/cgroup/hierarchy.h"
#include "common/error.h"
#include "common/fs.h"

namespace ckpt {

namespace {

constexpr int kIoprioWhoProcess = 1;  // IOPRIO_WHO_PROCESS: one thread, by tid
constexpr size_t kMaxCpus = 8192;

std::string proc_file(pid_t tid, const char* name) {
  return "/proc/" + std::to_string(tid) + "/" + name;
}

std::vector<uint64_t> trimmed(std::vector<uint64_t> mask) {
  while (!mask.empty() && mask.back() == 0) mask.pop_back();
  return mask;
}

std::vector<uint64_t> affinity_of(pid_t tid) {
  std::vector<uint64_t> mask(kMaxCpus / 64);
  if (::sched_getaffinity(tid, mask.size() * sizeof(uint64_t),
                          reinterpret_cast<cpu_set_t*>(mask.data())) != 0)
    throw_errno("sched_getaffinity of thread {}", tid);
  return trimmed(std::move(mask));
}

// The CPUs the thread's cpuset gives it (the host's online CPUs without a cpuset controller).
std::vector<uint64_t> cpuset_cpus_of(pid_t tid) {
  const cgroup::Hierarchy* cpuset = cgroup::host_hierarchies().find("cpuset");
  auto rel = fs::try_read_file(proc_file(tid, "cpuset"));
  if (cpuset && rel) {
    std::filesystem::path dir = cpuset->mount / fs::trim(*rel).substr(1);  // "/ckpt/ID"
    auto cpus = fs::try_read_file(dir / "cpuset.effective_cpus");
    if (cpus && !fs::trim(*cpus).empty()) return parse_cpu_list(fs::trim(*cpus));
  }
  return parse_cpu_list(fs::read_line("/sys/devices/system/cpu/online"));
}

uint64_t timer_slack_of(pid_t tid) {
  return std::stoull(fs::read_line(proc_file(tid, "timerslack_ns")));
}

void set_affinity(pid_t tid, const std::vector<uint64_t>& mask, const std::string& what) {
  if (mask.empty() || mask == affinity_of(tid)) return;
  if (::sched_setaffinity(tid, mask.size() * sizeof(uint64_t),
                          reinterpret_cast<const cpu_set_t*>(mask.data())) != 0)
    fail("{}: its CPU affinity {} cannot be set here ({}): the cpuset allows {}", what,
         format_cpu_list(mask), std::strerror(errno), format_cpu_list(cpuset_cpus_of(tid)));
}

}  // namespace

int32_t read_io_priority(pid_t tid) {
  long value = ::syscall(SYS_ioprio_get, kIoprioWhoProcess, tid);
  if (value < 0) throw_errno("ioprio_get of thread {}", tid);
  return static_cast<int32_t>(value);
}

records::TaskTuning read_task_tuning(pid_t tid) {
  records::TaskTuning t;
  t.cpu_affinity = affinity_of(tid);
  if (t.cpu_affinity == cpuset_cpus_of(tid)) t.cpu_affinity.clear();
  t.io_priority = read_io_priority(tid);
  t.timer_slack_ns = timer_slack_of(tid);
  return t;
}

void write_task_tuning(pid_t tid, const records::TaskTuning& t, const std::string& what) {
  set_affinity(tid, t.cpu_affinity, what);
  if (t.io_priority != read_io_priority(tid) &&
      ::syscall(SYS_ioprio_set, kIoprioWhoProcess, tid, t.io_priority) != 0)
    throw_errno("{}: ioprio_set {:#x}", what, t.io_priority);
  // 0 is what a realtime thread has; writing it would give the default slack instead.
  if (t.timer_slack_ns && t.timer_slack_ns != timer_slack_of(tid))
    fs::write_file(proc_file(tid, "timerslack_ns"), std::to_string(t.timer_slack_ns));
}

std::vector<uint64_t> parse_cpu_list(const std::string& list) {
  std::vector<uint64_t> mask;
  size_t at = 0;
  while (at < list.size()) {
    size_t comma = std::min(list.find(',', at), list.size());
    std::string part = list.substr(at, comma - at);
    size_t dash = part.find('-');
    size_t first = std::stoul(part.substr(0, dash));
    size_t last = dash == std::string::npos ? first : std::stoul(part.substr(dash + 1));
    if (last < first || last >= kMaxCpus) fail("bad CPU list '{}'", list);
    if (mask.size() <= last / 64) mask.resize(last / 64 + 1);
    for (size_t cpu = first; cpu <= last; ++cpu) mask[cpu / 64] |= 1ull << (cpu % 64);
    at = comma + 1;
  }
  return trimmed(std::move(mask));
}

std::string format_cpu_list(const std::vector<uint64_t>& mask) {
  std::string out;
  size_t total = mask.size() * 64;
  auto has = [&](size_t cpu) { return cpu < total && (mask[cpu / 64] >> (cpu % 64) & 1); };
  for (size_t cpu = 0; cpu < total; ++cpu) {
    if (!has(cpu)) continue;
    size_t last = cpu;
    while (has(last + 1)) ++last;
    if (!out.empty()) out += ',';
    out += last == cpu ? std::to_string(cpu) : fmt::format("{}-{}", cpu, last);
    cpu = last;
  }
  return out.empty() ? "(none)" : out;
}

}  // namespace ckpt
