#include "common/ptrace/injection.h"

#include <sys/mman.h>
#include <sys/syscall.h>

#include "common/error.h"
#include "common/log.h"
#include "common/proc/maps.h"
#include "common/ptrace/remote_memory.h"

namespace ckpt::ptrace {
namespace {

uint64_t vdso_syscall_insn(pid_t pid) {
  for (const auto& map : proc::read_maps(pid))
    if (map.name == "[vdso]") return find_syscall_insn(pid, map.start, map.end);
  fail("process {} has no [vdso] to run system calls from", pid);
}

}  // namespace

Injection::Injection(pid_t pid, pid_t tid, const ScratchSpec& spec) : pid_(pid), size_(spec.size) {
  syscall_insn_ = vdso_syscall_insn(pid);
  main_ = std::make_unique<RemoteSyscall>(tid, syscall_insn_);
  uint64_t prot = PROT_READ | PROT_WRITE | (spec.own_syscall_insn ? PROT_EXEC : 0);
  uint64_t flags = MAP_PRIVATE | MAP_ANONYMOUS | (spec.address ? MAP_FIXED_NOREPLACE : 0);
  scratch_ = main_->checked("mmap scratch", SYS_mmap, spec.address, size_, prot, flags,
                            static_cast<uint64_t>(-1), 0);
  if (spec.own_syscall_insn) {
    const unsigned char code[] = {0x0f, 0x05, 0xcc};  // syscall; int3
    write(0, code, sizeof code);
    syscall_insn_ = scratch_;
    main_->set_syscall_insn(syscall_insn_);
  }
}

Injection::~Injection() {
  if (!scratch_) return;
  try {
    if (main_->call(SYS_munmap, scratch_, size_) != 0)
      spdlog::warn("cannot unmap the scratch area of {}", pid_);
  } catch (const std::exception& e) {  // the process died (a failed restore killed it)
    spdlog::debug("scratch area of {} not unmapped: {}", pid_, e.what());
  }
}

std::unique_ptr<RemoteSyscall> Injection::on_thread(pid_t tid) const {
  return std::make_unique<RemoteSyscall>(tid, syscall_insn_);
}

void Injection::read(uint64_t offset, void* out, size_t size) const {
  read_memory(pid_, scratch_ + offset, out, size);
}

void Injection::write(uint64_t offset, const void* data, size_t size) const {
  write_memory(pid_, scratch_ + offset, data, size);
}

void Injection::finish(const user_regs_struct& regs, uint64_t sigmask) {
  main_->checked("munmap scratch", SYS_munmap, scratch_, size_);
  scratch_ = 0;
  main_->finish(regs, sigmask);
}

}  // namespace ckpt::ptrace
