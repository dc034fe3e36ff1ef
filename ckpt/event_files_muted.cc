#include "ckpt/event_files_muted.h"

#include <fcntl.h>
#include <sys/fanotify.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include <sstream>

#include "ckpt/event_files.h"
#include "ckpt/watched_inode.h"
#include "common/error.h"
#include "common/log.h"
#include "common/proc/fdinfo_events.h"
#include "common/proc/mountinfo.h"
#include "common/proc/pidfd.h"

namespace ckpt::dump {

namespace {

using Muted = MutedWatches::Muted;
using On = proc::FanotifyMarkInfo::On;

constexpr uint32_t kInotifyReading = IN_OPEN | IN_ACCESS | IN_CLOSE_NOWRITE;
constexpr uint64_t kFanotifyReading = FAN_OPEN | FAN_ACCESS | FAN_CLOSE_NOWRITE;

std::string self_path(const UniqueFd& fd) {
  return "/proc/self/fd/" + std::to_string(fd.get());
}

std::string proc_root(pid_t pid) {
  return "/proc/" + std::to_string(pid) + "/root";
}

// The watch and mark lines of an fdinfo text (a fanotify group's own "flags:" line left out).
std::vector<std::string> mark_lines(const std::string& fdinfo, bool fanotify) {
  std::vector<std::string> out;
  std::istringstream lines(fdinfo);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(fanotify ? "fanotify " : "inotify ", 0) != 0) continue;
    if (fanotify && line.rfind("fanotify flags:", 0) == 0) continue;
    out.push_back(line);
  }
  return out;
}

proc::InotifyMark inotify_mark(const std::string& line) {
  return proc::parse_inotify_marks(line).at(0);
}

// What a watch or mark is on, in the terms of a fanotify mark (an inotify watch: an inode).
proc::FanotifyMarkInfo target_of(const Muted& m) {
  if (m.fanotify) return proc::parse_fanotify_mark(m.line);
  proc::FanotifyMarkInfo target;
  target.inode = inotify_mark(m.line);
  return target;
}

std::string what_of(const Muted& m) {
  return fmt::format("pid {} fd {} {}", m.pid, m.fd, m.line.substr(0, m.line.find(" sdev:")));
}

bool on_device(const struct stat& st, uint64_t sdev) {
  return st.st_dev == dev_of_sdev(sdev);
}

// The mount point of mount `id` as `pid` sees it; "" when it is not there or a later mount hides
// it (its path leads to that one).
std::string visible_mount_point(pid_t pid, int id) {
  auto mounts = proc::read_mountinfo(pid);
  for (size_t i = 0; i < mounts.size(); ++i) {
    if (mounts[i].id != id) continue;
    for (size_t j = i + 1; j < mounts.size(); ++j)
      if (mounts[j].mount_point == mounts[i].mount_point) return "";
    return mounts[i].mount_point;
  }
  return "";
}

UniqueFd open_path(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_PATH | O_CLOEXEC));
  if (!fd) throw_errno("open({}, O_PATH)", path);
  return fd;
}

// An O_PATH fd on what `target` is on, found by a path (an O_PATH open queues no event): a mount,
// a filesystem, an inode that is its filesystem's mount point. None for another inode.
UniqueFd open_by_path(pid_t pid, const proc::FanotifyMarkInfo& target, const std::string& what) {
  if (target.on == On::kMount) {
    std::string point = visible_mount_point(pid, target.mnt_id);
    if (point.empty()) fail("{}: mount {} is hidden or gone", what, target.mnt_id);
    UniqueFd fd = open_path(proc_root(pid) + point);
    if (proc::read_fdinfo(::getpid(), fd.get()).mnt_id != target.mnt_id)
      fail("{}: {} is not mount {}", what, point, target.mnt_id);
    return fd;
  }
  UniqueFd fd = open_path(proc_root(pid) + mount_point_of(pid, target.inode.sdev, what));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw_errno("{}: fstat", what);
  if (!on_device(st, target.inode.sdev)) fail("{}: its mount point is on another device", what);
  if (target.on == On::kFilesystem || st.st_ino == target.inode.ino) return fd;
  return {};
}

UniqueFd open_target(pid_t pid, const proc::FanotifyMarkInfo& target, const std::string& what) {
  UniqueFd fd = open_by_path(pid, target, what);
  return fd ? std::move(fd) : open_watched_inode(pid, target.inode, what);
}

