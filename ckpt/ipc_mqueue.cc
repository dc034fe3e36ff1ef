// POSIX message queues of the ipc namespace. Names come from an mqueue instance mounted in a
// private mount namespace of the helper (the mount belongs to the helper's ipc namespace and
// disappears with it). There is no way to read a POSIX queue without consuming it, so each
// queue is drained with non-blocking receives and refilled with the same messages in the same
// order, while the container is frozen (nobody else can receive meanwhile). Refused, before
// anything is received: a queue with an mq_notify registration (no call shows its sigevent, and
// refilling an empty queue would fire it) and a full queue while a container thread sleeps in mq_timedsend (each receive would
// pull that sender's message in).
#include <fcntl.h>
#include <mqueue.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <filesystem>

#include "ckpt/ipc.h"
#include "common/error.h"
#include "common/error_kind.h"
#include "common/fs.h"
#include "common/unique_fd.h"

namespace ckpt::dump {

namespace {

constexpr const char* kMountPoint = "/tmp";  // hidden only inside the helper's mount namespace

class MqDescriptor {
 public:
  explicit MqDescriptor(const std::string& name)
      : mq_(::mq_open(("/" + name).c_str(), O_RDWR | O_NONBLOCK)) {
    if (mq_ < 0) throw_errno("mq_open(/{})", name);
  }
  ~MqDescriptor() { ::mq_close(mq_); }
  MqDescriptor(const MqDescriptor&) = delete;
  MqDescriptor& operator=(const MqDescriptor&) = delete;
  mqd_t get() const { return mq_; }

 private:
  mqd_t mq_;
};

void mount_private_mqueue() {
  if (::unshare(CLONE_NEWNS) != 0) throw_errno("unshare(CLONE_NEWNS)");
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    throw_errno("mount(/, MS_PRIVATE)");
  if (::mount("mqueue", kMountPoint, "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0)
    throw_errno("mount(mqueue on {})", kMountPoint);
}

// NOTIFY_PID of the queue's file ("QSIZE:0 NOTIFY:0 SIGNO:0 NOTIFY_PID:0"): the process
// registered with mq_notify (as the helper's pid namespace sees it), 0 when none.
long notify_pid(const std::filesystem::path& file) {
  auto text = fs::read_file(file);
  auto pos = text.find("NOTIFY_PID:");
  return pos == std::string::npos ? 0 : std::stol(text.substr(pos + 11));
}

std::vector<records::PosixMessage> drain(const MqDescriptor& mq, const std::string& name,
                                         const struct mq_attr& attr) {
  std::vector<records::PosixMessage> out;
  std::string buf(static_cast<size_t>(attr.mq_msgsize), '\0');
  for (long i = 0; i < attr.mq_curmsgs; ++i) {
    unsigned prio = 0;
    ssize_t n = ::mq_receive(mq.get(), buf.data(), buf.size(), &prio);
    if (n < 0) throw_errno("mq_receive(/{}) message {}", name, i);
    out.push_back({prio, buf.substr(0, static_cast<size_t>(n))});
  }
  return out;
}

void refill(const MqDescriptor& mq, const std::string& name,
            const std::vector<records::PosixMessage>& messages) {
  for (const auto& m : messages) {
    if (::mq_send(mq.get(), m.text.data(), m.text.size(), m.priority) != 0)
      throw_errno("mq_send(/{}) putting a message back: it is lost", name);
  }
}

records::PosixMq collect_one(const std::filesystem::path& file, bool senders_blocked) {
  records::PosixMq q;
  q.name = file.filename().string();
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) throw_errno("stat({})", file.string());
  q.uid = st.st_uid;
  q.gid = st.st_gid;
  q.mode = st.st_mode & 07777;
  MqDescriptor mq(q.name);
  struct mq_attr attr {};
  if (::mq_getattr(mq.get(), &attr) != 0) throw_errno("mq_getattr(/{})", q.name);
  q.maxmsg = attr.mq_maxmsg;
  q.msgsize = attr.mq_msgsize;
  // No call shows a registration's sigevent (its signal value, a SIGEV_THREAD's socket and
  // cookie): it could not be made again. Before, it was lost.
  if (long pid = notify_pid(file))
    fail(ErrorKind::kRefused,
         "POSIX mq /{} has an mq_notify registration (pid {}): its sigevent cannot be read; not "
         "supported",
         q.name, pid);
  if (attr.mq_curmsgs == 0) return q;
  if (senders_blocked && attr.mq_curmsgs == attr.mq_maxmsg)
    fail(ErrorKind::kRefused,
         "POSIX mq /{} is full and a container thread is blocked in mq_timedsend", q.name);
  q.messages = drain(mq, q.name, attr);
  refill(mq, q.name, q.messages);
  return q;
}

}  // namespace

void collect_mqueues(records::IpcNamespace& record, bool senders_blocked) {
  mount_private_mqueue();
  for (const auto& entry : std::filesystem::directory_iterator(kMountPoint))
    record.mqueues.push_back(collect_one(entry.path(), senders_blocked));
}

}  // namespace ckpt::dump
