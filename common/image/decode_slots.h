// The buffers a reader decodes chunks in: a slot per chunk in flight on the decoding threads,
// the buffers kept from one read to the next (reader.cc, reader_stream.cc).
#pragma once

#include <deque>
#include <future>
#include <mutex>
#include <vector>

#include "common/image/buffer.h"

namespace ckpt::image {

struct Slot {
  Buffer stored;
  Buffer raw;
  std::future<void> loaded;
};

// Decoding buffers kept from one read to the next, of any reader of the process: a chain of
// images reads a dozen streams, and each read would otherwise fault in its megabytes anew.
class SpareBuffers {
 public:
  static SpareBuffers& instance() {
    static SpareBuffers spares;
    return spares;
  }
  // Room for a whole stream chunk at least: the spares take turns holding a chunk as stored
  // (compressed, often ~half of it) and decoded, so one sized for the smaller was made again, and
  // faulted in again, at each read that gave it the larger (~3k page faults per read of a 4 MiB
  // chunk stream, a dozen reads along a chain of images).
  Buffer take() {
    Buffer b;
    {
      std::lock_guard lock(mutex_);
      if (!buffers_.empty()) {
        b = std::move(buffers_.back());
        buffers_.pop_back();
      }
    }
    b.reserve(kCapacity);
    return b;
  }
  void give(Buffer b) {
    std::lock_guard lock(mutex_);
    if (buffers_.size() < kKept) buffers_.push_back(std::move(b));
  }

 private:
  static constexpr size_t kKept = 16;  // slots of a few reads at once, ~4 MiB each
  static constexpr size_t kCapacity = 4u << 20;  // WriterOptions::chunk_size's default
  std::mutex mutex_;
  std::vector<Buffer> buffers_;
};

// Two spare buffers for a read on the caller's thread, given back when it ends.
struct SparePair {
  Buffer stored = SpareBuffers::instance().take();
  Buffer raw = SpareBuffers::instance().take();
  ~SparePair() {
    SpareBuffers::instance().give(std::move(stored));
    SpareBuffers::instance().give(std::move(raw));
  }
};

// Waits for every job still using the slots, also when the consumer throws; then their buffers
// are kept for the next read.
struct SlotsGuard {
  std::deque<Slot>& slots;
  explicit SlotsGuard(std::deque<Slot>& s) : slots(s) {
    for (Slot& slot : slots) {
      slot.stored = SpareBuffers::instance().take();
      slot.raw = SpareBuffers::instance().take();
    }
  }
  ~SlotsGuard() {
    for (Slot& s : slots) {
      if (s.loaded.valid()) s.loaded.wait();
      SpareBuffers::instance().give(std::move(s.stored));
      SpareBuffers::instance().give(std::move(s.raw));
    }
  }
};

}  // namespace ckpt::image
