#include "netns/ns_thread.h"

#include <fcntl.h>

#include <string>

namespace ckpt::netns {

UniqueFd open_netns_of(pid_t pid) {
  std::string path = "/proc/" + std::to_string(pid) + "/ns/net";
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw_errno("open({})", path);
  return fd;
}

UniqueFd create_netns() {
  UniqueFd fd;
  std::exception_ptr error;
  std::thread helper([&] {
    try {
      if (::unshare(CLONE_NEWNET) != 0) throw_errno("unshare(CLONE_NEWNET)");
      fd.reset(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
      if (!fd) throw_errno("open(/proc/thread-self/ns/net)");
    } catch (...) {
      error = std::current_exception();
    }
  });
  helper.join();
  if (error) std::rethrow_exception(error);
  return fd;
}

}  // namespace ckpt::netns
