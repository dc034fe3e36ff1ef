// The byte counters of the kernel's struct tcp_info that glibc's copy of it (netinet/tcp.h) lacks,
// read in a file of their own, which includes linux/tcp.h (the two cannot be included together).
#pragma once

#include <cstdint>

namespace ckpt {

struct TcpInfoBytes {
  uint64_t bytes_sent = 0;     // data bytes transmitted, retransmissions included
  uint32_t notsent_bytes = 0;  // queued and not yet sent
};

// TCP_INFO of the TCP socket `sock`; throws Error.
TcpInfoBytes tcp_info_bytes(int sock);

}  // namespace ckpt
