// An AIO context with one completed event left unread (a read of /dev/zero) and one request
// still in flight: an IOCB_CMD_POLL for input on an empty pipe. After the checkpoint the unread
// event must come back ("unread event back"), and once the pipe has data the poll must
// complete (within 5 s).
#define _GNU_SOURCE
#include <linux/aio_abi.h>
#include <poll.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>

#include "zdtm.h"

static aio_context_t ctx;
static char buffer[8];

// IOCB_CMD_POLL takes its events in aio_buf, and no bytes.
static void submit(uint64_t data, uint16_t opcode, int fd, uint64_t buf, uint64_t bytes) {
  struct iocb cb;
  memset(&cb, 0, sizeof cb);
  cb.aio_data = data;
  cb.aio_lio_opcode = opcode;
  cb.aio_fildes = (uint32_t)fd;
  cb.aio_buf = buf;
  cb.aio_nbytes = bytes;
  struct iocb* list[1] = {&cb};
  if (syscall(SYS_io_submit, ctx, 1, list) != 1) zdtm_fail("io_submit %llu: %m", (unsigned long long)data);
}

// One event within `seconds`: request `data` with every bit of `res` in its result.
static void take(uint64_t data, int64_t res, long seconds, const char* what) {
  struct io_event ev;
  struct timespec wait = {seconds, 0};
  long got = syscall(SYS_io_getevents, ctx, 1, 1, &ev, &wait);
  if (got != 1) zdtm_fail("%s: no event within %ld s (%ld): %m", what, seconds, got);
  if (ev.data != data || (ev.res & res) != res)
    zdtm_fail("%s: event data %llu res %lld, wanted %llu %lld", what,
              (unsigned long long)ev.data, (long long)ev.res, (unsigned long long)data,
              (long long)res);
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) zdtm_fail("pipe: %m");
  int zero = open("/dev/zero", O_RDONLY | O_CLOEXEC);
  if (zero < 0) zdtm_fail("open /dev/zero: %m");
  if (syscall(SYS_io_setup, 16, &ctx) != 0) zdtm_fail("io_setup: %m");
  submit(7, IOCB_CMD_POLL, pipe_fds[0], POLLIN, 0);
  submit(1, IOCB_CMD_PREAD, zero, (uint64_t)(uintptr_t)buffer, sizeof buffer);
  zdtm_ready();
  while (!zdtm_stop) pause();
  take(1, sizeof buffer, 0, "the unread read");
  zdtm_report("unread event back");
  if (write(pipe_fds[1], "x", 1) != 1) zdtm_fail("write pipe: %m");
  take(7, POLLIN, 5, "the poll in flight");
  zdtm_pass();
}
