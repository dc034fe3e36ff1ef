#include "common/tree_pack.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <vector>

#include "common/error.h"
#include "common/fs.h"
#include "common/image/archive.h"
#include "common/tree_entry.h"
#include "common/unique_fd.h"
#include "common/xattrs.h"

namespace ckpt::tree {

namespace {

constexpr size_t kCopyChunk = 1 << 20;

class Packer {
 public:
  Packer(const std::function<bool(const std::string&)>& skip, image::ImageWriter::Stream& out,
         const FileIndex* parent)
      : skip_(skip), out_(out), parent_(parent) {}

  void pack_top(const std::string& top) {
    UniqueFd dir(::open(top.c_str(), O_RDONLY | O_DIRECTORY | O_NOATIME | O_CLOEXEC));
    if (!dir) throw_errno("open({})", top);
    struct stat st {};
    if (::fstat(dir.get(), &st) != 0) throw_errno("stat({})", top);
    dev_ = st.st_dev;
    top_ = top;
    TreeEntry e = entry_of(".", st);
    e.xattrs = fs::read_xattrs(top);
    emit(e, nullptr);
    walk(dir.get(), "");
    uint32_t end = 0;
    out_.write(&end, sizeof end);
  }

  PackStats stats;

 private:
  static TreeEntry entry_of(const std::string& path, const struct stat& st) {
    TreeEntry e;
    e.path = path;
    e.mode = st.st_mode;
    e.uid = st.st_uid;
    e.gid = st.st_gid;
    e.mtime_sec = st.st_mtim.tv_sec;
    e.mtime_nsec = st.st_mtim.tv_nsec;
    e.atime_sec = st.st_atim.tv_sec;
    e.atime_nsec = st.st_atim.tv_nsec;
    e.rdev = st.st_rdev;
    return e;
  }

  void walk(int dirfd, const std::string& prefix) {
    UniqueFd copy(::dup(dirfd));
    DIR* dir = ::fdopendir(copy.get());
    if (!dir) throw_errno("opendir({}/{})", top_, prefix);
    copy.release();
    std::unique_ptr<DIR, int (*)(DIR*)> guard(dir, ::closedir);
    ::rewinddir(dir);
    while (struct dirent* d = ::readdir(dir)) {
      std::string name = d->d_name;
      if (name == "." || name == "..") continue;
      visit(dirfd, name, prefix.empty() ? name : prefix + "/" + name);
    }
  }

  void visit(int dirfd, const std::string& name, const std::string& rel) {
    if (skip_(rel)) return;
    struct stat st {};
    if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
      throw_errno("stat({}/{})", top_, rel);
    if (st.st_dev != dev_ || S_ISSOCK(st.st_mode)) return;  // another mount; sockets cannot be
    TreeEntry e = entry_of(rel, st);
    e.xattrs = fs::read_xattrs(top_ + "/" + rel);
    if (S_ISDIR(st.st_mode)) {
      emit(e, nullptr);
      UniqueFd sub(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC));
      if (!sub) throw_errno("open({}/{})", top_, rel);
      return walk(sub.get(), rel);
    }
    if (S_ISLNK(st.st_mode)) {
      std::string target(static_cast<size_t>(st.st_size) + 256, '\0');
      ssize_t n = ::readlinkat(dirfd, name.c_str(), target.data(), target.size());
      if (n < 0) throw_errno("readlink({}/{})", top_, rel);
      e.link_target = target.substr(0, static_cast<size_t>(n));
      return emit(e, nullptr);
    }
    if (st.st_nlink > 1) {
      auto [it, first] = links_.emplace(st.st_ino, rel);
      if (!first) {
        e.hardlink_to = it->second;
        return emit(e, nullptr);
      }
    }
    if (!S_ISREG(st.st_mode)) return emit(e, nullptr);
    UniqueFd file(::openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC));
    if (!file) throw_errno("open({}/{})", top_, rel);
    e.size = static_cast<uint64_t>(st.st_size);
    e.extents = fs::data_extents(file.get(), e.size);
    if (in_parent(e)) {
      e.data_in_parent = true;
      ++stats.files_in_parent;
      return emit(e, nullptr);
    }
    emit(e, &file);
  }

  // Whether the parent image has this file with the same data, as far as size, mtime and
  // layout tell (as rsync and restic judge).
  bool in_parent(const TreeEntry& e) const {
    if (!parent_) return false;
    auto it = parent_->find(e.path);
    if (it == parent_->end()) return false;
    const TreeEntry& p = it->second;
    return p.size == e.size && p.mtime_sec == e.mtime_sec && p.mtime_nsec == e.mtime_nsec &&
           p.extents == e.extents;
  }

  void emit(const TreeEntry& e, const UniqueFd* file) {
    std::string header = image::to_bytes(e);
    uint32_t size = static_cast<uint32_t>(header.size());
    out_.write(&size, sizeof size);
    out_.write(header.data(), header.size());
    ++stats.entries;
    if (file) copy_extents(e, file->get());
  }

  // The file must not change size while frozen; a short read is an error, not silent zeros.
  void copy_extents(const TreeEntry& e, int fd) {
    std::vector<char> buf(kCopyChunk);
    for (size_t i = 0; i + 1 < e.extents.size(); i += 2) {
      uint64_t off = e.extents[i], left = e.extents[i + 1];
      while (left > 0) {
        size_t want = static_cast<size_t>(std::min<uint64_t>(left, buf.size()));
        ssize_t n = ::pread(fd, buf.data(), want, static_cast<off_t>(off));
        if (n <= 0) fail("read {}/{} at {}: file changed while dumped", top_, e.path, off);
        out_.write(buf.data(), static_cast<size_t>(n));
        off += static_cast<uint64_t>(n);
        left -= static_cast<uint64_t>(n);
        stats.data_bytes += static_cast<uint64_t>(n);
      }
    }
  }

  const std::function<bool(const std::string&)>& skip_;
  image::ImageWriter::Stream& out_;
  const FileIndex* parent_;
  std::string top_;
  dev_t dev_ = 0;
  std::map<ino_t, std::string> links_;
};

}  // namespace

PackStats pack_tree(const std::string& top, const std::function<bool(const std::string&)>& skip,
                    image::ImageWriter::Stream& out, const FileIndex* parent) {
  Packer packer(skip, out, parent);
  packer.pack_top(top);
  return packer.stats;
}

}  // namespace ckpt::tree
