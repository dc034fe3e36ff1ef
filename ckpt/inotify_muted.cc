#include "ckpt/inotify_muted.h"

#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <sstream>

#include "ckpt/event_files.h"
#include "ckpt/watched_inode.h"
#include "common/error.h"
#include "common/log.h"
#include "common/proc/fdinfo_events.h"
#include "common/proc/pidfd.h"

namespace ckpt::dump {

namespace {

constexpr uint32_t kReadingEvents = IN_OPEN | IN_ACCESS | IN_CLOSE_NOWRITE;

// The mask without the reading events. inotify_add_watch takes no mask without an event, so one
// left with none asks for IN_IGNORED, which every watch gets anyway.
uint32_t muted_mask(uint32_t mask) {
  uint32_t muted = mask & ~kReadingEvents;
  return (muted & IN_ALL_EVENTS) != 0 ? muted : muted | IN_IGNORED;
}

std::string self_path(const UniqueFd& fd) {
  return "/proc/self/fd/" + std::to_string(fd.get());
}

// The "inotify wd:" lines of an fdinfo text, each with its mark.
std::vector<std::pair<std::string, proc::InotifyMark>> mark_lines(const std::string& fdinfo) {
  std::vector<std::pair<std::string, proc::InotifyMark>> out;
  std::istringstream lines(fdinfo);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("inotify ", 0) != 0) continue;
    out.emplace_back(line, proc::parse_inotify_marks(line).at(0));
  }
  return out;
}

bool same_inode(const struct stat& st, const proc::WatchedInode& inode) {
  return st.st_ino == inode.ino && st.st_dev == makedev(static_cast<unsigned>(inode.sdev >> 20),
                                                        static_cast<unsigned>(inode.sdev & 0xfffff));
}

// An O_PATH fd on a watched inode that is the mount point (as `pid` sees it) of its
// filesystem, opened by path: an O_PATH open queues no event. None for any other inode.
UniqueFd open_if_mount_point(pid_t pid, const proc::InotifyMark& mark, const std::string& what) {
  std::string path = "/proc/" + std::to_string(pid) + "/root" + mount_point_of(pid, mark.sdev, what);
  UniqueFd fd(::open(path.c_str(), O_PATH | O_CLOEXEC));
  struct stat st {};
  if (!fd || ::fstat(fd.get(), &st) != 0 || !same_inode(st, mark)) return {};
  return fd;
}

// Sets the mask of watch `wd` of `instance` on the inode `inode` (O_PATH) refers to. Adding a
// watch on an inode already watched changes its mask and keeps its wd.
void set_mask(const UniqueFd& instance, const UniqueFd& inode, int wd, uint32_t mask) {
  int got = ::inotify_add_watch(instance.get(), self_path(inode).c_str(), mask);
  if (got < 0) throw_errno("inotify_add_watch (wd {})", wd);
  if (got != wd) {
    ::inotify_rm_watch(instance.get(), got);
    fail("inotify wd {}: its inode was reached as another watch ({})", wd, got);
  }
}

struct Candidate {
  pid_t pid;
  int fd;
  std::string line;
  proc::InotifyMark mark;
};

}  // namespace

