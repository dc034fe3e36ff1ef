#include "common/ptrace/injection.h"

#include <sys/mman.h>
#include <sys/syscall.h>

#include "common/error.h"
#include "common/error_kind.h"
#include "common/log.h"
#include "common/proc/maps.h"
#include "common/ptrace/remote_memory.h"
#include "common/ptrace/trampoline.h"
#include "common/ptrace/tracee.h"

namespace ckpt::ptrace {

// A process being rebuilt keeps the trampoline at the start of its area (restore/seize.h leaves
// room for it); a dumped one has it in a page after its `spec.size` bytes of data.
namespace {

// Before any call is injected: in a thread dispatching its calls, each would raise SIGSYS
// (or kill it, for a selector it cannot read), unless its selector says ALLOW, as it does
// while a program that switches it (Wine, emulators) runs its own code or waits in a call.
void refuse_syscall_user_dispatch(pid_t pid, pid_t tid) {
  SyscallDispatch dispatch = get_syscall_dispatch(tid);
  if (dispatch.mode == 0) return;
  constexpr char kAllow = 0;  // SYSCALL_DISPATCH_FILTER_ALLOW
  std::string why = "without a selector";
  if (dispatch.selector != 0) {
    char selector = kAllow;
    try {
      read_memory(pid, dispatch.selector, &selector, 1);
    } catch (const Error&) {
      selector = -1;
      why = fmt::format("its selector at {:#x} cannot be read", dispatch.selector);
    }
    if (selector == kAllow) return;
    if (selector != -1)
      why = fmt::format("its selector at {:#x} says {}, not ALLOW", dispatch.selector,
                        static_cast<int>(selector));
  }
  fail(ErrorKind::kRefused,
       "process {} (thread {}) has syscall user dispatch on ({}): each call ckpt injects would "
       "raise SIGSYS in it; not supported",
       pid, tid, why);
}

}  // namespace

Injection::Injection(pid_t pid, pid_t tid, const ScratchSpec& spec)
    : pid_(pid),
      size_(spec.own_syscall_insn ? spec.size : spec.size + 4096),
      unmap_from_vdso_(!spec.own_syscall_insn) {
  refuse_syscall_user_dispatch(pid, tid);
  area_insn_ = vdso_syscall_insn(pid);
  main_ = std::make_unique<RemoteSyscall>(tid, area_insn_);
  if (unmap_from_vdso_) {
    patch_ = VdsoPatch::write(pid);
    if (patch_) area_insn_ = patch_->syscall_insn();
    main_->set_syscall_insn(area_insn_);
  }
  // A dumped process gets no writable executable page: under prctl(PR_SET_MDWE) it could not
  // have one. Its data part is mapped read-write, then its code page afresh read-execute (a new
  // mapping may be executable there, an mprotect may not), written through /proc/PID/mem.
  bool own_code_page = !spec.own_syscall_insn;
  uint64_t prot = PROT_READ | PROT_WRITE | (own_code_page ? 0 : PROT_EXEC);
  uint64_t flags = MAP_PRIVATE | MAP_ANONYMOUS | (spec.address ? MAP_FIXED_NOREPLACE : 0);
  main_->set_scratch(0, size_);
  scratch_ = main_->checked("mmap scratch", SYS_mmap, spec.address, size_, prot, flags,
                            static_cast<uint64_t>(-1), 0);
  main_->set_scratch(scratch_, size_);
  uint64_t code_offset = own_code_page ? spec.size : 0;
  if (own_code_page) {
    main_->checked("mmap scratch code", SYS_mmap, scratch_ + code_offset, size_ - code_offset,
                   PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
                   static_cast<uint64_t>(-1), 0);
    write_code(pid_, scratch_ + code_offset, kParkingTrampoline, kParkingTrampolineSize);
  } else {
    write(code_offset, kParkingTrampoline, kParkingTrampolineSize);
  }
  syscall_insn_ = scratch_ + code_offset;
  main_->set_syscall_insn(syscall_insn_);
}

Injection::~Injection() {
  if (!scratch_) return;
  try {
    unmap_scratch();
  } catch (const std::exception& e) {  // the process died (a failed restore killed it)
    spdlog::debug("scratch area of {} not unmapped: {}", pid_, e.what());
  }
}

void Injection::unmap_scratch() {
  if (unmap_from_vdso_) main_->set_syscall_insn(area_insn_);
  main_->checked("munmap scratch", SYS_munmap, scratch_, size_);
  scratch_ = 0;
  main_->set_scratch(0, 0);
}

std::unique_ptr<RemoteSyscall> Injection::on_thread(pid_t tid) const {
  refuse_syscall_user_dispatch(pid_, tid);
  auto thread = std::make_unique<RemoteSyscall>(tid, syscall_insn_);
  thread->set_scratch(scratch_, size_);
  return thread;
}

void Injection::read(uint64_t offset, void* out, size_t size) const {
  read_memory(pid_, scratch_ + offset, out, size);
}

void Injection::write(uint64_t offset, const void* data, size_t size) const {
  write_memory(pid_, scratch_ + offset, data, size);
}

void Injection::finish(const user_regs_struct& regs, uint64_t sigmask) {
  unmap_scratch();
  main_->finish(regs, sigmask);
}

}  // namespace ckpt::ptrace
