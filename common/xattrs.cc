#include "common/xattrs.h"

#include <sys/xattr.h>

#include <cerrno>

#include "common/error.h"

namespace ckpt::fs {
namespace {

// Calls `get(buffer, size)` (a *xattr call returning a length) with a buffer that fits.
template <class Get>
std::string sized_read(const std::string& what, Get get) {
  for (;;) {
    ssize_t size = get(nullptr, 0);
    if (size < 0) throw_errno("{}", what);
    std::string out(static_cast<size_t>(size), '\0');
    ssize_t got = get(out.data(), out.size());
    if (got >= 0) return out.substr(0, static_cast<size_t>(got));
    if (errno != ERANGE) throw_errno("{}", what);  // ERANGE: it grew meanwhile
  }
}

}  // namespace

Xattrs read_xattrs(const std::string& path) {
  if (::llistxattr(path.c_str(), nullptr, 0) < 0 && (errno == ENOTSUP || errno == EOPNOTSUPP))
    return {};
  std::string names = sized_read("list xattrs of " + path, [&](char* buf, size_t size) {
    return ::llistxattr(path.c_str(), buf, size);
  });
  Xattrs out;
  for (size_t at = 0; at < names.size();) {
    std::string name = names.c_str() + at;
    at += name.size() + 1;
    if (name.empty()) continue;
    out.emplace_back(name, sized_read("xattr " + name + " of " + path, [&](char* buf, size_t size) {
                       return ::lgetxattr(path.c_str(), name.c_str(), buf, size);
                     }));
  }
  return out;
}

void write_xattrs(const std::string& path, const Xattrs& xattrs) {
  for (const auto& [name, value] : xattrs)
    if (::lsetxattr(path.c_str(), name.c_str(), value.data(), value.size(), 0) != 0)
      throw_errno("set xattr {} of {}", name, path);
}

void write_xattrs(int fd, const std::string& shown, const Xattrs& xattrs) {
  for (const auto& [name, value] : xattrs)
    if (::fsetxattr(fd, name.c_str(), value.data(), value.size(), 0) != 0)
      throw_errno("set xattr {} of {}", name, shown);
}

}  // namespace ckpt::fs
