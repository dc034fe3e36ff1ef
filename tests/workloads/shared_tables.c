// Processes sharing their parent's tables without being its threads: child F made by
// clone(CLONE_FILES) shares the parent's fd table, child S made by clone(CLONE_FS) its cwd, root
// and umask. Before the checkpoint each changes the shared state: F opens a pipe, closes an fd
// the parent opened, sets close-on-exec on another, takes a POSIX lock on argv[2]/lock (a tmpfs
// of the container: each copy has its own) and makes an epoll instance watching a pipe of its
// own; S enters /dev and sets umask 027. On SIGTERM the parent checks that the tables are still
// shared (kcmp) and still hold those changes, then each side changes them again and the other
// must see it: an fd the parent opens appears in F's table, one F closes is gone from the
// parent's, F's epoll reports its pipe readable once the parent writes to it, and S (a table of
// its own) finds F's lock held by F; a chdir/umask of the parent is S's, and S's are the
// parent's.
//
// argv[3] "nested": all of it one level down, in a child of the init (which passes SIGTERM on),
// so the table's owner is not the restore's root task. The child execs this program again
// ("below"): pages it would share copy-on-write with the init, and its children with it, make a
// restore fail in cow_shared (as with children of plain clone()s), which is not what this tests.
//
// argv[2] "siblings" instead: the parent clones two children with CLONE_FILES and leaves their
// table (unshare), so the two share it and their parent does not (ckpt refuses this tree by
// name).
#define _GNU_SOURCE
#include <linux/kcmp.h>
#include <sched.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "zdtm.h"

struct shared {
  volatile int to_close, to_cloexec;  // opened by the parent for F to change
  volatile int pipe_write;            // opened by F before the checkpoint
  volatile int epoll_fd, watched_write;  // F's epoll instance, the write end of what it watches
  volatile pid_t files_pid;             // F, which holds a lock on lock_path
  char lock_path[300];
  volatile int files_ready, fs_ready; // each child made its changes
  volatile int go_files;  // 1: the parent opened fd_for_child
  volatile int fd_for_child;
  volatile int files_done;  // 1: F saw it and closed it; 2: F did not see it
  volatile int go_fs;       // 1: the parent entered "/" with umask 077
  volatile int fs_done;     // 1: S saw it and entered /dev with umask 022; 2: it did not
  volatile int stop;        // the siblings exit
  char why[200];
};

static struct shared* shared;

static pid_t clone_child(int (*fn)(void*), int flags) {
  size_t stack_size = 256 * 1024;
  char* stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (stack == MAP_FAILED) zdtm_fail("mmap: %s", strerror(errno));
  pid_t child = clone(fn, stack + stack_size, flags | SIGCHLD, NULL);
  if (child < 0) zdtm_fail("clone: %s", strerror(errno));
  return child;
}

static int files_child(void* arg) {
  (void)arg;
  signal(SIGTERM, SIG_IGN);
  int fds[2];
  if (pipe(fds) != 0) return 1;
  shared->pipe_write = fds[1];
  int watched[2], epfd = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN};
  if (epfd < 0 || pipe(watched) != 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, watched[0], &ev) != 0)
    return 1;
  shared->epoll_fd = epfd;
  shared->watched_write = watched[1];
  int lock_fd = open(shared->lock_path, O_RDWR | O_CREAT, 0600);
  struct flock lock = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
  if (lock_fd < 0 || fcntl(lock_fd, F_SETLK, &lock) != 0) return 1;
  close(shared->to_close);  // last: no fd opened here takes its number again
  fcntl(shared->to_cloexec, F_SETFD, FD_CLOEXEC);
  shared->files_pid = getpid();
  shared->files_ready = 1;
  while (!shared->go_files) usleep(1000);
  if (fcntl(shared->fd_for_child, F_GETFD) < 0) {
    snprintf(shared->why, sizeof shared->why, "F does not see fd %d its parent opened",
             shared->fd_for_child);
    shared->files_done = 2;
    return 1;
  }
  close(shared->fd_for_child);
  shared->files_done = 1;
  return 0;
}

static int fs_child(void* arg) {
  (void)arg;
  signal(SIGTERM, SIG_IGN);
  if (chdir("/dev") != 0) return 1;
  umask(027);
  shared->fs_ready = 1;
  while (!shared->go_fs) usleep(1000);
  char cwd[256];
  mode_t mask = umask(022);
  if (!getcwd(cwd, sizeof cwd) || strcmp(cwd, "/") != 0 || mask != 077) {
    snprintf(shared->why, sizeof shared->why, "S has cwd %.100s and umask %03o, not / and 077",
             cwd, (unsigned)mask);
    shared->fs_done = 2;
    return 1;
  }
  if (chdir("/dev") != 0) return 1;
  int fd = open(shared->lock_path, O_RDWR);
  struct flock lock = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
  if (fd < 0 || fcntl(fd, F_GETLK, &lock) != 0 || lock.l_type != F_WRLCK ||
      lock.l_pid != shared->files_pid) {
    snprintf(shared->why, sizeof shared->why, "S does not find F's lock (type %d, pid %d)",
             lock.l_type, lock.l_pid);
    shared->fs_done = 2;
    return 1;
  }
  shared->fs_done = 1;
  return 0;
}

