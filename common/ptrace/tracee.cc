#include "common/ptrace/tracee.h"

#include <thread>

#include <elf.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <cerrno>

#include "common/error.h"

namespace ckpt::ptrace {
namespace {

// The ptrace requests of syscall user dispatch (6.0; 0x4210 sets, 0x4211 reads) and the mode
// PR_SYS_DISPATCH_INCLUSIVE_ON (6.17).
constexpr int kPtraceSetSyscallDispatch = 0x4210;
constexpr int kPtraceGetSyscallDispatch = 0x4211;
constexpr uint64_t kDispatchInclusive = 2;

constexpr long kErestartSys = 512;
constexpr long kErestartNoIntr = 513;
constexpr long kErestartNoHand = 514;
constexpr long kErestartRestartBlock = 516;

void get_regset(pid_t tid, int type, void* data, size_t* size) {
  iovec iov{data, *size};
  if (::ptrace(PTRACE_GETREGSET, tid, type, &iov) != 0)
    throw_errno("PTRACE_GETREGSET {} of {}", type, tid);
  *size = iov.iov_len;
}

void set_regset(pid_t tid, int type, const void* data, size_t size) {
  iovec iov{const_cast<void*>(data), size};
  if (::ptrace(PTRACE_SETREGSET, tid, type, &iov) != 0)
    throw_errno("PTRACE_SETREGSET {} of {}", type, tid);
}

}  // namespace

bool suspends_seccomp() {
  static const bool suspends = [] {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    if (::syscall(SYS_capget, &header, data) != 0) return false;
    return (data[0].effective & (1u << CAP_SYS_ADMIN)) != 0 && ::prctl(PR_GET_SECCOMP) == 0;
  }();
  return suspends;
}

static_assert(sizeof(SyscallDispatch) == 32, "struct ptrace_sud_config");

SyscallDispatch get_syscall_dispatch(pid_t tid) {
  SyscallDispatch config;
  if (::ptrace(static_cast<__ptrace_request>(kPtraceGetSyscallDispatch), tid, sizeof config,
               &config) == 0)
    return config;
  if (errno == EIO) return {};  // a kernel without the request
  throw_errno("PTRACE_GET_SYSCALL_USER_DISPATCH_CONFIG of thread {}", tid);
}

void set_syscall_dispatch(pid_t tid, const SyscallDispatch& dispatch) {
  SyscallDispatch config = dispatch;
  if (config.mode != 0 && config.offset != 0 && config.offset + config.len <= config.offset) {
    config.mode = kDispatchInclusive;  // set with the range it was given, as prctl() takes it
    config.len = -config.len;
    config.offset -= config.len;
  }
  if (::ptrace(static_cast<__ptrace_request>(kPtraceSetSyscallDispatch), tid, sizeof config,
               &config) != 0)
    throw_errno("PTRACE_SET_SYSCALL_USER_DISPATCH_CONFIG of thread {} (mode {}, range {:#x}+{:#x}, "
                "selector {:#x})", tid, config.mode, config.offset, config.len, config.selector);
}

unsigned default_options() {
  unsigned options = PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL;
  return suspends_seccomp() ? options | PTRACE_O_SUSPEND_SECCOMP : options;
}

bool seize(pid_t tid, unsigned options) {
  if (::ptrace(PTRACE_SEIZE, tid, nullptr, options) == 0) return true;
  if (errno == ESRCH) return false;
  throw_errno("PTRACE_SEIZE {}", tid);
}

void set_options(pid_t tid, unsigned options) {
  if (::ptrace(PTRACE_SETOPTIONS, tid, nullptr, options) != 0)
    throw_errno("PTRACE_SETOPTIONS {}", tid);
}

bool interrupt(pid_t tid) {
  if (::ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr) == 0) return true;
  if (errno == ESRCH) return false;
  throw_errno("PTRACE_INTERRUPT {}", tid);
}

int wait_stop(pid_t tid, std::chrono::milliseconds timeout) {
  int status = 0;
  if (timeout.count() <= 0) {
    while (::waitpid(tid, &status, __WALL) < 0) {
      if (errno != EINTR) throw_errno("waitpid {}", tid);
    }
  } else {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    auto pause = std::chrono::microseconds(50);
    for (;;) {
      pid_t got = ::waitpid(tid, &status, __WALL | WNOHANG);
      if (got == tid) break;
      if (got < 0 && errno != EINTR) throw_errno("waitpid {}", tid);
      if (std::chrono::steady_clock::now() >= deadline)
        fail("thread {} did not stop within {} ms", tid, timeout.count());
      std::this_thread::sleep_for(pause);
      pause = std::min<std::chrono::microseconds>(pause * 2, std::chrono::milliseconds(5));
    }
  }
  if (WIFEXITED(status) || WIFSIGNALED(status))
    fail("thread {} exited while traced (status {:#x})", tid, status);
  return status;
}

