"""A client program running in a test netns, driven one line at a time: each line written to
its stdin is one request, each line it prints one answer. It keeps its connection open across
a checkpoint; the NetEnv cleanup kills it."""
import select
import subprocess


class LineClient:
    def __init__(self, env, netns, *command):
        self.proc = subprocess.Popen(["ip", "netns", "exec", netns, *command],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        env.procs.append(self.proc)
        self.greeting = self.line(timeout=10)
        assert self.greeting.startswith("connected"), self.greeting

    def line(self, timeout=70):
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        assert ready, "the client did not answer"
        return self.proc.stdout.readline().strip()

    def write(self, request):
        self.proc.stdin.write(request + "\n")
        self.proc.stdin.flush()

    def ask(self, request, timeout=70):
        self.write(request)
        return self.line(timeout)
