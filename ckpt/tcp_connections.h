// Dump of the container's TCP connections (FileKind::kTcpConnection): refused in one line naming
// the connection unless `ckpt dump --tcp-established`; with it, each connection (but one still
// in its handshake: SYN_SENT) is put in repair mode and read (ckpt/tcp_repair.h) while the
// network is locked (the host ends of the container's veths down, netns/host_link_lock.h), and
// written to section kTcpConnections (id 0) with the queued bytes in kSocketData (id =
// description id).
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "ckpt/tcp_repair.h"
#include "common/dump_marks.h"
#include "common/image/image.h"
#include "common/records/files.h"
#include "netns/host_link_lock.h"

namespace ckpt::dump {

// Whether fd `fd` of `pid` is a TCP socket with a connection (neither listening nor closed).
bool is_tcp_connection(pid_t pid, int fd);

struct TcpDumpOptions {
  bool established = false;             // --tcp-established
  std::vector<std::string> lock_links;  // host links to hold down while connections are read
  DumpMarks* marks = nullptr;           // told of the lock before it is taken
};

// The dumped connections, still in repair mode, and the network lock. Destroying it releases
// them (repair off, then links up): the dump failed, or the container runs on
// (--leave-running). After keep_for_kill(), destroying it leaves the sockets in repair mode and
// the links down: the container is killed and its connections close without a word to the peer.
class DumpedTcpConnections {
 public:
  DumpedTcpConnections(std::vector<std::string> lock_links);
  void add(std::unique_ptr<RepairMode> repair) { repairs_.push_back(std::move(repair)); }
  void keep_for_kill();
  const std::vector<std::unique_ptr<RepairMode>>& repairs() const { return repairs_; }

 private:
  netns::HostLinksDown lock_;  // released after the repairs (members die in reverse order)
  std::vector<std::unique_ptr<RepairMode>> repairs_;
};

// Whether `files` hold a TCP connection.
bool has_tcp_connections(const records::FilesState& files);

// Refuses, naming it, a connection among `files` that cannot be dumped: any without
// `established` (--tcp-established), one in a state the restore cannot make again (SYN_RECV,
// CLOSING; CLOSE_WAIT, LAST_ACK on an IPv6 address other than ::1). Changes nothing.
void check_tcp_connections(const records::FilesState& files, bool established);

// Writes the connections among `files` (refusing them as check_tcp_connections). Returns null
// when there are none.
std::unique_ptr<DumpedTcpConnections> dump_tcp_connections(const records::FilesState& files,
                                                           const TcpDumpOptions& options,
                                                           image::ImageWriter& image);

}  // namespace ckpt::dump
