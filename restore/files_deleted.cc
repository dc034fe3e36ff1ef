#include "restore/files_deleted.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/fs.h"
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
  for (const auto& [data_id, name] : names_) ::unlink(name.c_str());
}

const std::string& DeletedFiles::recreate(const records::FileDescription& d) {
  std::string name;
  UniqueFd fd = create_near(d.path, name);
  const std::string& kept = names_.emplace(d.data_id, name).first->second;
  if (d.size > 0) {
    read_data_(d.data_id, [&](std::span<const std::byte> chunk) {
      fs::write_all(fd.get(), chunk, d.path.c_str());
    });
  }
  if (::fchown(fd.get(), d.uid, d.gid) != 0) throw_errno("fchown({})", name);
  if (::fchmod(fd.get(), d.mode & 07777) != 0) throw_errno("fchmod({})", name);
  return kept;
}

UniqueFd DeletedFiles::open_description(const records::FileDescription& d) {
  auto it = names_.find(d.data_id);
  const std::string& name = it != names_.end() ? it->second : recreate(d);
  // By name, which exists until every description is open: no /proc needed.
  UniqueFd fd(::open(name.c_str(), reopen_flags(d.flags)));
  if (!fd) throw_errno("restore files: open recreated {}", name);
  restore_offset(fd.get(), d);
  return fd;
}

}  // namespace ckpt::restore
