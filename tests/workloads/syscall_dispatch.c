// Syscall user dispatch (prctl PR_SET_SYSCALL_USER_DISPATCH), per thread: the main thread in
// the exclusive mode (calls from outside an exempt region of code raise SIGSYS while its
// selector byte says BLOCK), a second thread in the inclusive mode where the kernel has it
// (calls from inside the region raise SIGSYS), each with a selector byte of its own, both at
// ALLOW while they wait. Before and after the checkpoint each thread checks, selector at BLOCK,
// that a call from the region and one from elsewhere are dispatched (SIGSYS, si_code
// SYS_USER_DISPATCH, answered 4242 by the handler) or run exactly as its mode says, and run
// both at ALLOW: mode, region and selector address all kept.
// An argument "block" (after the result file): a third thread with dispatch on and no selector
// at all (every call from outside the region dispatched) waits in a call made from the region:
// a dump cannot inject a call into it, and must refuse it by name without touching the process.
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>

#include "zdtm.h"

enum {
  kSetDispatch = 59,  // PR_SET_SYSCALL_USER_DISPATCH
  kDispatchOff = 0,
  kExclusive = 1,     // PR_SYS_DISPATCH_ON / PR_SYS_DISPATCH_EXCLUSIVE_ON
  kInclusive = 2,     // PR_SYS_DISPATCH_INCLUSIVE_ON (6.17)
  kAllow = 0,
  kBlock = 1,
  kUserDispatch = 2,  // si_code SYS_USER_DISPATCH
  kAnswer = 4242,
};

static __thread volatile char selector = kAllow;
static __thread volatile long dispatched = -1;  // si_syscall of the last SIGSYS

static void on_sigsys(int sig, siginfo_t* info, void* context) {
  (void)sig;
  selector = kAllow;  // the handler's own calls, and rt_sigreturn, must pass
  dispatched = info->si_code == kUserDispatch ? info->si_syscall : -2;
  ((ucontext_t*)context)->uc_mcontext.gregs[REG_RAX] = kAnswer;
}

// The exempt (exclusive) or dispatched (inclusive) region: this section's code only.
extern char __start_dispatch_region[], __stop_dispatch_region[];

__attribute__((noinline, section("dispatch_region"))) static long region_call(long nr) {
  long ret;
  __asm__ volatile("syscall" : "=a"(ret) : "a"(nr) : "rcx", "r11", "memory");
  return ret;
}

__attribute__((noinline)) static long outside_call(long nr) {
  long ret;
  __asm__ volatile("syscall" : "=a"(ret) : "a"(nr) : "rcx", "r11", "memory");
  return ret;
}

static int enable(int mode, volatile char* sel) {
  unsigned long start = (unsigned long)__start_dispatch_region;
  unsigned long len = (unsigned long)(__stop_dispatch_region - __start_dispatch_region);
  return prctl(kSetDispatch, mode, start, len, sel);
}

// A getpid from the region or from elsewhere at `state`: whether it was dispatched.
static int dispatched_call(int from_region, char state, const char* who, const char* when) {
  long pid = (long)getpid();
  dispatched = -1;
  selector = state;
  long got = from_region ? region_call(SYS_getpid) : outside_call(SYS_getpid);
  selector = kAllow;
  if (got == kAnswer && dispatched == SYS_getpid) return 1;
  if (got == pid && dispatched == -1) return 0;
  zdtm_fail("%s %s: getpid from %s gave %ld, dispatched %ld", who, when,
            from_region ? "the region" : "outside it", got, (long)dispatched);
}

// `region_dispatched`: the inclusive mode (calls from the region are the dispatched ones).
static void check(int region_dispatched, const char* who, const char* when) {
  if (dispatched_call(1, kBlock, who, when) != region_dispatched ||
      dispatched_call(0, kBlock, who, when) == region_dispatched)
    zdtm_fail("%s %s: dispatch is not in the %s mode any more", who, when,
              region_dispatched ? "inclusive" : "exclusive");
  if (dispatched_call(1, kAllow, who, when) || dispatched_call(0, kAllow, who, when))
    zdtm_fail("%s %s: a call at ALLOW was dispatched", who, when);
}

static int pipes[2][2];  // to the inclusive thread, and back
static int inclusive = 1;

static void tell(int fd, const char* what) {
  if (write(fd, what, 1) != 1) zdtm_fail("pipe write: %s", strerror(errno));
}

static void* inclusive_thread(void* arg) {
  (void)arg;
  if (enable(kInclusive, &selector) != 0) {
    inclusive = 0;  // a kernel before 6.17: this thread uses the exclusive mode too
    if (enable(kExclusive, &selector) != 0) zdtm_fail("prctl exclusive: %s", strerror(errno));
  }
  check(inclusive, "thread", "before");
  tell(pipes[1][1], "r");
  char c;
  if (read(pipes[0][0], &c, 1) != 1) zdtm_fail("thread: pipe read: %s", strerror(errno));
  check(inclusive, "thread", "after");
  tell(pipes[1][1], "k");
  return NULL;
}

static volatile char* no_selector = NULL;

// Dispatch on without a selector: only calls from the region run; it waits in one.
static void* blocking_thread(void* arg) {
  (void)arg;
  if (enable(kExclusive, no_selector) != 0) zdtm_fail("prctl no selector: %s", strerror(errno));
  for (;;) region_call(SYS_pause);
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_sigsys;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSYS, &sa, NULL);
  if (pipe(pipes[0]) != 0 || pipe(pipes[1]) != 0) zdtm_fail("pipe: %s", strerror(errno));
  if (enable(kExclusive, &selector) != 0) zdtm_fail("prctl exclusive: %s", strerror(errno));
  check(0, "main", "before");
  pthread_t thread, blocker;
  zdtm_start_thread(&thread, inclusive_thread, NULL);
  char c;
  if (read(pipes[1][0], &c, 1) != 1) zdtm_fail("pipe read: %s", strerror(errno));
  for (int i = 2; i < argc; ++i)
    if (strcmp(argv[i], "block") == 0) zdtm_start_thread(&blocker, blocking_thread, NULL);
  zdtm_report("inclusive mode %s", inclusive ? "on a thread" : "not in this kernel");
  zdtm_ready();
  while (!zdtm_stop) pause();
  check(0, "main", "after");
  tell(pipes[0][1], "c");
  if (read(pipes[1][0], &c, 1) != 1 || c != 'k') zdtm_fail("no word from the thread");
  zdtm_pass();
}
