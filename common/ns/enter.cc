#include "common/ns/enter.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>

#include "common/error.h"
#include "common/fs.h"
#include "common/unique_fd.h"

namespace ckpt::ns {

namespace {

struct NsType {
  int flag;
  const char* name;
};
// Mount last: after it, /proc paths may resolve inside the container.
constexpr std::array<NsType, 7> kNsTypes = {{{CLONE_NEWUTS, "uts"},
                                             {CLONE_NEWIPC, "ipc"},
                                             {CLONE_NEWNET, "net"},
                                             {CLONE_NEWPID, "pid"},
                                             {CLONE_NEWCGROUP, "cgroup"},
                                             {CLONE_NEWTIME, "time"},
                                             {CLONE_NEWNS, "mnt"}}};

[[noreturn]] void child_main(pid_t pid, int nstypes, const std::function<std::string()>& fn,
                             int out) {
  std::string result;
  try {
    std::vector<UniqueFd> fds;  // open all first: /proc changes once in the mount namespace
    for (const auto& t : kNsTypes) {
      if (!(nstypes & t.flag)) continue;
      auto path = "/proc/" + std::to_string(pid) + "/ns/" + t.name;
      UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
      if (!fd) throw_errno("open({})", path);
      fds.push_back(std::move(fd));
    }
    size_t i = 0;
    for (const auto& t : kNsTypes) {
      if (!(nstypes & t.flag)) continue;
      if (::setns(fds[i++].get(), t.flag) != 0) throw_errno("setns({} of pid {})", t.name, pid);
    }
    result = "K" + fn();
  } catch (const std::exception& e) {
    result = std::string("E") + e.what();
  }
  fs::try_write_all(out, result);
  ::_exit(0);
}

}  // namespace

std::string run_in_namespaces_of(pid_t pid, int nstypes, const std::function<std::string()>& fn) {
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) throw_errno("pipe2");
  UniqueFd rd(pipefd[0]), wr(pipefd[1]);
  pid_t child = ::fork();
  if (child < 0) throw_errno("fork");
  if (child == 0) child_main(pid, nstypes, fn, wr.get());
  wr.reset();
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(rd.get(), buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (out.empty()) fail("helper in the namespaces of pid {} died (status {})", pid, status);
  if (out[0] == 'E') throw Error(out.substr(1));
  return out.substr(1);
}

}  // namespace ckpt::ns
