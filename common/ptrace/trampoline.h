// The code injected system calls run from (common/ptrace/injection.h): the call, its result
// kept in rdi, then pause() for good. A thread whose tracer died (`kill -9` of ckpt) while a
// call ran ends parked in the loop, every signal blocked, instead of running on with the
// call's registers; rdi tells what a call that mapped something got (the scratch area, when the
// tracer died before it could record it).
#pragma once

#include <cstddef>
#include <cstdint>

namespace ckpt::ptrace {

inline constexpr unsigned char kParkingTrampoline[] = {
    0x0f, 0x05,                    // +0 syscall
    0x48, 0x89, 0xc7,              // +2 mov rdi, rax
    0xb8, 0x22, 0x00, 0x00, 0x00,  // +5 mov eax, 34 (SYS_pause)
    0x0f, 0x05,                    // +10 syscall
    0xeb, 0xf7,                    // +12 jmp +5
};
inline constexpr size_t kParkingTrampolineSize = sizeof kParkingTrampoline;

// Whether `rip` is inside a trampoline written at `address`.
inline bool in_trampoline(uint64_t rip, uint64_t address) {
  return address != 0 && rip >= address && rip <= address + kParkingTrampolineSize;
}

}  // namespace ckpt::ptrace
