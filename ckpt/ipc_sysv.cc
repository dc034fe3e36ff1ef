// SysV shared memory, message queues and semaphore sets, read inside the ipc namespace
// without changing them (shm attached read-only, messages copied with MSG_COPY).
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "ckpt/ipc.h"
#include "common/error.h"
#include "common/fs.h"
#include "common/proc/sysvipc.h"

namespace ckpt::dump {

namespace {

union SemArg {
  int val;
  struct semid_ds* buf;
  unsigned short* array;
};

records::IpcPerm to_perm(const struct ipc_perm& p, int id) {
  return {static_cast<int32_t>(p.__key), id, p.uid, p.gid, p.cuid, p.cgid, p.mode & 0777u};
}

// Detaches on scope exit.
class ShmAttachment {
 public:
  explicit ShmAttachment(int id) : addr_(::shmat(id, nullptr, SHM_RDONLY)) {
    if (addr_ == reinterpret_cast<void*>(-1)) throw_errno("shmat(shm id {}, read-only)", id);
  }
  ~ShmAttachment() { ::shmdt(addr_); }
  ShmAttachment(const ShmAttachment&) = delete;
  ShmAttachment& operator=(const ShmAttachment&) = delete;
  const char* data() const { return static_cast<const char*>(addr_); }
  void* addr() const { return addr_; }

 private:
  void* addr_;
};

// Which pages hold data: mincore() of the segment's page cache, unless part of it is swapped
// out or mincore misses resident memory (hugetlb); then every page.
std::vector<bool> pages_to_store(const ShmAttachment& at, const proc::SysvShmEntry& e,
                                 uint64_t page_size) {
  uint64_t pages = (e.size + page_size - 1) / page_size;
  std::vector<bool> all(pages, true);
  if (e.swap != 0 || pages == 0) return all;
  std::vector<unsigned char> vec(pages);
  if (::mincore(at.addr(), e.size, vec.data()) != 0) return all;
  std::vector<bool> present(pages);
  uint64_t count = 0;
  for (uint64_t i = 0; i < pages; ++i) count += (present[i] = (vec[i] & 1) != 0);
  return count * page_size < e.rss ? all : present;
}

// The stored pages as extents, and their bytes concatenated.
void read_pages(const ShmAttachment& at, const proc::SysvShmEntry& e, records::ShmSegment& seg,
                std::string& bytes) {
  auto present = pages_to_store(at, e, seg.page_size);
  for (uint64_t i = 0; i < present.size(); ++i) {
    if (!present[i]) continue;
    if (seg.stored.empty() || seg.stored.back().start + seg.stored.back().pages != i)
      seg.stored.push_back({i, 0});
    seg.stored.back().pages++;
    uint64_t off = i * seg.page_size;
    bytes.append(at.data() + off, std::min(seg.page_size, e.size - off));
  }
}

// With kernel.shm_rmid_forced = 1 a segment is destroyed when its attach count drops to 0,
// which our own read-only attachment would cause: it is 0 while the segments are read. Setting
// it back destroys only orphaned unattached segments, which cannot exist while it was 1.
class RmidForcedOff {
 public:
  RmidForcedOff() : was_on_(fs::trim(fs::read_file(kPath)) == "1") {
    if (was_on_) fs::write_file(kPath, "0");
  }
  ~RmidForcedOff() {
    try {
      if (was_on_) fs::write_file(kPath, "1");
    } catch (const std::exception&) {  // the helper exits right after: nothing to undo further
    }
  }
  RmidForcedOff(const RmidForcedOff&) = delete;
  RmidForcedOff& operator=(const RmidForcedOff&) = delete;

 private:
  static constexpr const char* kPath = "/proc/sys/kernel/shm_rmid_forced";
  bool was_on_;
};

}  // namespace

void collect_shm(IpcSnapshot& snapshot) {
  RmidForcedOff rmid_forced_off;
  for (const auto& e : proc::read_sysvipc_shm()) {
    struct shmid_ds ds {};
    if (::shmctl(e.owner.id, IPC_STAT, &ds) != 0)
      throw_errno("shmctl(shm id {}, IPC_STAT)", e.owner.id);
    records::ShmSegment seg;
    seg.perm = to_perm(ds.shm_perm, e.owner.id);
    seg.size = ds.shm_segsz;
    seg.locked = (ds.shm_perm.mode & SHM_LOCKED) != 0;
    seg.destroyed = (ds.shm_perm.mode & SHM_DEST) != 0;
    seg.page_size = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
    std::string bytes;
    ShmAttachment at(e.owner.id);
    read_pages(at, e, seg, bytes);
    snapshot.record.shm.push_back(std::move(seg));
    snapshot.shm_pages.push_back(std::move(bytes));
  }
}

void collect_msg(records::IpcNamespace& record) {
  for (const auto& e : proc::read_sysvipc_msg()) {
    struct msqid_ds ds {};
    if (::msgctl(e.owner.id, IPC_STAT, &ds) != 0)
      throw_errno("msgctl(msg id {}, IPC_STAT)", e.owner.id);
    records::MsgQueue q{to_perm(ds.msg_perm, e.owner.id), ds.msg_qbytes, {}};
    // No single message is larger than all bytes queued.
    std::vector<char> buf(sizeof(long) + ds.__msg_cbytes + 1);
    for (msgqnum_t i = 0; i < ds.msg_qnum; ++i) {
      ssize_t n = ::msgrcv(e.owner.id, buf.data(), buf.size() - sizeof(long), static_cast<long>(i),
                           IPC_NOWAIT | MSG_COPY);
      if (n < 0) throw_errno("msgrcv(msg id {}, message {}, MSG_COPY)", e.owner.id, i);
      long type;
      std::memcpy(&type, buf.data(), sizeof type);
      q.messages.push_back({type, std::string(buf.data() + sizeof(long), static_cast<size_t>(n))});
    }
    record.msg.push_back(std::move(q));
  }
}

void collect_sem(records::IpcNamespace& record) {
  for (const auto& e : proc::read_sysvipc_sem()) {
    struct semid_ds ds {};
    SemArg arg{};
    arg.buf = &ds;
    if (::semctl(e.owner.id, 0, IPC_STAT, arg) != 0)
      throw_errno("semctl(sem id {}, IPC_STAT)", e.owner.id);
    records::SemSet set{to_perm(ds.sem_perm, e.owner.id), std::vector<uint16_t>(ds.sem_nsems)};
    arg.array = set.values.data();
    if (::semctl(e.owner.id, 0, GETALL, arg) != 0)
      throw_errno("semctl(sem id {}, GETALL)", e.owner.id);
    record.sem.push_back(std::move(set));
  }
}

}  // namespace ckpt::dump
