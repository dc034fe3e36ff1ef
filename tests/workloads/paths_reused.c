// Names of FIFOs and unix sockets that were removed, then taken again by something else. In
// directory argv[2] (a tmpfs of the container):
// - "fifo": a FIFO still linked, open read-write at fd 3, holding "named data";
// - "gone": a FIFO open read-write at fd 4, holding "gone data", removed, and a regular file made
//   at its name since, holding "a new file";
// - "a.sock": a datagram socket (fd 5) bound there, its file removed, and another datagram
//   socket (fd 6) bound to the same name since: the name reaches fd 6 only;
// - "c.sock": a datagram socket (fd 7) bound there, its file removed, and a regular file made at
//   its name since, holding "not a socket";
// - "dir": a directory (mode 0750) open at fd 8, removed, and a directory made at its name since,
//   holding a file "new".
// On SIGTERM: fd 3 is still the FIFO at "fifo" and reads its data; fd 4 is a removed FIFO and
// reads its data while "gone" is the regular file; fds 5, 6 and 7 keep their names (getsockname)
// and a datagram sent to "a.sock" reaches fd 6, not fd 5; "c.sock" is the regular file; fd 8 is
// a removed directory of mode 0750 shown at "dir (deleted)", and "dir" is the new one.
#define _GNU_SOURCE
#include <stddef.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "zdtm.h"

static char dir[200];

static void path_of(char* out, size_t size, const char* name) {
  if ((size_t)snprintf(out, size, "%s/%s", dir, name) >= size) zdtm_fail("%s: path too long", name);
}

static void at(int fd, int want) {
  if (fd < 0) zdtm_fail("open for fd %d: %m", want);
  if (fd != want && (dup2(fd, want) != want || close(fd) != 0)) zdtm_fail("dup2 %d: %m", want);
}

static void write_file(const char* name, const char* text) {
  char path[256];
  path_of(path, sizeof path, name);
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || close(fd) != 0)
    zdtm_fail("write %s: %m", path);
}

static void expect_file(const char* name, const char* text) {
  char path[256], buf[64] = {0};
  path_of(path, sizeof path, name);
  struct stat st;
  if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode)) zdtm_fail("%s is not a regular file", path);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
  if (fd >= 0) close(fd);
  if (n < 0 || strcmp(buf, text) != 0) zdtm_fail("%s holds \"%s\", not \"%s\"", path, buf, text);
}

static void fifo_at(const char* name, const char* data, int want) {
  char path[256];
  path_of(path, sizeof path, name);
  if (mkfifo(path, 0640) != 0) zdtm_fail("mkfifo %s: %m", path);
  at(open(path, O_RDWR | O_NONBLOCK), want);
  if (write(want, data, strlen(data)) != (ssize_t)strlen(data)) zdtm_fail("fill %s: %m", path);
}

static void expect_fifo(int fd, const char* data, int links) {
  struct stat st;
  char buf[64] = {0};
  if (fstat(fd, &st) != 0 || !S_ISFIFO(st.st_mode)) zdtm_fail("fd %d is not a FIFO", fd);
  if ((int)st.st_nlink != links) zdtm_fail("fd %d: %d links, expected %d", fd,
                                           (int)st.st_nlink, links);
  ssize_t n = read(fd, buf, sizeof buf - 1);
  if (n < 0 || strcmp(buf, data) != 0) zdtm_fail("fd %d reads \"%s\", not \"%s\"", fd, buf, data);
}

static void expect_removed_directory(int fd, const char* name) {
  struct stat st;
  char link[64], shown[300], want[300];
  if (fstat(fd, &st) != 0 || !S_ISDIR(st.st_mode) || (st.st_mode & 07777) != 0750 ||
      st.st_nlink != 0)
    zdtm_fail("fd %d is not a removed directory of mode 0750", fd);
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, shown, sizeof shown - 1);
  shown[n < 0 ? 0 : n] = 0;
  path_of(want, sizeof want - 12, name);
  strcat(want, " (deleted)");
  if (strcmp(shown, want) != 0) zdtm_fail("fd %d shows \"%.150s\", not \"%.150s\"", fd, shown, want);
}

static socklen_t address(struct sockaddr_un* a, const char* name) {
  memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  path_of(a->sun_path, sizeof a->sun_path, name);
  return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(a->sun_path) + 1);
}

static void bound_at(const char* name, int want) {
  struct sockaddr_un a;
  socklen_t len = address(&a, name);
  at(socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0), want);
  if (bind(want, (struct sockaddr*)&a, len) != 0) zdtm_fail("bind %s: %m", a.sun_path);
}

static void expect_name(int fd, const char* name) {
  struct sockaddr_un want, got;
  address(&want, name);
  socklen_t len = sizeof got;
  memset(&got, 0, sizeof got);
  if (getsockname(fd, (struct sockaddr*)&got, &len) != 0) zdtm_fail("getsockname %d: %m", fd);
  if (strcmp(got.sun_path, want.sun_path) != 0)
    zdtm_fail("fd %d is bound to \"%s\", not \"%s\"", fd, got.sun_path, want.sun_path);
}

static void remove_name(const char* name) {
  char path[256];
  path_of(path, sizeof path, name);
  if (unlink(path) != 0) zdtm_fail("unlink %s: %m", path);
}

static void expect_datagram_reaches_the_new_socket(void) {
  struct sockaddr_un a;
  socklen_t len = address(&a, "a.sock");
  int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0 || sendto(s, "hi", 2, 0, (struct sockaddr*)&a, len) != 2)
    zdtm_fail("send to %s: %m", a.sun_path);
  close(s);
  char buf[8];
  if (recv(6, buf, sizeof buf, MSG_DONTWAIT) != 2) zdtm_fail("fd 6 got no datagram: %m");
  if (recv(5, buf, sizeof buf, MSG_DONTWAIT) >= 0) zdtm_fail("fd 5 got the datagram");
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  snprintf(dir, sizeof dir, "%s", argc > 2 ? argv[2] : "/tmp");
  fifo_at("fifo", "named data", 3);
  fifo_at("gone", "gone data", 4);
  remove_name("gone");
  write_file("gone", "a new file");
  bound_at("a.sock", 5);
  remove_name("a.sock");
  bound_at("a.sock", 6);
  bound_at("c.sock", 7);
  remove_name("c.sock");
  write_file("c.sock", "not a socket");
  char path[256];
  path_of(path, sizeof path, "dir");
  if (mkdir(path, 0750) != 0) zdtm_fail("mkdir %s: %m", path);
  at(open(path, O_RDONLY | O_DIRECTORY), 8);
  if (rmdir(path) != 0 || mkdir(path, 0755) != 0) zdtm_fail("make %s again: %m", path);
  write_file("dir/new", "in the new directory");
  zdtm_ready();
  while (!zdtm_stop) pause();
  struct stat named, held;
  path_of(path, sizeof path, "fifo");
  if (stat(path, &named) != 0 || fstat(3, &held) != 0 || named.st_ino != held.st_ino)
    zdtm_fail("fd 3 is not the FIFO at %s", path);
  expect_fifo(3, "named data", 1);
  expect_fifo(4, "gone data", 0);
  expect_file("gone", "a new file");
  for (int fd = 5; fd <= 6; ++fd) expect_name(fd, "a.sock");
  expect_name(7, "c.sock");
  expect_datagram_reaches_the_new_socket();
  expect_file("c.sock", "not a socket");
  expect_removed_directory(8, "dir");
  expect_file("dir/new", "in the new directory");
  zdtm_pass();
}
