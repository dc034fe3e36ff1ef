// Reading a file through an open file description that is another process's (a copy of its fd,
// pidfd_getfd), where an open of the file would disturb it (a write lease, which any open breaks).
#pragma once

#include <sys/types.h>

#include <string>

namespace ckpt {

// While it lives, `fd`'s description is read with O_NOATIME, as the dump's own opens are; the
// offset that reading and finding the data ranges (SEEK_DATA/SEEK_HOLE) move and the status
// flags are given back when it goes. Nothing for fd -1. Refuses (Error, kRefused) a description
// not open for reading, naming `path`.
class BorrowedDescription {
 public:
  BorrowedDescription(int fd, const std::string& path);
  ~BorrowedDescription();
  BorrowedDescription(const BorrowedDescription&) = delete;
  BorrowedDescription& operator=(const BorrowedDescription&) = delete;

 private:
  int fd_;
  off_t offset_ = 0;
  int flags_ = 0;
};

}  // namespace ckpt
