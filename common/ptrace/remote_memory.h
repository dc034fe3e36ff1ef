// Another process's memory through process_vm_readv/writev, in large batches, and its code
// through /proc/PID/mem.
#pragma once

#include <sys/types.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <span>

namespace ckpt::ptrace {

// Exactly `size` bytes at `address` of `pid`, or throws.
void read_memory(pid_t pid, uint64_t address, void* out, size_t size);
void write_memory(pid_t pid, uint64_t address, const void* data, size_t size);
// Writes into memory the process cannot write itself (code, its vdso): /proc/PID/mem writes with
// FOLL_FORCE, so that a private read-only mapping gets its own copy of the page, as a debugger's
// breakpoint does. The caller must be allowed to ptrace `pid`.
void write_code(pid_t pid, uint64_t address, const void* data, size_t size);

// Scatter/gather: `remote` ranges of `pid` to/from one contiguous local buffer (same total size).
void read_ranges(pid_t pid, std::span<const iovec> remote, void* out);
void write_ranges(pid_t pid, std::span<const iovec> remote, const void* data);

}  // namespace ckpt::ptrace
