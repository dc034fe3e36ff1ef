#include "common/audit/normalize.h"

#include <signal.h>
#include <sys/sysmacros.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <regex>
#include <sstream>

#include "common/fs.h"
#include "common/proc/mountinfo.h"

namespace ckpt::audit {

namespace {

std::vector<std::string> words(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::vector<std::string> out;
  std::string word;
  while (in >> word) out.push_back(word);
  return out;
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : " ") + p;
  return out;
}

bool starts_with_any(const std::string& word, std::initializer_list<std::string_view> prefixes) {
  return std::any_of(prefixes.begin(), prefixes.end(),
                     [&](std::string_view p) { return word.starts_with(p); });
}

// epoll "tfd:" and inotify/fanotify lines: the watched file's inode, device and handle differ
// for a recreated file; the rest (fd, events, data, mask) must not.
std::string without_identity_words(const std::string& value) {
  std::vector<std::string> kept;
  for (auto& w : words(value))
    if (!starts_with_any(w, {"ino:", "sdev:", "fhandle-bytes:", "fhandle-type:", "f_handle:"}))
      kept.push_back(w);
  return join(kept);
}

}  // namespace

std::string squeeze_blanks(std::string_view text) { return join(words(text)); }

std::string normalize_fd_target(const std::string& target) {
  for (std::string_view kind : {"pipe:[", "socket:[", "net:[", "mnt:[", "pid:[", "ipc:[", "uts:[",
                                "time:[", "cgroup:[", "user:["})
    if (target.starts_with(kind)) return std::string(kind.substr(0, kind.size() - 2));
  // A file made with O_TMPFILE is named by its inode number: "/tmp/#1234 (deleted)".
  static const std::regex kUnnamed(R"(^(.*/)#[0-9]+ \(deleted\)$)");
  std::smatch m;
  if (std::regex_match(target, m, kUnnamed)) return m[1].str() + "#<inode> (deleted)";
  return target;  // paths, anon_inode:[eventfd], anon_inode:inotify ...
}

std::optional<std::string> normalize_fdinfo_value(const std::string& key,
                                                  const std::string& value) {
  if (key == "mnt_id" || key == "ino" || key == "eventfd-id" || key == "Pid") return std::nullopt;
  // A pidfd's process: the host's pid differs, its pid in the container (the last) must not.
  if (key == "NSpid") return words(value).empty() ? value : words(value).back();
  if (key == "it_value") return value == "(0, 0)" ? "disarmed" : "armed";
  if (key == "ticks") return value == "0" ? "0" : "some";  // a periodic timer runs on meanwhile
  if (key == "lock") {
    auto lock = parse_lock_line(value);
    return lock ? lock->text : value;
  }
  // "inotify wd:N ino:..." is read as key "inotify wd"; a fanotify mark's key names what it is
  // on ("fanotify ino", "fanotify mnt_id", "fanotify sdev") and its first word is that object's
  // number, which a restore changes.
  if (key == "tfd" || key == "inotify wd") return without_identity_words(value);
  if (key == "fanotify ino" || key == "fanotify mnt_id" || key == "fanotify sdev") {
    auto w = words(value);
    if (!w.empty()) w.erase(w.begin());
    return without_identity_words(join(w));
  }
  return squeeze_blanks(value);
}

std::optional<LockLine> parse_lock_line(std::string_view line) {
  auto w = words(line);
  size_t i = 0;
  if (i < w.size() && w[i].ends_with(':')) ++i;  // the line's number
  std::string prefix;
  if (i < w.size() && w[i] == "->") {
    prefix = "-> ";
    ++i;
  }
  if (w.size() < i + 7) return std::nullopt;
  LockLine lock;
  try {
    lock.pid = static_cast<pid_t>(std::stol(w[i + 3]));
  } catch (const std::exception&) {
    return std::nullopt;
  }
  lock.dev_ino = w[i + 4];
  lock.text = prefix + join({w[i], w[i + 1], w[i + 2], w[i + 5], w[i + 6]});
  return lock;
}

std::string lock_dev_ino(dev_t dev, ino_t ino) {
  return fmt::format("{:02x}:{:02x}:{}", major(dev), minor(dev), static_cast<uint64_t>(ino));
}

std::string normalize_cgroup_path(const std::string& path, const std::string& container_cgroup) {
  std::string own = "/" + container_cgroup;
  if (container_cgroup.empty() || !proc::is_below(path, own)) return path;
  std::string rest = proc::relative_to(path, own);
  return rest == "/" ? "<container>" : "<container>" + rest;
}

std::string kept_vm_flags(const std::vector<std::string>& flags) {
  static constexpr std::array<std::string_view, 5> kDropped = {"uw", "um", "ui", "sd", "ac"};
  std::vector<std::string> kept;
  for (const auto& f : flags)
    if (std::find(kDropped.begin(), kDropped.end(), f) == kDropped.end()) kept.push_back(f);
  return join(kept);
}

std::string pending_without_timer_signals(const std::string& set) {
  if (set.empty() || set.size() > 16 || set.find_first_not_of("0123456789abcdef") != set.npos)
    return set;
  uint64_t bits = std::stoull(set, nullptr, 16);
  for (int sig : {SIGALRM, SIGVTALRM, SIGPROF}) bits &= ~(uint64_t{1} << (sig - 1));
  return fmt::format("{:0{}x}", bits, set.size());
}

}  // namespace ckpt::audit
