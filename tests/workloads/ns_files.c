// Fds on namespace files across a checkpoint: the workload (the container's init) opens
// /proc/self/ns/{net,uts,ipc,pid,mnt,time} (net and pid close-on-exec, the others not) and
// pid_for_children. On SIGTERM it checks that each fd is the namespace file of its type that
// /proc/self/ns shows now (same inode: the restored container's namespace), with its fd flags,
// and that setns() takes it (net, uts, ipc, pid, time).
// Argument "user": also holds /proc/self/ns/user, the host's user namespace (a dump must refuse
// it).
#define _GNU_SOURCE
#include <sched.h>
#include <sys/stat.h>

#include "zdtm.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

struct ns_fd {
  const char* file;  // under /proc/self/ns
  const char* type;  // the namespace file it must match after the restore
  int cloexec;
  int setns_type;  // 0: no setns check
  int fd;
};

static struct ns_fd fds[] = {
    {"net", "net", 1, CLONE_NEWNET, -1},
    {"uts", "uts", 0, CLONE_NEWUTS, -1},
    {"ipc", "ipc", 0, CLONE_NEWIPC, -1},
    {"pid", "pid", 1, CLONE_NEWPID, -1},
    {"mnt", "mnt", 0, 0, -1},  // setns(mnt) would move our root: not tried
    {"time", "time", 0, CLONE_NEWTIME, -1},
    {"pid_for_children", "pid", 0, 0, -1},
};

static ino_t inode_of(const char* type) {
  char path[64];
  struct stat st;
  snprintf(path, sizeof path, "/proc/self/ns/%s", type);
  if (stat(path, &st) != 0) zdtm_fail("stat %s: %m", path);
  return st.st_ino;
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  const char* mode = argc > 2 ? argv[2] : "";
  size_t n = sizeof fds / sizeof fds[0];
  for (size_t i = 0; i < n; ++i) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/ns/%s", fds[i].file);
    fds[i].fd = open(path, O_RDONLY | (fds[i].cloexec ? O_CLOEXEC : 0));
    if (fds[i].fd < 0) zdtm_fail("open %s: %m", path);
  }
  if (strcmp(mode, "user") == 0 && open("/proc/self/ns/user", O_RDONLY) < 0)
    zdtm_fail("open /proc/self/ns/user: %m");
  zdtm_ready();
  while (!zdtm_stop) pause();

  for (size_t i = 0; i < n; ++i) {
    struct stat st;
    if (fstat(fds[i].fd, &st) != 0) zdtm_fail("%s: fd %d is gone: %m", fds[i].file, fds[i].fd);
    if (st.st_ino != inode_of(fds[i].type))
      zdtm_fail("%s: fd %d is namespace %lu, /proc/self/ns/%s is %lu", fds[i].file, fds[i].fd,
                (unsigned long)st.st_ino, fds[i].type, (unsigned long)inode_of(fds[i].type));
    int cloexec = (fcntl(fds[i].fd, F_GETFD) & FD_CLOEXEC) != 0;
    if (cloexec != fds[i].cloexec) zdtm_fail("%s: FD_CLOEXEC is %d", fds[i].file, cloexec);
    if (fds[i].setns_type && setns(fds[i].fd, fds[i].setns_type) != 0)
      zdtm_fail("setns %s: %m", fds[i].file);
  }
  zdtm_pass();
}
