#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstring>
#include <limits>
#include <set>
#include <vector>

#include "common/error.h"
#include "common/image/archive.h"
#include "common/tree_entry.h"
#include "common/tree_pack.h"
#include "common/unique_fd.h"
#include "common/untrusted_path.h"
#include "common/xattrs.h"

namespace ckpt::tree {

namespace {

// A header holds a path, a link target, the extent list and xattrs (each at most 64 KiB).
constexpr uint32_t kMaxHeaderSize = 16u << 20;

timespec mtime_of(const TreeEntry& e) {
  return {static_cast<time_t>(e.mtime_sec), static_cast<long>(e.mtime_nsec)};
}

timespec atime_of(const TreeEntry& e) {
  return {static_cast<time_t>(e.atime_sec), static_cast<long>(e.atime_nsec)};
}

// A push parser of a packed tree: the stream arrives in chunks that cut headers and data
// anywhere; each header goes to entry(), the data after it to data().
class StreamParser {
 public:
  explicit StreamParser(std::string top) : top_(std::move(top)) {}
  virtual ~StreamParser() = default;

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
  void check_done() const {
    if (!done_) fail("{}: packed tree is truncated", top_);
  }

 protected:
  virtual void entry(const TreeEntry& e) = 0;
  virtual void data(const char* p, size_t size) = 0;

  // A damaged or forged entry is refused by name before anything is made for it.
  void check_entry(const TreeEntry& e) const {
    std::string what = top_ + ": packed tree entry";
    if (e.path != ".") fs::check_relative_path(e.path, what);
    if (!e.hardlink_to.empty()) fs::check_relative_path(e.hardlink_to, what + " link source");
    switch (e.mode & S_IFMT) {
      case S_IFDIR: case S_IFREG: case S_IFLNK: case S_IFCHR: case S_IFBLK: case S_IFIFO:
      case S_IFSOCK:
        break;
      default:
        fail("{} '{}' has no file type (mode {:o})", what, e.path, e.mode);
    }
    if (e.path == "." && !S_ISDIR(e.mode)) fail("{} '.' is not a directory", what);
    if (e.extents.size() % 2 != 0 || (!e.extents.empty() && !S_ISREG(e.mode)))
      fail("{} '{}' has a damaged extent list", what, e.path);
    uint64_t end = 0;  // extents in order, apart, within the size: their sum cannot overflow
    for (size_t i = 0; i < e.extents.size(); i += 2) {
      if (e.extents[i] < end || e.extents[i] > e.size || e.extents[i + 1] > e.size - e.extents[i])
        fail("{} '{}' has an extent out of order or past its size {}", what, e.path, e.size);
      end = e.extents[i] + e.extents[i + 1];
    }
    if (e.size > static_cast<uint64_t>(std::numeric_limits<off_t>::max()))
      fail("{} '{}' has a size of {}", what, e.path, e.size);
  }

  std::string top_;

 private:
  size_t take_header(const char* p, size_t left) {
    size_t want = (header_size_ ? header_size_ : sizeof(uint32_t)) - pending_.size();
    size_t used = std::min(want, left);
    pending_.append(p, used);
    if (used < want) return used;
    if (!header_size_) {
      std::memcpy(&header_size_, pending_.data(), sizeof header_size_);
      pending_.clear();
      if (header_size_ > kMaxHeaderSize)
        fail("{}: packed tree entry header of {} bytes (damaged stream)", top_, header_size_);
      if (header_size_ == 0) done_ = true;
      return used;
    }
    auto e = image::from_bytes<TreeEntry>(pending_, "tree entry");
    pending_.clear();
    header_size_ = 0;
    check_entry(e);
    data_left_ = S_ISREG(e.mode) && e.hardlink_to.empty() ? e.stored_data_size() : 0;
    entry(e);
    return used;
  }

  size_t take_data(const char* p, size_t left) {
    size_t used = static_cast<size_t>(std::min<uint64_t>(left, data_left_));
    data_left_ -= used;
    data(p, used);
    return used;
  }

