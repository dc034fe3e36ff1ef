// Unix and UDP sockets of a container. Section kUnixSockets (id 0) holds one UnixSocketsState,
// kInetSockets (id 0) one UdpSocketsState; kSocketData (id = socket record id) holds the bytes
// queued for reading on a unix socket, messages back to back (sizes in the record).
// A record's id is the FileDescription::id of the socket's open file description.
#pragma once

#include "common/records/fields.h"
#include "common/records/socket_options.h"

#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <boost/serialization/version.hpp>
#include <compare>
#include <cstdint>
#include <string>
#include <vector>

namespace ckpt::records {

enum class UnixSocketState : uint32_t {
  kUnconnected = 0,  // maybe bound, neither listening nor connected
  kListening = 1,
  kConnected = 2,  // `peer` is the other end (stream/seqpacket: both ways; dgram: the target)
  kPending = 3,    // connected to `peer`, a listener, which has not accepted it yet
  kOrphaned = 4,   // stream/seqpacket whose peer was closed: data may remain, writes fail
};

// What SO_PEERCRED and SO_PEERGROUPS show on a unix socket: the process that made the
// connection (on an accepted end), that listened (on a listener and on the ends connected to
// it) or that made the pair, with its effective ids and groups then. pid as the container's pid
// namespace sees it; 0: nothing recorded (unconnected, or an image older than version 4).
struct PeerCredentials {
  int32_t pid = 0;
  uint32_t uid = UINT32_MAX, gid = UINT32_MAX;
  std::vector<uint32_t> groups;

  auto operator<=>(const PeerCredentials&) const = default;

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, pid, uid, gid, groups);
  }
};

struct UnixSocket {
  uint64_t id = 0;     // FileDescription::id
  uint64_t inode = 0;  // at dump time, for messages
  int32_t type = 0;    // SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET
  UnixSocketState state = UnixSocketState::kUnconnected;
  // The bound sun_path as getsockname() returned it (abstract names start with '\0'); empty
  // when unbound. Accepted sockets carry their listener's name.
  std::string name;
  uint64_t peer = 0;    // id of the peer record (kConnected, kPending)
  int32_t backlog = 0;  // kListening: listen(2) backlog
  // kListening: ids of the clients waiting in the accept queue, in accept order.
  std::vector<uint64_t> pending;
  uint32_t shutdown = 0;                        // RCV_SHUTDOWN (1) | SEND_SHUTDOWN (2) of this end
  int32_t send_buffer = 0, receive_buffer = 0;  // SO_SNDBUF/SO_RCVBUF as getsockopt gives them
  int32_t peek_offset = -1;                     // SO_PEEK_OFF
  bool pass_credentials = false;                // SO_PASSCRED
  // Path names: the socket file's permissions and owner.
  uint32_t file_mode = 0, file_uid = 0, file_gid = 0;
  // Queued for reading: each message's size (one entry for all of a stream's bytes).
  std::vector<uint32_t> message_sizes;
  // A relative path name: the directory (from the container's root) it was bound in, where
  // the restore binds it again by the same relative name (version 2).
  std::string directory;
  // The socket-level options (version 3): SO_PASSSEC, timestamps, timeouts, a filter, ...
  SocketOptions options;
  PeerCredentials peer_credentials;  // version 4
  // SO_PASSCRED: the process that sent each message of message_sizes (its real uid and gid;
  // no groups), one each; empty when the messages carry no credentials. Version 5.
  std::vector<PeerCredentials> message_senders;

  template <class Ar>
  void serialize(Ar& ar, unsigned version) {
    fields(ar, id, inode, type, state, name, peer, backlog, pending, shutdown, send_buffer,
           receive_buffer, peek_offset, pass_credentials, file_mode, file_uid, file_gid,
           message_sizes);
    if (version >= 2) fields(ar, directory);
    if (version >= 3) fields(ar, options);
    if (version >= 4) fields(ar, peer_credentials);
    if (version >= 5) fields(ar, message_senders);
  }
};

struct UnixSocketsState {
  std::vector<UnixSocket> sockets;

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, sockets);
  }
};

// A UDP socket (IPv4 or IPv6). Datagrams queued at dump time are not kept (UDP may drop).
struct UdpSocket {
  uint64_t id = 0;  // FileDescription::id
  int32_t family = 0;
  int32_t protocol = 0;
  std::string local;  // bound sockaddr; empty when unbound
  std::string peer;   // connected sockaddr; empty when not connected
  bool reuse_address = false, reuse_port = false, broadcast = false, v6_only = false;
  int32_t send_buffer = 0, receive_buffer = 0;  // as getsockopt gives them (doubled)
  SocketOptions options;                        // version 2

  template <class Ar>
  void serialize(Ar& ar, unsigned version) {
    fields(ar, id, family, protocol, local, peer, reuse_address, reuse_port, broadcast, v6_only,
           send_buffer, receive_buffer);
    if (version >= 2) fields(ar, options);
  }
};

struct UdpSocketsState {
  std::vector<UdpSocket> sockets;

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    fields(ar, sockets);
  }
};

}  // namespace ckpt::records

BOOST_CLASS_VERSION(ckpt::records::PeerCredentials, 1)
BOOST_CLASS_VERSION(ckpt::records::UnixSocket, 5)
BOOST_CLASS_VERSION(ckpt::records::UnixSocketsState, 1)
BOOST_CLASS_VERSION(ckpt::records::UdpSocket, 2)
BOOST_CLASS_VERSION(ckpt::records::UdpSocketsState, 1)
