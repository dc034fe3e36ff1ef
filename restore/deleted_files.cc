#include "restore/deleted_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "restore/fd_kinds.h"

namespace ckpt::restore {

namespace {

// Creates a new file at `path`, or at a temporary name next to it when `path` is taken.
UniqueFd create_near(const std::string& path, std::string& created) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (fd) {
    created = path;
    return fd;
  }
  if (errno != EEXIST) throw_errno("restore files: cannot recreate deleted file {}", path);
  std::string name = path + ".ckpt-deleted-XXXXXX";
  fd = UniqueFd(::mkostemp(name.data(), O_CLOEXEC));
  if (!fd) throw_errno("restore files: cannot recreate deleted file {} as {}", path, name);
  created = name;
  return fd;
}

}  // namespace

DeletedFiles::~DeletedFiles() {
  for (const std::string& name : names_) ::unlink(name.c_str());
}

int DeletedFiles::recreate(const records::FileDescription& d) {
  std::string name;
  UniqueFd fd = create_near(d.path, name);
  names_.push_back(name);
  if (d.size > 0) {
    read_data_(d.data_id, [&](std::span<const std::byte> chunk) {
      write_all(fd.get(), chunk, d.path.c_str());
    });
  }
  if (::fchown(fd.get(), d.uid, d.gid) != 0) throw_errno("fchown({})", name);
  if (::fchmod(fd.get(), d.mode & 07777) != 0) throw_errno("fchmod({})", name);
  int raw = fd.get();
  files_.emplace(d.data_id, std::move(fd));
  return raw;
}

UniqueFd DeletedFiles::open_description(const records::FileDescription& d) {
  auto it = files_.find(d.data_id);
  int file = it != files_.end() ? it->second.get() : recreate(d);
  UniqueFd fd = reopen(file, d.flags);
  restore_offset(fd.get(), d);
  return fd;
}

}  // namespace ckpt::restore
