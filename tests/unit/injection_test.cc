// Injected system calls in a dump: the vdso patch they map their scratch area from, the
// journal a killed dump leaves for the next command (common/ptrace/injection_journal.h), and a
// thread's syscall user dispatch, read and set again through ptrace (common/ptrace/tracee.h).
#include <signal.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>

#include "common/proc/maps.h"
#include "common/ptrace/injection.h"
#include "common/ptrace/injection_journal.h"
#include "common/ptrace/remote_memory.h"
#include "common/ptrace/remote_syscall.h"
#include "common/ptrace/tracee.h"
#include "common/ptrace/trampoline.h"
#include "files_test_support.h"

using namespace ckpt;

namespace {

void seize_stopped(pid_t pid) {
  REQUIRE(ptrace::seize(pid, PTRACE_O_TRACESYSGOOD));
  REQUIRE(ptrace::interrupt(pid));
  ptrace::wait_stop(pid);
}

void kill_child(pid_t pid) {
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

// A child waiting in pause(), seized and stopped; killed at the end.
struct StoppedChild {
  pid_t pid = ::fork();
  StoppedChild() {
    if (pid == 0) {
      for (;;) ::pause();
    }
    seize_stopped(pid);
  }
  ~StoppedChild() { kill_child(pid); }
};

std::string vdso_tail(pid_t pid) {
  for (const auto& map : proc::read_maps(pid))
    if (map.name == "[vdso]") {
      std::string bytes(ptrace::kParkingTrampolineSize, '\0');
      ptrace::read_memory(pid, map.end - 16, bytes.data(), bytes.size());
      return bytes;
    }
  FAIL("no vdso");
  return "";
}

std::string trampoline() {
  return {reinterpret_cast<const char*>(ptrace::kParkingTrampoline),
          ptrace::kParkingTrampolineSize};
}

}  // namespace

TEST_CASE("a dump's injection maps its scratch area from a vdso patch, put back after it") {
  if (files_test::skip_unless_root()) return;
  files_test::TempDir dir("ckpt-injection-journal");
  StoppedChild child;
  std::string tail = vdso_tail(child.pid);
  if (tail != std::string(tail.size(), '\0')) {
    WARN("skipped: this kernel's vdso has no free tail");
    return;
  }
  auto regs = ptrace::get_regs(child.pid);
  auto mask = ptrace::get_sigmask(child.pid);
  ptrace::set_injection_journal(dir.path);
  {
    ptrace::Injection injection(child.pid, child.pid);
    CHECK(vdso_tail(child.pid) == trampoline());
    auto journal = ptrace::read_injection_journal(dir.path);
    REQUIRE(journal.patches.size() == 1);
    CHECK(journal.patches[0].pid == child.pid);
    CHECK(std::string(reinterpret_cast<const char*>(journal.patches[0].original),
                      journal.patches[0].size) == tail);
    REQUIRE(journal.threads.size() == 1);
    CHECK(journal.threads[0].scratch == injection.scratch());
    CHECK(journal.threads[0].regs.rip == ptrace::with_syscall_restarted(regs, true).rip);
    CHECK(journal.threads[0].sigmask == mask);
    CHECK(ptrace::get_sigmask(child.pid) == ptrace::kInjectionSigmask);
    {
      // A call on the thread the injection holds: the journal keeps the thread's own registers.
      auto again = injection.on_thread(child.pid);
      CHECK(again->call(SYS_getpid) == child.pid);
    }
    journal = ptrace::read_injection_journal(dir.path);
    REQUIRE(journal.threads.size() == 1);
    CHECK(journal.threads[0].regs.rip == ptrace::with_syscall_restarted(regs, true).rip);
    CHECK(journal.threads[0].sigmask == mask);
  }
  ptrace::set_injection_journal("");
  CHECK(vdso_tail(child.pid) == tail);
  auto journal = ptrace::read_injection_journal(dir.path);
  CHECK(journal.threads.empty());
  CHECK(journal.patches.empty());
  CHECK(ptrace::get_regs(child.pid).rip == ptrace::with_syscall_restarted(regs, true).rip);
  CHECK(ptrace::get_sigmask(child.pid) == mask);
}

namespace {

// The descriptors of `pid` that /proc shows as `link`.
int fds_shown_as(pid_t pid, std::string_view link) {
  int count = 0;
  for (const auto& fd : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) {
    std::error_code ec;
    if (std::filesystem::read_symlink(fd.path(), ec).string() == link) ++count;
  }
  return count;
}

}  // namespace

TEST_CASE("a descriptor made in the process for ckpt is journalled until it is closed there") {
  if (files_test::skip_unless_root()) return;
  files_test::TempDir dir("ckpt-injection-made-fd");
  StoppedChild child;
  ptrace::set_injection_journal(dir.path);
  {
    ptrace::Injection injection(child.pid, child.pid);
    auto& main = injection.main();
    int error = 0;
    UniqueFd ours = ptrace::take_made_fd(main, child.pid, ptrace::kUserfaultfdLink,
                                         SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK, error);
    if (!ours) {
      WARN("skipped: no userfaultfd here: " << std::strerror(error));
      ptrace::set_injection_journal("");
      return;
    }
    CHECK(fds_shown_as(child.pid, ptrace::kUserfaultfdLink) == 0);
    auto journal = ptrace::read_injection_journal(dir.path);
    REQUIRE(journal.threads.size() == 1);
    CHECK(journal.made_fds.empty());

    // What a ckpt killed right after the call leaves: the number, the call's trampoline, the
    // link, in a file of its own (older builds, which read only entries of a thread's size,
    // skip it and still put the thread back).
    main.set_made_fd(ptrace::kMadeFdUnknown, ptrace::kUserfaultfdLink);
    journal = ptrace::read_injection_journal(dir.path);
    REQUIRE(journal.made_fds.size() == 1);
    CHECK(journal.made_fds[0].tid == child.pid);
    CHECK(journal.made_fds[0].fd == ptrace::kMadeFdUnknown);
    CHECK(journal.made_fds[0].call != 0);
    long made = main.call(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
    REQUIRE(made >= 0);
    main.set_made_fd(made, ptrace::kUserfaultfdLink);
    journal = ptrace::read_injection_journal(dir.path);
    REQUIRE(journal.made_fds.size() == 1);
    CHECK(journal.made_fds[0].fd == made);
    CHECK(std::string(journal.made_fds[0].link) == ptrace::kUserfaultfdLink);
    CHECK(std::filesystem::file_size(dir.path + "/" + std::to_string(child.pid)) ==
          sizeof(ptrace::JournalEntry));
    CHECK(fds_shown_as(child.pid, ptrace::kUserfaultfdLink) == 1);
    CHECK(main.call(SYS_close, static_cast<uint64_t>(made)) == 0);
    main.set_made_fd(ptrace::kNoMadeFd);
    CHECK(ptrace::read_injection_journal(dir.path).made_fds.empty());
  }
  ptrace::set_injection_journal("");
  CHECK(ptrace::read_injection_journal(dir.path).threads.empty());
}

namespace {

volatile char dispatch_selector = 0;  // SYSCALL_DISPATCH_FILTER_ALLOW

// A child that turned syscall user dispatch on in `mode` for [0x10000, 0x11000) and waits in
// pause() (outside the range, selector at ALLOW: never dispatched), seized and stopped.
struct DispatchingChild {
  int pipe_fds[2] = {-1, -1};
  pid_t pid = -1;
  bool enabled = false;
  explicit DispatchingChild(unsigned long mode) {
    REQUIRE(::pipe(pipe_fds) == 0);
    pid = ::fork();
    if (pid == 0) {
      char ok = ::prctl(59, mode, 0x10000ul, 0x1000ul, &dispatch_selector) == 0 ? 'y' : 'n';
      if (::write(pipe_fds[1], &ok, 1) != 1) ::_exit(1);
      for (;;) ::pause();
    }
    char ok = 0;
    REQUIRE(::read(pipe_fds[0], &ok, 1) == 1);
    enabled = ok == 'y';
    seize_stopped(pid);
  }
  ~DispatchingChild() {
    kill_child(pid);
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
  }
};

}  // namespace

TEST_CASE("syscall user dispatch is read and set again through ptrace in the mode it was set in") {
  if (files_test::skip_unless_root()) return;
  for (unsigned long mode : {1ul, 2ul}) {  // exclusive, inclusive (6.17)
    DispatchingChild child(mode);
    if (!child.enabled) {
      WARN("skipped: this kernel has no syscall user dispatch mode " << mode);
      continue;
    }
    ptrace::SyscallDispatch read = ptrace::get_syscall_dispatch(child.pid);
    CHECK(read.mode == 1);  // both modes show as PR_SYS_DISPATCH_ON
    CHECK(read.selector == reinterpret_cast<uint64_t>(&dispatch_selector));
    if (mode == 1) {
      CHECK(read.offset == 0x10000);
      CHECK(read.len == 0x1000);
    } else {  // kept inverted: from the range's end, length negated
      CHECK(read.offset == 0x11000);
      CHECK(read.len == static_cast<uint64_t>(-0x1000));
    }
    ptrace::set_syscall_dispatch(child.pid, {});
    CHECK(ptrace::get_syscall_dispatch(child.pid).mode == 0);
    ptrace::set_syscall_dispatch(child.pid, read);
    ptrace::SyscallDispatch again = ptrace::get_syscall_dispatch(child.pid);
    CHECK(again.mode == read.mode);
    CHECK(again.selector == read.selector);
    CHECK(again.offset == read.offset);
    CHECK(again.len == read.len);
  }
}
