// Shared memory objects at restore (records/shmem.h), in two places:
//  1. In the root task, before the files are opened and the tree is forked,
//     create_shared_objects() makes every object once: shared anonymous memory or a memfd
//     filled with its stored pages (then sealed), a deleted file made again from its contents;
//     a SysV segment is checked to exist (the IPC restore recreated it). The fd of each object
//     sits at a fixed number above every fd of the image (object_fd()), so every forked
//     process inherits it.
//  2. In the tracer, per process, SharedMappings maps the kSharedObject VMAs from those fds by
//     injected mmap(MAP_FIXED) (SysV segments by an injected shmat), then closes the inherited
//     fds. Every mapper of an object maps the same object: writes are shared again.
#pragma once

#include <sys/types.h>

#include <map>
#include <set>

#include "common/image/image.h"
#include "common/records/files.h"
#include "common/records/mm.h"
#include "common/records/shmem.h"
#include "common/unique_fd.h"
#include "restore/files.h"
#include "restore/seize.h"

namespace ckpt::restore {

// In the root task. Adds each object fd to context.keep_fds and, to context.openers, the opener
// of each description opened on an object (a memfd, or a deleted file that is mapped too): a new
// description with its flags and offset on the object created for it. A no-op for an image
// without shared objects.
void create_shared_objects(const image::ImageReader& image, FilesRestoreContext& context);

// The fd number of object `object_id` in the root task and every restored process: above
// every fd of `files` and above the room files_open uses for the descriptions.
int object_fd(const records::FilesState& files, uint64_t object_id);

class SharedMappings {
 public:
  // The objects mapped by the process `ns_pid`.
  SharedMappings(const image::ImageReader& image, pid_t ns_pid);

  // Maps `vma` (kind kSharedObject) from its object, at its address, in the restored process.
  void map(Restorer& r, const records::Vma& vma) const;
  // Closes every object fd the process inherited from the root task.
  void close_inherited(Restorer& r) const;

 private:
  void attach_segment(Restorer& r, const records::Vma& vma,
                      const records::SharedObject& object) const;

  records::SharedMemState state_;
  std::set<int32_t> removed_segments_;  // SysV ids IPC_RMID'ed while attached (SHM_DEST)
  int first_fd_ = -1;
  std::map<uint64_t, uint64_t> object_at_;  // Vma::start -> object id, for this process
};

}  // namespace ckpt::restore