// inotify: the mask without the reading events. inotify_add_watch takes no mask without an
// event, so one left with none asks for IN_IGNORED, which every watch gets anyway.
uint32_t muted_mask(uint32_t mask) {
  uint32_t muted = mask & ~kInotifyReading;
  return (muted & IN_ALL_EVENTS) != 0 ? muted : muted | IN_IGNORED;
}

// Sets the mask of watch `wd`, on the inode `object` refers to: adding a watch on an inode the
// instance watches changes its mask and keeps its wd.
void set_mask(const Muted& m, int wd, uint32_t mask) {
  int got = ::inotify_add_watch(m.group.get(), self_path(m.object).c_str(), mask);
  if (got < 0) throw_errno("inotify_add_watch (wd {})", wd);
  if (got != wd) {
    ::inotify_rm_watch(m.group.get(), got);
    fail("inotify wd {}: its inode was reached as another watch ({})", wd, got);
  }
}

// fanotify: the ignored-mask bits that mute the reading events of mark `mark`, not already
// there. An ignored mask of FAN_MARK_IGNORE's kind applies to directories and children only with
// FAN_ONDIR and FAN_EVENT_ON_CHILD (which a non-directory inode takes neither of).
uint64_t ignored_to_add(const proc::FanotifyMarkInfo& mark, const UniqueFd& object) {
  uint64_t bits = kFanotifyReading;
  if (mark.mflags & FAN_MARK_IGNORE) {
    struct stat st {};
    bool dir = ::fstat(object.get(), &st) == 0 && S_ISDIR(st.st_mode);
    if (mark.on != On::kInode || dir) bits |= FAN_ONDIR;
    if (mark.on == On::kInode && dir) bits |= FAN_EVENT_ON_CHILD;
  }
  return bits & ~mark.ignored_mask;
}

// fanotify_mark flags that address `mark` and change its ignored mask the way it was made
// (FAN_MARK_IGNORE or FAN_MARK_IGNORED_MASK), its survival of modifications and its
// evictability unchanged.
unsigned mark_flags(const proc::FanotifyMarkInfo& mark) {
  unsigned flags = mark.on == On::kMount        ? FAN_MARK_MOUNT
                   : mark.on == On::kFilesystem ? FAN_MARK_FILESYSTEM
                                                : 0;
  flags |= (mark.mflags & FAN_MARK_IGNORE) ? FAN_MARK_IGNORE : FAN_MARK_IGNORED_MASK;
  return flags | (mark.mflags & (FAN_MARK_IGNORED_SURV_MODIFY | FAN_MARK_EVICTABLE));
}

void change_ignored(const Muted& m, unsigned add_or_remove) {
  proc::FanotifyMarkInfo mark = proc::parse_fanotify_mark(m.line);
  if (::fanotify_mark(m.group.get(), add_or_remove | mark_flags(mark), m.change, AT_FDCWD,
                      self_path(m.object).c_str()) != 0)
    throw_errno("fanotify_mark({:x} of the ignored mask)", m.change);
}

void apply(const Muted& m) {
  if (m.fanotify)
    change_ignored(m, FAN_MARK_ADD);
  else
    set_mask(m, inotify_mark(m.line).wd, static_cast<uint32_t>(m.change));
}

void undo(const Muted& m) {
  if (m.fanotify)
    change_ignored(m, FAN_MARK_REMOVE);
  else
    set_mask(m, inotify_mark(m.line).wd, inotify_mark(m.line).mask);
}

// Whether the watch or mark of `m` asks for a reading event.
bool reads_events(const Muted& m) {
  if (!m.fanotify) return inotify_mark(m.line).mask & kInotifyReading;
  return proc::parse_fanotify_mark(m.line).mask & kFanotifyReading;
}

std::string note_line(const Muted& m) {
  return fmt::format("{} {} {} {:x} {}", m.fanotify ? "fanotify" : "inotify", m.pid, m.fd,
                     m.change, m.line);
}

}  // namespace

