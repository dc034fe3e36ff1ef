// File locks and SIGIO owners across a checkpoint. In directory argv[2] (a tmpfs of the
// container): file "posix" with this process's POSIX write lock on bytes 0-99 and read lock from
// 200 to EOF, and a child's POSIX write lock on 100-149 (through the same inherited description,
// fd 3); "ofd" with an OFD write lock on 10-19 (fd 4); "flock" under flock(LOCK_EX) (fd 5);
// "lease" with a read lease (fd 6). A pipe's read end (fd 7) has O_ASYNC, its owner this process
// (F_SETOWN_EX) and signal SIGRTMIN+1 (F_SETSIG); its write end (fd 8) is owned by the main
// thread (F_OWNER_TID, whose type is 0: once lost on restore). With argv[3] == "mapped", a file "mapped" is
// flock()ed, mapped and its fd closed: the lock is held by a mapping only (the dump must refuse).
// With argv[3] == "write_lease", "wlease" (fd 9) and "wlease_gone" (fd 10, then deleted) hold a
// write lease each, whose breaks are signalled by SIGRTMIN+2 (blocked), and their text: any open
// of them by another (the dump reading the tmpfs or the deleted file) would start a break; the
// check wants both leases still write leases, no break signalled, their text and offsets kept.
// On SIGTERM a checker process probes every lock (F_GETLK/F_OFD_GETLK/flock from outside the
// owners: types, ranges, owner pids), the lease is still there, the owner and signal are set and a
// byte written into the pipe delivers SIGRTMIN+1 with si_fd 7.
#define _GNU_SOURCE
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "zdtm.h"

static char dir[256];
static pid_t child;

static int open_in_dir(const char* name, int flags, int at) {
  char path[320];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  int fd = open(path, flags | O_CREAT, 0644);
  if (fd < 0) zdtm_fail("open %s: %m", path);
  if (at < 0) return fd;
  if (fd != at && (dup2(fd, at) != at || close(fd) != 0)) zdtm_fail("dup2 %s: %m", path);
  return at;
}

static void lock(int fd, int cmd, short type, off_t start, off_t len) {
  struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
  if (fcntl(fd, cmd, &fl) != 0) zdtm_fail("lock fd %d %lld+%lld: %m", fd, (long long)start,
                                          (long long)len);
}

// What a probe for a write lock at `start` meets: its type and owner pid.
static void expect(int fd, int cmd, off_t start, off_t len, short type, pid_t pid) {
  struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
  if (fcntl(fd, cmd, &fl) != 0) zdtm_fail("getlk fd %d at %lld: %m", fd, (long long)start);
  if (fl.l_type != type)
    zdtm_fail("fd %d at %lld: lock type %d, expected %d", fd, (long long)start, fl.l_type, type);
  if (type != F_UNLCK && fl.l_pid != pid)
    zdtm_fail("fd %d at %lld: owner %d, expected %d", fd, (long long)start, fl.l_pid, pid);
}

static void check_locks_from_outside(pid_t parent) {
  int posix = open_in_dir("posix", O_RDWR, -1);
  expect(posix, F_GETLK, 0, 100, F_WRLCK, parent);
  expect(posix, F_GETLK, 100, 50, F_WRLCK, child);
  expect(posix, F_GETLK, 150, 50, F_UNLCK, 0);
  expect(posix, F_GETLK, 200, 0, F_RDLCK, parent);
  struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 99, .l_len = 1};
  if (fcntl(posix, F_GETLK, &fl) != 0 || fl.l_start != 0 || fl.l_len != 100)
    zdtm_fail("posix write lock is %lld+%lld, expected 0+100", (long long)fl.l_start,
              (long long)fl.l_len);
  int ofd = open_in_dir("ofd", O_RDWR, -1);
  expect(ofd, F_OFD_GETLK, 10, 10, F_WRLCK, -1);
  expect(ofd, F_OFD_GETLK, 20, 0, F_UNLCK, 0);
  expect(ofd, F_OFD_GETLK, 0, 10, F_UNLCK, 0);
  int other = open_in_dir("flock", O_RDWR, -1);
  if (flock(other, LOCK_SH | LOCK_NB) == 0) zdtm_fail("flock: the exclusive lock is gone");
  if (errno != EWOULDBLOCK) zdtm_fail("flock probe: %m");
  exit(0);
}

static void check_owner(void) {
  struct f_owner_ex owner;
  if (fcntl(7, F_GETOWN_EX, &owner) != 0) zdtm_fail("F_GETOWN_EX: %m");
  if (owner.type != F_OWNER_PID || owner.pid != getpid())
    zdtm_fail("owner %d/%d, expected pid %d", owner.type, owner.pid, getpid());
  if (fcntl(7, F_GETSIG) != SIGRTMIN + 1) zdtm_fail("F_GETSIG %d", fcntl(7, F_GETSIG));
  if (fcntl(8, F_GETOWN_EX, &owner) != 0) zdtm_fail("F_GETOWN_EX: %m");
  if (owner.type != F_OWNER_TID || owner.pid != gettid())
    zdtm_fail("fd 8 owner %d/%d, expected thread %d", owner.type, owner.pid, gettid());
  if (!(fcntl(7, F_GETFL) & O_ASYNC)) zdtm_fail("O_ASYNC is gone");
  if (write(8, "x", 1) != 1) zdtm_fail("write pipe: %m");
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGRTMIN + 1);
  struct timespec wait = {5, 0};
  siginfo_t info;
  if (sigtimedwait(&set, &info, &wait) != SIGRTMIN + 1) zdtm_fail("no SIGRTMIN+1: %m");
  if (info.si_fd != 7) zdtm_fail("signal for fd %d, expected 7", info.si_fd);
}

