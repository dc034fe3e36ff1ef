// IPv4/IPv6 sockets that are neither connected nor (some) listening, with options, across a
// checkpoint: an unbound TCP socket with SO_LINGER, keepalive and its timers, buffers, IP_TOS,
// IP_TTL, SO_PRIORITY, TCP_NODELAY, TCP_MAXSEG, TCP_USER_TIMEOUT and TCP_CONGESTION reno; a TCP
// socket bound to 127.0.0.1 (ephemeral port) not listening; an unbound IPv6 TCP socket with
// IPV6_V6ONLY, IPV6_TCLASS and IPV6_UNICAST_HOPS; an unbound UDP socket with SO_BROADCAST, IP_TOS
// and a receive buffer; a listener with TCP_DEFER_ACCEPT and a send buffer; two listeners sharing
// one port with SO_REUSEPORT. On SIGTERM every option reads back as it did before, addresses are
// the same, the bound socket can listen and be connected to, and the port shared by the two
// listeners takes connections.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "zdtm.h"
#include "zdtm_sockopt.h"

static int tcp_unbound, tcp_bound, tcp6, udp, listener, shared_a, shared_b;
static struct sockaddr_in bound_addr, shared_addr;

static int make(int family, int type) {
  int fd = socket(family, type, 0);
  if (fd < 0) zdtm_fail("socket: %m");
  return fd;
}

static struct sockaddr_in local_addr(int fd) {
  struct sockaddr_in a;
  socklen_t len = sizeof a;
  if (getsockname(fd, (struct sockaddr*)&a, &len) != 0) zdtm_fail("getsockname: %m");
  return a;
}

static void bind_loopback(int fd, int port) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (struct sockaddr*)&a, sizeof a) != 0) zdtm_fail("bind: %m");
}

static void connect_once(const struct sockaddr_in* to, const char* what) {
  int c = make(AF_INET, SOCK_STREAM);
  if (connect(c, (const struct sockaddr*)to, sizeof *to) != 0) zdtm_fail("connect %s: %m", what);
  close(c);
}

