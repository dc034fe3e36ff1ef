// What newer kernels mark on memory without a VMA flag ckpt used to read, each kept across a
// checkpoint (each part skipped where the kernel lacks it, reported as "skip"):
// - guard regions (MADV_GUARD_INSTALL, 6.13): pages 4-5 of a 16-page buffer fault on any
//   access, the pages around them keep their bytes (a dump once read them: EIO);
// - a sealed mapping (mseal, 6.10): munmap of it fails with EPERM;
// - a droppable mapping (MAP_DROPPABLE, 6.11): smaps VmFlags "dp", its bytes kept.
#define _GNU_SOURCE
#include <setjmp.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "zdtm.h"

enum { kMadvGuardInstall = 102, kSysMseal = 462, kMapDroppable = 0x08, kPages = 16 };
static const size_t kPage = 4096;

static sigjmp_buf fault_jump;
static void on_fault(int sig) {
  (void)sig;
  siglongjmp(fault_jump, 1);
}

static int faults(volatile char* p) {
  if (sigsetjmp(fault_jump, 1)) return 1;
  (void)*p;
  return 0;
}

static char* anonymous(int type) {
  char* m = mmap(NULL, kPages * kPage, PROT_READ | PROT_WRITE, type | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return NULL;
  memset(m, 7, kPages * kPage);
  return m;
}

static int has_vm_flag(const char* m, const char* flag) {
  char line[512], start[32];
  snprintf(start, sizeof start, "%lx-", (unsigned long)m);
  FILE* f = fopen("/proc/self/smaps", "r");
  int in = 0, found = 0;
  while (f && fgets(line, sizeof line, f)) {
    if (strncmp(line, start, strlen(start)) == 0) in = 1;
    else if (in && strncmp(line, "VmFlags:", 8) == 0) {
      char word[8];
      snprintf(word, sizeof word, " %s", flag);
      found = strstr(line, word) != NULL;
      break;
    }
  }
  if (f) fclose(f);
  return found;
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_fault;
  sa.sa_flags = SA_NODEFER;
  sigaction(SIGSEGV, &sa, NULL);
  sigaction(SIGBUS, &sa, NULL);

  char* guarded = anonymous(MAP_PRIVATE);
  if (madvise(guarded + 4 * kPage, 2 * kPage, kMadvGuardInstall) != 0) {
    zdtm_report("skip guard regions: %s", strerror(errno));
    guarded = NULL;
  } else if (!faults(guarded + 4 * kPage)) {
    zdtm_fail("a guard page does not fault");
  }
  char* sealed = anonymous(MAP_PRIVATE);
  if (syscall(kSysMseal, sealed, kPages * kPage, 0) != 0) {
    zdtm_report("skip mseal: %s", strerror(errno));
    sealed = NULL;
  }
  char* droppable = anonymous(kMapDroppable);
  if (!droppable) zdtm_report("skip MAP_DROPPABLE: %s", strerror(errno));
  zdtm_ready();
  while (!zdtm_stop) pause();

  if (guarded) {
    if (!faults(guarded + 4 * kPage) || !faults(guarded + 5 * kPage)) zdtm_fail("guard region lost");
    if (faults(guarded + 3 * kPage) || guarded[3 * kPage] != 7 || guarded[6 * kPage] != 7)
      zdtm_fail("the pages around the guard region changed");
  }
  if (sealed) {
    if (sealed[0] != 7) zdtm_fail("sealed bytes changed");
    if (munmap(sealed, kPage) == 0 || errno != EPERM) zdtm_fail("seal lost: munmap allowed");
  }
  if (droppable) {
    if (!has_vm_flag(droppable, "dp")) zdtm_fail("MAP_DROPPABLE lost (no dp in VmFlags)");
    if (droppable[kPage] != 7 && droppable[kPage] != 0) zdtm_fail("droppable bytes changed");
  }
  zdtm_pass();
}
