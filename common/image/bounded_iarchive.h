// The binary input archive every record is read with: Boost's binary_iarchive, but an image is
// untrusted input, so a count or string length is checked against the bytes really left before
// anything is allocated (a 34 KB record claiming 2^28 elements made a reader allocate 1 GB), and
// a bool must be the byte 0 or 1 (any other byte loaded into a bool is undefined behaviour).
#pragma once

#include <boost/archive/binary_iarchive_impl.hpp>
#include <boost/archive/detail/register_archive.hpp>
#include <boost/serialization/collection_size_type.hpp>
#include <istream>
#include <string>

namespace ckpt::image {

class BoundedIArchive
    : public boost::archive::binary_iarchive_impl<BoundedIArchive, char, std::char_traits<char>> {
  using Impl = boost::archive::binary_iarchive_impl<BoundedIArchive, char, std::char_traits<char>>;
  using Primitive =
      boost::archive::basic_binary_iprimitive<BoundedIArchive, char, std::char_traits<char>>;
  friend class boost::archive::detail::interface_iarchive<BoundedIArchive>;
  friend class boost::archive::basic_binary_iarchive<BoundedIArchive>;
  friend class boost::archive::load_access;

 public:
  // `in` must stay alive; flags as for binary_iarchive (ckpt uses no_header).
  BoundedIArchive(std::istream& in, unsigned flags) : Impl(in, flags), in_(in) { init(flags); }

  // Throws std::length_error when `count` items of at least one byte each cannot be left.
  void check_count(uint64_t count, const char* what) const;

  // Called by Boost's archive templates (public: the primitive loaders call them through This()).
  template <class T>
  void load(T& t) {
    Primitive::load(t);
  }
  void load(bool& t);
  void load(std::string& s);

  template <class T>
  void load_override(T& t) {
    Impl::load_override(t);
  }
  void load_override(boost::serialization::collection_size_type& t);

 private:
  std::istream& in_;
};

}  // namespace ckpt::image

BOOST_SERIALIZATION_REGISTER_ARCHIVE(ckpt::image::BoundedIArchive)
BOOST_SERIALIZATION_USE_ARRAY_OPTIMIZATION(ckpt::image::BoundedIArchive)
