// What the container's first process does between clone and exec: wait for the runtime to
// place it in cgroups and networks, set the hostname, set up its mounts and console, exec.
#pragma once

#include <string>

#include "common/ns/container_mounts.h"
#include "common/records/container.h"

namespace ckpt::runtime {

struct InitPipes {
  int go_read = -1;      // the runtime writes one byte when the container may proceed
  int error_write = -1;  // close-on-exec: EOF means exec succeeded, else an error line
  int console = -1;      // stdout/stderr of the container
  int console_socket = -1;  // -t: a pty console is made and its master sent here (ckpt/console.h)
};

// Never returns: execs the command or _exit(127) after reporting the error.
[[noreturn]] void container_init(const records::ContainerConfig& config,
                                 const std::vector<ns::ExtraMount>& mounts, const InitPipes& pipes);

}  // namespace ckpt::runtime
