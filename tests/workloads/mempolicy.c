// NUMA memory policies: the main thread's (set_mempolicy MPOL_PREFERRED, node 0), another
// thread's (MPOL_INTERLEAVE with MPOL_F_STATIC_NODES) and a mapping's (mbind MPOL_BIND, node 0;
// the mapping beside it keeps none). They came back MPOL_DEFAULT everywhere. With argv[2]
// "many", 400 more small mappings make the dump find the policies through numa_maps (a call a
// mapping would cost more than its walk of a few MiB of resident pages); without, 128 MiB more
// resident memory makes it ask each mapping. "leader-default" is "many" with the main thread
// left at MPOL_DEFAULT: numa_maps then shows "default" for every mapping without a policy of
// its own, so only the bound one is asked (with "many", numa_maps shows the main thread's policy
// for those: every mapping is asked).
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/syscall.h>

#include "zdtm.h"

#define MPOL_PREFERRED 1
#define MPOL_BIND 2
#define MPOL_INTERLEAVE 3
#define MPOL_F_STATIC_NODES (1 << 15)
#define MPOL_F_ADDR 2

static char* area;
static int main_mode = MPOL_PREFERRED;  // the main thread's policy (node 0), or 0: MPOL_DEFAULT
static volatile int thread_failed = -1;
static volatile int thread_check;

static int policy_of(void* address, int flags, unsigned long* mask) {
  int mode = -1;
  *mask = 0;
  if (syscall(SYS_get_mempolicy, &mode, mask, 64, address, flags) != 0) return -2;
  return mode;
}

static void check_main(const char* when) {
  unsigned long mask;
  int mode = policy_of(NULL, 0, &mask);
  if (mode != main_mode || mask != (main_mode ? 1 : 0))
    zdtm_fail("%s: main thread policy %d nodes %lx, was %d", when, mode, mask, main_mode);
  mode = policy_of(area, MPOL_F_ADDR, &mask);
  if (mode != MPOL_BIND || mask != 1)
    zdtm_fail("%s: mapping policy %d nodes %lx, was %d/1", when, mode, mask, MPOL_BIND);
  mode = policy_of(area + (1 << 20), MPOL_F_ADDR, &mask);
  if (mode != 0) zdtm_fail("%s: the mapping beside has policy %d, had none", when, mode);
}

static void* thread_main(void* arg) {
  (void)arg;
  unsigned long mask = 1;
  if (syscall(SYS_set_mempolicy, MPOL_INTERLEAVE | MPOL_F_STATIC_NODES, &mask, 64) != 0)
    thread_failed = 2;
  for (;;) {
    int asked = thread_check;
    int mode = policy_of(NULL, 0, &mask);
    thread_failed = mode != (MPOL_INTERLEAVE | MPOL_F_STATIC_NODES) || mask != 1;
    while (thread_check == asked) usleep(1000);
  }
  return NULL;
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  unsigned long mask = 1;
  if (argc > 2 && !strcmp(argv[2], "leader-default"))
    main_mode = 0;
  else if (syscall(SYS_set_mempolicy, MPOL_PREFERRED, &mask, 64) != 0)
    zdtm_fail("set_mempolicy: %s", strerror(errno));
  area = mmap(NULL, 2 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (area == MAP_FAILED) zdtm_fail("mmap: %s", strerror(errno));
  if (syscall(SYS_mbind, area, 1 << 20, MPOL_BIND, &mask, 64, 0) != 0)
    zdtm_fail("mbind: %s", strerror(errno));
  memset(area, 1, 2 << 20);
  int many = argc > 2 && (!strcmp(argv[2], "many") || !strcmp(argv[2], "leader-default"));
  if (!many) {
    char* resident = mmap(NULL, 128 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (resident == MAP_FAILED) zdtm_fail("mmap: %s", strerror(errno));
    memset(resident, 7, 128 << 20);
  } else
    for (int i = 0; i < 400; i++)  // alternate protections keep them apart
      if (mmap(NULL, 4096, i % 2 ? PROT_READ : PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED)
        zdtm_fail("mmap %d: %s", i, strerror(errno));
  pthread_t thread;
  zdtm_start_thread(&thread, thread_main, NULL);
  while (thread_failed < 0) usleep(1000);
  if (thread_failed) zdtm_fail("the thread's policy did not take (%d)", thread_failed);
  check_main("before");
  zdtm_ready();
  while (!zdtm_stop) pause();
  check_main("after");
  thread_failed = -1;
  thread_check = 1;
  while (thread_failed < 0) usleep(1000);
  if (thread_failed) zdtm_fail("after: the thread's policy is no longer interleave (static) on node 0");
  for (int i = 0; i < (2 << 20); i += 4096)
    if (area[i] != 1) zdtm_fail("memory changed at %d", i);
  zdtm_pass();
}
