// A counter that continues across a checkpoint: ticks every 10 ms, writes "pid value" to
// argv[2] (if given) each tick; an 8 MiB heap pattern is checked every tick. On SIGTERM it
// passes when the counter only ever went up by one and the memory is intact.
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
      char tmp[256];
      snprintf(tmp, sizeof tmp, "%s.tmp", value_file);
      FILE* f = fopen(tmp, "w");
      if (f) {
        fprintf(f, "%d %lu\n", getpid(), counter);
        fclose(f);
        rename(tmp, value_file);
      }
    }
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  zdtm_report("counter %lu", counter);
  zdtm_pass();
}
