// read_sockets and RestoredSockets (restore/sockets.h): unix and UDP sockets from their sections.
#include "common/error.h"
#include "restore/sockets.h"
#include "restore/udp_sockets.h"
#include "restore/unix_sockets.h"

namespace ckpt::restore {

using image::SectionType;

SocketsImage read_sockets(const image::ImageReader& image) {
  SocketsImage sockets;
  if (image.has(SectionType::kUnixSockets, 0))
    sockets.unix_sockets = image.get<records::UnixSocketsState>(SectionType::kUnixSockets, 0);
  if (image.has(SectionType::kInetSockets, 0))
    sockets.udp_sockets = image.get<records::UdpSocketsState>(SectionType::kInetSockets, 0);
  sockets.read_data = [&image](uint64_t id, const DataConsumer& consume) {
    image.read_stream(SectionType::kSocketData, id, consume);
  };
  return sockets;
}

RestoredSockets::RestoredSockets(const SocketsImage& sockets)
    : unix_(std::make_unique<RestoredUnixSockets>(sockets.unix_sockets, sockets.read_data)) {
  for (const auto& udp : sockets.udp_sockets.sockets) udp_[udp.id] = &udp;
}

RestoredSockets::~RestoredSockets() = default;

UniqueFd RestoredSockets::open_description(const records::FileDescription& d) {
  if (d.kind == records::FileKind::kUnixSocket) return unix_->take(d);
  auto it = udp_.find(d.id);
  if (it == udp_.end()) fail("restore files: UDP socket description {} has no record", d.id);
  return open_udp_socket(*it->second, d);
}

}  // namespace ckpt::restore