static const char kLeased[] = "leased text";

static void set_up_write_lease(const char* name, int fd) {
  open_in_dir(name, O_RDWR, fd);
  if (write(fd, kLeased, sizeof kLeased) != sizeof kLeased) zdtm_fail("write %s: %m", name);
  if (fcntl(fd, F_SETSIG, SIGRTMIN + 2) != 0 || fcntl(fd, F_SETLEASE, F_WRLCK) != 0)
    zdtm_fail("write lease on %s: %m", name);
}

static void check_write_lease(int fd) {
  sigset_t pending;
  sigpending(&pending);
  if (sigismember(&pending, SIGRTMIN + 2)) zdtm_fail("a write lease's break was signalled");
  if (fcntl(fd, F_GETLEASE) != F_WRLCK)
    zdtm_fail("lease of fd %d is %d, not a write lease", fd, fcntl(fd, F_GETLEASE));
  char buf[sizeof kLeased] = {0};
  if (lseek(fd, 0, SEEK_CUR) != (off_t)sizeof kLeased) zdtm_fail("fd %d lost its offset", fd);
  if (pread(fd, buf, sizeof buf, 0) != (ssize_t)sizeof buf || strcmp(buf, kLeased) != 0)
    zdtm_fail("fd %d reads \"%s\"", fd, buf);
}

static void set_up_mapped_flock(void) {
  int fd = open_in_dir("mapped", O_RDWR, -1);
  if (ftruncate(fd, 4096) != 0 || flock(fd, LOCK_EX) != 0) zdtm_fail("mapped flock: %m");
  if (mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED) zdtm_fail("mmap: %m");
  close(fd);
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  snprintf(dir, sizeof dir, "%s", argc > 2 ? argv[2] : "/tmp");
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGRTMIN + 1);
  sigaddset(&set, SIGRTMIN + 2);
  sigprocmask(SIG_BLOCK, &set, NULL);
  int write_lease = argc > 3 && strcmp(argv[3], "write_lease") == 0;
  open_in_dir("posix", O_RDWR, 3);
  lock(3, F_SETLK, F_WRLCK, 0, 100);
  lock(3, F_SETLK, F_RDLCK, 200, 0);
  open_in_dir("ofd", O_RDWR, 4);
  lock(4, F_OFD_SETLK, F_WRLCK, 10, 10);
  open_in_dir("flock", O_RDWR, 5);
  if (flock(5, LOCK_EX) != 0) zdtm_fail("flock: %m");
  open_in_dir("lease", O_RDONLY, 6);
  if (fcntl(6, F_SETLEASE, F_RDLCK) != 0) zdtm_fail("F_SETLEASE: %m");
  int p[2];
  if (pipe(p) != 0 || dup2(p[0], 7) != 7 || dup2(p[1], 8) != 8) zdtm_fail("pipe: %m");
  if (p[0] != 7) close(p[0]);
  if (p[1] != 8) close(p[1]);
  struct f_owner_ex me = {F_OWNER_PID, getpid()};
  if (fcntl(7, F_SETOWN_EX, &me) != 0 || fcntl(7, F_SETSIG, SIGRTMIN + 1) != 0 ||
      fcntl(7, F_SETFL, fcntl(7, F_GETFL) | O_ASYNC | O_NONBLOCK) != 0)
    zdtm_fail("owner: %m");
  struct f_owner_ex thread = {F_OWNER_TID, gettid()};
  if (fcntl(8, F_SETOWN_EX, &thread) != 0) zdtm_fail("thread owner: %m");
  if (argc > 3 && strcmp(argv[3], "mapped") == 0) set_up_mapped_flock();
  if (write_lease) {
    set_up_write_lease("wlease", 9);
    set_up_write_lease("wlease_gone", 10);
    char path[320];
    snprintf(path, sizeof path, "%s/wlease_gone", dir);
    if (unlink(path) != 0) zdtm_fail("unlink %s: %m", path);
  }
  int locked[2];
  if (pipe(locked) != 0) zdtm_fail("pipe: %m");
  child = fork();
  if (child == 0) {
    lock(3, F_SETLK, F_WRLCK, 100, 50);
    close(locked[1]);
    for (;;) pause();
  }
  close(locked[1]);
  char byte;
  if (read(locked[0], &byte, 1) != 0) zdtm_fail("child lock: %m");  // EOF: the child has it
  close(locked[0]);
  zdtm_ready();
  while (!zdtm_stop) pause();
  if (write_lease) {
    check_write_lease(9);
    check_write_lease(10);
  }
  if (fcntl(6, F_GETLEASE) != F_RDLCK)
    zdtm_fail("lease is %d, not a read lease", fcntl(6, F_GETLEASE));
  check_owner();
  pid_t checker = fork();
  if (checker == 0) check_locks_from_outside(getppid());
  int status = 0;
  if (waitpid(checker, &status, 0) != checker || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    exit(1);  // the checker reported why
  kill(child, SIGKILL);
  zdtm_pass();
}
