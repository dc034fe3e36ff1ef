// Where the dump reads a socket from: one fd of one process holding its open file description.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "common/records/files.h"

namespace ckpt::dump {

struct SocketHolder {
  pid_t pid = 0;  // host pid
  int fd = 0;
};

// (description id, a holder) for every description of `kind`, in description order.
std::vector<std::pair<uint64_t, SocketHolder>> socket_holders(const records::FilesState& files,
                                                              records::FileKind kind);

}  // namespace ckpt::dump
