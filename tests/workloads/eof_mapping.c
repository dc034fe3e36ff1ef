// A private file mapping that reaches past the end of its file: a file (argv[2], made here) of
// 8 pages mapped whole and read, page 0 written (copied on write), then the file truncated to 2
// pages and 1.5 pages. Reading beyond EOF faults (SIGBUS), the kernel answers EIO to readers of
// /proc/PID/mem. On SIGTERM: page 0 holds what was written, the part of page 1 below EOF the
// file's bytes and the rest zeros, and a read of page 4 still raises SIGBUS.
#include <setjmp.h>
#include <stdint.h>
#include <sys/mman.h>

#include "zdtm.h"

#define PAGE 4096ul
#define PAGES 8ul

static sigjmp_buf bus_jump;

static void on_bus(int sig) {
  (void)sig;
  siglongjmp(bus_jump, 1);
}

static int faults_on_read(volatile unsigned char* at) {
  struct sigaction sa, old;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_bus;
  sigaction(SIGBUS, &sa, &old);
  int faulted = 1;
  if (sigsetjmp(bus_jump, 1) == 0) {
    (void)*at;
    faulted = 0;
  }
  sigaction(SIGBUS, &old, NULL);
  return faulted;
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  if (argc < 3) zdtm_fail("usage: eof_mapping RESULT FILE");
  int fd = zdtm_page_file(argv[2], PAGES);
  volatile unsigned char* map = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  if (map == MAP_FAILED) zdtm_fail("mmap: %s", strerror(errno));
  unsigned sum = 0;
  for (size_t i = 0; i < PAGES; ++i) sum += map[i * PAGE];
  memset((void*)map, 0x77, PAGE);
  if (ftruncate(fd, PAGE + PAGE / 2) != 0) zdtm_fail("ftruncate: %s", strerror(errno));
  close(fd);
  if (!faults_on_read(map + 4 * PAGE)) zdtm_fail("no SIGBUS past EOF before the dump (sum %u)", sum);
  zdtm_ready();
  while (!zdtm_stop) pause();

  for (size_t b = 0; b < PAGE; ++b)
    if (map[b] != 0x77) zdtm_fail("page 0 byte %zu: %#x", b, map[b]);
  for (size_t b = 0; b < PAGE; ++b) {
    unsigned char want = b < PAGE / 2 ? 2 : 0;
    if (map[PAGE + b] != want) zdtm_fail("page 1 byte %zu: %#x, not %#x", b, map[PAGE + b], want);
  }
  if (!faults_on_read(map + 4 * PAGE)) zdtm_fail("page 4, past EOF, reads without SIGBUS");
  zdtm_pass();
}
