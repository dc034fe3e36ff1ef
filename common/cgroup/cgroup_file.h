// One cgroupfs file: read as text or integer, written with one write(2); errors name the file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace ckpt::cgroup {

class CgroupFile {
 public:
  explicit CgroupFile(std::filesystem::path path) : path_(std::move(path)) {}

  bool exists() const;
  std::optional<std::string> read() const;  // trimmed; nullopt when the file does not exist
  // nullopt when missing or "max"/unlimited (values at or above `unlimited_from`).
  std::optional<int64_t> read_int(int64_t unlimited_from = INT64_MAX) const;
  void write(const std::string& value) const;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// v1 memory files print this (PAGE_COUNTER_MAX pages, rounded) for "no limit".
inline constexpr int64_t kV1MemoryUnlimited = 0x7ffffffffffff000LL;

}  // namespace ckpt::cgroup
