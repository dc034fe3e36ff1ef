// What a process and its threads set of their own placement, timing and memory locking, each
// kept across a checkpoint: CPU affinity (each thread its own), I/O priority, timer slack (per
// thread), PR_SET_TSC, PR_SET_DUMPABLE, the audit login uid (when the kernel has one), and
// mlockall(MCL_FUTURE) (a mapping made after the restore is locked too; the thread made after it
// has a locked PROT_NONE guard page). Needs two CPUs for the affinity part (else it sets none).
#define _GNU_SOURCE
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "zdtm.h"

enum { kIoprioWhoProcess = 1, kIoprioClassBe = 2, kIoprioClassIdle = 3 };
#define IOPRIO(cls, level) (((cls) << 13) | (level))

struct tuning {
  int cpu0, cpu1;  // whether CPU 0 / 1 are in the affinity
  long ioprio, slack;
  int tsc;
};

static int two_cpus;
static pid_t worker_tid;
static volatile int worker_ready, worker_checked;
static int worker_tsc_after;

static long read_number(const char* path) {
  char buf[64] = {0};
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  if (read(fd, buf, sizeof buf - 1) < 0) buf[0] = 0;
  close(fd);
  return atol(buf);
}

static void write_text(const char* path, const char* text) {
  int fd = open(path, O_WRONLY);
  if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
    zdtm_fail("write %s: %s", path, strerror(errno));
  close(fd);
}

static void pin(int cpu) {
  if (!two_cpus) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set)) zdtm_fail("sched_setaffinity: %s", strerror(errno));
}

// What thread `tid` has now; TSC only of the caller.
static struct tuning tuning_of(pid_t tid) {
  struct tuning t;
  cpu_set_t set;
  CPU_ZERO(&set);
  sched_getaffinity(tid, sizeof set, &set);
  t.cpu0 = CPU_ISSET(0, &set);
  t.cpu1 = CPU_ISSET(1, &set);
  t.ioprio = syscall(SYS_ioprio_get, kIoprioWhoProcess, tid);
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/timerslack_ns", tid);
  t.slack = read_number(path);
  t.tsc = 0;
  prctl(PR_GET_TSC, &t.tsc);
  return t;
}

static void same(const char* who, struct tuning a, struct tuning b) {
  if (a.cpu0 != b.cpu0 || a.cpu1 != b.cpu1)
    zdtm_fail("%s: affinity cpu0 %d cpu1 %d, now %d %d", who, a.cpu0, a.cpu1, b.cpu0, b.cpu1);
  if (a.ioprio != b.ioprio) zdtm_fail("%s: ioprio %#lx, now %#lx", who, a.ioprio, b.ioprio);
  if (a.slack != b.slack) zdtm_fail("%s: timer slack %ld, now %ld", who, a.slack, b.slack);
}

static void* worker(void* arg) {
  (void)arg;
  worker_tid = gettid();
  pin(1);
  if (syscall(SYS_ioprio_set, kIoprioWhoProcess, 0, IOPRIO(kIoprioClassIdle, 0)))
    zdtm_fail("ioprio_set idle: %s", strerror(errno));
  prctl(PR_SET_TIMERSLACK, 777777);
  if (prctl(PR_SET_TSC, PR_TSC_SIGSEGV)) zdtm_fail("PR_SET_TSC: %s", strerror(errno));
  worker_ready = 1;
  while (!zdtm_stop) usleep(10000);
  prctl(PR_GET_TSC, &worker_tsc_after);  // only a thread can tell its own
  worker_checked = 1;
  for (;;) pause();
  return NULL;
}

static long locked_kib(void) { return zdtm_status_number(getpid(), "VmLck"); }

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  cpu_set_t all;
  sched_getaffinity(0, sizeof all, &all);
  two_cpus = CPU_ISSET(0, &all) && CPU_ISSET(1, &all);
  pin(0);
  if (syscall(SYS_ioprio_set, kIoprioWhoProcess, 0, IOPRIO(kIoprioClassBe, 3)))
    zdtm_fail("ioprio_set: %s", strerror(errno));
  prctl(PR_SET_TIMERSLACK, 123456);
  prctl(PR_SET_DUMPABLE, 0);
  long loginuid = read_number("/proc/self/loginuid");
  if (loginuid >= 0) write_text("/proc/self/loginuid", "4242");
  if (mlockall(MCL_FUTURE)) zdtm_fail("mlockall: %s", strerror(errno));
  pthread_t thread;
  zdtm_start_thread(&thread, worker, NULL);
  while (!worker_ready) usleep(1000);

  struct tuning main_before = tuning_of(getpid()), worker_before = tuning_of(worker_tid);
  long locked_before = locked_kib();
  zdtm_report("tuning slack %ld/%ld ioprio %#lx/%#lx locked %ld KiB two_cpus %d", main_before.slack,
              worker_before.slack, main_before.ioprio, worker_before.ioprio, locked_before,
              two_cpus);
  zdtm_ready();
  while (!zdtm_stop) pause();

  same("main thread", main_before, tuning_of(getpid()));
  same("worker thread", worker_before, tuning_of(worker_tid));
  if (main_before.tsc != PR_TSC_ENABLE) zdtm_fail("main thread TSC mode %d", main_before.tsc);
  while (!worker_checked) usleep(1000);
  if (worker_tsc_after != PR_TSC_SIGSEGV) zdtm_fail("worker thread TSC mode %d, was SIGSEGV", worker_tsc_after);
  if (prctl(PR_GET_DUMPABLE) != 0) zdtm_fail("dumpable %d, was 0", prctl(PR_GET_DUMPABLE));
  if (loginuid >= 0 && read_number("/proc/self/loginuid") != 4242)
    zdtm_fail("loginuid %ld, was 4242", read_number("/proc/self/loginuid"));
  if (locked_kib() != locked_before) zdtm_fail("VmLck %ld KiB, was %ld", locked_kib(), locked_before);
  char* more = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (more == MAP_FAILED) zdtm_fail("mmap: %s", strerror(errno));
  if (locked_kib() != locked_before + 1024)
    zdtm_fail("mlockall(MCL_FUTURE) lost: a new MiB left VmLck at %ld KiB", locked_kib());
  zdtm_pass();
}
