// Sockets recreated on restore (the dump side is ckpt/sockets.h).
#pragma once

#include <map>
#include <memory>

#include "common/image/image.h"
#include "common/records/files.h"
#include "common/records/sockets.h"
#include "common/unique_fd.h"
#include "restore/files_data.h"

namespace ckpt::restore {

// A TCP socket bound to the recorded address with its options, listening with its backlog.
// Runs inside the container's network namespace.
UniqueFd open_listening_socket(const records::FileDescription& d);

// A TCP socket neither listening nor connected (kTcpSocket): made with its options and bound
// again when it was bound.
UniqueFd open_tcp_socket(const records::FileDescription& d);

// The unix and UDP socket sections of an image (empty when it has none).
struct SocketsImage {
  records::UnixSocketsState unix_sockets;
  records::UdpSocketsState udp_sockets;
  ReadFileData read_data;  // kSocketData by socket record id
};
SocketsImage read_sockets(const image::ImageReader& image);

class RestoredUnixSockets;

// Unix sockets made at construction (they refer to each other), UDP sockets on demand.
class RestoredSockets {
 public:
  explicit RestoredSockets(const SocketsImage& sockets);
  ~RestoredSockets();

  // A description of kind kUnixSocket or kUdpSocket.
  UniqueFd open_description(const records::FileDescription& d);

 private:
  std::unique_ptr<RestoredUnixSockets> unix_;
  std::map<uint64_t, const records::UdpSocket*> udp_;
};

}  // namespace ckpt::restore
