// A counter that continues across a checkpoint: ticks every 10 ms, writes "pid value value" to
// argv[2] (if given) each tick; an 8 MiB heap pattern is checked every tick. On SIGTERM it
// passes when the counter only ever went up by one and the memory is intact.
//
// The value file is rewritten in place with one fixed-width pwrite per tick, never replaced:
// a checkpoint that finds it open finds a path that still exists at restore, also while the
// original of a --leave-running dump keeps counting (a temporary file renamed over the value
// would be gone by then). A reader that races a write sees the two counts differ and reads
// again.
#include <fcntl.h>
#include <time.h>

#include "zdtm.h"

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  const char* value_file = argc > 2 ? argv[2] : NULL;
  size_t size = 8 << 20;
  unsigned char* buf = malloc(size);
  for (size_t i = 0; i < size; ++i) buf[i] = (unsigned char)(i * 7 + 3);
  unsigned long counter = 0, last = 0;
  zdtm_ready();
  while (!zdtm_stop) {
    for (size_t i = 0; i < size; i += 4093)
      if (buf[i] != (unsigned char)(i * 7 + 3)) zdtm_fail("memory changed at %zu", i);
    if (counter != last) zdtm_fail("counter jumped from %lu to %lu", last, counter);
    last = ++counter;
    if (value_file) {
      char line[64];
      int n = snprintf(line, sizeof line, "%10d %20lu %20lu\n", getpid(), counter, counter);
      int fd = open(value_file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
      if (fd < 0 || pwrite(fd, line, n, 0) != n) zdtm_fail("write %s: %m", value_file);
      close(fd);
    }
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  zdtm_report("counter %lu", counter);
  zdtm_pass();
}
