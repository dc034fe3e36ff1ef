// Another process's memory through process_vm_readv/writev, in large batches.
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

// Scatter/gather: `remote` ranges of `pid` to/from one contiguous local buffer (same total size).
void read_ranges(pid_t pid, std::span<const iovec> remote, void* out);
void write_ranges(pid_t pid, std::span<const iovec> remote, const void* data);

}  // namespace ckpt::ptrace
