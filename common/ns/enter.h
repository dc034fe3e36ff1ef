// Running a function inside another process's namespaces, without changing our own: a forked
// child setns()es and runs it, its result or error comes back over a pipe.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>

namespace ckpt::ns {

// `nstypes`: CLONE_NEWUTS | CLONE_NEWNET | ... of process `pid` to enter (the mount namespace
// last). `fn` runs in the child; what it returns (or the Error it throws) comes back here.
std::string run_in_namespaces_of(pid_t pid, int nstypes, const std::function<std::string()>& fn);

}  // namespace ckpt::ns
