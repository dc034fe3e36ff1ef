// Established TCP connections inside the container, over 127.0.0.1 and ::1: a client and the
// connection its server accepted, both in this process. Before the checkpoint the client fills
// the connection until it would block (bytes wait in the server's receive queue and in the
// client's send queue, part of them never sent) and the server sends a few bytes the client does
// not read. After the restore, every byte arrives in order, both ends keep their addresses and
// options (TCP_NODELAY, SO_KEEPALIVE, TCP_USER_TIMEOUT, TCP_INQ, SO_RCVTIMEO), and new bytes flow
// both ways.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include "zdtm.h"

struct conn {
  int family, client, server;
  size_t filled;  // bytes the client wrote before the checkpoint
  struct sockaddr_storage client_addr, server_addr;
};

static unsigned char pattern(size_t i, int family) {
  return (unsigned char)(i * 31 + (size_t)family);
}

static socklen_t loopback(int family, struct sockaddr_storage* ss, int port) {
  memset(ss, 0, sizeof *ss);
  if (family == AF_INET) {
    struct sockaddr_in* in = (struct sockaddr_in*)ss;
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return sizeof *in;
  }
  struct sockaddr_in6* in6 = (struct sockaddr_in6*)ss;
  in6->sin6_family = AF_INET6;
  in6->sin6_port = htons(port);
  in6->sin6_addr = in6addr_loopback;
  return sizeof *in6;
}

static void setup(struct conn* c, int family) {
  struct sockaddr_storage ss;
  socklen_t len = loopback(family, &ss, 0);
  int one = 1;
  int listener = socket(family, SOCK_STREAM, 0);
  if (listener < 0 || bind(listener, (struct sockaddr*)&ss, len) || listen(listener, 1))
    zdtm_fail("listen on loopback (family %d): %s", family, strerror(errno));
  len = sizeof ss;
  getsockname(listener, (struct sockaddr*)&ss, &len);
  c->family = family;
  c->client = socket(family, SOCK_STREAM, 0);
  if (connect(c->client, (struct sockaddr*)&ss, len)) zdtm_fail("connect: %s", strerror(errno));
  c->server = accept(listener, NULL, NULL);
  if (c->server < 0) zdtm_fail("accept: %s", strerror(errno));
  close(listener);
  setsockopt(c->client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  setsockopt(c->server, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
  setsockopt(c->server, IPPROTO_TCP, TCP_INQ, &one, sizeof one);
  int user_timeout = 6000;
  setsockopt(c->server, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout, sizeof user_timeout);
  struct timeval timeout = {4, 0};
  setsockopt(c->client, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  len = sizeof c->client_addr;
  getsockname(c->client, (struct sockaddr*)&c->client_addr, &len);
  len = sizeof c->server_addr;
  getsockname(c->server, (struct sockaddr*)&c->server_addr, &len);
  // Fill: the client writes until the connection would block.
  fcntl(c->client, F_SETFL, O_NONBLOCK);
  unsigned char chunk[4096];
  for (;;) {
    for (size_t i = 0; i < sizeof chunk; ++i) chunk[i] = pattern(c->filled + i, family);
    ssize_t n = write(c->client, chunk, sizeof chunk);
    if (n < 0 && errno == EAGAIN) break;
    if (n <= 0) zdtm_fail("fill: %s", strerror(errno));
    c->filled += (size_t)n;
  }
  fcntl(c->client, F_SETFL, 0);
  if (write(c->server, "hello from the server", 21) != 21) zdtm_fail("server write");
}

static int option(int fd, int level, int name) {
  int value = 0;
  socklen_t len = sizeof value;
  getsockopt(fd, level, name, &value, &len);
  return value;
}

static void read_exactly(int fd, unsigned char* buf, size_t len, const char* what) {
  size_t got = 0;
  while (got < len) {
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 5000) != 1) zdtm_fail("%s: nothing to read after %zu of %zu", what, got, len);
    ssize_t n = read(fd, buf + got, len - got);
    if (n <= 0) zdtm_fail("%s: read returned %zd (%s)", what, n, strerror(errno));
    got += (size_t)n;
  }
}

static void check(struct conn* c) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  getsockname(c->client, (struct sockaddr*)&ss, &len);
  if (memcmp(&ss, &c->client_addr, len)) zdtm_fail("family %d: client address changed", c->family);
  len = sizeof ss;
  getpeername(c->server, (struct sockaddr*)&ss, &len);
  if (memcmp(&ss, &c->client_addr, len)) zdtm_fail("family %d: server's peer changed", c->family);
  if (!option(c->client, IPPROTO_TCP, TCP_NODELAY)) zdtm_fail("TCP_NODELAY lost");
  if (!option(c->server, SOL_SOCKET, SO_KEEPALIVE)) zdtm_fail("SO_KEEPALIVE lost");
  if (!option(c->server, IPPROTO_TCP, TCP_INQ)) zdtm_fail("TCP_INQ lost");
  if (option(c->server, IPPROTO_TCP, TCP_USER_TIMEOUT) != 6000) zdtm_fail("TCP_USER_TIMEOUT lost");
  struct timeval timeout = {0, 0};
  len = sizeof timeout;
  getsockopt(c->client, SOL_SOCKET, SO_RCVTIMEO, &timeout, &len);
  if (timeout.tv_sec != 4) zdtm_fail("SO_RCVTIMEO lost");
  unsigned char* buf = malloc(c->filled);
  read_exactly(c->server, buf, c->filled, "the filled bytes");
  for (size_t i = 0; i < c->filled; ++i)
    if (buf[i] != pattern(i, c->family))
      zdtm_fail("family %d: byte %zu of %zu differs", c->family, i, c->filled);
  free(buf);
  unsigned char hello[21];
  read_exactly(c->client, hello, sizeof hello, "the server's bytes");
  if (memcmp(hello, "hello from the server", 21)) zdtm_fail("the server's bytes differ");
  if (write(c->client, "ping", 4) != 4 || write(c->server, "pong", 4) != 4)
    zdtm_fail("write after");
  unsigned char word[4];
  read_exactly(c->server, word, 4, "ping");
  read_exactly(c->client, word, 4, "pong");
  if (memcmp(word, "pong", 4)) zdtm_fail("pong differs");
  zdtm_report("family %d: %zu bytes queued came through", c->family, c->filled);
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  struct conn v4 = {0}, v6 = {0};
  setup(&v4, AF_INET);
  setup(&v6, AF_INET6);
  zdtm_ready();
  while (!zdtm_stop) pause();
  check(&v4);
  check(&v6);
  zdtm_pass();
}
