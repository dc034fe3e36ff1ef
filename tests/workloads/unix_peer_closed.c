// Unix sockets whose peer sent data and closed, across a checkpoint: a stream socketpair, a
// seqpacket socketpair (2 records) and a datagram socketpair (2 messages) whose first end wrote
// then closed, and a connection accepted from a listener bound under argv[2] whose client wrote
// then closed. On SIGTERM every survivor reads exactly what was sent (record and message
// boundaries kept), then end of file (stream, seqpacket) or nothing more (datagram).
#define _GNU_SOURCE
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "zdtm.h"

static int stream_end, seqpacket_end, dgram_end, accepted_end;

static int survivor_of_pair(int type, const char* const* messages, int count) {
  int sv[2];
  if (socketpair(AF_UNIX, type, 0, sv) != 0) zdtm_fail("socketpair %d: %m", type);
  for (int i = 0; i < count; ++i)
    if (send(sv[0], messages[i], strlen(messages[i]), 0) != (ssize_t)strlen(messages[i]))
      zdtm_fail("send: %m");
  close(sv[0]);
  return sv[1];
}

static int accepted_after_client_closed(const char* dir) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof addr.sun_path, "%s/listener.sock", dir);
  int listener = socket(AF_UNIX, SOCK_STREAM, 0), client = socket(AF_UNIX, SOCK_STREAM, 0);
  if (bind(listener, (struct sockaddr*)&addr, sizeof addr) != 0 || listen(listener, 4) != 0)
    zdtm_fail("listen %s: %m", addr.sun_path);
  if (connect(client, (struct sockaddr*)&addr, sizeof addr) != 0) zdtm_fail("connect: %m");
  int accepted = accept(listener, NULL, NULL);
  if (accepted < 0) zdtm_fail("accept: %m");
  if (write(client, "from the client", 15) != 15) zdtm_fail("write: %m");
  close(client);
  return accepted;
}

// Reads `count` messages, each exactly as sent, then expects `end` from a nonblocking read:
// 0 (end of file) or -1 (EAGAIN).
static void expect(int fd, const char* what, const char* const* messages, int count, int end) {
  char buf[256];
  for (int i = 0; i < count; ++i) {
    ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n != (ssize_t)strlen(messages[i]) || memcmp(buf, messages[i], (size_t)n) != 0)
      zdtm_fail("%s: message %d: got %zd bytes '%.*s'", what, i, n, n > 0 ? (int)n : 0, buf);
  }
  ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
  if (n != end || (end < 0 && errno != EAGAIN))
    zdtm_fail("%s: after the data read gave %zd (%m), expected %d", what, n, end);
}

static const char* const kStream[] = {"stream bytes"};
static const char* const kRecords[] = {"record one", "record two!"};
static const char* const kDatagrams[] = {"datagram 1", "datagram two"};
static const char* const kClient[] = {"from the client"};

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  const char* dir = argc > 2 ? argv[2] : "/tmp";
  stream_end = survivor_of_pair(SOCK_STREAM, kStream, 1);
  seqpacket_end = survivor_of_pair(SOCK_SEQPACKET, kRecords, 2);
  dgram_end = survivor_of_pair(SOCK_DGRAM, kDatagrams, 2);
  accepted_end = accepted_after_client_closed(dir);
  zdtm_ready();
  while (!zdtm_stop) pause();
  expect(stream_end, "stream", kStream, 1, 0);
  expect(seqpacket_end, "seqpacket", kRecords, 2, 0);
  expect(dgram_end, "datagram", kDatagrams, 2, -1);
  expect(accepted_end, "accepted", kClient, 1, 0);
  zdtm_pass();
}
