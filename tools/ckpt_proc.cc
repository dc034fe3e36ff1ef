// ckpt-proc: the process engine on plain process trees, without a container (development,
// tests of the engine, tools/bench).
//   ckpt-proc dump [--leave-running] PID IMAGE   dumps PID and its descendants, then kills them
//   ckpt-proc restore [--wait] IMAGE             restores them in a new pid namespace; prints the
//                                                host pid of the namespace's init
#include <dirent.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "ckpt/pages_deferred.h"
#include "ckpt/processes.h"
#include "ckpt/seize.h"
#include "common/error.h"
#include "common/fs.h"
#include "common/image/image.h"
#include "common/log.h"
#include "common/ns/clone.h"
#include "common/proc/maps.h"
#include "common/proc/stat.h"
#include "restore/processes.h"

namespace {

using namespace ckpt;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::vector<pid_t> tasks_of(pid_t pid) {
  std::vector<pid_t> tids{pid};
  std::string path = "/proc/" + std::to_string(pid) + "/task";
  DIR* dir = ::opendir(path.c_str());
  if (!dir) throw_errno("opendir {}", path);
  while (dirent* e = ::readdir(dir))
    if (e->d_name[0] != '.' && std::stoi(e->d_name) != pid) tids.push_back(std::stoi(e->d_name));
  ::closedir(dir);
  return tids;
}

void add_subtree(pid_t pid, pid_t ppid, records::ProcessTree& tree) {
  proc::Stat stat = proc::read_stat(pid);
  records::ProcessEntry entry;
  entry.host_pid = entry.pid = pid;
  entry.ppid = ppid;
  entry.pgid = stat.pgrp;
  entry.sid = stat.session;
  entry.comm = stat.comm;
  std::vector<pid_t> tids = tasks_of(pid);
  for (pid_t tid : tids) entry.threads.push_back({tid, tid});
  tree.processes.push_back(entry);
  for (pid_t tid : tids) {
    std::istringstream children(fs::read_file("/proc/" + std::to_string(pid) + "/task/" +
                                              std::to_string(tid) + "/children"));
    pid_t child;
    while (children >> child) add_subtree(child, pid, tree);
  }
}

// Groups and sessions led from outside the tree become the root's.
void confine_ids(records::ProcessTree& tree) {
  std::set<pid_t> pids;
  for (auto& p : tree.processes) pids.insert(p.pid);
  pid_t root = tree.processes[0].pid;
  for (auto& p : tree.processes) {
    if (!pids.count(p.sid)) p.sid = root;
    if (!pids.count(p.pgid)) p.pgid = root;
  }
}

int run_dump(pid_t pid, const std::string& path, bool leave_running) {
  auto start = Clock::now();
  records::ProcessTree tree;
  add_subtree(pid, 0, tree);
  confine_ids(tree);
  std::vector<pid_t> pids;
  for (auto& p : tree.processes) pids.push_back(p.host_pid);
  image::ImageWriter image(path, image::make_header("proc-" + std::to_string(pid)));
  image.put(image::SectionType::kProcessTree, 0, tree);
  // --leave-running: pages pre-copied while the processes run, written after their release.
  std::unique_ptr<dump::DeferredPages> deferred;
  if (leave_running && dump::DeferredPages::fits_in_memory(pids))
    deferred = std::make_unique<dump::DeferredPages>(pids, /*precopy=*/true);
  auto precopied = Clock::now();
  {
    dump::TrackingGuard untrack(deferred.get());  // ends once the processes run again
    {
      dump::SeizedProcesses seized(pids);
      seized.wait_stopped();
      dump::dump_processes(tree, seized, image, deferred.get());
      if (!leave_running)
        for (pid_t p : pids) ::kill(p, SIGKILL);
    }
    // From the seize to the detach: how long the processes stood still.
    std::printf("seized_seconds %.4f\n", seconds_since(precopied));
  }
  if (deferred) {
    deferred->write(image);
    std::printf("precopied_pages %lu\nfinal_round_pages %lu\n", deferred->pages_precopied(),
                deferred->pages_read_in_final_round());
  }
  image.finish();
  std::printf("precopy_seconds %.4f\ndump_seconds %.4f\nimage_bytes %lu\n",
              std::chrono::duration<double>(precopied - start).count(), seconds_since(start),
              image.bytes_written());
  return 0;
}

// Without the files engine: every restored process gets /dev/null as 0, 1 and 2, nothing else.
class NullFiles : public restore::OpenedFiles {
 public:
  void install_fds(pid_t) override {
    int null = ::open("/dev/null", O_RDWR);
    for (int fd = 0; fd < 3; ++fd) ::dup2(null, fd);
    ::close_range(3, ~0u, 0);
  }
};

int run_restore(const std::string& path, bool wait) {
  auto start = Clock::now();
  image::ImageReader image(path);
  restore::ProcessesRestore processes(image);
  pid_t root = ns::clone_fork(CLONE_NEWPID);
  NullFiles files;
  if (root == 0) processes.run_root_task(&files);
  processes.fork_tree(root);
  processes.restore();
  processes.resume();
  std::printf("restore_seconds %.4f\nroot_pid %d\n", seconds_since(start), root);
  std::fflush(stdout);
  if (!wait) return 0;
  int status = 0;
  ::waitpid(root, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The physical limit of the dump's page reading: process_vm_readv of every private writable
// mapping of `pid` into populated memory, in 32 MiB batches.
int run_readbench(pid_t pid) {
  std::vector<iovec> ranges;
  size_t total = 0;
  for (const auto& map : proc::read_maps(pid))
    if (map.write && !map.shared) {
      ranges.push_back({reinterpret_cast<void*>(map.start), map.end - map.start});
      total += map.end - map.start;
    }
  constexpr size_t kBatch = 32u << 20;
  void* buffer = ::mmap(nullptr, kBatch, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  auto start = Clock::now();
  for (const auto& range : ranges)
    for (size_t off = 0; off < range.iov_len; off += kBatch) {
      iovec local{buffer, std::min(kBatch, range.iov_len - off)};
      iovec remote{static_cast<char*>(range.iov_base) + off, local.iov_len};
      if (::process_vm_readv(pid, &local, 1, &remote, 1, 0) < 0) throw_errno("process_vm_readv");
    }
  double secs = seconds_since(start);
  std::printf("readv_bytes %zu\nreadv_seconds %.4f\n", total, secs);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  bool leave_running = false, wait = false;
  std::vector<std::string> positional;
  for (auto& a : args) {
    if (a == "--leave-running")
      leave_running = true;
    else if (a == "--wait")
      wait = true;
    else if (a == "-v")
      spdlog::set_level(spdlog::level::debug);
    else
      positional.push_back(a);
  }
  try {
    if (positional.size() == 3 && positional[0] == "dump")
      return run_dump(std::stoi(positional[1]), positional[2], leave_running);
    if (positional.size() == 2 && positional[0] == "readbench")
      return run_readbench(std::stoi(positional[1]));
    if (positional.size() == 2 && positional[0] == "restore")
      return run_restore(positional[1], wait);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ckpt-proc: %s\n", e.what());
    return 1;
  }
  std::fprintf(stderr,
               "usage: ckpt-proc dump [--leave-running] PID IMAGE | restore [--wait] IMAGE\n");
  return 2;
}
