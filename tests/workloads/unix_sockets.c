// Unix sockets across a checkpoint: a stream socketpair with unread data both ways, a datagram
// socketpair holding 3 messages of different sizes, a seqpacket pair holding 2 records, a
// stream pair shut down for writing after "bye", a server bound to a path under argv[2] with an
// accepted client and unread data both ways, a datagram server bound to a path with a client
// connected to it and 2 messages from it unread, and an abstract listener with one connection
// still waiting to be accepted. On SIGTERM everything queued must read back exactly (message
// boundaries kept), names and listening state must be the same, and new traffic must flow both
// ways on every connection.
#define _GNU_SOURCE
#include <poll.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "zdtm.h"

static const size_t kDgramSizes[3] = {1, 100, 3000};

static unsigned char pattern(size_t message, size_t i) {
  return (unsigned char)(message * 31 + i * 7);
}

static socklen_t make_addr(struct sockaddr_un* a, const char* name, size_t len, int abstract) {
  memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  memcpy(a->sun_path + (abstract ? 1 : 0), name, len);
  return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
}

static void pair(int type, int sv[2]) {
  if (socketpair(AF_UNIX, type, 0, sv) != 0) zdtm_fail("socketpair(%d): %s", type, strerror(errno));
}

static void send_exact(int fd, const void* buf, size_t len, const char* what) {
  if (send(fd, buf, len, MSG_NOSIGNAL) != (ssize_t)len)
    zdtm_fail("send %s: %s", what, strerror(errno));
}

// Receives one message (or up to `len` stream bytes) without blocking.
static ssize_t recv_now(int fd, void* buf, size_t len) {
  struct pollfd p = {fd, POLLIN, 0};
  if (poll(&p, 1, 2000) <= 0) return -1;
  return recv(fd, buf, len, MSG_DONTWAIT);
}

static void expect_text(int fd, const char* text, const char* what) {
  char buf[256];
  size_t want = strlen(text), got = 0;
  while (got < want) {
    ssize_t n = recv_now(fd, buf + got, want - got);
    if (n <= 0) zdtm_fail("%s: read %zu of %zu bytes", what, got, want);
    got += (size_t)n;
  }
  if (memcmp(buf, text, want) != 0) zdtm_fail("%s: got '%.*s'", what, (int)want, buf);
  if (recv(fd, buf, 1, MSG_DONTWAIT | MSG_PEEK) > 0) zdtm_fail("%s: more data than sent", what);
}

// A fresh round trip on a connected pair.
static void round_trip(int a, int b, const char* what) {
  send_exact(a, "ping", 4, what);
  expect_text(b, "ping", what);
  send_exact(b, "pong", 4, what);
  expect_text(a, "pong", what);
}

static void check_name(int fd, const char* name, size_t len, int abstract, const char* what) {
  struct sockaddr_un want, got;
  socklen_t want_len = make_addr(&want, name, len, abstract);
  socklen_t got_len = sizeof got;
  if (getsockname(fd, (struct sockaddr*)&got, &got_len) != 0) zdtm_fail("getsockname %s", what);
  if (got_len != want_len || memcmp(&got, &want, want_len) != 0)
    zdtm_fail("%s: name changed (length %u, was %u)", what, got_len, want_len);
}

static void check_listening(int fd, const char* what) {
  int on = 0;
  socklen_t len = sizeof on;
  if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) != 0 || !on)
    zdtm_fail("%s no longer listens", what);
}

static void fill_dgrams(int sender) {
  static unsigned char buf[3000];
  for (size_t m = 0; m < 3; ++m) {
    for (size_t i = 0; i < kDgramSizes[m]; ++i) buf[i] = pattern(m, i);
    send_exact(sender, buf, kDgramSizes[m], "datagram");
  }
}

static void check_dgrams(int receiver) {
  static unsigned char buf[8192];
  for (size_t m = 0; m < 3; ++m) {
    ssize_t n = recv_now(receiver, buf, sizeof buf);
    if (n != (ssize_t)kDgramSizes[m])
      zdtm_fail("datagram %zu: %zd bytes, expected %zu", m, n, kDgramSizes[m]);
    for (size_t i = 0; i < kDgramSizes[m]; ++i)
      if (buf[i] != pattern(m, i)) zdtm_fail("datagram %zu byte %zu changed", m, i);
  }
  if (recv(receiver, buf, 1, MSG_DONTWAIT) >= 0) zdtm_fail("a fourth datagram appeared");
}

static void check_records(int receiver) {
  char buf[64];
  ssize_t n = recv_now(receiver, buf, sizeof buf);
  if (n != 5 || memcmp(buf, "first", 5) != 0) zdtm_fail("seqpacket record 1: %zd bytes", n);
  n = recv_now(receiver, buf, sizeof buf);
  if (n != 12 || memcmp(buf, "second-reply", 12) != 0)
    zdtm_fail("seqpacket record 2: %zd bytes", n);
}

static void check_shut(int reader, int writer) {
  expect_text(reader, "bye", "shut-down pair");
  char c;
  if (recv(reader, &c, 1, MSG_DONTWAIT) != 0) zdtm_fail("shut-down pair: no end of file");
  if (send(writer, "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT) >= 0) zdtm_fail("shut-down end can write");
}

static int listener(const char* name, size_t len, int abstract, int backlog) {
  struct sockaddr_un a;
  socklen_t alen = make_addr(&a, name, len, abstract);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0 || bind(fd, (struct sockaddr*)&a, alen) != 0 || listen(fd, backlog) != 0)
    zdtm_fail("listen on %s: %s", name, strerror(errno));
  return fd;
}

static int connect_to(const char* name, size_t len, int abstract) {
  struct sockaddr_un a;
  socklen_t alen = make_addr(&a, name, len, abstract);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0 || connect(fd, (struct sockaddr*)&a, alen) != 0)
    zdtm_fail("connect to %s: %s", name, strerror(errno));
  return fd;
}