void resume(pid_t tid, bool to_syscall, int sig) {
  if (::ptrace(to_syscall ? PTRACE_SYSCALL : PTRACE_CONT, tid, nullptr, sig) != 0)
    throw_errno("resume {}", tid);
}

void detach(pid_t tid, int sig) {
  if (::ptrace(PTRACE_DETACH, tid, nullptr, sig) != 0 && errno != ESRCH)
    throw_errno("PTRACE_DETACH {}", tid);
}

user_regs_struct get_regs(pid_t tid) {
  user_regs_struct regs{};
  size_t size = sizeof regs;
  get_regset(tid, NT_PRSTATUS, &regs, &size);
  return regs;
}

void set_regs(pid_t tid, const user_regs_struct& regs) {
  set_regset(tid, NT_PRSTATUS, &regs, sizeof regs);
}

FpuState get_fpu(pid_t tid) {
  FpuState state;
  state.bytes.resize(16384);
  size_t size = state.bytes.size();
  iovec iov{state.bytes.data(), size};
  if (::ptrace(PTRACE_GETREGSET, tid, NT_X86_XSTATE, &iov) == 0) {
    state.bytes.resize(iov.iov_len);
    return state;
  }
  size = sizeof(user_fpregs_struct);
  state.bytes.resize(size);
  get_regset(tid, NT_PRFPREG, state.bytes.data(), &size);
  state.fxsave_only = true;
  return state;
}

void set_fpu(pid_t tid, const FpuState& state) {
  set_regset(tid, state.fxsave_only ? NT_PRFPREG : NT_X86_XSTATE, state.bytes.data(),
             state.bytes.size());
}

uint64_t get_sigmask(pid_t tid) {
  uint64_t mask = 0;
  if (::ptrace(PTRACE_GETSIGMASK, tid, sizeof mask, &mask) != 0)
    throw_errno("PTRACE_GETSIGMASK {}", tid);
  return mask;
}

void set_sigmask(pid_t tid, uint64_t mask) {
  if (::ptrace(PTRACE_SETSIGMASK, tid, sizeof mask, &mask) != 0)
    throw_errno("PTRACE_SETSIGMASK {}", tid);
}

RseqConfig get_rseq(pid_t tid) {
  struct {
    uint64_t rseq_abi_pointer;
    uint32_t rseq_abi_size;
    uint32_t signature;
    uint32_t flags;
    uint32_t pad;
  } config{};
  if (::ptrace(static_cast<__ptrace_request>(0x420f), tid, sizeof config, &config) < 0)
    throw_errno("PTRACE_GET_RSEQ_CONFIGURATION {}", tid);
  return {config.rseq_abi_pointer, config.rseq_abi_size, config.signature};
}

std::vector<siginfo_t> peek_pending(pid_t tid, bool shared) {
  std::vector<siginfo_t> out;
  for (;;) {
    __ptrace_peeksiginfo_args args{
        out.size(), shared ? static_cast<uint32_t>(PTRACE_PEEKSIGINFO_SHARED) : 0u, 32};
    siginfo_t batch[32];
    long n = ::ptrace(PTRACE_PEEKSIGINFO, tid, &args, batch);
    if (n < 0) throw_errno("PTRACE_PEEKSIGINFO {}", tid);
    if (n == 0) return out;
    out.insert(out.end(), batch, batch + n);
  }
}

user_regs_struct with_syscall_restarted(user_regs_struct regs, bool restart_block_ok) {
  if (static_cast<long>(regs.orig_rax) < 0) return regs;
  switch (static_cast<long>(regs.rax)) {
    case -kErestartSys:
    case -kErestartNoIntr:
    case -kErestartNoHand:
      regs.rax = regs.orig_rax;
      regs.rip -= 2;
      break;
    case -kErestartRestartBlock:
      regs.rax = restart_block_ok ? SYS_restart_syscall : regs.orig_rax;
      regs.rip -= 2;
      break;
    default:
      break;
  }
  return regs;
}

}  // namespace ckpt::ptrace
