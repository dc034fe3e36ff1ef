#include "common/untrusted_path.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <memory>
#include <vector>

#include "common/error.h"

namespace ckpt::fs {

namespace {

bool plain_components(std::string_view path) {
  for (;;) {
    size_t slash = path.find('/');
    if (!is_plain_name(path.substr(0, slash))) return false;
    if (slash == std::string_view::npos) return true;
    path.remove_prefix(slash + 1);
  }
}

}  // namespace

std::string printable(std::string_view text) {
  std::string out;
  for (unsigned char c : text.substr(0, 256))
    out += (c < 0x20 || c >= 0x7f) ? fmt::format("\\x{:02x}", c) : std::string(1, char(c));
  if (text.size() > 256) out += "...";
  return out;
}

bool is_plain_name(std::string_view name) {
  return !name.empty() && name != "." && name != ".." &&
         name.find_first_of(std::string_view("/\0", 2)) == std::string_view::npos;
}

void check_relative_path(std::string_view path, std::string_view what) {
  if (path.size() > 4096 || !plain_components(path))
    fail("{} '{}' is refused: a path from the image must be relative, made of plain names "
         "(no '..', '.', empty or absolute parts)",
         what, printable(path));
}

void check_absolute_path(std::string_view path, std::string_view what) {
  if (path == "/") return;
  if (path.size() > 4096 || path.empty() || path[0] != '/' || !plain_components(path.substr(1)))
    fail("{} '{}' is refused: a path from the image must be absolute, made of plain names "
         "(no '..', '.' or empty parts)",
         what, printable(path));
}

UniqueFd open_beneath(int dir, std::string_view rel, int flags, mode_t mode) {
  std::string path = rel.empty() ? std::string(".") : std::string(rel);
  if (!rel.empty()) check_relative_path(rel, "path");
  open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  int fd = static_cast<int>(::syscall(SYS_openat2, dir, path.c_str(), &how, sizeof how));
  if (fd < 0) throw_errno("open {} beneath its directory", printable(path));
  return UniqueFd(fd);
}

ParentDir open_parent_beneath(int dir, std::string_view rel) {
  check_relative_path(rel, "path");
  size_t slash = rel.rfind('/');
  if (slash == std::string_view::npos)
    return {open_beneath(dir, "", O_PATH | O_DIRECTORY), std::string(rel)};
  return {open_beneath(dir, rel.substr(0, slash), O_PATH | O_DIRECTORY),
          std::string(rel.substr(slash + 1))};
}

void remove_tree_at(int dir, const std::string& name) {
  if (!is_plain_name(name)) fail("remove '{}': not a plain name", printable(name));
  int fd = ::openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) throw_errno("open {} to remove it", printable(name));
  std::unique_ptr<DIR, int (*)(DIR*)> listing(::fdopendir(fd), ::closedir);
  if (!listing) {
    ::close(fd);
    throw_errno("list {} to remove it", printable(name));
  }
  std::vector<std::string> names;
  while (struct dirent* d = ::readdir(listing.get()))
    if (is_plain_name(d->d_name)) names.emplace_back(d->d_name);
  for (const auto& child : names) {
    struct stat st {};
    if (::fstatat(fd, child.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (S_ISDIR(st.st_mode))
      remove_tree_at(fd, child);
    else if (::unlinkat(fd, child.c_str(), 0) != 0)
      throw_errno("remove {}/{}", printable(name), printable(child));
  }
  if (::unlinkat(dir, name.c_str(), AT_REMOVEDIR) != 0) throw_errno("remove {}", printable(name));
}

}  // namespace ckpt::fs
