// dump_sockets (ckpt/sockets.h): the sections of unix and UDP sockets.
#include "ckpt/sockets.h"
#include "ckpt/udp_sockets.h"
#include "ckpt/unix_sockets.h"
#include "common/error.h"

namespace ckpt::dump {

void dump_sockets(const records::FilesState& files, pid_t netns_pid, image::ImageWriter& image) {
  CollectedUnixSockets unix_sockets = collect_unix_sockets(files, netns_pid);
  records::UdpSocketsState udp = collect_udp_sockets(files);
  if (!unix_sockets.state.sockets.empty())
    image.put(image::SectionType::kUnixSockets, 0, unix_sockets.state);
  if (!udp.sockets.empty()) image.put(image::SectionType::kInetSockets, 0, udp);
  for (const auto& [id, data] : unix_sockets.data)
    image.put_bytes(image::SectionType::kSocketData, id, data);
  spdlog::debug("sockets: {} unix ({} with queued data), {} udp", unix_sockets.state.sockets.size(),
                unix_sockets.data.size(), udp.sockets.size());
}

}  // namespace ckpt::dump
