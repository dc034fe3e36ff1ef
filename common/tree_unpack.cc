#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "common/error.h"
#include "common/image/archive.h"
#include "common/tree_entry.h"
#include "common/tree_pack.h"
#include "common/unique_fd.h"
#include "common/xattrs.h"

namespace ckpt::tree {

namespace {

timespec mtime_of(const TreeEntry& e) {
  return {static_cast<time_t>(e.mtime_sec), static_cast<long>(e.mtime_nsec)};
}

timespec atime_of(const TreeEntry& e) {
  return {static_cast<time_t>(e.atime_sec), static_cast<long>(e.atime_nsec)};
}

}  // namespace

// A push parser: the stream arrives in chunks that cut headers and data anywhere.
class TreeUnpacker::Impl {
 public:
  explicit Impl(const std::string& top)
      : top_(top), dir_(::open(top.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {
    if (!dir_) throw_errno("open({})", top);
  }

  void feed(std::span<const std::byte> chunk) {
    const char* p = reinterpret_cast<const char*>(chunk.data());
    size_t left = chunk.size();
    while (left > 0) {
      if (done_) fail("{}: data after the end of the packed tree", top_);
      size_t used = data_left_ > 0 ? take_data(p, left) : take_header(p, left);
      p += used;
      left -= used;
    }
  }

  void finish() {
    if (!done_) fail("{}: packed tree is truncated", top_);
    // Deepest first, so that a read-only directory is closed only after its contents.
    for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) set_attributes(*it);
  }

 private:
  size_t take_header(const char* p, size_t left) {
    size_t want = (header_size_ ? header_size_ : sizeof(uint32_t)) - pending_.size();
    size_t used = std::min(want, left);
    pending_.append(p, used);
    if (used < want) return used;
    if (!header_size_) {
      std::memcpy(&header_size_, pending_.data(), sizeof header_size_);
      pending_.clear();
      if (header_size_ == 0) done_ = true;
      return used;
    }
    auto entry = image::from_bytes<TreeEntry>(pending_, "tree entry");
    pending_.clear();
    header_size_ = 0;
    create(entry);
    return used;
  }

  size_t take_data(const char* p, size_t left) {
    size_t used = static_cast<size_t>(std::min<uint64_t>(left, extent_left_));
    if (::pwrite(file_.get(), p, used, static_cast<off_t>(offset_)) != static_cast<ssize_t>(used))
      throw_errno("write {}/{}", top_, entry_.path);
    offset_ += used;
    extent_left_ -= used;
    data_left_ -= used;
    if (extent_left_ == 0 && data_left_ > 0) next_extent();
    if (data_left_ == 0) close_file();
    return used;
  }

  void next_extent() {
    extent_ += 2;
    offset_ = entry_.extents[extent_];
    extent_left_ = entry_.extents[extent_ + 1];
  }

  void create(const TreeEntry& e) {
    const char* path = e.path.c_str();
    if (e.path == ".") return dirs_.push_back(e);
    if (S_ISDIR(e.mode)) {
      if (::mkdirat(dir_.get(), path, 0700) != 0 && errno != EEXIST)
        throw_errno("mkdir {}/{}", top_, e.path);
      return dirs_.push_back(e);
    }
    remove_existing(e.path);
    if (!e.hardlink_to.empty()) {
      if (::linkat(dir_.get(), e.hardlink_to.c_str(), dir_.get(), path, 0) != 0)
        throw_errno("link {}/{} to {}", top_, e.path, e.hardlink_to);
      return;
    }
    if (S_ISLNK(e.mode)) {
      if (::symlinkat(e.link_target.c_str(), dir_.get(), path) != 0)
        throw_errno("symlink {}/{}", top_, e.path);
      return set_attributes(e);
    }
    if (S_ISREG(e.mode)) return open_file(e);
    if (::mknodat(dir_.get(), path, e.mode, static_cast<dev_t>(e.rdev)) != 0)
      throw_errno("mknod {}/{}", top_, e.path);
    set_attributes(e);
  }

  void remove_existing(const std::string& rel) {
    struct stat st {};
    if (::fstatat(dir_.get(), rel.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return;
    if (S_ISDIR(st.st_mode)) fail("{}/{}: a directory is in the way of a file", top_, rel);
    if (::unlinkat(dir_.get(), rel.c_str(), 0) != 0) throw_errno("unlink {}/{}", top_, rel);
  }

  void open_file(const TreeEntry& e) {
    entry_ = e;
    file_.reset(::openat(dir_.get(), e.path.c_str(),
                         O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!file_) throw_errno("create {}/{}", top_, e.path);
    if (::ftruncate(file_.get(), static_cast<off_t>(e.size)) != 0)
      throw_errno("truncate {}/{}", top_, e.path);
    data_left_ = e.data_size();
    if (data_left_ == 0) return close_file();
    extent_ = static_cast<size_t>(-2);
    next_extent();
    while (extent_left_ == 0) next_extent();
  }

  void close_file() {
    file_.reset();
    set_attributes(entry_);
  }

  // Owner before mode (chown clears set-id bits) and xattrs (and file capabilities), times last.
  void set_attributes(const TreeEntry& e) {
    const char* path = e.path.c_str();
    int dir = dir_.get();
    if (::fchownat(dir, path, e.uid, e.gid, AT_SYMLINK_NOFOLLOW) != 0)
      throw_errno("chown {}/{}", top_, e.path);
    if (!S_ISLNK(e.mode) && ::fchmodat(dir, path, e.mode & 07777, 0) != 0)
      throw_errno("chmod {}/{}", top_, e.path);
    fs::write_xattrs(top_ + "/" + e.path, e.xattrs);
    timespec times[2] = {atime_of(e), mtime_of(e)};
    if (::utimensat(dir, path, times, AT_SYMLINK_NOFOLLOW) != 0)
      throw_errno("set mtime of {}/{}", top_, e.path);
  }

  std::string top_;
  UniqueFd dir_;
  std::string pending_;
  uint32_t header_size_ = 0;
  bool done_ = false;
  std::vector<TreeEntry> dirs_;
  TreeEntry entry_;  // the regular file being written
  UniqueFd file_;
  uint64_t data_left_ = 0, extent_left_ = 0, offset_ = 0;
  size_t extent_ = 0;
};

TreeUnpacker::TreeUnpacker(const std::string& top) : impl_(std::make_unique<Impl>(top)) {}
TreeUnpacker::~TreeUnpacker() = default;
void TreeUnpacker::feed(std::span<const std::byte> chunk) {
  impl_->feed(chunk);
}
void TreeUnpacker::finish() {
  impl_->finish();
}

void unpack_tree(const image::ImageReader& image, image::SectionType type, uint64_t id,
                 const std::string& top) {
  TreeUnpacker unpacker(top);
  image.read_stream(type, id, [&](std::span<const std::byte> chunk) { unpacker.feed(chunk); });
  unpacker.finish();
}

}  // namespace ckpt::tree
