#include "runtime/dump_recovery.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <limits>
#include <optional>
#include <sstream>
#include <vector>

#include "ckpt/event_files_muted.h"
#include "common/cancel.h"
#include "common/cgroup/container_cgroup.h"
#include "common/cgroup/freezer.h"
#include "common/dump_marks.h"
#include "common/error.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/proc/pid_status.h"
#include "common/proc/pidfd.h"
#include "common/ptrace/injection_journal.h"
#include "common/ptrace/remote_syscall.h"
#include "common/ptrace/tracee.h"
#include "common/ptrace/trampoline.h"
#include "common/ptrace/vdso_patch.h"
#include "netns/host_link_lock.h"

namespace ckpt::runtime {

namespace fsys = std::filesystem;

namespace {

// The process of a thread (0: gone).
pid_t process_of(pid_t tid) {
  try {
    return proc::read_pid_status(tid).tgid;
  } catch (const Error&) {
    return 0;
  }
}

// Threads seized again, to be given back their registers once they report their stop (a thread
// of a v1-frozen cgroup reports it only after the thaw, before it runs any code of its own).
// The process of one that cannot be seized goes to `still_held`.
std::vector<ptrace::JournalEntry> seize_journaled(const std::vector<ptrace::JournalEntry>& threads,
                                                  std::vector<pid_t>& still_held) {
  std::vector<ptrace::JournalEntry> seized;
  for (const auto& entry : threads) {
    try {
      if (!ptrace::seize(entry.tid, PTRACE_O_TRACESYSGOOD)) continue;  // gone
      if (ptrace::interrupt(entry.tid)) seized.push_back(entry);
    } catch (const Error& e) {
      spdlog::warn("thread {} left by a killed dump: {}", entry.tid, e.what());
      if (pid_t pid = process_of(entry.tid)) still_held.push_back(pid);
    }
  }
  return seized;
}

// The vdso patch of the process of `tid`, if the dump left one there.
const ptrace::PatchEntry* patch_of(pid_t tid, const std::vector<ptrace::PatchEntry>& patches) {
  pid_t pid = proc::read_pid_status(tid).tgid;
  for (const auto& patch : patches)
    if (patch.pid == pid && ptrace::patch_in_place(patch)) return &patch;
  return nullptr;
}

// The scratch area a thread stopped in a trampoline leaves behind: the one the journal names if
// it is in the area. In the vdso patch, it is what the mmap run from there mapped, or what the
// munmap is about to unmap: about to run the call (rip on the `syscall`, its number in rax, its
// address in rdi: a thread the freezer held since the tracer died), just after it (the result
// in rax: stopped before its next instruction) or parked (the result moved to rdi; 0 after the
// munmap). The journal may not have the address yet.
uint64_t scratch_left(const ptrace::JournalEntry& entry, const user_regs_struct& regs,
                      uint64_t patch, bool in_patch) {
  if (!in_patch) return entry.scratch;
  uint64_t area = regs.rip == patch       ? (regs.rax == SYS_munmap ? regs.rdi : 0)
                  : regs.rip == patch + 2 ? regs.rax
                                          : regs.rdi;
  bool mapped = area != 0 && area % 4096 == 0 && area < (1ull << 47);
  return mapped && entry.scratch_size ? area : 0;
}

// The descriptor a call in flight made in the process of the thread (take_made_fd), if it is
// still there: the number the journal has or, before it had one, the call's result in the
// registers of a thread that ran it from its trampoline (rax right after it, rdi once parked;
// none while rip is still on the call). Only while /proc shows it as the call made it: ckpt
// may have closed it already, and the number been reused since.
std::optional<int> made_fd_left(const ptrace::MadeFdEntry& made, const user_regs_struct& regs) {
  int64_t fd = made.fd;
  if (fd == ptrace::kMadeFdUnknown) {
    if (!ptrace::in_trampoline(regs.rip, made.call) || regs.rip == made.call) return std::nullopt;
    fd = static_cast<int64_t>(regs.rip == made.call + 2 ? regs.rax : regs.rdi);
  }
  if (fd < 0 || fd > std::numeric_limits<int>::max()) return std::nullopt;
  std::string link(made.link, strnlen(made.link, sizeof made.link));
  std::error_code ec;
  auto shown = fsys::read_symlink(fmt::format("/proc/{}/fd/{}", made.tid, fd), ec);
  if (ec || link.empty() || shown.string() != link) return std::nullopt;
  return static_cast<int>(fd);
}

// The descriptor a killed dump made in the process of the thread, closed there by a call from
// the trampoline the thread is in (so that a recovery killed meanwhile leaves it parked there,
// the scratch area still to unmap), else from `outside`.
void close_made_fd(const ptrace::MadeFdEntry& made, const user_regs_struct& regs,
                   uint64_t outside) {
  std::optional<int> fd = made_fd_left(made, regs);
  if (!fd) return;
  bool in_call = ptrace::in_trampoline(regs.rip, made.call);
  ptrace::RemoteSyscall call(made.tid, in_call ? made.call : outside);
  call.checked("close the descriptor a killed dump made", SYS_close, static_cast<uint64_t>(*fd));
  spdlog::info("thread {}: fd {} a killed dump made closed", made.tid, *fd);
}

// A thread parked in a trampoline (in the scratch area, or the vdso patch for its mmap and
// munmap) gets its registers back, after a descriptor made for the dump is closed and then
// the area is unmapped by a call from the patch (or the
// vdso's own `syscall` when there is none). A thread elsewhere was never moved, or was already
// put back: its registers are its own. Its signal mask is put back only while it is the one of
// an injection. Returns false for a thread that may still be parked.
bool put_back(const ptrace::JournalEntry& entry, const ptrace::InjectionJournal& journal) {
  const auto& patches = journal.patches;
  try {
    ptrace::wait_stop(entry.tid, std::chrono::seconds(5));
    user_regs_struct regs = ptrace::get_regs(entry.tid);
    const ptrace::PatchEntry* patch = patch_of(entry.tid, patches);
    bool in_patch = patch && ptrace::in_trampoline(regs.rip, patch->address);
    bool in_scratch = entry.scratch && regs.rip >= entry.scratch &&
                      regs.rip < entry.scratch + entry.scratch_size;
    if (in_patch || in_scratch) {
      auto outside = [&] { return patch ? patch->address : ptrace::vdso_syscall_insn(entry.tid); };
      for (const auto& made : journal.made_fds)
        if (made.tid == entry.tid) close_made_fd(made, regs, outside());
      if (uint64_t scratch = scratch_left(entry, regs, patch ? patch->address : 0, in_patch)) {
        ptrace::RemoteSyscall call(entry.tid, outside());
        call.checked("munmap the scratch area of a killed dump", SYS_munmap, scratch,
                     entry.scratch_size);
      }
      ptrace::set_regs(entry.tid, entry.regs);
    }
    if (ptrace::get_sigmask(entry.tid) == ptrace::kInjectionSigmask)
      ptrace::set_sigmask(entry.tid, entry.sigmask);
    ptrace::detach(entry.tid);
    if (in_patch || in_scratch)
      spdlog::info("thread {}: registers put back after a killed dump", entry.tid);
    return true;
  } catch (const Error& e) {
    spdlog::warn("thread {} left by a killed dump: {}", entry.tid, e.what());
    return false;
  }
}

// The vdso bytes a patch replaced, once no thread of its process can be parked in it; the
// patches undone (or gone with their process) are struck from the journal in `journal_dir`.
void revert_patches(const std::string& journal_dir, const std::vector<ptrace::PatchEntry>& patches,
                    const std::vector<pid_t>& still_held) {
  for (const auto& patch : patches) {
    try {
      if (std::find(still_held.begin(), still_held.end(), patch.pid) != still_held.end()) {
        spdlog::warn("vdso of {} left patched: a thread of it was not put back", patch.pid);
        continue;
      }
      if (ptrace::revert_patch(patch))
        spdlog::info("vdso of {}: bytes put back after a killed dump", patch.pid);
    } catch (const Error& e) {
      spdlog::debug("vdso of {} of a killed dump: {}", patch.pid, e.what());  // gone
    }
    ptrace::remove_patch_entry(journal_dir, patch.pid);
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

// Each step can be killed (kill -9 of this command too) and is then done again, or its rest,
// by the next command: a thread put back is struck from the journal (and its patch once no
// thread of its process is left parked); the marks go last, once nothing they name is left. A
// thread that cannot be put back keeps its entry, its patch and the marks, for the next try.
void recover_after_killed_dump(const std::string& id) {
  fsys::path dir = recovery_dir(id);
  std::error_code ec;
  if (!fsys::exists(dir, ec)) return;
  std::string journal_dir = (dir / "threads").string();
  auto journal = ptrace::read_injection_journal(journal_dir);
  std::vector<pid_t> still_held;
  auto seized = seize_journaled(journal.threads, still_held);
  cancellation_point("recovery:seized");
  release_tcp_lock(dir);
  if (auto note = fs::try_read_file(dir / "muted_watches")) dump::give_back_noted_masks(*note);
  if (fsys::exists(dir / "frozen", ec) || !seized.empty()) thaw(id);
  cancellation_point("recovery:thawed");
  for (const auto& entry : seized) {
    if (put_back(entry, journal))
      ptrace::remove_thread_entry(journal_dir, entry.tid);
    else if (pid_t pid = process_of(entry.tid))
      still_held.push_back(pid);
  }
  cancellation_point("recovery:put-back");
  revert_patches(journal_dir, journal.patches, still_held);
  remove_temp_images(dir);
  if (!still_held.empty()) {
    spdlog::warn("container {}: a thread a killed dump held is not put back yet; the next ckpt "
                 "command on it tries again", id);
    return;
  }
  fsys::remove_all(dir, ec);
}

}  // namespace ckpt::runtime
