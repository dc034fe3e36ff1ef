// POSIX message queues, opened by name in the new ipc namespace (no mount needed), refilled in
// the order they were received at dump time, which re-creates the kernel's order.
#include <fcntl.h>
#include <mqueue.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "restore/ipc.h"

namespace ckpt::restore {

void restore_mqueue(const records::PosixMq& q) {
  struct mq_attr attr {};
  attr.mq_maxmsg = q.maxmsg;
  attr.mq_msgsize = q.msgsize;
  auto name = "/" + q.name;
  mqd_t mq = ::mq_open(name.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NONBLOCK | O_CLOEXEC,
                       static_cast<mode_t>(q.mode), &attr);
  if (mq < 0) throw_errno("mq_open({}, O_CREAT)", name);
  struct Closer {
    mqd_t mq;
    ~Closer() { ::mq_close(mq); }
  } closer{mq};
  if (::fchown(mq, q.uid, q.gid) != 0) throw_errno("fchown(mq {})", name);
  if (::fchmod(mq, static_cast<mode_t>(q.mode)) != 0) throw_errno("fchmod(mq {})", name);
  for (const auto& m : q.messages) {
    if (::mq_send(mq, m.text.data(), m.text.size(), m.priority) != 0)
      throw_errno("mq_send({}, priority {})", name, m.priority);
  }
}

}  // namespace ckpt::restore
