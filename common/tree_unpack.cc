#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstring>
#include <set>
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
      if (header_size_ == 0) done_ = true;
      return used;
    }
    auto e = image::from_bytes<TreeEntry>(pending_, "tree entry");
    pending_.clear();
    header_size_ = 0;
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

// Writes the data of one regular file's extents as it arrives.
class ExtentWriter {
 public:
  // Starts on `e`, whose file is open as `file`; false if it has no data.
  bool start(const TreeEntry& e, UniqueFd file, const std::string& top) {
    entry_ = e;
    top_ = top;
    file_ = std::move(file);
    data_left_ = e.data_size();
    if (data_left_ == 0) return false;
    extent_ = static_cast<size_t>(-2);
    next_extent();
    while (extent_left_ == 0) next_extent();
    return true;
  }
  bool active() const { return data_left_ > 0; }
  const TreeEntry& entry() const { return entry_; }

  // Returns true when the file is complete (and closed).
  bool write(const char* p, size_t size) {
    while (size > 0) {
      size_t used = static_cast<size_t>(std::min<uint64_t>(size, extent_left_));
      if (::pwrite(file_.get(), p, used, static_cast<off_t>(offset_)) != static_cast<ssize_t>(used))
        throw_errno("write {}/{}", top_, entry_.path);
      offset_ += used;
      extent_left_ -= used;
      data_left_ -= used;
      p += used;
      size -= used;
      if (extent_left_ == 0 && data_left_ > 0) next_extent();
    }
    if (data_left_ > 0) return false;
    file_.reset();
    return true;
  }

 private:
  void next_extent() {
    extent_ += 2;
    offset_ = entry_.extents[extent_];
    extent_left_ = entry_.extents[extent_ + 1];
  }

  TreeEntry entry_;
  std::string top_;
  UniqueFd file_;
  uint64_t data_left_ = 0, extent_left_ = 0, offset_ = 0;
  size_t extent_ = 0;
};

// Owner before mode (chown clears set-id bits) and xattrs (and file capabilities), mtime last.
void set_attributes(int dir, const std::string& top, const TreeEntry& e) {
  const char* path = e.path.c_str();
  if (::fchownat(dir, path, e.uid, e.gid, AT_SYMLINK_NOFOLLOW) != 0)
    throw_errno("chown {}/{}", top, e.path);
  if (!S_ISLNK(e.mode) && ::fchmodat(dir, path, e.mode & 07777, 0) != 0)
    throw_errno("chmod {}/{}", top, e.path);
  fs::write_xattrs(top + "/" + e.path, e.xattrs);
  timespec times[2] = {{0, UTIME_OMIT}, mtime_of(e)};
  if (::utimensat(dir, path, times, AT_SYMLINK_NOFOLLOW) != 0)
    throw_errno("set mtime of {}/{}", top, e.path);
}

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

// Data of the files an incremental image's tree left to its parents.
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
    UniqueFd file(::openat(dir_.get(), e.path.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!file) throw_errno("open {}/{}", top_, e.path);
    if (!writer_.start(e, std::move(file), top_)) set_attributes(dir_.get(), top_, e);
  }
  void data(const char* p, size_t size) override {
    if (writer_.active() && writer_.write(p, size))
      set_attributes(dir_.get(), top_, writer_.entry());
  }

  UniqueFd dir_;
  ExtentWriter writer_;
};

}  // namespace

// Recreates the entries below `top`.
class TreeUnpacker::Impl : public StreamParser {
 public:
  explicit Impl(const std::string& top) : StreamParser(top), dir_(open_dir(top)) {}

  void finish() {
    check_done();
    // Deepest first, so that a read-only directory is closed only after its contents.
    for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) set_attributes(dir_.get(), top_, *it);
  }

  std::vector<std::string> data_in_parent;

 private:
  void entry(const TreeEntry& e) override {
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
      return set_attributes(dir_.get(), top_, e);
    }
    if (S_ISREG(e.mode)) return open_file(e);
    if (::mknodat(dir_.get(), path, e.mode, static_cast<dev_t>(e.rdev)) != 0)
      throw_errno("mknod {}/{}", top_, e.path);
    set_attributes(dir_.get(), top_, e);
  }

  void data(const char* p, size_t size) override {
    if (writer_.write(p, size)) set_attributes(dir_.get(), top_, writer_.entry());
  }

  void remove_existing(const std::string& rel) {
    struct stat st {};
    if (::fstatat(dir_.get(), rel.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return;
    if (S_ISDIR(st.st_mode)) fail("{}/{}: a directory is in the way of a file", top_, rel);
    if (::unlinkat(dir_.get(), rel.c_str(), 0) != 0) throw_errno("unlink {}/{}", top_, rel);
  }

  void open_file(const TreeEntry& e) {
    UniqueFd file(::openat(dir_.get(), e.path.c_str(),
                           O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!file) throw_errno("create {}/{}", top_, e.path);
    if (::ftruncate(file.get(), static_cast<off_t>(e.size)) != 0)
      throw_errno("truncate {}/{}", top_, e.path);
    if (e.data_in_parent) {
      if (e.data_size() > 0) data_in_parent.push_back(e.path);
      return set_attributes(dir_.get(), top_, e);
    }
    if (!writer_.start(e, std::move(file), top_)) set_attributes(dir_.get(), top_, e);
  }

  UniqueFd dir_;
  std::vector<TreeEntry> dirs_;
  ExtentWriter writer_;
};

TreeUnpacker::TreeUnpacker(const std::string& top) : impl_(std::make_unique<Impl>(top)) {}
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

std::vector<std::string> unpack_tree(const image::ImageReader& image, image::SectionType type,
                                     uint64_t id, const std::string& top) {
  TreeUnpacker unpacker(top);
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
