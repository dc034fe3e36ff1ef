// Small file helpers with errors that name the path.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ckpt::fs {

// Whole contents of a (small) file, e.g. under /proc or a cgroupfs.
std::string read_file(const std::filesystem::path& path);
// Like read_file, but nullopt when the file does not exist.
std::optional<std::string> try_read_file(const std::filesystem::path& path);
// First line without the trailing newline.
std::string read_line(const std::filesystem::path& path);
// Writes `value` with a single write(2), as cgroupfs and /proc/sys files expect.
void write_file(const std::filesystem::path& path, const std::string& value);
// Writes `data` to `path` atomically: temp file in the same directory, fsync, rename.
void write_file_atomic(const std::filesystem::path& path, const std::string& data, int mode = 0600);

// Writes all of `data` to `fd`, retrying short writes; throws naming `what`.
void write_all(int fd, std::span<const std::byte> data, const char* what);
// The same without throwing: false when the fd failed (a closed pipe, a gone peer).
bool try_write_all(int fd, std::string_view data);

// The data ranges of a (possibly sparse) file of `size` bytes, as offset/length pairs
// (SEEK_DATA/SEEK_HOLE): holes are left out.
std::vector<uint64_t> data_extents(int fd, uint64_t size);

// Trims whitespace at both ends.
std::string trim(std::string s);

}  // namespace ckpt::fs
