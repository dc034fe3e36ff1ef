#include "common/tcp_info_bytes.h"

#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>

#include "common/error.h"

namespace ckpt {

TcpInfoBytes tcp_info_bytes(int sock) {
  tcp_info info{};
  socklen_t len = sizeof info;
  if (::getsockopt(sock, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) throw_errno("TCP_INFO");
  if (len < offsetof(tcp_info, tcpi_bytes_retrans)) fail("TCP_INFO without tcpi_bytes_sent");
  return {info.tcpi_bytes_sent, info.tcpi_notsent_bytes};
}

}  // namespace ckpt