static int datagram_server(const char* path) {
  struct sockaddr_un a;
  socklen_t alen = make_addr(&a, path, strlen(path), 0);
  int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
  if (fd < 0 || bind(fd, (struct sockaddr*)&a, alen) != 0)
    zdtm_fail("bind datagram server %s: %s", path, strerror(errno));
  return fd;
}

static int datagram_client(const char* path) {
  struct sockaddr_un a;
  socklen_t alen = make_addr(&a, path, strlen(path), 0);
  int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
  if (fd < 0 || connect(fd, (struct sockaddr*)&a, alen) != 0)
    zdtm_fail("connect datagram client to %s: %s", path, strerror(errno));
  return fd;
}

static void check_datagram_server(int server, int client, const char* path) {
  char buf[16];
  if (recv_now(server, buf, sizeof buf) != 2 || memcmp(buf, "d1", 2) != 0)
    zdtm_fail("datagram server: first message");
  if (recv_now(server, buf, sizeof buf) != 3 || memcmp(buf, "d22", 3) != 0)
    zdtm_fail("datagram server: second message");
  check_name(server, path, strlen(path), 0, "datagram server");
  struct sockaddr_un peer;
  socklen_t len = sizeof peer;
  if (getpeername(client, (struct sockaddr*)&peer, &len) != 0 || strcmp(peer.sun_path, path) != 0)
    zdtm_fail("datagram client is no longer connected to %s", path);
  send_exact(client, "more", 4, "datagram client");
  expect_text(server, "more", "datagram server");
}

static int accept_now(int fd, const char* what) {
  struct pollfd p = {fd, POLLIN, 0};
  if (poll(&p, 1, 2000) <= 0) zdtm_fail("%s: nothing to accept", what);
  int c = accept(fd, NULL, NULL);
  if (c < 0) zdtm_fail("%s: accept: %s", what, strerror(errno));
  return c;
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  if (argc < 3) zdtm_fail("usage: unix_sockets RESULT DIR");
  char path[108];
  snprintf(path, sizeof path, "%s/sock", argv[2]);
  mkdir(path, 0755);
  snprintf(path, sizeof path, "%s/sock/server.sock", argv[2]);
  char dgram_path[108];
  snprintf(dgram_path, sizeof dgram_path, "%s/sock/dgram.sock", argv[2]);
  char abstract[64];
  int abstract_len = snprintf(abstract, sizeof abstract, "ckpt-unix-%d", getpid());

  int stream[2], dgram[2], seq[2], shut[2];
  pair(SOCK_STREAM, stream);
  send_exact(stream[0], "to the right", 12, "stream");
  send_exact(stream[1], "to the left", 11, "stream");
  pair(SOCK_DGRAM, dgram);
  fill_dgrams(dgram[0]);
  pair(SOCK_SEQPACKET, seq);
  send_exact(seq[1], "first", 5, "seqpacket");
  send_exact(seq[1], "second-reply", 12, "seqpacket");
  pair(SOCK_STREAM, shut);
  send_exact(shut[0], "bye", 3, "shut");
  shutdown(shut[0], SHUT_WR);

  unlink(path);
  int server = listener(path, strlen(path), 0, 5);
  int client = connect_to(path, strlen(path), 0);
  int accepted = accept_now(server, "path server");
  send_exact(client, "hello server", 12, "client");
  send_exact(accepted, "hello client", 12, "accepted");

  unlink(dgram_path);
  int dgram_server = datagram_server(dgram_path);
  int dgram_client = datagram_client(dgram_path);
  send_exact(dgram_client, "d1", 2, "datagram client");
  send_exact(dgram_client, "d22", 3, "datagram client");

  int hidden = listener(abstract, (size_t)abstract_len, 1, 7);
  int waiting = connect_to(abstract, (size_t)abstract_len, 1);

  zdtm_ready();
  while (!zdtm_stop) pause();

  expect_text(stream[1], "to the right", "stream pair right end");
  expect_text(stream[0], "to the left", "stream pair left end");
  round_trip(stream[0], stream[1], "stream pair");
  check_dgrams(dgram[1]);
  round_trip(dgram[1], dgram[0], "datagram pair");
  check_records(seq[0]);
  round_trip(seq[0], seq[1], "seqpacket pair");
  check_shut(shut[1], shut[0]);

  check_listening(server, "path server");
  check_name(server, path, strlen(path), 0, "path server");
  check_name(accepted, path, strlen(path), 0, "accepted socket");
  expect_text(accepted, "hello server", "accepted socket");
  expect_text(client, "hello client", "client socket");
  round_trip(client, accepted, "path connection");

  check_datagram_server(dgram_server, dgram_client, dgram_path);

  check_listening(hidden, "abstract listener");
  check_name(hidden, abstract, (size_t)abstract_len, 1, "abstract listener");
  int late = accept_now(hidden, "abstract listener's waiting connection");
  round_trip(waiting, late, "waiting connection");
  int fresh = connect_to(abstract, (size_t)abstract_len, 1);
  int fresh_accepted = accept_now(hidden, "abstract listener");
  round_trip(fresh, fresh_accepted, "new connection");
  zdtm_pass();
}