  std::string pending_;
  uint32_t header_size_ = 0;
  bool done_ = false;
  uint64_t data_left_ = 0;
};

// Owner before mode (chown clears set-id bits) and xattrs (and file capabilities), times last.
// Through an fd of the file itself (directories, regular files).
void set_attributes(int fd, const std::string& top, const TreeEntry& e) {
  if (::fchown(fd, e.uid, e.gid) != 0) throw_errno("chown {}/{}", top, e.path);
  if (::fchmod(fd, e.mode & 07777) != 0) throw_errno("chmod {}/{}", top, e.path);
  fs::write_xattrs(fd, top + "/" + e.path, e.xattrs);
  timespec times[2] = {atime_of(e), mtime_of(e)};
  if (::futimens(fd, times) != 0) throw_errno("set mtime of {}/{}", top, e.path);
}

// Writes the data of one regular file's extents as it arrives, then its attributes.
class ExtentWriter {
 public:
  // Starts on `e`, whose file is open as `file`; without data the file is done at once.
  void start(const TreeEntry& e, UniqueFd file, const std::string& top) {
    entry_ = e;
    top_ = top;
    file_ = std::move(file);
    data_left_ = e.data_size();
    if (data_left_ == 0) return close_file();
    extent_ = static_cast<size_t>(-2);
    next_extent();
    while (extent_left_ == 0) next_extent();
  }
  bool active() const { return data_left_ > 0; }

  void write(const char* p, size_t size) {
    while (size > 0) {
      size_t used = static_cast<size_t>(std::min<uint64_t>(size, extent_left_));
      if (::pwrite(file_.get(), p, used, static_cast<off_t>(offset_)) !=
          static_cast<ssize_t>(used))
        throw_errno("write {}/{}", top_, entry_.path);
      offset_ += used;
      extent_left_ -= used;
      data_left_ -= used;
      p += used;
      size -= used;
      while (extent_left_ == 0 && data_left_ > 0) next_extent();
    }
    if (data_left_ == 0) close_file();
  }

 private:
  void next_extent() {
    extent_ += 2;
    offset_ = entry_.extents[extent_];
    extent_left_ = entry_.extents[extent_ + 1];
  }
  void close_file() {
    set_attributes(file_.get(), top_, entry_);
    file_.reset();
  }

  TreeEntry entry_;
  std::string top_;
  UniqueFd file_;
  uint64_t data_left_ = 0, extent_left_ = 0, offset_ = 0;
  size_t extent_ = 0;
};

UniqueFd open_dir(const std::string& top) {
  UniqueFd dir(::open(top.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir) throw_errno("open({})", top);
  return dir;
}

// The regular files of a stream, data skipped.
class FileIndexer : public StreamParser {
 public:
  using StreamParser::StreamParser;
  FileIndex index;

 private:
  void entry(const TreeEntry& e) override {
    if (S_ISREG(e.mode) && e.hardlink_to.empty()) index[e.path] = e;
  }
  void data(const char*, size_t) override {}
};

// Data of the files an incremental image's tree left to its parents, written into the files
// unpack_tree made (reached beneath top, never through a symlink).
class DataFiller : public StreamParser {
 public:
  DataFiller(const std::string& top, const std::vector<std::string>& needed)
      : StreamParser(top), needed_(needed.begin(), needed.end()), dir_(open_dir(top)) {}
  std::set<std::string> needed_;

 private:
  void entry(const TreeEntry& e) override {
    if (!S_ISREG(e.mode) || !e.hardlink_to.empty() || e.data_in_parent ||
        !needed_.erase(e.path))
      return;
    writer_.start(e, fs::open_beneath(dir_.get(), e.path, O_WRONLY | O_NOFOLLOW), top_);
  }
  void data(const char* p, size_t size) override {
    if (writer_.active()) writer_.write(p, size);
  }

  UniqueFd dir_;
  ExtentWriter writer_;
};

}  // namespace

// Recreates the entries below `top`. Every path of the stream is relative and is reached below
// top_ through directories only (common/untrusted_path.h): no entry can name, link or write
// anything outside top_.
class TreeUnpacker::Impl : public StreamParser {
 public:
  Impl(const std::string& top, const std::vector<std::string>* held)
      : StreamParser(top), dir_(open_dir(top)), held_(held) {}