MutedWatches::MutedWatches(const records::ProcessTree& tree, DumpMarks& marks) : marks_(marks) {
  std::vector<Candidate> candidates;
  for (const NotifyFd& held : notify_fds(tree)) {
    if (held.kind != NotifyKind::kInotify) continue;
    std::string text = proc::read_fdinfo_text(held.pid, held.fd);
    fdinfo_before_[{held.pid, held.fd}] = text;
    for (auto& [line, mark] : mark_lines(text))
      if (mark.mask & kReadingEvents) candidates.push_back({held.pid, held.fd, line, mark});
  }
  // Mount points first: the handle of any other inode is opened through its mount point, whose
  // own watch must be muted by then.
  std::vector<Candidate> by_handle;
  for (Candidate& c : candidates) {
    std::string what = fmt::format("pid {} fd {} inotify wd {}", c.pid, c.fd, c.mark.wd);
    try {
      UniqueFd inode = open_if_mount_point(c.pid, c.mark, what);
      if (!inode) {
        by_handle.push_back(std::move(c));
        continue;
      }
      mute({c.pid, c.fd, proc::take_fd(c.pid, c.fd), std::move(inode), c.mark.wd, c.mark.mask,
            muted_mask(c.mark.mask), c.line});
    } catch (const Error& e) {  // the watch's collection names it, and refuses it if it must
      spdlog::debug("{}: not muted: {}", what, e.what());
    }
  }
  for (Candidate& c : by_handle) {
    std::string what = fmt::format("pid {} fd {} inotify wd {}", c.pid, c.fd, c.mark.wd);
    try {
      mute({c.pid, c.fd, proc::take_fd(c.pid, c.fd), open_watched_inode(c.pid, c.mark, what),
            c.mark.wd, c.mark.mask, muted_mask(c.mark.mask), c.line});
    } catch (const Error& e) {
      spdlog::debug("{}: not muted: {}", what, e.what());
    }
  }
  if (!muted_.empty()) spdlog::debug("{} inotify watches muted for the dump's reads", muted_.size());
}

void MutedWatches::mute(Muted watch) {
  watch.note = fmt::format("{} {} {:x} {}", watch.pid, watch.fd, watch.muted, watch.note);
  std::string note;
  for (const Muted& m : muted_) note += m.note + "\n";
  marks_.note_muted_watches(note + watch.note + "\n");  // before the change
  set_mask(watch.instance, watch.inode, watch.wd, watch.muted);
  muted_.push_back(std::move(watch));
}

void MutedWatches::give_back(const Muted& watch) noexcept {
  try {
    set_mask(watch.instance, watch.inode, watch.wd, watch.mask);
  } catch (const Error& e) {
    spdlog::warn("pid {} fd {}: inotify wd {} keeps mask {:x} instead of {:x}: {}", watch.pid,
                 watch.fd, watch.wd, watch.muted, watch.mask, e.what());
  }
}

MutedWatches::~MutedWatches() {
  for (auto it = muted_.rbegin(); it != muted_.rend(); ++it) give_back(*it);
  if (muted_.empty()) return;
  try {
    marks_.note_muted_watches("");
  } catch (const Error& e) {
    spdlog::debug("the muted watches' note: {}", e.what());
  }
}

// In the reverse order of the muting: the mount points' watches last, as each inode is found
// through its mount point.
void give_back_noted_masks(const std::string& note) {
  std::vector<std::string> noted;
  std::istringstream lines(note);
  for (std::string line; std::getline(lines, line);) noted.push_back(line);
  for (auto it = noted.rbegin(); it != noted.rend(); ++it) {
    const std::string& line = *it;
    std::istringstream words(line);
    pid_t pid = 0;
    int fd = -1;
    uint32_t muted = 0;
    if (!(words >> pid >> fd >> std::hex >> muted)) continue;
    std::string rest;
    std::getline(words >> std::ws, rest);
    try {
      proc::InotifyMark noted = proc::parse_inotify_marks(rest).at(0);
      UniqueFd instance = proc::take_fd(pid, fd);
      bool still_muted = false;
      for (const auto& [_, mark] : mark_lines(proc::read_fdinfo_text(pid, fd)))
        still_muted |= mark.wd == noted.wd && mark.mask == (muted & ~IN_IGNORED);
      if (!still_muted) continue;
      std::string what = fmt::format("pid {} fd {} inotify wd {}", pid, fd, noted.wd);
      set_mask(instance, open_watched_inode(pid, noted, what), noted.wd, noted.mask);
      spdlog::warn("{}: its mask {:x}, muted by a killed dump, given back", what, noted.mask);
    } catch (const std::exception& e) {
      spdlog::debug("a watch a killed dump muted ({}): {}", line, e.what());  // gone since
    }
  }
}

}  // namespace ckpt::dump
