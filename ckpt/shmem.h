// Shared memory objects of a container (records/shmem.h): shared anonymous memory, memfds,
// SysV segments attached by processes and files deleted while mapped. Each object is found
// once, whoever maps it or holds it as an fd, and its contents are stored once.
#pragma once

#include <sys/types.h>

#include <memory>
#include <set>
#include <string>
#include <utility>

#include "common/image/image.h"
#include "common/proc/maps.h"
#include "common/records/files.h"
#include "common/records/tree.h"

namespace ckpt::dump {

// Whether `map` is memory of a shared object (its Vma gets kind kSharedObject), as opposed to
// private anonymous memory, a file mapped by path or the vdso.
bool is_shared_object_mapping(const proc::MapEntry& map);

class ObjectTable;

// The container's shared memory objects, found from the mappings of every process of the tree
// (frozen and seized) when made, written once the files are known.
class SharedMemory {
 public:
  explicit SharedMemory(const records::ProcessTree& tree);
  ~SharedMemory();
  SharedMemory(const SharedMemory&) = delete;
  SharedMemory& operator=(const SharedMemory&) = delete;

  // The inodes (st_dev, st_ino) of the files deleted while mapped: their contents go with the
  // shared memory, also for the descriptions that hold them
  // (FilesContext::stored_with_shared_memory).
  std::set<std::pair<uint64_t, uint64_t>> deleted_file_inodes() const;

  // Adds the objects of the kMemfd descriptions of `files` and opens the descriptions of mapped
  // deleted files on their objects; writes kSharedMemObjects (id 0) and the contents of each
  // object (kSharedMem, id = object id).
  void write(const records::FilesState& files, image::ImageWriter& image);

 private:
  std::unique_ptr<ObjectTable> table_;
};

}  // namespace ckpt::dump
