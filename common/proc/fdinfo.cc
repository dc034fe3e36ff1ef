#include "common/proc/fdinfo.h"

#include <charconv>
#include <string>

#include "common/error.h"
#include "common/fs.h"
#include "common/proc/key_value.h"

namespace ckpt::proc {

namespace {

template <typename T>
T parse_number(std::string_view key, std::string_view value, int base) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  T out{};
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), out, base);
  if (ec != std::errc() || value.empty()) fail("fdinfo: bad value for {}: '{}'", key, value);
  (void)end;
  return out;
}

void apply_field(FdInfo& info, std::string_view key, std::string_view value, bool& has_pos,
                 bool& has_flags) {
  if (key == "pos") {
    info.pos = parse_number<int64_t>(key, value, 10);
    has_pos = true;
  } else if (key == "flags") {
    info.flags = parse_number<uint32_t>(key, value, 8);
    has_flags = true;
  } else if (key == "mnt_id") {
    info.mnt_id = parse_number<int32_t>(key, value, 10);
  } else if (key == "ino") {
    info.ino = parse_number<uint64_t>(key, value, 10);
  } else if (key == "eventfd-count") {
    info.eventfd_count = parse_number<uint64_t>(key, value, 16);
  } else if (key == "eventfd-semaphore") {
    info.eventfd_semaphore = parse_number<int>(key, value, 10) != 0;
  } else if (key == "Pid") {
    info.pid = parse_number<int32_t>(key, value, 10);
  } else if (key == "lock") {
    info.locks.push_back(parse_lock_line(value));
  }
}

}  // namespace

FdInfo parse_fdinfo(std::string_view text) {
  FdInfo info;
  bool has_pos = false;
  bool has_flags = false;
  for (const auto& [key, value] : key_value_lines(text))
    apply_field(info, key, value, has_pos, has_flags);
  if (!has_pos || !has_flags) fail("fdinfo: pos or flags missing");
  return info;
}

std::string read_fdinfo_text(pid_t pid, int fd) {
  return fs::read_file("/proc/" + std::to_string(pid) + "/fdinfo/" + std::to_string(fd));
}

std::string read_fdinfo_text(pid_t pid, int fd, const FdinfoTexts& before) {
  auto it = before.find({pid, fd});
  return it != before.end() ? it->second : read_fdinfo_text(pid, fd);
}

FdInfo read_fdinfo(pid_t pid, int fd) {
  std::string text = read_fdinfo_text(pid, fd);
  try {
    return parse_fdinfo(text);
  } catch (const Error& e) {
    fail("/proc/{}/fdinfo/{}: {}", pid, fd, e.what());
  }
}

}  // namespace ckpt::proc