  void finish() {
    check_done();
    if (held_) remove_stale();
    // Deepest first, so that a read-only directory is closed only after its contents.
    for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) set_directory_attributes(*it);
  }

  std::vector<std::string> data_in_parent;
  std::vector<std::string> paths;

 private:
  void entry(const TreeEntry& e) override {
    paths.push_back(e.path);
    if (e.path == ".") return dirs_.push_back(e);
    auto parent = fs::open_parent_beneath(dir_.get(), e.path);
    const char* name = parent.name.c_str();
    if (S_ISDIR(e.mode)) {
      make_directory(parent, e.path);
      return dirs_.push_back(e);
    }
    if (held_ && S_ISREG(e.mode) && e.hardlink_to.empty() && e.data_in_parent &&
        is_regular_at(parent.fd.get(), name))
      return;  // the file held is this one, unchanged since it was sent
    remove_existing(parent, e.path);
    if (!e.hardlink_to.empty()) {
      auto source = fs::open_parent_beneath(dir_.get(), e.hardlink_to);
      if (::linkat(source.fd.get(), source.name.c_str(), parent.fd.get(), name, 0) != 0)
        throw_errno("link {}/{} to {}", top_, e.path, e.hardlink_to);
      return;
    }
    if (S_ISLNK(e.mode)) {
      if (::symlinkat(e.link_target.c_str(), parent.fd.get(), name) != 0)
        throw_errno("symlink {}/{}", top_, e.path);
      return set_attributes_at(parent, e);
    }
    if (S_ISREG(e.mode)) return open_file(parent, e);
    if (::mknodat(parent.fd.get(), name, e.mode, static_cast<dev_t>(e.rdev)) != 0)
      throw_errno("mknod {}/{}", top_, e.path);
    set_attributes_at(parent, e);
  }

  void data(const char* p, size_t size) override { writer_.write(p, size); }

  static bool is_directory_at(int dir, const char* name) {
    struct stat st {};
    return ::fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
  }

  static bool is_regular_at(int dir, const char* name) {
    struct stat st {};
    return ::fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
  }

  // A directory kept if it is there; over a held tree, a file in its way goes first.
  void make_directory(const fs::ParentDir& parent, const std::string& rel) {
    const char* name = parent.name.c_str();
    if (::mkdirat(parent.fd.get(), name, 0700) == 0) return;
    if (errno == EEXIST && is_directory_at(parent.fd.get(), name)) return;
    if (errno == EEXIST && held_) {
      if (::unlinkat(parent.fd.get(), name, 0) != 0) throw_errno("unlink {}/{}", top_, rel);
      if (::mkdirat(parent.fd.get(), name, 0700) == 0) return;
    }
    throw_errno("mkdir {}/{}", top_, rel);
  }

  void remove_existing(const fs::ParentDir& parent, const std::string& rel) {
    struct stat st {};
    const char* name = parent.name.c_str();
    if (::fstatat(parent.fd.get(), name, &st, AT_SYMLINK_NOFOLLOW) != 0) return;
    if (S_ISDIR(st.st_mode) && !held_)
      fail("{}/{}: a directory is in the way of a file", top_, rel);
    if (S_ISDIR(st.st_mode)) return fs::remove_tree_at(parent.fd.get(), parent.name);
    if (::unlinkat(parent.fd.get(), name, 0) != 0) throw_errno("unlink {}/{}", top_, rel);
  }

  // The held paths the stream did not name, below directories it named (below others, they
  // went with their directory, or with what was made in its place).
  void remove_stale() {
    std::set<std::string> named(paths.begin(), paths.end()), directories;
    for (const auto& d : dirs_) directories.insert(d.path);
    for (const auto& rel : *held_) {
      if (named.count(rel)) continue;
      auto slash = rel.rfind('/');
      if (!directories.count(slash == std::string::npos ? "." : rel.substr(0, slash))) continue;
      auto parent = fs::open_parent_beneath(dir_.get(), rel);
      if (is_directory_at(parent.fd.get(), parent.name.c_str()))
        fs::remove_tree_at(parent.fd.get(), parent.name);
      else if (::unlinkat(parent.fd.get(), parent.name.c_str(), 0) != 0 && errno != ENOENT)
        throw_errno("unlink {}/{}", top_, rel);
    }
  }