static void set_up(void) {
  tcp_unbound = make(AF_INET, SOCK_STREAM);
  struct linger l = {1, 7};
  if (setsockopt(tcp_unbound, SOL_SOCKET, SO_LINGER, &l, sizeof l) != 0) zdtm_fail("linger: %m");
  zdtm_set_int(tcp_unbound, SOL_SOCKET, SO_KEEPALIVE, 1, "SO_KEEPALIVE");
  zdtm_set_int(tcp_unbound, IPPROTO_TCP, TCP_KEEPIDLE, 33, "TCP_KEEPIDLE");
  zdtm_set_int(tcp_unbound, IPPROTO_TCP, TCP_KEEPINTVL, 11, "TCP_KEEPINTVL");
  zdtm_set_int(tcp_unbound, IPPROTO_TCP, TCP_KEEPCNT, 4, "TCP_KEEPCNT");
  zdtm_set_int(tcp_unbound, SOL_SOCKET, SO_SNDBUF, 65536, "SO_SNDBUF");
  zdtm_set_int(tcp_unbound, SOL_SOCKET, SO_RCVBUF, 98304, "SO_RCVBUF");
  zdtm_set_int(tcp_unbound, IPPROTO_IP, IP_TOS, 0x10, "IP_TOS");
  zdtm_set_int(tcp_unbound, IPPROTO_IP, IP_TTL, 33, "IP_TTL");
  zdtm_set_int(tcp_unbound, SOL_SOCKET, SO_PRIORITY, 3, "SO_PRIORITY");
  zdtm_set_int(tcp_unbound, IPPROTO_TCP, TCP_NODELAY, 1, "TCP_NODELAY");
  zdtm_set_int(tcp_unbound, IPPROTO_TCP, TCP_MAXSEG, 1200, "TCP_MAXSEG");
  zdtm_set_int(tcp_unbound, IPPROTO_TCP, TCP_USER_TIMEOUT, 5000, "TCP_USER_TIMEOUT");
  if (setsockopt(tcp_unbound, IPPROTO_TCP, TCP_CONGESTION, "reno", 4) != 0)
    zdtm_fail("congestion: %m");

  tcp_bound = make(AF_INET, SOCK_STREAM);
  zdtm_set_int(tcp_bound, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
  bind_loopback(tcp_bound, 0);
  bound_addr = local_addr(tcp_bound);

  tcp6 = make(AF_INET6, SOCK_STREAM);
  zdtm_set_int(tcp6, IPPROTO_IPV6, IPV6_V6ONLY, 1, "IPV6_V6ONLY");
  zdtm_set_int(tcp6, IPPROTO_IPV6, IPV6_TCLASS, 0x20, "IPV6_TCLASS");
  zdtm_set_int(tcp6, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 17, "IPV6_UNICAST_HOPS");

  udp = make(AF_INET, SOCK_DGRAM);
  zdtm_set_int(udp, SOL_SOCKET, SO_BROADCAST, 1, "udp SO_BROADCAST");
  zdtm_set_int(udp, IPPROTO_IP, IP_TOS, 0x08, "udp IP_TOS");
  zdtm_set_int(udp, SOL_SOCKET, SO_RCVBUF, 50000, "udp SO_RCVBUF");

  listener = make(AF_INET, SOCK_STREAM);
  zdtm_set_int(listener, IPPROTO_TCP, TCP_DEFER_ACCEPT, 5, "TCP_DEFER_ACCEPT");
  zdtm_set_int(listener, SOL_SOCKET, SO_SNDBUF, 40000, "listener SO_SNDBUF");
  bind_loopback(listener, 0);
  if (listen(listener, 8) != 0) zdtm_fail("listen: %m");

  shared_a = make(AF_INET, SOCK_STREAM);
  shared_b = make(AF_INET, SOCK_STREAM);
  zdtm_set_int(shared_a, SOL_SOCKET, SO_REUSEPORT, 1, "SO_REUSEPORT a");
  zdtm_set_int(shared_b, SOL_SOCKET, SO_REUSEPORT, 1, "SO_REUSEPORT b");
  bind_loopback(shared_a, 0);
  shared_addr = local_addr(shared_a);
  bind_loopback(shared_b, ntohs(shared_addr.sin_port));
  if (listen(shared_a, 8) != 0 || listen(shared_b, 8) != 0) zdtm_fail("listen shared: %m");
}

static void check(void) {
  zdtm_check_ints();
  struct linger l;
  socklen_t len = sizeof l;
  if (getsockopt(tcp_unbound, SOL_SOCKET, SO_LINGER, &l, &len) != 0 || !l.l_onoff || l.l_linger != 7)
    zdtm_fail("SO_LINGER is %d/%d", l.l_onoff, l.l_linger);
  char cc[16] = {0};
  len = sizeof cc;
  if (getsockopt(tcp_unbound, IPPROTO_TCP, TCP_CONGESTION, cc, &len) != 0 || strcmp(cc, "reno") != 0)
    zdtm_fail("TCP_CONGESTION is '%s'", cc);
  if (local_addr(tcp_unbound).sin_port != 0) zdtm_fail("the unbound socket is bound");
  struct sockaddr_in now = local_addr(tcp_bound);
  if (now.sin_port != bound_addr.sin_port || now.sin_addr.s_addr != bound_addr.sin_addr.s_addr)
    zdtm_fail("the bound socket moved to port %d", ntohs(now.sin_port));
  int type = 0;
  len = sizeof type;
  if (getsockopt(tcp_bound, SOL_SOCKET, SO_ACCEPTCONN, &type, &len) != 0 || type != 0)
    zdtm_fail("the bound socket is listening");
  if (listen(tcp_bound, 4) != 0) zdtm_fail("listen on the bound socket: %m");
  connect_once(&bound_addr, "the bound socket");
  now = local_addr(shared_b);
  if (now.sin_port != shared_addr.sin_port) zdtm_fail("the second SO_REUSEPORT listener moved");
  for (int i = 0; i < 8; ++i) connect_once(&shared_addr, "the shared port");
}

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  set_up();
  zdtm_ready();
  while (!zdtm_stop) pause();
  check();
  zdtm_pass();
}
