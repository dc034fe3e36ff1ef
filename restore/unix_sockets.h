// Unix sockets made again (the dump side is ckpt/unix_sockets.h), all at once since they refer
// to each other. How each kind comes back:
//  - listeners: bound at their name (a stale socket file at the path is replaced), listening
//    with their backlog; clients that were waiting in the accept queue connect again (in order)
//    and wait there again;
//  - a connection accepted from a listener that is restored too: its client connects to the
//    listener and the restorer accepts it, so both ends keep their names;
//  - other connected pairs (socketpairs, or an accepted end whose listener is gone):
//    socketpair(), then each end bound to its own name when it had one no other socket shares;
//  - datagram sockets: bound, then connected to their peer's name (mutual unnamed pairs: a
//    socketpair);
//  - queued messages are written back from the peer (or, for datagrams without one, sent from
//    an unnamed socket to the name), boundaries kept; then shutdown states and options.
// Runs in the root task, inside the container's network and mount namespaces.
#pragma once

#include <cstdint>
#include <map>

#include "common/records/files.h"
#include "common/records/sockets.h"
#include "common/unique_fd.h"
#include "restore/files_data.h"

namespace ckpt::restore {

class RestoredUnixSockets {
 public:
  // `read_data` reads kSocketData sections by record id.
  RestoredUnixSockets(const records::UnixSocketsState& state, const ReadFileData& read_data);

  // The socket of description `d` with its status flags; each description is taken once.
  UniqueFd take(const records::FileDescription& d);

 private:
  std::map<uint64_t, UniqueFd> sockets_;  // by record id
};

}  // namespace ckpt::restore
