#include "common/image/file_sink.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "common/error.h"
#include "common/writev_all.h"
#include "common/output_path.h"

namespace ckpt::image {
namespace {

void fsync_directory_of(const std::string& path) {
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = ".";
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) throw_errno("open({})", dir.string());
  if (::fsync(fd.get()) != 0) throw_errno("fsync({})", dir.string());
}

}  // namespace

FileSink::FileSink(const std::string& path) : path_(path) {
  if (path == "-") {
    fd_ = STDOUT_FILENO;
    return;
  }
  if (path.starts_with(kFdPrefix)) {  // an open file or pipe of ours, written as it is
    fd_ = std::stoi(path.substr(kFdPrefix.size()));
    return;
  }
  check_output_path(path);  // a regular file or a new name only (common/output_path.h)
  std::string pattern = path + ".tmp.XXXXXX";
  int fd = ::mkostemp(pattern.data(), O_CLOEXEC);  // mode 0600
  if (fd < 0) throw_errno("create a temp file for {}", path);
  owned_fd_.reset(fd);
  temp_path_ = pattern;
  fd_ = fd;
}

FileSink::~FileSink() {
  if (!temp_path_.empty() && !committed_) ::unlink(temp_path_.c_str());
}

void FileSink::write(std::span<const std::byte> head, std::span<const std::byte> body) {
  iovec iov[2] = {{const_cast<std::byte*>(head.data()), head.size()},
                  {const_cast<std::byte*>(body.data()), body.size()}};
  std::string_view what = path_ == "-"              ? std::string_view("image to stdout")
                          : temp_path_.empty() ? std::string_view(path_)
                                               : std::string_view(temp_path_);
  offset_ += writev_all(fd_, iov, what);
  start_writeback();
}

// Starts writing back each full stretch as soon as it is written, so that commit()'s fsync
// waits only for the tail instead of the whole image.
void FileSink::start_writeback() {
  if (temp_path_.empty() || offset_ - writeback_from_ < kWritebackStretch) return;
  // Only a hint: on failure the fsync in commit() still does all the work.
  (void)::sync_file_range(fd_, static_cast<off_t>(writeback_from_),
                          static_cast<off_t>(offset_ - writeback_from_), SYNC_FILE_RANGE_WRITE);
  writeback_from_ = offset_;
}

void FileSink::commit() {
  if (temp_path_.empty()) {
    committed_ = true;
    return;
  }
  if (::fsync(fd_) != 0) throw_errno("fsync({})", temp_path_);
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    throw_errno("rename({}, {})", temp_path_, path_);
  }
  committed_ = true;
  fsync_directory_of(path_);
}

}  // namespace ckpt::image
