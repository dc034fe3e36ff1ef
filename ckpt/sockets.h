// Sockets of the dumped processes: listening TCP sockets (IPv4/IPv6) with their address,
// backlog and options; unix and UDP sockets (their own sections, see dump_sockets). Every other
// socket is refused by the files dump.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "common/image/image.h"
#include "common/records/files.h"

namespace ckpt::dump {

// getsockopt() of an int option; 0 when the socket does not have it.
int socket_int_option(int fd, int level, int name);

// The listening TCP socket behind fd `fd` of `pid`; nullopt for any other kind of socket.
std::optional<records::ListeningSocket> probe_listening_socket(pid_t pid, int fd);

// A closed TCP socket (neither listening nor connected; FileKind::kTcpSocket) behind fd `fd` of
// `pid`: its address (empty when unbound) and options.
records::ListeningSocket read_closed_tcp_socket(pid_t pid, int fd);

// The bound address of an IPv4/IPv6 socket as getsockname() gives it; empty when unbound (any
// address, port 0). `pid` and `fd` name it in errors.
std::string bound_address(int sock, pid_t pid, int fd);

// kUnixSocket, kUdpSocket or kTcpSocket (closed TCP) for such a socket behind fd `fd` of `pid`;
// nullopt otherwise.
std::optional<records::FileKind> socket_kind_of(pid_t pid, int fd);

// Writes sections kUnixSockets and kInetSockets (id 0) and the unix sockets' queued data
// (kSocketData) for the socket descriptions of `files`; `netns_pid` is in the container's
// network namespace. Throws Error before writing for a socket that cannot be dumped.
void dump_sockets(const records::FilesState& files, pid_t netns_pid, image::ImageWriter& image);

}  // namespace ckpt::dump
