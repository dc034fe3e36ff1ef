// Where the root task keeps fds above every fd number of the image, so that each forked process
// inherits them without clashing with its own fds: from first_description_fd() the open file
// descriptions (restore/files_open.cc), then room for temporaries, then the shared memory
// objects (object_fd(), restore/shmem.h).
#pragma once

#include "common/records/files.h"

namespace ckpt::restore {

// Fds left free above the descriptions for the temporaries of the files restore.
constexpr int kTemporaryFds = 64;

// One above the highest fd number any process of `files` uses (at least 3).
int first_description_fd(const records::FilesState& files);

// The first fd above the descriptions of `files` and their temporaries.
int after_descriptions_fd(const records::FilesState& files);

// Raises the soft RLIMIT_NOFILE so that fd `highest` can exist; throws, naming `what`, when the
// hard limit does not allow it.
void ensure_fd_fits(int highest, const char* what);

}  // namespace ckpt::restore
