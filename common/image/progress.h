// Counters the image writer and reader of this process advance as sections go by, for the
// progress line of dump and restore drawn from another thread (one pipeline per process).
#pragma once

#include <atomic>
#include <cstdint>

#include "common/image/section_type.h"

namespace ckpt::image {

// Whether sections of `type` hold memory pages (of processes, shared objects, SysV segments).
inline bool is_memory(SectionType type) {
  return type == SectionType::kPages || type == SectionType::kSharedMem ||
         type == SectionType::kIpcShmData;
}

struct Progress {
  std::atomic<uint64_t> raw_bytes{0};     // payload bytes before compression / after decompression
  std::atomic<uint64_t> memory_bytes{0};  // of which memory pages
  std::atomic<uint64_t> file_bytes{0};    // image bytes written / read

  void add(SectionType type, uint64_t raw, uint64_t stored) {
    raw_bytes.fetch_add(raw, std::memory_order_relaxed);
    if (is_memory(type)) memory_bytes.fetch_add(raw, std::memory_order_relaxed);
    file_bytes.fetch_add(stored, std::memory_order_relaxed);
  }
};

// This process's counters: written sections count in writes, read payloads in reads.
struct ImageProgress {
  Progress written;
  Progress read;
};
inline ImageProgress& progress() {
  static ImageProgress counters;
  return counters;
}

}  // namespace ckpt::image
