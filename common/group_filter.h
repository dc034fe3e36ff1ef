// A multicast source filter (struct group_filter, MCAST_MSFILTER) with room for its sources:
// glibc declares gf_slist with one element, so the buffer is made big enough and the sources
// are read and written past it by offset. Addresses are kept as in_addr/in6_addr bytes.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ckpt {

// A sockaddr_in/sockaddr_in6 (port 0) of `family` holding `address` (4 or 16 bytes).
sockaddr_storage sockaddr_of(int family, const std::string& address);

// The address bytes of a sockaddr_in/sockaddr_in6.
std::string address_bytes(const sockaddr_storage& storage);

class GroupFilter {
 public:
  explicit GroupFilter(uint32_t sources);

  group_filter* get() { return reinterpret_cast<group_filter*>(room_.data()); }
  // The size of a filter with `sources` sources (GROUP_FILTER_SIZE).
  socklen_t size() const { return size_; }
  sockaddr_storage source(uint32_t i) const;
  void set_source(uint32_t i, const sockaddr_storage& source);

 private:
  std::vector<sockaddr_storage> room_;
  socklen_t size_;
};

}  // namespace ckpt
