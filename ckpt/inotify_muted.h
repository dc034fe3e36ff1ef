// The dump's own opens and reads of the container's files (tmpfs contents, removed files, a
// rootfs, the mount point a watched inode is found from) would queue open, access and
// close-without-write events in the original's inotify instances that ask for them, and the next
// dump would then refuse those queued events. While the container is frozen, each watch of its
// instances that asks for IN_OPEN, IN_ACCESS or IN_CLOSE_NOWRITE has a mask without them; the
// guard gives every watch its mask back before the container runs again. Such events that a
// process outside the container causes on those inodes meanwhile are not seen.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/dump_marks.h"
#include "common/proc/fdinfo.h"
#include "common/records/tree.h"
#include "common/unique_fd.h"

namespace ckpt::dump {

class MutedWatches {
 public:
  // `tree`: the frozen container. Each mask is noted in `marks` before it is changed, for the
  // next command should this dump be killed (runtime/dump_recovery).
  MutedWatches(const records::ProcessTree& tree, DumpMarks& marks);
  ~MutedWatches();  // every mask given back, the note cleared
  MutedWatches(const MutedWatches&) = delete;
  MutedWatches& operator=(const MutedWatches&) = delete;

  // The fdinfo of each inotify fd of the container as it was before: what the dump records.
  const proc::FdinfoTexts& fdinfo_before() const { return fdinfo_before_; }

 private:
  struct Muted {
    pid_t pid;         // a holder of the instance, and its fd
    int fd;
    UniqueFd instance;  // pidfd_getfd copy
    UniqueFd inode;     // O_PATH, on the watched inode
    int wd;
    uint32_t mask;   // the program's
    uint32_t muted;  // while the dump reads
    std::string note;
  };
  void mute(Muted watch);
  void give_back(const Muted& watch) noexcept;

  DumpMarks& marks_;
  proc::FdinfoTexts fdinfo_before_;
  std::vector<Muted> muted_;
};

// Gives back the masks a killed dump noted with DumpMarks::note_muted_watches: each watch that
// still has its muted mask (one the program changed since is left alone).
void give_back_noted_masks(const std::string& note);

}  // namespace ckpt::dump