static int sibling(void* arg) {
  (void)arg;
  signal(SIGTERM, SIG_IGN);
  while (!shared->stop) usleep(1000);
  return 0;
}

static void wait_for(volatile int* flag, const char* who) {
  while (!*flag) usleep(1000);
  if (*flag != 1) zdtm_fail("%s: %s", who, shared->why);
}

static int same(pid_t a, pid_t b, int kind) {
  return syscall(SYS_kcmp, a, b, kind, 0, 0) == 0;
}

static void siblings(void) {
  pid_t a = clone_child(sibling, CLONE_FILES);
  pid_t b = clone_child(sibling, CLONE_FILES);
  if (unshare(CLONE_FILES) != 0) zdtm_fail("unshare: %s", strerror(errno));
  zdtm_ready();
  while (!zdtm_stop) pause();
  if (!same(a, b, KCMP_FILES) || same(getpid(), a, KCMP_FILES))
    zdtm_fail("the siblings do not share their table alone");
  shared->stop = 1;
  waitpid(a, NULL, 0);
  waitpid(b, NULL, 0);
  zdtm_pass();
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) zdtm_fail("mmap: %s", strerror(errno));
  if (argc > 2 && strcmp(argv[2], "siblings") == 0) siblings();
  if (argc > 3 && strcmp(argv[3], "nested") == 0) {
    pid_t below = fork();
    if (below < 0) zdtm_fail("fork: %s", strerror(errno));
    if (below == 0) {
      execl("/proc/self/exe", argv[0], argv[1], argv[2], "below", (char*)NULL);
      zdtm_fail("exec: %s", strerror(errno));
    }
    while (!zdtm_stop) pause();
    kill(below, SIGTERM);
    int status = 0;
    waitpid(below, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
  }
  snprintf(shared->lock_path, sizeof shared->lock_path, "%s/lock", argc > 2 ? argv[2] : "/tmp");

  int to_close = shared->to_close = open("/dev/null", O_RDONLY);
  int to_cloexec = shared->to_cloexec = open("/dev/zero", O_RDONLY);
  if (to_close < 0 || to_cloexec < 0) zdtm_fail("open: %s", strerror(errno));
  pid_t f = clone_child(files_child, CLONE_FILES);
  pid_t s = clone_child(fs_child, CLONE_FS);
  while (!shared->files_ready || !shared->fs_ready) usleep(1000);
  zdtm_ready();
  while (!zdtm_stop) pause();

  if (!same(getpid(), f, KCMP_FILES)) zdtm_fail("F's fd table is no longer its parent's");
  if (!same(getpid(), s, KCMP_FS)) zdtm_fail("S's cwd/root/umask are no longer its parent's");
  if (same(getpid(), f, KCMP_FS) || same(getpid(), s, KCMP_FILES))
    zdtm_fail("a table that was not shared is shared now");
  if (fcntl(shared->pipe_write, F_GETFD) < 0) zdtm_fail("the pipe F opened before is gone");
  if (fcntl(to_close, F_GETFD) >= 0) zdtm_fail("fd %d closed before is open again", to_close);
  if (fcntl(to_cloexec, F_GETFD) != FD_CLOEXEC) zdtm_fail("fd %d lost close-on-exec", to_cloexec);
  struct epoll_event ev;
  if (epoll_wait(shared->epoll_fd, &ev, 1, 0) != 0) zdtm_fail("F's epoll reports an empty pipe");
  if (write(shared->watched_write, "x", 1) != 1 || epoll_wait(shared->epoll_fd, &ev, 1, 0) != 1)
    zdtm_fail("F's epoll does not report its pipe readable: %s", strerror(errno));
  char cwd[256];
  mode_t mask = umask(077);
  if (!getcwd(cwd, sizeof cwd) || strcmp(cwd, "/dev") != 0 || mask != 027)
    zdtm_fail("cwd %.100s and umask %03o, not /dev and 027", cwd, (unsigned)mask);

  int fds[2];
  if (pipe(fds) != 0) zdtm_fail("pipe: %s", strerror(errno));
  shared->fd_for_child = fds[1];
  shared->go_files = 1;
  wait_for(&shared->files_done, "CLONE_FILES");
  if (fcntl(fds[1], F_GETFD) >= 0) zdtm_fail("fd %d F closed is still open here", fds[1]);

  if (chdir("/") != 0) zdtm_fail("chdir /: %s", strerror(errno));
  shared->go_fs = 1;
  wait_for(&shared->fs_done, "CLONE_FS");
  mask = umask(077);
  if (!getcwd(cwd, sizeof cwd) || strcmp(cwd, "/dev") != 0 || mask != 022)
    zdtm_fail("S entered /dev with umask 022, here: %.100s and %03o", cwd, (unsigned)mask);
  waitpid(f, NULL, 0);
  waitpid(s, NULL, 0);
  zdtm_pass();
}
