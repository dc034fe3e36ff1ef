// Records <-> bytes through Boost.Serialization binary archives. Every record type carries a
// BOOST_CLASS_VERSION so that later ckpt versions can read older images.
#pragma once

#include <boost/archive/binary_oarchive.hpp>
#include <boost/serialization/map.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <sstream>
#include <streambuf>
#include <string>

#include "common/error.h"
#include "common/image/bounded_iarchive.h"
#include "common/records/std_optional.h"

namespace ckpt::image {

template <typename Record>
std::string to_bytes(const Record& record) {
  std::ostringstream out(std::ios::binary);
  {
    boost::archive::binary_oarchive ar(out, boost::archive::no_header);
    ar << record;
  }
  return std::move(out).str();
}

// An input stream buffer over bytes held elsewhere (std::istringstream copies them).
class ViewBuf : public std::streambuf {
 public:
  explicit ViewBuf(const std::string& bytes) {
    char* begin = const_cast<char*>(bytes.data());  // only ever read
    setg(begin, begin, begin + bytes.size());
  }
};

// Throws Error naming `what` when the bytes do not decode as Record (read by BoundedIArchive:
// counts, lengths and bools are checked, so any bytes give a record or this one error).
template <typename Record>
Record from_bytes(const std::string& bytes, const char* what) {
  Record record{};
  try {
    ViewBuf view(bytes);  // read in place: a pagemap is megabytes, not worth a copy
    std::istream in(&view);
    BoundedIArchive ar(in, boost::archive::no_header);
    ar >> record;
  } catch (const std::exception& e) {
    fail("cannot decode {} record: {}", what, e.what());
  }
  return record;
}

}  // namespace ckpt::image
