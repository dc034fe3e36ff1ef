#include "common/borrowed_description.h"

#include <fcntl.h>
#include <unistd.h>

#include "common/error.h"
#include "common/error_kind.h"

namespace ckpt {

BorrowedDescription::BorrowedDescription(int fd, const std::string& path) : fd_(fd) {
  if (fd_ < 0) return;
  offset_ = ::lseek(fd_, 0, SEEK_CUR);
  flags_ = ::fcntl(fd_, F_GETFL);
  if (offset_ < 0 || flags_ < 0) throw_errno("{}: read the offset and flags of its holder", path);
  if ((flags_ & O_ACCMODE) == O_WRONLY)
    fail(ErrorKind::kRefused,
         "{}: a write lease held through an fd not open for reading; the file cannot be read "
         "without breaking the lease", path);
  if (::fcntl(fd_, F_SETFL, flags_ | O_NOATIME) != 0) throw_errno("{}: set O_NOATIME", path);
}

BorrowedDescription::~BorrowedDescription() {
  if (fd_ < 0) return;
  ::lseek(fd_, offset_, SEEK_SET);
  ::fcntl(fd_, F_SETFL, flags_);
}

}  // namespace ckpt
