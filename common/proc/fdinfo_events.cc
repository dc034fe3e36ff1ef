#include "common/proc/fdinfo_events.h"

#include <charconv>
#include <map>

#include "common/error.h"

namespace ckpt::proc {

namespace {

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    size_t eol = text.find('\n');
    lines.push_back(text.substr(0, eol));
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
  }
  return lines;
}

std::string_view skip_blanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

template <typename T>
T number(std::string_view line, std::string_view value, int base) {
  value = skip_blanks(value);
  T out{};
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), out, base);
  if (ec != std::errc() || value.empty()) fail("fdinfo: malformed line '{}'", line);
  (void)end;
  return out;
}

// "key:value key2:value2 ..." after a prefix: the values by key. Keys may be followed by
// blanks before their value ("tfd:        3 events: 19").
std::map<std::string_view, std::string_view> key_values(std::string_view rest) {
  std::map<std::string_view, std::string_view> out;
  for (;;) {
    rest = skip_blanks(rest);
    size_t colon = rest.find(':');
    if (colon == std::string_view::npos) return out;
    std::string_view key = rest.substr(0, colon);
    rest = skip_blanks(rest.substr(colon + 1));
    size_t end = rest.find_first_of(" \t");
    out[key] = rest.substr(0, end);
    if (end == std::string_view::npos) return out;
    rest = rest.substr(end);
  }
}

std::string_view required(const std::map<std::string_view, std::string_view>& kv,
                          std::string_view key, std::string_view line) {
  auto it = kv.find(key);
  if (it == kv.end()) fail("fdinfo: no {} in '{}'", key, line);
  return it->second;
}

// "(sec, nsec)" as nanoseconds.
int64_t timespec_ns(std::string_view line, std::string_view value) {
  value = skip_blanks(value);
  size_t comma = value.find(',');
  if (value.empty() || value.front() != '(' || comma == std::string_view::npos)
    fail("fdinfo: malformed line '{}'", line);
  auto sec = number<int64_t>(line, value.substr(1, comma - 1), 10);
  std::string_view rest = skip_blanks(value.substr(comma + 1));
  auto nsec = number<int64_t>(line, rest.substr(0, rest.find(')')), 10);
  return sec * 1'000'000'000 + nsec;
}

std::string hex_bytes(std::string_view line, std::string_view hex) {
  if (hex.size() % 2 != 0) fail("fdinfo: odd f_handle in '{}'", line);
  std::string bytes;
  for (size_t i = 0; i < hex.size(); i += 2)
    bytes.push_back(static_cast<char>(number<unsigned>(line, hex.substr(i, 2), 16)));
  return bytes;
}

}  // namespace

std::vector<EpollTarget> parse_epoll_targets(std::string_view fdinfo) {
  std::vector<EpollTarget> targets;
  for (std::string_view line : lines_of(fdinfo)) {
    if (!line.starts_with("tfd:")) continue;
    auto kv = key_values(line);
    EpollTarget t;
    t.fd = number<int>(line, required(kv, "tfd", line), 10);
    t.events = number<uint32_t>(line, required(kv, "events", line), 16);
    t.data = number<uint64_t>(line, required(kv, "data", line), 16);
    t.ino = number<uint64_t>(line, required(kv, "ino", line), 16);
    t.sdev = number<uint64_t>(line, required(kv, "sdev", line), 16);
    targets.push_back(t);
  }
  return targets;
}

TimerfdInfo parse_timerfd(std::string_view fdinfo) {
  TimerfdInfo info;
  int seen = 0;
  for (std::string_view line : lines_of(fdinfo)) {
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view key = line.substr(0, colon), value = line.substr(colon + 1);
    if (key == "clockid") info.clock = number<int>(line, value, 10), seen |= 1;
    if (key == "ticks") info.ticks = number<uint64_t>(line, value, 10), seen |= 2;
    if (key == "settime flags") info.settime_flags = number<uint32_t>(line, value, 8), seen |= 4;
    if (key == "it_value") info.value_ns = timespec_ns(line, value), seen |= 8;
    if (key == "it_interval") info.interval_ns = timespec_ns(line, value), seen |= 16;
  }
  if (seen != 31) fail("fdinfo: timerfd fields missing");
  return info;
}

uint64_t parse_signalfd_mask(std::string_view fdinfo) {
  for (std::string_view line : lines_of(fdinfo)) {
    if (line.starts_with("sigmask:")) return number<uint64_t>(line, line.substr(8), 16);
  }
  fail("fdinfo: signalfd without sigmask");
}

namespace {

// The ino, sdev and handle words of an inotify or fanotify inode mark.
WatchedInode watched_inode(std::string_view line,
                           const std::map<std::string_view, std::string_view>& kv) {
  WatchedInode w;
  w.ino = number<uint64_t>(line, required(kv, "ino", line), 16);
  w.sdev = number<uint64_t>(line, required(kv, "sdev", line), 16);
  auto type = kv.find("fhandle-type");
  auto handle = kv.find("f_handle");
  if (type != kv.end() && handle != kv.end()) {
    w.handle_type = number<int>(line, type->second, 16);
    w.handle = hex_bytes(line, handle->second);
  }
  return w;
}

FanotifyMarkInfo fanotify_mark(std::string_view line,
                               const std::map<std::string_view, std::string_view>& kv) {
  FanotifyMarkInfo m;
  if (kv.count("ino")) {
    m.inode = watched_inode(line, kv);
  } else if (kv.count("mnt_id")) {
    m.on = FanotifyMarkInfo::On::kMount;
    m.mnt_id = number<int>(line, kv.at("mnt_id"), 16);
  } else {
    m.on = FanotifyMarkInfo::On::kFilesystem;
    m.inode.sdev = number<uint64_t>(line, required(kv, "sdev", line), 16);
  }
  m.mflags = number<uint32_t>(line, required(kv, "mflags", line), 16);
  m.mask = number<uint64_t>(line, required(kv, "mask", line), 16);
  m.ignored_mask = number<uint64_t>(line, required(kv, "ignored_mask", line), 16);
  return m;
}

}  // namespace

FanotifyMarkInfo parse_fanotify_mark(std::string_view line) {
  if (!line.starts_with("fanotify ")) fail("fdinfo: not a fanotify mark: '{}'", line);
  return fanotify_mark(line, key_values(line.substr(9)));
}

std::vector<InotifyMark> parse_inotify_marks(std::string_view fdinfo) {
  std::vector<InotifyMark> marks;
  for (std::string_view line : lines_of(fdinfo)) {
    if (!line.starts_with("inotify ")) continue;
    auto kv = key_values(line.substr(8));
    InotifyMark m;
    static_cast<WatchedInode&>(m) = watched_inode(line, kv);
    m.wd = number<int>(line, required(kv, "wd", line), 10);
    m.mask = number<uint32_t>(line, required(kv, "mask", line), 16);
    marks.push_back(std::move(m));
  }
  return marks;
}

FanotifyInfo parse_fanotify(std::string_view fdinfo) {
  FanotifyInfo info;
  bool seen = false;
  for (std::string_view line : lines_of(fdinfo)) {
    if (!line.starts_with("fanotify ")) continue;
    auto kv = key_values(line.substr(9));
    if (kv.count("flags")) {
      info.flags = number<uint32_t>(line, kv.at("flags"), 16);
      info.event_flags = number<uint32_t>(line, required(kv, "event-flags", line), 16);
      seen = true;
    } else {
      info.marks.push_back(fanotify_mark(line, kv));
    }
  }
  if (!seen) fail("fdinfo: fanotify without flags");
  return info;
}

}  // namespace ckpt::proc
