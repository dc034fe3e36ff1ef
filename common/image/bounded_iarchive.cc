#include "common/image/bounded_iarchive.h"

// Boost compiles its archive templates only for its own archives: instantiate them for this one.
#include <boost/archive/impl/archive_serializer_map.ipp>
#include <boost/archive/impl/basic_binary_iarchive.ipp>
#include <boost/archive/impl/basic_binary_iprimitive.ipp>
#include <fmt/format.h>
#include <stdexcept>

namespace boost::archive {
template class basic_binary_iprimitive<ckpt::image::BoundedIArchive, char, std::char_traits<char>>;
template class basic_binary_iarchive<ckpt::image::BoundedIArchive>;
template class binary_iarchive_impl<ckpt::image::BoundedIArchive, char, std::char_traits<char>>;
template class detail::archive_serializer_map<ckpt::image::BoundedIArchive>;
}  // namespace boost::archive

namespace ckpt::image {

void BoundedIArchive::check_count(uint64_t count, const char* what) const {
  auto left = in_.rdbuf()->in_avail();
  if (left < 0 || count > static_cast<uint64_t>(left))
    throw std::length_error(fmt::format("{} {} is more than the {} bytes left", what, count,
                                        left < 0 ? 0 : left));
}

void BoundedIArchive::load(bool& t) {
  unsigned char byte = 0;
  load_binary(&byte, 1);
  if (byte > 1) throw std::domain_error(fmt::format("a bool holds the byte {}", byte));
  t = byte == 1;
}

void BoundedIArchive::load(std::string& s) {
  std::size_t size = 0;
  Primitive::load(size);
  check_count(size, "a string length of");
  s.resize(size);
  if (size > 0) load_binary(s.data(), size);
}

void BoundedIArchive::load_override(boost::serialization::collection_size_type& t) {
  Impl::load_override(t);
  check_count(t, "a count of");
}

}  // namespace ckpt::image
