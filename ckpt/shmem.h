// Shared memory objects of a container (records/shmem.h): shared anonymous memory, memfds,
// SysV segments attached by processes and files deleted while mapped. Each object is found
// once, whoever maps it or holds it as an fd, and its contents are stored once.
#pragma once

#include <sys/types.h>

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

// The inodes (st_dev, st_ino) of the files deleted while mapped by a process of `tree`: their
// contents go with the shared memory, also for the descriptions that hold them
// (FilesContext::stored_with_shared_memory).
std::set<std::pair<uint64_t, uint64_t>> mapped_deleted_files(const records::ProcessTree& tree);

// Finds every object mapped by a process of `tree` or opened by a kMemfd description of
// `files`, and the descriptions of mapped deleted files; writes kSharedMemObjects (id 0) and
// the contents of each object (kSharedMem, id = object id). The processes must be frozen and
// seized.
void dump_shared_memory(const records::ProcessTree& tree, const records::FilesState& files,
                        image::ImageWriter& image);

}  // namespace ckpt::dump
