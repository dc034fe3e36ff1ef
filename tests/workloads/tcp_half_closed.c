// Closing TCP connections inside the container, over 127.0.0.1 and ::1 (dumped with
// --tcp-established), each end in its state at the dump and again after the restore:
// - half-closed: the client sent "hello" and shut its sending side down, so the server's end is
//   in CLOSE_WAIT with "hello" and the FIN unread, and the client's in FIN_WAIT2 with the
//   server's "world" unread. After the restore the server reads "hello" then end-of-file, the
//   client "world" and what the server sends after the restore, then end-of-file once the
//   server shuts down too; the client cannot send any more.
// - FIN not yet acknowledged (IPv4): the client filled the server's window and shut down, so its
//   FIN waits behind bytes never sent (FIN_WAIT1). The server, which had the client's FIN (sent
//   first by a client of its own), filled the client's window and shut down (LAST_ACK). After
//   the restore every byte arrives, then end-of-file, both ways.
#define _GNU_SOURCE
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <time.h>

#include "zdtm.h"

struct pair {
  int family, client, server;
};

static void connect_pair(struct pair* p, int family, int buffer) {
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
  if (buffer) setsockopt(listener, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
  if (listener < 0 || bind(listener, (struct sockaddr*)&ss, len) || listen(listener, 1))
    zdtm_fail("listen (family %d): %s", family, strerror(errno));
  getsockname(listener, (struct sockaddr*)&ss, &len);
  p->family = family;
  p->client = socket(family, SOCK_STREAM, 0);
  if (buffer) {
    setsockopt(p->client, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
    setsockopt(p->client, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);
  }
  if (connect(p->client, (struct sockaddr*)&ss, len)) zdtm_fail("connect: %s", strerror(errno));
  p->server = accept(listener, NULL, NULL);
  if (p->server < 0) zdtm_fail("accept: %s", strerror(errno));
  if (buffer) setsockopt(p->server, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);
  close(listener);
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

static unsigned char pattern(size_t i) {
  return (unsigned char)(i * 7 + 1);
}

// Writes the pattern without blocking until the peer's window and our buffer are full.
static size_t fill(int sock) {
  unsigned char buf[1024];
  size_t sent = 0;
  for (;;) {
    for (size_t i = 0; i < sizeof buf; ++i) buf[i] = pattern(sent + i);
    ssize_t n = send(sock, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return sent;
    if (n <= 0) zdtm_fail("fill: %s", strerror(errno));
    sent += (size_t)n;
  }
}

// Reads `size` bytes of the pattern, then end-of-file.
static void drain(int sock, size_t size, const char* who) {
  unsigned char buf[4096];
  size_t got = 0;
  while (got < size) {
    ssize_t n = recv(sock, buf, sizeof buf, 0);
    if (n <= 0) zdtm_fail("%s: read %zd after %zu of %zu bytes", who, n, got, size);
    for (ssize_t i = 0; i < n; ++i)
      if (buf[i] != pattern(got + (size_t)i)) zdtm_fail("%s: byte %zu differs", who, got + i);
    got += (size_t)n;
  }
  expect_eof(sock, who, AF_INET);
}

static void half_close(struct pair* p, int family) {
  connect_pair(p, family, 0);
  if (send(p->client, "hello", 5, 0) != 5 || send(p->server, "world", 5, 0) != 5)
    zdtm_fail("send: %s", strerror(errno));
  if (shutdown(p->client, SHUT_WR)) zdtm_fail("shutdown: %s", strerror(errno));
}

static void check_half_closed(struct pair* p) {
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
  struct pair v4, v6, fin_wait1, last_ack;
  half_close(&v4, AF_INET);
  half_close(&v6, AF_INET6);
  // FIN_WAIT1: the client's FIN behind the bytes the server's full window holds back.
  connect_pair(&fin_wait1, AF_INET, 4096);
  size_t client_sent = fill(fin_wait1.client);
  shutdown(fin_wait1.client, SHUT_WR);
  // LAST_ACK: the peer's FIN received, then ours behind the bytes the client's window holds back.
  connect_pair(&last_ack, AF_INET, 4096);
  shutdown(last_ack.client, SHUT_WR);
  expect_state(last_ack.server, TCP_CLOSE_WAIT, "last_ack server", AF_INET);
  size_t server_sent = fill(last_ack.server);
  shutdown(last_ack.server, SHUT_WR);

  expect_state(v4.server, TCP_CLOSE_WAIT, "server", AF_INET);
  expect_state(v4.client, TCP_FIN_WAIT2, "client", AF_INET);
  expect_state(fin_wait1.client, TCP_FIN_WAIT1, "fin_wait1 client", AF_INET);
  expect_state(last_ack.server, TCP_LAST_ACK, "last_ack server", AF_INET);
  zdtm_report("filled %zu and %zu bytes", client_sent, server_sent);
  zdtm_ready();
  while (!zdtm_stop) pause();
  check_half_closed(&v4);
  check_half_closed(&v6);
  expect_state(fin_wait1.client, TCP_FIN_WAIT1, "fin_wait1 client", AF_INET);
  expect_state(last_ack.server, TCP_LAST_ACK, "last_ack server", AF_INET);
  drain(fin_wait1.server, client_sent, "fin_wait1 server");
  expect_state(fin_wait1.client, TCP_FIN_WAIT2, "fin_wait1 client", AF_INET);
  drain(last_ack.client, server_sent, "last_ack client");
  expect_state(last_ack.server, TCP_CLOSE, "last_ack server", AF_INET);
  zdtm_pass();
}
