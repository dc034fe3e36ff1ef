#include "restore/shmem.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "common/error.h"
#include "common/log.h"
#include "restore/files_deleted.h"
#include "restore/fd_kinds.h"
#include "restore/files_fd_room.h"

namespace ckpt::restore {

namespace {

using image::SectionType;
using records::SharedObject;
using records::SharedObjectKind;

void pwrite_all(int fd, const std::byte* data, uint64_t size, uint64_t offset) {
  while (size) {
    ssize_t n = ::pwrite(fd, data, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw_errno("write shared memory at {:#x}", offset);
    data += n;
    size -= static_cast<uint64_t>(n);
    offset += static_cast<uint64_t>(n);
  }
}

// Writes the stored extents of `object` from its kSharedMem stream into `fd`.
void fill(int fd, const SharedObject& object, const image::ImageReader& image) {
  if (object.stored.empty()) return;
  size_t extent = 0;
  uint64_t done = 0;  // in the current extent
  image.read_stream(SectionType::kSharedMem, object.id, [&](std::span<const std::byte> chunk) {
    while (!chunk.empty()) {
      if (extent >= object.stored.size())
        fail("shared memory object {}: more contents than extents", object.id);
      const auto& e = object.stored[extent];
      uint64_t take = std::min<uint64_t>(chunk.size(), e.length - done);
      pwrite_all(fd, chunk.data(), take, e.offset + done);
      chunk = chunk.subspan(take);
      done += take;
      if (done == e.length) ++extent, done = 0;
    }
  });
  if (extent != object.stored.size())
    fail("shared memory object {}: contents shorter than its extents", object.id);
}

// Shared anonymous memory made as the kernel makes it (maps show "/dev/zero (deleted)"): a
// MAP_SHARED | MAP_ANONYMOUS mapping whose file is kept through /proc/self/map_files.
UniqueFd create_anonymous(const SharedObject& object) {
  void* at =
      ::mmap(nullptr, object.size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (at == MAP_FAILED) throw_errno("mmap {} bytes of shared memory", object.size);
  auto start = reinterpret_cast<uint64_t>(at);
  uint64_t end = start + (object.size + 4095) / 4096 * 4096;
  std::string path = fmt::format("/proc/self/map_files/{:x}-{:x}", start, end);
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
  int err = errno;
  ::munmap(at, object.size);
  errno = err;
  if (!fd) throw_errno("open {} (shared memory object {})", path, object.id);
  return fd;
}

UniqueFd create_memfd(const SharedObject& object) {
  UniqueFd fd(::memfd_create(object.name.c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!fd) throw_errno("memfd_create({})", object.name);
  if (::ftruncate(fd.get(), static_cast<off_t>(object.size)) != 0)
    throw_errno("ftruncate memfd {} to {}", object.name, object.size);
  if (::fchown(fd.get(), object.uid, object.gid) != 0) throw_errno("fchown memfd {}", object.name);
  if (::fchmod(fd.get(), object.mode & 07777) != 0) throw_errno("fchmod memfd {}", object.name);
  return fd;
}

// Through the deleted-files code: made under its old name (or one next to it), unlinked again
// when `deleted` goes.
UniqueFd create_deleted_file(const SharedObject& object, DeletedFiles& deleted) {
  records::FileDescription d;
  d.kind = records::FileKind::kRegular;
  d.flags = O_RDWR;
  d.path = object.name;
  d.mode = object.mode;
  d.uid = object.uid;
  d.gid = object.gid;
  d.size = object.size;
  d.deleted = true;
  d.data_id = object.id;
  return deleted.open_description(d);
}

void check_segment(const SharedObject& object) {
  struct shmid_ds ds {};
  if (::shmctl(object.shm_id, IPC_STAT, &ds) != 0)
    throw_errno("SysV shm id {} is attached by a restored process but was not recreated",
                object.shm_id);
}

UniqueFd create_object(const SharedObject& object, const image::ImageReader& image,
                       DeletedFiles& deleted) {
  switch (object.kind) {
    case SharedObjectKind::kAnonymous: {
      UniqueFd fd = create_anonymous(object);
      fill(fd.get(), object, image);
      return fd;
    }
    case SharedObjectKind::kMemfd: {
      UniqueFd fd = create_memfd(object);
      fill(fd.get(), object, image);
      if (object.seals && ::fcntl(fd.get(), F_ADD_SEALS, object.seals) != 0)
        throw_errno("F_ADD_SEALS {:#x} to memfd {}", object.seals, object.name);
      return fd;
    }
    case SharedObjectKind::kDeletedFile:
      return create_deleted_file(object, deleted);
    case SharedObjectKind::kSysvShm:
      check_segment(object);
      return {};
  }
  fail("shared memory object {} of unknown kind {}", object.id, static_cast<uint32_t>(object.kind));
}

// A new description `d` (its flags and offset) on the object made at fd `object_fd`.
UniqueFd open_on_object(const records::FileDescription& d, int object_fd) {
  UniqueFd fd = reopen(object_fd, d.flags);
  restore_offset(fd.get(), d);
  return fd;
}

// Moves `fd` to exactly `number` (which must be free) and leaves it open there.
void place(UniqueFd fd, int number, uint64_t object_id) {
  int placed = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, number);
  if (placed < 0) throw_errno("move shared memory object {} to fd {}", object_id, number);
  if (placed != number) {
    ::close(placed);
    fail("shared memory object {}: fd {} is taken", object_id, number);
  }
}

}  // namespace

int object_fd(const records::FilesState& files, uint64_t object_id) {
  return after_descriptions_fd(files) + static_cast<int>(object_id) - 1;
}

void create_shared_objects(const image::ImageReader& image, FilesRestoreContext& context) {
  if (!image.has(SectionType::kSharedMemObjects, 0)) return;
  auto state = image.get<records::SharedMemState>(SectionType::kSharedMemObjects, 0);
  if (state.objects.empty()) return;
  auto files = image.get<records::FilesState>(SectionType::kFiles, 0);
  ensure_fd_fits(object_fd(files, state.objects.size()), "shared memory");
  DeletedFiles deleted([&image](uint64_t id, const DataConsumer& consume) {
    image.read_stream(SectionType::kSharedMem, id, consume);
  });
  for (const auto& object : state.objects) {
    UniqueFd fd = create_object(object, image, deleted);
    if (!fd) continue;
    int number = object_fd(files, object.id);
    place(std::move(fd), number, object.id);
    context.keep_fds.push_back(number);
  }
  for (const auto& on_object : state.descriptions) {
    int fd = object_fd(files, on_object.object);
    context.openers.add_description(on_object.description,
                                    [fd](const auto& d) { return open_on_object(d, fd); });
  }
  context.openers.add({records::FileKind::kMemfd}, [](const auto& d) -> UniqueFd {
    fail("restore files: memfd description {} has no memfd", d.id);
  });
  spdlog::debug("shared memory: {} objects made", state.objects.size());
}

}  // namespace ckpt::restore
