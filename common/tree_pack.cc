#include "common/tree_pack.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>
#include <map>
#include <vector>

#include "common/borrowed_description.h"
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
         const PackOptions& options)
      : skip_(skip), out_(out), options_(options) {}

  void pack_top(const std::string& top) {
    UniqueFd dir(::open(top.c_str(), O_RDONLY | O_DIRECTORY | O_NOATIME | O_CLOEXEC));
    if (!dir) throw_errno("open({})", top);
    struct stat st {};
    if (::fstat(dir.get(), &st) != 0) throw_errno("stat({})", top);
    dev_ = st.st_dev;
    top_ = top;
    timespec now {};
    ::clock_gettime(CLOCK_REALTIME, &now);
    stamp_before_ns_ = ns_of(now) - options_.stamp_margin_ns;
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
    UniqueFd holders = options_.held_open ? options_.held_open(st) : UniqueFd();
    bool is_held = static_cast<bool>(holders);
    UniqueFd file = is_held ? std::move(holders)
                            : UniqueFd(::openat(dirfd, name.c_str(),
                                                O_RDONLY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC));
    if (!file) throw_errno("open({}/{})", top_, rel);
    BorrowedDescription borrowed(is_held ? file.get() : -1, top_ + "/" + rel);  // goes first
    e.size = static_cast<uint64_t>(st.st_size);
    e.extents = fs::data_extents(file.get(), e.size);
    FileStamp stamp = stamp_of(st, e.extents);
    if (in_parent(e) || held(e.path, stamp)) {
      e.data_in_parent = true;
      ++stats.files_in_parent;
      return emit(e, nullptr);
    }
    if (options_.stamps && ns_of(st.st_ctim) < stamp_before_ns_)
      (*options_.stamps)[e.path] = std::move(stamp);
    emit(e, &file);
  }

  static int64_t ns_of(const timespec& t) {
    return static_cast<int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
  }

  static FileStamp stamp_of(const struct stat& st, const std::vector<uint64_t>& extents) {
    return {static_cast<uint64_t>(st.st_ino), static_cast<uint64_t>(st.st_size),
            st.st_mtim.tv_sec, st.st_mtim.tv_nsec, st.st_ctim.tv_sec, st.st_ctim.tv_nsec,
            extents};
  }

  // Whether the reader holds this file as it is now (see PackOptions::held).
  bool held(const std::string& path, const FileStamp& now) const {
    if (!options_.held) return false;
    auto it = options_.held->find(path);
    return it != options_.held->end() && it->second == now;
  }

  // Whether the parent image has this file with the same data, as far as size, mtime and
  // layout tell (as rsync and restic judge).
  bool in_parent(const TreeEntry& e) const {
    if (!options_.parent) return false;
    auto it = options_.parent->find(e.path);
    if (it == options_.parent->end()) return false;
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
  const PackOptions& options_;
  std::string top_;
  int64_t stamp_before_ns_ = 0;  // files changed since are not stamped
  dev_t dev_ = 0;
  std::map<ino_t, std::string> links_;
};

}  // namespace

PackStats pack_tree(const std::string& top, const std::function<bool(const std::string&)>& skip,
                    image::ImageWriter::Stream& out, const PackOptions& options) {
  Packer packer(skip, out, options);
  packer.pack_top(top);
  return packer.stats;
}

}  // namespace ckpt::tree
