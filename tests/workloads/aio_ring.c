// An AIO context (io_setup) with completed events left unread in its ring. After the checkpoint
// the context id is still the ring's address, the ring header shows the same head and tail, the
// two unread events come back from io_getevents with their data and results, and new requests
// complete on the same context.
// argv[2]: a directory to make the file read in.
#define _GNU_SOURCE
#include <linux/aio_abi.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>

#include "zdtm.h"

// The ring's header (fs/aio.c struct aio_ring), events follow it.
struct ring {
  unsigned id, nr, head, tail, magic, compat_features, incompat_features, header_length;
};

static aio_context_t ctx;
static int file_fd;
static char buffers[4][16];

static void submit(int i) {
  struct iocb cb;
  memset(&cb, 0, sizeof cb);
  cb.aio_data = (uint64_t)(i + 1);
  cb.aio_lio_opcode = IOCB_CMD_PREAD;
  cb.aio_fildes = (uint32_t)file_fd;
  cb.aio_buf = (uint64_t)(uintptr_t)buffers[i];
  cb.aio_nbytes = 10;
  cb.aio_offset = (int64_t)i;
  struct iocb* list[1] = {&cb};
  if (syscall(SYS_io_submit, ctx, 1, list) != 1) zdtm_fail("io_submit %d: %m", i);
}

// Takes `n` events; each must be request data..data+n-1 with 10 bytes read at its offset.
static void take(int n, int data) {
  struct io_event ev[4];
  struct timespec none = {0, 0};
  long got = syscall(SYS_io_getevents, ctx, n, n, ev, &none);
  if (got != n) zdtm_fail("io_getevents: %ld events, wanted %d: %m", got, n);
  for (int i = 0; i < n; ++i) {
    int req = data + i;
    if (ev[i].data != (uint64_t)req || ev[i].res != 10)
      zdtm_fail("event %d: data %llu res %lld", i, (unsigned long long)ev[i].data,
                (long long)ev[i].res);
    if (memcmp(buffers[req - 1], "abcdefghijklmn" + (req - 1), 10) != 0)
      zdtm_fail("request %d read other bytes", req);
  }
}

static struct ring* header(void) { return (struct ring*)(uintptr_t)ctx; }

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  if (argc < 3) zdtm_fail("usage: aio_ring RESULT DIR");
  char path[512];
  snprintf(path, sizeof path, "%s/aio-data", argv[2]);
  file_fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (file_fd < 0 || write(file_fd, "abcdefghijklmn", 14) != 14) zdtm_fail("data file: %m");
  if (syscall(SYS_io_setup, 16, &ctx) != 0) zdtm_fail("io_setup: %m");
  for (int i = 0; i < 3; ++i) submit(i);
  take(1, 1);
  unsigned nr = header()->nr;
  if (header()->head != 1 || header()->tail != 3) zdtm_fail("ring head/tail before");
  zdtm_ready();
  while (!zdtm_stop) pause();
  struct ring* r = header();
  if (r->magic != 0xa10a10a1 || r->nr != nr || r->head != 1 || r->tail != 3)
    zdtm_fail("ring header: magic %x nr %u (was %u) head %u tail %u", r->magic, r->nr, nr, r->head,
              r->tail);
  take(2, 2);
  submit(3);
  take(1, 4);
  if (syscall(SYS_io_destroy, ctx) != 0) zdtm_fail("io_destroy: %m");
  zdtm_pass();
}
