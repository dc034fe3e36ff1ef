// The dump's own opens and reads of the container's files (tmpfs contents, removed files, a
// rootfs, the mount point a watched inode is found through) would queue open, access and
// close-without-write events in the original's inotify instances and fanotify groups that ask
// for them, and the next dump would refuse those as events queued unread. While the container is
// frozen they are muted: each inotify watch asking for IN_OPEN, IN_ACCESS or IN_CLOSE_NOWRITE
// gets a mask without them (inotify_add_watch on a watched inode changes its mask, keeps its
// wd); each fanotify mark of a notification group asking for FAN_OPEN, FAN_ACCESS or
// FAN_CLOSE_NOWRITE gets them in its ignored mask (taking them out of its mask could remove the
// mark). The guard gives every mask back before the container runs again. Such events that a
// process outside the container causes on those files meanwhile are not seen.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "ckpt/event_files.h"
#include "common/dump_marks.h"
#include "common/proc/fdinfo.h"
#include "common/unique_fd.h"

namespace ckpt::dump {

class MutedWatches {
 public:
  // `fds`: the inotify and fanotify fds of the frozen container, none of a permission class
  // (refuse_queued_notify_events refused those before). Each change is noted in `marks`
  // before it is made, for the next command should this dump be killed (runtime/dump_recovery).
  MutedWatches(const std::vector<NotifyFd>& fds, DumpMarks& marks);
  ~MutedWatches();  // every mask given back, the note cleared
  MutedWatches(const MutedWatches&) = delete;
  MutedWatches& operator=(const MutedWatches&) = delete;

  // The fdinfo of each inotify and fanotify fd of the container as it was before: what the dump
  // records and audits.
  const proc::FdinfoTexts& fdinfo_before() const { return fdinfo_before_; }

  // A watch or mark muted (its fdinfo line, parsed on use).
  struct Muted {
    bool fanotify = false;
    pid_t pid = 0;  // a holder of the instance or group, and its fd
    int fd = 0;
    std::string line;     // its "inotify wd:" or "fanotify" fdinfo line before
    uint64_t change = 0;  // inotify: the muted mask; fanotify: the bits added to the ignored mask
    UniqueFd group = {};  // pidfd_getfd copy of the instance or group
    UniqueFd object = {}; // O_PATH, on what it watches
  };

 private:
  void mute(std::vector<Muted> ready);

  DumpMarks& marks_;
  proc::FdinfoTexts fdinfo_before_;
  std::vector<Muted> muted_;
};

// Gives back what a killed dump noted with DumpMarks::note_muted_watches: each watch or mark
// still as the dump left it (one the program changed since is left alone).
void give_back_noted_masks(const std::string& note);

}  // namespace ckpt::dump
