#include "restore/files_fd_room.h"

#include <sys/resource.h>

#include <algorithm>

#include "common/error.h"

namespace ckpt::restore {

int first_description_fd(const records::FilesState& files) {
  int highest = 2;
  for (const auto& process : files.processes) {
    for (const auto& entry : process.fds) highest = std::max(highest, entry.fd);
  }
  return highest + 1;
}

int after_descriptions_fd(const records::FilesState& files) {
  return first_description_fd(files) + static_cast<int>(files.descriptions.size()) + kTemporaryFds;
}

void ensure_fd_fits(int highest, const char* what) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) throw_errno("getrlimit(RLIMIT_NOFILE)");
  auto needed = static_cast<rlim_t>(highest) + 1;
  if (needed <= limit.rlim_cur) return;
  if (needed > limit.rlim_max)
    fail("{}: fd {} is above RLIMIT_NOFILE {}", what, highest, limit.rlim_max);
  limit.rlim_cur = needed;
  if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) throw_errno("setrlimit(RLIMIT_NOFILE, {})", needed);
}

}  // namespace ckpt::restore
