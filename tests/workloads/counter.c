// A counter that must continue across a checkpoint: it prints its value every 0.1 s to stdout
// and to the file given as argv[1] (overwritten, "pid value"). It never goes back or jumps.
// Memory: a heap buffer filled with a pattern derived from the counter's start, checked each tick.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv) {
  const char* out = argc > 1 ? argv[1] : NULL;
  size_t size = 8 << 20;
  unsigned char* buf = malloc(size);
  for (size_t i = 0; i < size; ++i) buf[i] = (unsigned char)(i * 7 + 3);
  volatile unsigned long counter = 0;
  for (;;) {
    for (size_t i = 0; i < size; i += 4093)
      if (buf[i] != (unsigned char)(i * 7 + 3)) {
        printf("FAIL memory at %zu\n", i);
        fflush(stdout);
        return 1;
      }
    ++counter;
    if (out) {
      FILE* f = fopen(out, "w");
      if (f) {
        fprintf(f, "%d %lu\n", getpid(), counter);
        fclose(f);
      }
    }
    struct timespec ts = {0, 100 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
}
