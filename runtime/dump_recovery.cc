#include "runtime/dump_recovery.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <sstream>
#include <vector>

#include "common/cgroup/container_cgroup.h"
#include "common/cgroup/freezer.h"
#include "common/dump_marks.h"
#include "common/error.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/proc/pidfd.h"
#include "common/ptrace/injection_journal.h"
#include "common/ptrace/remote_syscall.h"
#include "common/ptrace/tracee.h"
#include "netns/host_link_lock.h"

namespace ckpt::runtime {

namespace fsys = std::filesystem;

namespace {

// Threads seized again, to be given back their registers once they report their stop (a thread
// of a v1-frozen cgroup reports it only after the thaw, before it runs any code of its own).
std::vector<ptrace::JournalEntry> seize_journaled(const fsys::path& dir) {
  std::vector<ptrace::JournalEntry> seized;
  for (const auto& entry : ptrace::read_injection_journal((dir / "threads").string())) {
    try {
      if (!ptrace::seize(entry.tid, PTRACE_O_TRACESYSGOOD)) continue;  // gone
      if (ptrace::interrupt(entry.tid)) seized.push_back(entry);
    } catch (const Error& e) {
      spdlog::warn("thread {} left by a killed dump: {}", entry.tid, e.what());
    }
  }
  return seized;
}

// The scratch area of the injection the thread is parked in (common/ptrace/injection.h), unmapped
// by a call from the vdso. Only while a thread runs there: the dump may have unmapped it, and the
// process mapped something else at that address since.
void unmap_scratch(const ptrace::JournalEntry& entry) {
  uint64_t rip = ptrace::get_regs(entry.tid).rip;
  if (rip < entry.scratch || rip >= entry.scratch + entry.scratch_size) return;
  ptrace::RemoteSyscall call(entry.tid, ptrace::vdso_syscall_insn(entry.tid));
  call.checked("munmap the scratch area of a killed dump", SYS_munmap, entry.scratch,
               entry.scratch_size);
}

void put_back(const ptrace::JournalEntry& entry) {
  try {
    ptrace::wait_stop(entry.tid, std::chrono::seconds(5));
    unmap_scratch(entry);
    ptrace::set_regs(entry.tid, entry.regs);
    ptrace::set_sigmask(entry.tid, entry.sigmask);
    ptrace::detach(entry.tid);
    spdlog::info("thread {}: registers put back after a killed dump", entry.tid);
  } catch (const Error& e) {
    spdlog::warn("thread {} left by a killed dump: {}", entry.tid, e.what());
  }
}

// Repair mode off on each socket still in it, then the host links up: what the release of a
// --leave-running dump does, so that the connections carry on.
void release_tcp_lock(const fsys::path& dir) {
  auto text = fs::try_read_file(dir / "tcp_lock");
  if (!text) return;
  std::istringstream lines(*text);
  std::vector<std::string> links;
  std::string what;
  while (lines >> what) {
    if (what == "link") {
      links.emplace_back();
      lines >> links.back();
      continue;
    }
    pid_t pid = 0;
    int fd = -1;
    if (what != "socket" || !(lines >> pid >> fd)) break;
    try {
      UniqueFd sock = proc::take_fd(pid, fd);
      int repair = 0;
      socklen_t len = sizeof repair;
      if (::getsockopt(sock.get(), IPPROTO_TCP, TCP_REPAIR, &repair, &len) != 0 || !repair)
        continue;
      int off = TCP_REPAIR_OFF;
      if (::setsockopt(sock.get(), IPPROTO_TCP, TCP_REPAIR, &off, sizeof off) != 0)
        throw_errno("TCP_REPAIR off");
      spdlog::warn("pid {} fd {}: TCP repair mode left on by a killed dump: off", pid, fd);
    } catch (const Error& e) {
      spdlog::debug("pid {} fd {} of a killed dump: {}", pid, fd, e.what());  // gone
    }
  }
  for (const auto& link : links) {
    try {
      netns::set_host_link_up(link, true);
      spdlog::warn("host link {} left down by a killed dump: up", link);
    } catch (const Error& e) {
      spdlog::debug("host link {} of a killed dump: {}", link, e.what());  // removed since
    }
  }
}

void thaw(const std::string& id) {
  cgroup::ContainerCgroup cgroup(cgroup::host_hierarchies(), "ckpt/" + id);
  if (!cgroup.exists()) return;
  cgroup::container_freezer(cgroup)->thaw();
  spdlog::warn("container {} was left frozen by a killed dump: thawed", id);
}

// The dump's temp image next to its output: OUTPUT.tmp.XXXXXX (mkostemp's six characters).
void remove_temp_images(const fsys::path& dir) {
  auto output = fs::try_read_file(dir / "output");
  if (!output || output->empty()) return;
  fsys::path out(*output);
  std::string prefix = out.filename().string() + ".tmp.";
  std::error_code ec;
  for (const auto& file : fsys::directory_iterator(out.parent_path(), ec)) {
    std::string name = file.path().filename().string();
    if (name.size() == prefix.size() + 6 && name.rfind(prefix, 0) == 0 &&
        file.is_regular_file(ec) && ::unlink(file.path().c_str()) == 0)
      spdlog::warn("removed {}, the temp image of a killed dump", file.path().string());
  }
}

}  // namespace

void recover_after_killed_dump(const std::string& id) {
  fsys::path dir = recovery_dir(id);
  std::error_code ec;
  if (!fsys::exists(dir, ec)) return;
  auto seized = seize_journaled(dir);
  release_tcp_lock(dir);
  if (fsys::exists(dir / "frozen", ec) || !seized.empty()) thaw(id);
  for (const auto& entry : seized) put_back(entry);
  remove_temp_images(dir);
  fsys::remove_all(dir, ec);
}

}  // namespace ckpt::runtime
