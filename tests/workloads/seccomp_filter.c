// Two seccomp filters (getppid fails with EPERM, uname with EACCES) under no_new_privs, shared by
// two threads (installed before the second thread starts). After the checkpoint both threads
// must still be filtered the same way, with the same number of filters, mode 2 and no_new_privs.
// With argv[2] "per_thread" only the second thread installs a filter (getppid EPERM): a dump must
// refuse that, and both threads keep what they had.
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>

#include "zdtm.h"

// Returns `err` for system call `nr`, allows everything else.
static void install_filter(int nr, int err) {
  struct sock_filter code[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 3),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | err),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {sizeof code / sizeof code[0], code};
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0)
    zdtm_fail("seccomp filter for %d: %s", nr, strerror(errno));
}

// Filters in place: getppid EPERM, uname EACCES. Returns NULL or what is wrong.
static const char* filtered(void) {
  errno = 0;
  if (syscall(SYS_getppid) != -1 || errno != EPERM) return "getppid is not filtered (EPERM)";
  struct utsname u;
  errno = 0;
  if (uname(&u) != -1 || errno != EACCES) return "uname is not filtered (EACCES)";
  if (prctl(PR_GET_SECCOMP) != 2) return "not in seccomp filter mode";
  if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) return "no_new_privs is not set";
  return NULL;
}

static volatile int thread_done = 0;
static const char* thread_verdict = NULL;
static int per_thread = 0;
static volatile int thread_filtered = 0;

static void* second_thread(void* arg) {
  (void)arg;
  if (per_thread) {
    install_filter(SYS_getppid, EPERM);
    thread_filtered = 1;
    while (!zdtm_stop) {
      struct timespec ts = {0, 20 * 1000 * 1000};
      nanosleep(&ts, NULL);
    }
    errno = 0;
    if (syscall(SYS_getppid) != -1 || errno != EPERM) thread_verdict = "getppid not filtered";
    return NULL;
  }
  while (!zdtm_stop) {
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  thread_verdict = filtered();
  thread_done = 1;
  return NULL;
}

static void wait_for_term(void) {
  while (!zdtm_stop) {
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
}

static int per_thread_main(void) {
  per_thread = 1;
  pthread_t thread;
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &term, NULL);
  pthread_create(&thread, NULL, second_thread, NULL);
  pthread_sigmask(SIG_UNBLOCK, &term, NULL);
  while (!thread_filtered) sched_yield();
  zdtm_ready();
  wait_for_term();
  pthread_join(thread, NULL);
  if (syscall(SYS_getppid) == -1) zdtm_fail("main thread: getppid is filtered");
  if (thread_verdict) zdtm_fail("second thread: %s", thread_verdict);
  zdtm_pass();
  return 0;
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) zdtm_fail("no_new_privs: %s", strerror(errno));
  if (argc > 2 && !strcmp(argv[2], "per_thread")) return per_thread_main();
  install_filter(SYS_getppid, EPERM);
  install_filter(SYS_uname, EACCES);
  const char* why = filtered();
  if (why) zdtm_fail("before the checkpoint: %s", why);
  int filters = zdtm_status_number(getpid(), "Seccomp_filters");
  pthread_t thread;
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &term, NULL);  // SIGTERM for the main thread only
  pthread_create(&thread, NULL, second_thread, NULL);
  pthread_sigmask(SIG_UNBLOCK, &term, NULL);
  zdtm_ready();
  while (!zdtm_stop) {
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  pthread_join(thread, NULL);
  if ((why = filtered())) zdtm_fail("main thread: %s", why);
  if (thread_verdict) zdtm_fail("second thread: %s", thread_verdict);
  if (zdtm_status_number(getpid(), "Seccomp_filters") != filters)
    zdtm_fail("%d filters, %d before", zdtm_status_number(getpid(), "Seccomp_filters"), filters);
  zdtm_pass();
}
