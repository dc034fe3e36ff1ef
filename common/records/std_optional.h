// Boost.Serialization for std::optional (Boost 1.74, Debian 12's, only knows boost::optional).
#pragma once

#include <boost/serialization/split_free.hpp>
#include <optional>

namespace boost::serialization {

template <class Archive, class T>
void save(Archive& ar, const std::optional<T>& value, unsigned /*version*/) {
  bool present = value.has_value();
  ar & present;
  if (present) ar << *value;
}

template <class Archive, class T>
void load(Archive& ar, std::optional<T>& value, unsigned /*version*/) {
  bool present = false;
  ar & present;
  if (!present) {
    value.reset();
    return;
  }
  T inner{};
  ar & inner;
  value = std::move(inner);
}

template <class Archive, class T>
void serialize(Archive& ar, std::optional<T>& value, unsigned version) {
  split_free(ar, value, version);
}

}  // namespace boost::serialization
