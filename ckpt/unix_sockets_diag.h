// What the kernel's sock_diag (NETLINK_SOCK_DIAG, unix_diag) says about the unix sockets of one
// network namespace: the only place that shows a socket's peer and its accept queue.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace ckpt::dump {

struct UnixDiagSocket {
  uint64_t inode = 0;
  int type = 0;       // SOCK_STREAM, ...
  int state = 0;      // TCP_ESTABLISHED (connected), TCP_LISTEN, TCP_CLOSE
  std::string name;   // sun_path bytes; abstract names start with '\0'
  uint64_t peer = 0;  // 0: none (or its peer was closed)
  // Listeners: the clients whose connections wait in the accept queue, in order. (The
  // waiting sockets themselves have no inode yet; a client's peer shows as 0 until accepted.)
  std::vector<uint64_t> connections;
  uint32_t receive_queue = 0;  // bytes queued (listeners: pending connections)
  uint32_t send_queue = 0;     // bytes sent and not yet read by the peer (listeners: backlog)
  uint32_t shutdown = 0;       // RCV_SHUTDOWN | SEND_SHUTDOWN
  uint64_t file_inode = 0;     // a path name's socket file (UNIX_DIAG_VFS), 0: none
};

using UnixDiagTable = std::map<uint64_t, UnixDiagSocket>;  // by inode

// Every unix socket of the network namespace of `pid`.
UnixDiagTable query_unix_sockets(pid_t pid);

// Adds the sockets of one netlink reply buffer (a run of nlmsghdr) to `table`; returns false
// once NLMSG_DONE is seen. Throws Error on NLMSG_ERROR.
bool parse_unix_diag_reply(std::span<const std::byte> reply, UnixDiagTable& table);

}  // namespace ckpt::dump
