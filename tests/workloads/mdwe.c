// prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN): the process may map no memory writable and
// executable, nor make memory executable. The dump must not need such a mapping in it (its
// injected calls would fail), and the copy must still refuse both.
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/prctl.h>

#include "zdtm.h"

enum { kPrSetMdwe = 65, kPrGetMdwe = 66, kRefuseExecGain = 1 };

static void check_refused(const char* when) {
  void* wx = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (wx != MAP_FAILED) zdtm_fail("%s: a writable executable mapping was allowed", when);
  void* rw = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (rw == MAP_FAILED) zdtm_fail("%s: mmap: %s", when, strerror(errno));
  if (mprotect(rw, 4096, PROT_READ | PROT_EXEC) == 0) zdtm_fail("%s: mprotect gained exec", when);
  munmap(rw, 4096);
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  if (prctl(kPrSetMdwe, kRefuseExecGain, 0, 0, 0) != 0) {
    zdtm_report("no PR_SET_MDWE here (%s): nothing to check", strerror(errno));
    zdtm_ready();
    while (!zdtm_stop) pause();
    zdtm_pass();
  }
  check_refused("before");
  zdtm_ready();
  while (!zdtm_stop) pause();
  int mdwe = prctl(kPrGetMdwe, 0, 0, 0, 0);
  if (mdwe != kRefuseExecGain) zdtm_fail("PR_GET_MDWE %d, was %d", mdwe, kRefuseExecGain);
  check_refused("after");
  zdtm_pass();
}
