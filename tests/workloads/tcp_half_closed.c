// Half-closed TCP connections inside the container, over 127.0.0.1 and ::1 (dumped with
// --tcp-established): the client sent "hello" and shut its sending side down, so the server's
// end is in CLOSE_WAIT with "hello" and the FIN unread, and the client's in FIN_WAIT2 with the
// server's "world" unread. After the restore each end is in its state again; the server reads
// "hello" then end-of-file, the client "world" and then what the server sends after the
// restore, and end-of-file once the server shuts down too; the client cannot send any more.
#define _GNU_SOURCE
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <time.h>

#include "zdtm.h"

struct pair {
  int family, client, server;
};

static void setup(struct pair* p, int family) {
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  socklen_t len;
  if (family == AF_INET) {
    struct sockaddr_in* in = (struct sockaddr_in*)&ss;
    in->sin_family = AF_INET;
    in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof *in;
  } else {
    struct sockaddr_in6* in6 = (struct sockaddr_in6*)&ss;
    in6->sin6_family = AF_INET6;
    in6->sin6_addr = in6addr_loopback;
    len = sizeof *in6;
  }
  int listener = socket(family, SOCK_STREAM, 0);
  if (listener < 0 || bind(listener, (struct sockaddr*)&ss, len) || listen(listener, 1))
    zdtm_fail("listen (family %d): %s", family, strerror(errno));
  getsockname(listener, (struct sockaddr*)&ss, &len);
  p->family = family;
  p->client = socket(family, SOCK_STREAM, 0);
  if (connect(p->client, (struct sockaddr*)&ss, len)) zdtm_fail("connect: %s", strerror(errno));
  p->server = accept(listener, NULL, NULL);
  if (p->server < 0) zdtm_fail("accept: %s", strerror(errno));
  close(listener);
  if (send(p->client, "hello", 5, 0) != 5 || send(p->server, "world", 5, 0) != 5)
    zdtm_fail("send: %s", strerror(errno));
  if (shutdown(p->client, SHUT_WR)) zdtm_fail("shutdown: %s", strerror(errno));
}

static int state(int sock) {
  struct tcp_info info;
  socklen_t len = sizeof info;
  if (getsockopt(sock, IPPROTO_TCP, TCP_INFO, &info, &len)) zdtm_fail("TCP_INFO");
  return info.tcpi_state;
}

// Waits up to 2 s for `sock` to reach `want` (a FIN_WAIT1 becomes FIN_WAIT2 once acknowledged).
static void expect_state(int sock, int want, const char* who, int family) {
  for (int i = 0; i < 200 && state(sock) != want; ++i) usleep(10000);
  if (state(sock) != want)
    zdtm_fail("%s (family %d): state %d, expected %d", who, family, state(sock), want);
}

static void expect_read(int sock, const char* want, const char* who, int family) {
  char buf[64];
  size_t got = 0, size = strlen(want);
  while (got < size) {
    ssize_t n = recv(sock, buf + got, size - got, 0);
    if (n <= 0) zdtm_fail("%s (family %d): read %zd after %zu bytes", who, family, n, got);
    got += (size_t)n;
  }
  if (memcmp(buf, want, size) != 0) zdtm_fail("%s (family %d): read other bytes", who, family);
}

static void expect_eof(int sock, const char* who, int family) {
  char c;
  ssize_t n = recv(sock, &c, 1, 0);
  if (n != 0) zdtm_fail("%s (family %d): no end-of-file (%zd)", who, family, n);
}

static void check(struct pair* p) {
  expect_state(p->server, TCP_CLOSE_WAIT, "server", p->family);
  expect_state(p->client, TCP_FIN_WAIT2, "client", p->family);
  expect_read(p->server, "hello", "server", p->family);
  expect_eof(p->server, "server", p->family);
  if (send(p->client, "x", 1, MSG_NOSIGNAL) != -1 || errno != EPIPE)
    zdtm_fail("client (family %d): could send after its shutdown", p->family);
  if (send(p->server, "again", 5, 0) != 5) zdtm_fail("server send: %s", strerror(errno));
  expect_read(p->client, "worldagain", "client", p->family);
  shutdown(p->server, SHUT_WR);
  expect_eof(p->client, "client", p->family);
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  struct pair v4, v6;
  setup(&v4, AF_INET);
  setup(&v6, AF_INET6);
  expect_state(v4.server, TCP_CLOSE_WAIT, "server", AF_INET);
  expect_state(v4.client, TCP_FIN_WAIT2, "client", AF_INET);
  zdtm_ready();
  while (!zdtm_stop) pause();
  check(&v4);
  check(&v6);
  zdtm_pass();
}
