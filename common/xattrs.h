// Extended attributes of a path, not following a final symlink.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace ckpt::fs {

using Xattrs = std::vector<std::pair<std::string, std::string>>;

// Every attribute, name -> value; none on a filesystem without xattr support.
Xattrs read_xattrs(const std::string& path);
// Sets each attribute; throws Error naming the path and the attribute.
void write_xattrs(const std::string& path, const Xattrs& xattrs);
// The same through an open file (`shown` names it in errors).
void write_xattrs(int fd, const std::string& shown, const Xattrs& xattrs);

}  // namespace ckpt::fs
