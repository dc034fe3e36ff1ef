// SysV objects with their saved ids: kernel.<kind>_next_id = id, then the object is created
// with the saved creator's euid/egid (so cuid/cgid come back) and the capabilities kept
// (SECBIT_NO_SETUID_FIXUP); owner, mode and contents are set afterwards, as root.
#include <linux/securebits.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

#include <cstring>
#include <functional>

#include <spdlog/spdlog.h>

#include "common/error.h"
#include "common/fs.h"
#include "restore/ipc.h"

namespace ckpt::restore {

namespace {

union SemArg {
  int val;
  struct semid_ds* buf;
  unsigned short* array;
};

// The root task takes the creator's euid/egid for one creation, keeping its capabilities.
// Not a forked child: the root task stays alive as the segments' creator, which matters when
// kernel.shm_rmid_forced destroys segments whose creator is gone.
class CreatorIdentity {
 public:
  explicit CreatorIdentity(const records::IpcPerm& perm)
      : bits_(::prctl(PR_GET_SECUREBITS)), uid_(::geteuid()), gid_(::getegid()) {
    if (bits_ < 0 || ::prctl(PR_SET_SECUREBITS, bits_ | SECBIT_NO_SETUID_FIXUP) != 0)
      throw_errno("prctl(PR_SET_SECUREBITS)");
    if (::setegid(perm.cgid) != 0 || ::seteuid(perm.cuid) != 0) {
      restore();
      throw_errno("seteuid({})/setegid({}) for the creator of id {}", perm.cuid, perm.cgid,
                  perm.id);
    }
  }
  ~CreatorIdentity() { restore(); }
  CreatorIdentity(const CreatorIdentity&) = delete;
  CreatorIdentity& operator=(const CreatorIdentity&) = delete;

 private:
  void restore() {
    if (::seteuid(uid_) != 0 || ::setegid(gid_) != 0 || ::prctl(PR_SET_SECUREBITS, bits_) != 0)
      ::_exit(126);  // the root task must not go on with the wrong identity
  }
  int bits_;
  uid_t uid_;
  gid_t gid_;
};

// Creates `kind` ("shm", "msg", "sem") object `perm` with its saved id and creator.
void create_with_id(const char* kind, const records::IpcPerm& perm,
                    const std::function<int()>& create) {
  fs::write_file(std::string("/proc/sys/kernel/") + kind + "_next_id", std::to_string(perm.id));
  int id;
  {
    CreatorIdentity creator(perm);
    id = create();
  }
  if (id < 0) throw_errno("recreating {} key {:#x} id {}", kind, perm.key, perm.id);
  if (id != perm.id) fail("{} key {:#x} id {}: recreated under id {}", kind, perm.key, perm.id, id);
}

int key_flags(const records::IpcPerm& perm) {
  return static_cast<int>(perm.mode & 0777) | (perm.key == IPC_PRIVATE ? 0 : IPC_CREAT | IPC_EXCL);
}

void set_owner(struct ipc_perm& field, const records::IpcPerm& perm) {
  field.uid = perm.uid;
  field.gid = perm.gid;
  field.mode = perm.mode & 0777;
}

void fill_shm(const records::ShmSegment& seg, const std::string& pages) {
  if (seg.stored.empty()) return;
  void* addr = ::shmat(seg.perm.id, nullptr, 0);
  if (addr == reinterpret_cast<void*>(-1)) throw_errno("shmat(shm id {})", seg.perm.id);
  size_t from = 0;
  for (const auto& ext : seg.stored) {
    uint64_t off = ext.start * seg.page_size;
    uint64_t len = std::min(ext.pages * seg.page_size, seg.size - off);
    if (off + len > seg.size || from + len > pages.size()) {
      ::shmdt(addr);
      fail("shm id {}: stored pages do not fit the segment", seg.perm.id);
    }
    std::memcpy(static_cast<char*>(addr) + off, pages.data() + from, len);
    from += len;
  }
  ::shmdt(addr);
}

}  // namespace

// A segment IPC_RMID'ed while attached is made again too: the first restored process that
// attaches it removes it again (restore/shmem_map.cc).
void restore_shm(const records::ShmSegment& seg, const std::string& pages) {
  const auto& p = seg.perm;
  create_with_id("shm", p, [&] { return ::shmget(p.key, seg.size, key_flags(p)); });
  fill_shm(seg, pages);
  struct shmid_ds ds {};
  if (::shmctl(p.id, IPC_STAT, &ds) != 0) throw_errno("shmctl(shm id {}, IPC_STAT)", p.id);
  set_owner(ds.shm_perm, p);
  if (::shmctl(p.id, IPC_SET, &ds) != 0) throw_errno("shmctl(shm id {}, IPC_SET)", p.id);
  if (seg.locked && ::shmctl(p.id, SHM_LOCK, nullptr) != 0)
    throw_errno("shmctl(shm id {}, SHM_LOCK)", p.id);
}

void restore_msg(const records::MsgQueue& queue) {
  const auto& p = queue.perm;
  create_with_id("msg", p, [&] { return ::msgget(p.key, key_flags(p)); });
  struct msqid_ds ds {};
  if (::msgctl(p.id, IPC_STAT, &ds) != 0) throw_errno("msgctl(msg id {}, IPC_STAT)", p.id);
  uint64_t total = 0;
  for (const auto& m : queue.messages) total += m.text.size();
  ds.msg_qbytes = std::max<uint64_t>({queue.qbytes, total, queue.messages.size()});
  if (::msgctl(p.id, IPC_SET, &ds) != 0) throw_errno("msgctl(msg id {}, IPC_SET qbytes)", p.id);
  std::string buf;
  for (const auto& m : queue.messages) {
    long type = m.type;
    buf.assign(reinterpret_cast<const char*>(&type), sizeof type);
    buf += m.text;
    if (::msgsnd(p.id, buf.data(), m.text.size(), IPC_NOWAIT) != 0)
      throw_errno("msgsnd(msg id {}, type {}, {} bytes)", p.id, m.type, m.text.size());
  }
  set_owner(ds.msg_perm, p);
  ds.msg_qbytes = queue.qbytes;
  if (::msgctl(p.id, IPC_SET, &ds) != 0) throw_errno("msgctl(msg id {}, IPC_SET)", p.id);
}

void restore_sem(const records::SemSet& set) {
  const auto& p = set.perm;
  int nsems = static_cast<int>(set.values.size());
  create_with_id("sem", p, [&] { return ::semget(p.key, nsems, key_flags(p)); });
  std::vector<unsigned short> values(set.values.begin(), set.values.end());
  SemArg arg{};
  arg.array = values.data();
  if (nsems > 0 && ::semctl(p.id, 0, SETALL, arg) != 0)
    throw_errno("semctl(sem id {}, SETALL)", p.id);
  struct semid_ds ds {};
  arg.buf = &ds;
  if (::semctl(p.id, 0, IPC_STAT, arg) != 0) throw_errno("semctl(sem id {}, IPC_STAT)", p.id);
  set_owner(ds.sem_perm, p);
  if (::semctl(p.id, 0, IPC_SET, arg) != 0) throw_errno("semctl(sem id {}, IPC_SET)", p.id);
}

}  // namespace ckpt::restore