MutedWatches::MutedWatches(const std::vector<NotifyFd>& fds, DumpMarks& marks) : marks_(marks) {
  std::vector<Muted> wanted;
  for (const NotifyFd& held : fds) {
    bool fanotify = held.kind == NotifyKind::kFanotify;
    std::string text = proc::read_fdinfo_text(held.pid, held.fd);
    fdinfo_before_[{held.pid, held.fd}] = text;
    for (std::string& line : mark_lines(text, fanotify)) {
      Muted m{fanotify, held.pid, held.fd, std::move(line)};
      if (reads_events(m)) wanted.push_back(std::move(m));
    }
  }
  // What is found by a path first: the inodes found by their handles are opened through their
  // mount points, whose own watches and marks are muted by then.
  std::vector<Muted> by_handle;
  for (int pass = 0; pass < 2; ++pass) {
    std::vector<Muted> ready;
    for (Muted& m : pass == 0 ? wanted : by_handle) {
      try {
        proc::FanotifyMarkInfo target = target_of(m);
        m.object = pass == 0 ? open_by_path(m.pid, target, what_of(m))
                             : open_watched_inode(m.pid, target.inode, what_of(m));
        if (!m.object) {
          by_handle.push_back(std::move(m));
          continue;
        }
        m.group = proc::take_fd(m.pid, m.fd);
        m.change = m.fanotify ? ignored_to_add(target, m.object)
                              : muted_mask(inotify_mark(m.line).mask);
        if (m.change != 0) ready.push_back(std::move(m));
      } catch (const Error& e) {  // the collection of the instance names it, and refuses it if it must
        spdlog::debug("{}: not muted: {}", what_of(m), e.what());
      }
    }
    mute(std::move(ready));
  }
  if (!muted_.empty()) spdlog::debug("{} watches and marks muted for the dump's reads", muted_.size());
}

// Noted all at once before any is changed (a line whose change is not made is left alone by the
// recovery, which finds it not muted).
void MutedWatches::mute(std::vector<Muted> ready) {
  if (ready.empty()) return;
  std::string note;
  for (const Muted& m : muted_) note += note_line(m) + "\n";
  for (const Muted& m : ready) note += note_line(m) + "\n";
  marks_.note_muted_watches(note);
  for (Muted& m : ready) {
    try {
      apply(m);
      muted_.push_back(std::move(m));
    } catch (const Error& e) {
      spdlog::debug("{}: not muted: {}", what_of(m), e.what());
    }
  }
}

MutedWatches::~MutedWatches() {
  for (auto it = muted_.rbegin(); it != muted_.rend(); ++it) {
    try {
      undo(*it);
    } catch (const Error& e) {
      spdlog::warn("{}: not given back its mask: {}", what_of(*it), e.what());
    }
  }
  if (muted_.empty()) return;
  try {
    marks_.note_muted_watches("");
  } catch (const Error& e) {
    spdlog::debug("the muted watches' note: {}", e.what());
  }
}

namespace {

// Whether the live fdinfo of the group still shows the watch or mark of `m` as the dump muted it.
bool still_muted(const Muted& m) {
  for (const std::string& line : mark_lines(proc::read_fdinfo_text(m.pid, m.fd), m.fanotify)) {
    if (!m.fanotify) {
      proc::InotifyMark live = inotify_mark(line), noted = inotify_mark(m.line);
      if (live.wd == noted.wd) return live.mask == (m.change & ~IN_IGNORED);
      continue;
    }
    proc::FanotifyMarkInfo live = proc::parse_fanotify_mark(line);
    proc::FanotifyMarkInfo noted = proc::parse_fanotify_mark(m.line);
    bool same = live.on == noted.on && live.mnt_id == noted.mnt_id &&
                live.inode.sdev == noted.inode.sdev && live.inode.ino == noted.inode.ino;
    if (same) return live.ignored_mask == (noted.ignored_mask | m.change);
  }
  return false;
}

}  // namespace

// In the reverse order of the muting: the mount points' last, as inodes are found through them.
void give_back_noted_masks(const std::string& note) {
  std::vector<std::string> lines;
  std::istringstream in(note);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    std::istringstream words(*it);
    std::string kind;
    Muted m;
    if (!(words >> kind >> m.pid >> m.fd >> std::hex >> m.change)) continue;
    m.fanotify = kind == "fanotify";
    std::getline(words >> std::ws, m.line);
    try {
      if (!still_muted(m)) continue;
      m.group = proc::take_fd(m.pid, m.fd);
      m.object = open_target(m.pid, target_of(m), what_of(m));
      undo(m);
      spdlog::warn("{}: muted by a killed dump, given back its mask", what_of(m));
    } catch (const std::exception& e) {
      spdlog::debug("{}: {}", *it, e.what());  // gone since
    }
  }
}

}  // namespace ckpt::dump
