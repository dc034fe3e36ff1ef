// Restore of established TCP connections (the dump side is ckpt/tcp_connections.h), in the
// container's root task while it opens the open file descriptions: each connection is rebuilt
// in repair mode (restore/tcp_repair.h) when its description is opened; finish() lets them all
// go once every description is open, so that both ends of a connection inside the container
// exist before either talks. With --tcp-close they come back closed instead. The restore keeps
// the container's host links down until then (RebuiltNetns::bring_host_links_up).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/image/image.h"
#include "common/records/files.h"
#include "common/records/tcp.h"
#include "common/unique_fd.h"

namespace ckpt::restore {

class TcpConnectionsRestore {
 public:
  // Reads the connections and their queued bytes from `image` (none if it has no such section).
  TcpConnectionsRestore(const image::ImageReader& image, bool close_connections);

  // The socket of description `d` (kind kTcpConnection), still in repair mode.
  UniqueFd open(const records::FileDescription& d);
  // Repair off for every connection opened, in the order opened; fd flags as recorded.
  void finish();

 private:
  struct Repairing {
    const records::TcpConnection* record;
    uint32_t flags;
    UniqueFd sock;  // a duplicate of the socket handed out
  };

  const records::TcpConnection& record_of(uint64_t id) const;
  std::string_view queued_of(uint64_t id) const;

  records::TcpConnections connections_;
  std::map<uint64_t, std::string> queued_;  // description id -> send queue + receive queue
  bool close_;
  std::vector<Repairing> repairing_;
};

// Whether an image holds connections to repair (then the restore holds the network down).
bool has_tcp_connections(const image::ImageReader& image);

}  // namespace ckpt::restore
