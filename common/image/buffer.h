// A reusable byte buffer that never zero-fills: streams recycle a few of these instead of
// allocating (and page-faulting) megabytes per chunk.
#pragma once

#include <cstddef>
#include <memory>
#include <span>

namespace ckpt::image {

class Buffer {
 public:
  // Makes room for `size` bytes (contents undefined if it had to grow) and sets size().
  void resize(size_t size) {
    if (size > capacity_) {
      data_ = std::make_unique_for_overwrite<std::byte[]>(size);
      capacity_ = size;
    }
    size_ = size;
  }
  // Makes room for `capacity` bytes without changing size() (nothing faulted in).
  void reserve(size_t capacity) {
    if (capacity <= capacity_) return;
    data_ = std::make_unique_for_overwrite<std::byte[]>(capacity);
    capacity_ = capacity;
    size_ = 0;
  }
  std::byte* data() { return data_.get(); }
  const std::byte* data() const { return data_.get(); }
  size_t size() const { return size_; }
  std::span<std::byte> span() { return {data_.get(), size_}; }
  std::span<const std::byte> span() const { return {data_.get(), size_}; }

 private:
  std::unique_ptr<std::byte[]> data_;
  size_t capacity_ = 0;
  size_t size_ = 0;
};

}  // namespace ckpt::image
