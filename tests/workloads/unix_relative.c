// Unix sockets bound by relative path names (bind("srv.sock") in the working directory, as
// daemons that chdir to their run directory do): a listener with a connection accepted from it
// and a datagram socket. After the checkpoint getsockname() must still show the relative
// names, the connection must carry data both ways, and new clients reach both names from the
// working directory. argv[2]: a tmpfs of the container's own.
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "zdtm.h"

static struct sockaddr_un address(const char* name) {
  struct sockaddr_un a;
  memset(&a, 0, sizeof a);
  a.sun_family = AF_UNIX;
  strcpy(a.sun_path, name);
  return a;
}

static int bound(int type, const char* name) {
  int fd = socket(AF_UNIX, type, 0);
  struct sockaddr_un a = address(name);
  if (fd < 0 || bind(fd, (struct sockaddr*)&a, sizeof a) != 0)
    zdtm_fail("bind %s: %s", name, strerror(errno));
  return fd;
}

static void check_name(int fd, const char* want, const char* when) {
  struct sockaddr_un a;
  socklen_t len = sizeof a;
  memset(&a, 0, sizeof a);
  if (getsockname(fd, (struct sockaddr*)&a, &len) != 0) zdtm_fail("getsockname");
  if (strcmp(a.sun_path, want) != 0)
    zdtm_fail("%s: socket named '%s', wanted '%s'", when, a.sun_path, want);
}

static void echo(int from, int to, const char* what) {
  char buf[16] = {0};
  if (write(from, what, strlen(what)) != (ssize_t)strlen(what)) zdtm_fail("write %s", what);
  if (read(to, buf, sizeof buf - 1) != (ssize_t)strlen(what) || strcmp(buf, what) != 0)
    zdtm_fail("'%s' came through as '%s'", what, buf);
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  if (argc < 3) zdtm_fail("usage: unix_relative RESULT TMPFS");
  if (chdir(argv[2]) != 0 || mkdir("run", 0755) != 0 || chdir("run") != 0)
    zdtm_fail("chdir %s/run: %s", argv[2], strerror(errno));
  int listener = bound(SOCK_STREAM, "srv.sock");
  if (listen(listener, 8) != 0) zdtm_fail("listen");
  int client = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un srv = address("srv.sock");
  if (connect(client, (struct sockaddr*)&srv, sizeof srv) != 0) zdtm_fail("connect");
  int served = accept(listener, NULL, NULL);
  if (served < 0) zdtm_fail("accept");
  int datagrams = bound(SOCK_DGRAM, "dg.sock");
  zdtm_ready();
  while (!zdtm_stop) pause();
  check_name(listener, "srv.sock", "listener");
  check_name(served, "srv.sock", "accepted");
  check_name(datagrams, "dg.sock", "datagram socket");
  echo(client, served, "ping");
  echo(served, client, "pong");
  int again = socket(AF_UNIX, SOCK_STREAM, 0);
  if (connect(again, (struct sockaddr*)&srv, sizeof srv) != 0)
    zdtm_fail("a new client cannot connect to srv.sock: %s", strerror(errno));
  int second = accept(listener, NULL, NULL);
  if (second < 0) zdtm_fail("accept after the checkpoint");
  echo(again, second, "again");
  int sender = socket(AF_UNIX, SOCK_DGRAM, 0);
  struct sockaddr_un dg = address("dg.sock");
  if (sendto(sender, "dg", 2, 0, (struct sockaddr*)&dg, sizeof dg) != 2)
    zdtm_fail("sendto dg.sock: %s", strerror(errno));
  char buf[4] = {0};
  if (recv(datagrams, buf, sizeof buf, 0) != 2 || strcmp(buf, "dg") != 0)
    zdtm_fail("datagram lost");
  zdtm_pass();
}
