#include "common/proc/locks.h"

#include <fmt/format.h>

#include <charconv>
#include <sstream>

#include "common/error.h"

namespace ckpt::proc {

namespace {

template <typename T>
T number(std::string_view line, const std::string& text, int base = 10) {
  T out{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out, base);
  if (ec != std::errc() || end != text.data() + text.size())
    fail("lock line '{}': bad number '{}'", line, text);
  return out;
}

LockKind kind_of(const std::string& text) {
  if (text == "POSIX") return LockKind::kPosix;
  if (text == "OFDLCK") return LockKind::kOfd;
  if (text == "FLOCK") return LockKind::kFlock;
  if (text == "LEASE") return LockKind::kLease;
  return LockKind::kOther;
}

void parse_device(std::string_view line, const std::string& text, LockLine& lock) {
  if (text == "<none>:0") return;  // a request with no file (a lease's breaker waiting): 0:0:0
  size_t first = text.find(':');
  size_t second = text.find(':', first + 1);
  if (first == std::string::npos || second == std::string::npos)
    fail("lock line '{}': bad inode '{}'", line, text);
  lock.dev_major = number<unsigned>(line, text.substr(0, first), 16);
  lock.dev_minor = number<unsigned>(line, text.substr(first + 1, second - first - 1), 16);
  lock.ino = number<uint64_t>(line, text.substr(second + 1));
}

}  // namespace

LockLine parse_lock_line(std::string_view line) {
  std::istringstream in{std::string(line)};
  std::vector<std::string> words;
  for (std::string word; in >> word;) words.push_back(word);
  size_t at = 0;
  if (at < words.size() && words[at].ends_with(':')) ++at;  // the index
  LockLine lock;
  if (at < words.size() && words[at] == "->") {
    lock.waiter = true;
    ++at;
  }
  if (words.size() < at + 7) fail("lock line '{}': too few fields", line);
  lock.kind_text = words[at];
  lock.kind = kind_of(lock.kind_text);
  const std::string& state = words[at + 1];  // ADVISORY, ACTIVE, BREAKING, BREAKER
  lock.active = state == "ADVISORY" || state == "ACTIVE";
  lock.write = words[at + 2] == "WRITE";
  lock.unlock = words[at + 2] == "UNLCK";
  lock.pid = number<pid_t>(line, words[at + 3]);
  parse_device(line, words[at + 4], lock);
  lock.start = number<int64_t>(line, words[at + 5]);
  if (words[at + 6] != "EOF") lock.end = number<int64_t>(line, words[at + 6]);
  return lock;
}

std::vector<LockLine> parse_proc_locks(std::string_view text) {
  std::vector<LockLine> locks;
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    if (line.find_first_not_of(" \t") != std::string_view::npos)
      locks.push_back(parse_lock_line(line));
  }
  return locks;
}

std::string describe_lock(const LockLine& lock) {
  std::string range = lock.end ? fmt::format("{}-{}", lock.start, *lock.end)
                               : fmt::format("{}-EOF", lock.start);
  return fmt::format("{} {} {} on {:02x}:{:02x}:{}", lock.kind_text,
                     lock.unlock ? "UNLCK" : lock.write ? "WRITE" : "READ", range, lock.dev_major,
                     lock.dev_minor, lock.ino);
}

}  // namespace ckpt::proc
