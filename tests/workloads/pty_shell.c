// A shell on a pty of its own, like `script -q -c sh /dev/null` but with a plain poll loop (no
// signalfd): opens a pty pair, runs `sh` as a session leader whose controlling terminal is the
// slave, and copies its own stdin to the master and the master to its stdout. A terminal stdin
// is put in raw mode, as script does. Exits when the shell does. Not a ZDTM verdict workload:
// the tests talk to the shell through the container's console.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static int copy(int from, int to) {
  char buf[4096];
  ssize_t n = read(from, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return 0;
  if (n <= 0) return -1;
  for (ssize_t done = 0; done < n;) {
    ssize_t w = write(to, buf + done, (size_t)(n - done));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    done += w;
  }
  return 0;
}

int main(void) {
  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) return perror("pty"), 1;
  struct termios raw;
  if (tcgetattr(STDIN_FILENO, &raw) == 0) {
    struct winsize ws;
    if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0) ioctl(master, TIOCSWINSZ, &ws);
    cfmakeraw(&raw);
    tcsetattr(STDIN_FILENO, TCSANOW, &raw);
  }
  pid_t shell = fork();
  if (shell < 0) return perror("fork"), 1;
  if (shell == 0) {
    setsid();
    int slave = open(ptsname(master), O_RDWR);  // a session leader: it becomes the ctty
    if (slave < 0) return perror("open slave"), 127;
    ioctl(slave, TIOCSCTTY, 0);
    dup2(slave, 0);
    dup2(slave, 1);
    dup2(slave, 2);
    if (slave > 2) close(slave);
    execlp("sh", "sh", (char*)NULL);
    return perror("exec sh"), 127;
  }
  struct pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {master, POLLIN, 0}};
  for (;;) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[0].revents && copy(STDIN_FILENO, master) < 0) fds[0].fd = -1;
    if (fds[1].revents && copy(master, STDOUT_FILENO) < 0) break;
  }
  int status = 0;
  waitpid(shell, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
