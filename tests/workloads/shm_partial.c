// A SysV shm segment attached in part: attached twice, the first attach then partly unmapped
// (only its middle half kept), the second split by mprotect (its middle read-only). On SIGTERM:
// the kept part and the split attach are where they were with their protections and the
// segment's contents, the unmapped parts are gone, a write through one attach shows in the
// other, and shm_nattch still counts every mapping.
#include <stdint.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>

#include "zdtm.h"

#define PAGE 4096ul
#define PAGES 16ul

static unsigned char byte_of(size_t page) {
  return (unsigned char)(0x30 + page);
}

// maps' permissions of the VMA holding `at`, or "" when nothing is mapped there.
static void perms_of(unsigned char* at, char out[5]) {
  out[0] = 0;
  FILE* f = fopen("/proc/self/maps", "r");
  if (!f) return;
  char line[512];
  unsigned long start, end;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "%lx-%lx %4s", &start, &end, out) == 3 && start <= (unsigned long)at &&
        (unsigned long)at < end)
      break;
    else
      out[0] = 0;
  fclose(f);
}

static void expect(unsigned char* at, const char* want) {
  char perms[5];
  perms_of(at, perms);
  if (strcmp(perms, want) != 0)
    zdtm_fail("%p is '%s', not '%s'", (void*)at, perms, want);
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  int id = shmget(IPC_PRIVATE, PAGES * PAGE, IPC_CREAT | 0600);
  if (id < 0) zdtm_fail("shmget: %s", strerror(errno));
  unsigned char* first = shmat(id, NULL, 0);
  unsigned char* second = shmat(id, NULL, 0);
  if (first == (void*)-1 || second == (void*)-1) zdtm_fail("shmat: %s", strerror(errno));
  for (size_t p = 0; p < PAGES; ++p) memset(first + p * PAGE, byte_of(p), PAGE);
  if (munmap(first, 4 * PAGE) != 0 || munmap(first + 12 * PAGE, 4 * PAGE) != 0)
    zdtm_fail("munmap: %s", strerror(errno));
  if (mprotect(second + 4 * PAGE, 8 * PAGE, PROT_READ) != 0) zdtm_fail("mprotect: %s", strerror(errno));
  struct shmid_ds before;
  if (shmctl(id, IPC_STAT, &before) != 0) zdtm_fail("IPC_STAT: %s", strerror(errno));
  zdtm_ready();
  while (!zdtm_stop) pause();

  expect(first, "");
  expect(first + 4 * PAGE, "rw-s");
  expect(first + 12 * PAGE, "");
  expect(second, "rw-s");
  expect(second + 4 * PAGE, "r--s");
  expect(second + 12 * PAGE, "rw-s");
  for (size_t p = 0; p < PAGES; ++p) {
    if (second[p * PAGE + 100] != byte_of(p)) zdtm_fail("page %zu lost its contents", p);
    if (p >= 4 && p < 12 && first[p * PAGE + 200] != byte_of(p))
      zdtm_fail("page %zu of the kept part lost its contents", p);
  }
  first[6 * PAGE] = 0xee;
  if (second[6 * PAGE] != 0xee) zdtm_fail("the two attaches no longer share the segment");
  struct shmid_ds after;
  if (shmctl(id, IPC_STAT, &after) != 0) zdtm_fail("IPC_STAT: %s", strerror(errno));
  if (after.shm_nattch != before.shm_nattch)
    zdtm_fail("shm_nattch %lu, was %lu", (unsigned long)after.shm_nattch,
              (unsigned long)before.shm_nattch);
  zdtm_pass();
}
