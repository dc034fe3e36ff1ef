#include "common/group_filter.h"

#include <cstddef>
#include <cstring>

#include "common/error.h"

namespace ckpt {

namespace {

size_t address_size(int family) {
  return family == AF_INET ? sizeof(in_addr) : sizeof(in6_addr);
}

void* address_in(sockaddr_storage& storage) {
  if (storage.ss_family == AF_INET) return &reinterpret_cast<sockaddr_in&>(storage).sin_addr;
  return &reinterpret_cast<sockaddr_in6&>(storage).sin6_addr;
}

constexpr size_t kListOffset = offsetof(group_filter, gf_slist);

}  // namespace

sockaddr_storage sockaddr_of(int family, const std::string& address) {
  if ((family != AF_INET && family != AF_INET6) || address.size() != address_size(family))
    fail("an address of {} bytes for family {}", address.size(), family);
  sockaddr_storage storage{};
  storage.ss_family = static_cast<sa_family_t>(family);
  std::memcpy(address_in(storage), address.data(), address.size());
  return storage;
}

std::string address_bytes(const sockaddr_storage& storage) {
  sockaddr_storage copy = storage;
  return std::string(static_cast<const char*>(address_in(copy)), address_size(copy.ss_family));
}

GroupFilter::GroupFilter(uint32_t sources)
    : room_(GROUP_FILTER_SIZE(sources) / sizeof(sockaddr_storage) + 1),
      size_(static_cast<socklen_t>(GROUP_FILTER_SIZE(sources))) {}

sockaddr_storage GroupFilter::source(uint32_t i) const {
  sockaddr_storage source{};
  std::memcpy(&source, reinterpret_cast<const char*>(room_.data()) + kListOffset + i * sizeof source,
              sizeof source);
  return source;
}

void GroupFilter::set_source(uint32_t i, const sockaddr_storage& source) {
  std::memcpy(reinterpret_cast<char*>(room_.data()) + kListOffset + i * sizeof source, &source,
              sizeof source);
}

}  // namespace ckpt