  // A file whose data is in the parent image is made at its size with its attributes; its data
  // comes later (fill_tree_data), and its attributes again after it.
  void open_file(const fs::ParentDir& parent, const TreeEntry& e) {
    UniqueFd file(::openat(parent.fd.get(), parent.name.c_str(),
                           O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!file) throw_errno("create {}/{}", top_, e.path);
    if (::ftruncate(file.get(), static_cast<off_t>(e.size)) != 0)
      throw_errno("truncate {}/{}", top_, e.path);
    if (e.data_in_parent) {
      if (e.data_size() > 0) data_in_parent.push_back(e.path);
      return set_attributes(file.get(), top_, e);
    }
    writer_.start(e, std::move(file), top_);
  }

  void set_directory_attributes(const TreeEntry& e) {
    auto dir = fs::open_beneath(dir_.get(), e.path == "." ? "" : e.path,
                                O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    set_attributes(dir.get(), top_, e);
  }

  // The same by name in a directory reached beneath top_ (symlinks, device nodes, fifos, which
  // this unpacker has just made, so that the name is not a symlink unless the entry is one).
  void set_attributes_at(const fs::ParentDir& parent, const TreeEntry& e) {
    int dir = parent.fd.get();
    const char* name = parent.name.c_str();
    if (::fchownat(dir, name, e.uid, e.gid, AT_SYMLINK_NOFOLLOW) != 0)
      throw_errno("chown {}/{}", top_, e.path);
    if (!S_ISLNK(e.mode) && ::fchmodat(dir, name, e.mode & 07777, 0) != 0)
      throw_errno("chmod {}/{}", top_, e.path);
    if (!e.xattrs.empty())
      fs::write_xattrs(fmt::format("/proc/self/fd/{}/{}", dir, parent.name), e.xattrs);
    timespec times[2] = {atime_of(e), mtime_of(e)};
    if (::utimensat(dir, name, times, AT_SYMLINK_NOFOLLOW) != 0)
      throw_errno("set mtime of {}/{}", top_, e.path);
  }

  UniqueFd dir_;
  const std::vector<std::string>* held_;
  std::vector<TreeEntry> dirs_;
  ExtentWriter writer_;
};

TreeUnpacker::TreeUnpacker(const std::string& top, const std::vector<std::string>* held)
    : impl_(std::make_unique<Impl>(top, held)) {}
TreeUnpacker::~TreeUnpacker() = default;
void TreeUnpacker::feed(std::span<const std::byte> chunk) {
  impl_->feed(chunk);
}
void TreeUnpacker::finish() {
  impl_->finish();
}
const std::vector<std::string>& TreeUnpacker::data_in_parent() const {
  return impl_->data_in_parent;
}
const std::vector<std::string>& TreeUnpacker::paths() const {
  return impl_->paths;
}

std::vector<std::string> unpack_tree(const image::ImageReader& image, image::SectionType type,
                                     uint64_t id, const std::string& top,
                                     const std::vector<std::string>* held) {
  TreeUnpacker unpacker(top, held);
  image.read_stream(type, id, [&](std::span<const std::byte> chunk) { unpacker.feed(chunk); });
  unpacker.finish();
  return unpacker.data_in_parent();
}

std::vector<std::string> fill_tree_data(const image::ImageReader& image, image::SectionType type,
                                        uint64_t id, const std::string& top,
                                        const std::vector<std::string>& needed) {
  DataFiller filler(top, needed);
  image.read_stream(type, id, [&](std::span<const std::byte> chunk) { filler.feed(chunk); });
  filler.check_done();
  return {filler.needed_.begin(), filler.needed_.end()};
}

FileIndex read_file_index(const image::ImageReader& image, image::SectionType type, uint64_t id) {
  FileIndexer indexer("");
  image.read_stream(type, id, [&](std::span<const std::byte> chunk) { indexer.feed(chunk); });
  indexer.check_done();
  return std::move(indexer.index);
}

}  // namespace ckpt::tree
