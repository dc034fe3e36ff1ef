"""A transport for `ckpt migrate --via` that breaks the channel on purpose: it runs the command
after `--` (a `ckpt receive`) with pipes, forwards the migration frames both ways, and at the
chosen moment closes both directions and exits (as a dropped ssh connection would), leaving the
receiver to notice on its own.

  migrate_proxy.py round1|final|rebuilt|term|resumed|lazyend -- CMD ARGS...

round1: at the first pages frame; final: at the first image frame (the source is frozen);
rebuilt: when the target reports every process rebuilt (before it resumes); term: then, and the
receiver is sent SIGTERM first; resumed: after the target resumed, at its first post-copy
frame (--lazy); lazyend: at the source's word that it sent every post-copied page (--lazy)."""
import os
import signal
import struct
import subprocess
import sys
import threading

HEADER = 32
PAGES, IMAGE, REBUILT, FILLING, FILLED, LAZY_END = 2, 4, 7, 12, 13, 16


def read_exact(fd, size):
    data = b""
    while len(data) < size:
        chunk = os.read(fd, size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def forward(src, dst, trigger, broken):
    """Copies frames from src to dst until the end or the trigger frame type."""
    while not broken.is_set():
        header = read_exact(src, HEADER)
        if header is None:
            break
        _, kind, size = struct.unpack_from("<IIQ", header)
        if kind in trigger:
            break
        payload = read_exact(src, size)
        if payload is None:
            break
        os.write(dst, header)
        os.write(dst, payload)
    broken.set()


def main():
    moment, command = sys.argv[1], sys.argv[sys.argv.index("--") + 1:]
    target = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    broken = threading.Event()
    down = {"round1": {PAGES}, "final": {IMAGE}, "lazyend": {LAZY_END}}.get(moment, set())
    up = {"rebuilt": {REBUILT}, "term": {REBUILT}, "resumed": {FILLING, FILLED}}.get(moment, set())
    threading.Thread(target=forward, args=(0, target.stdin.fileno(), down, broken),
                     daemon=True).start()
    threading.Thread(target=forward, args=(target.stdout.fileno(), 1, up, broken),
                     daemon=True).start()
    broken.wait()
    if moment == "term":
        target.send_signal(signal.SIGTERM)
    # The channel is gone both ways: the receiver reads end-of-file, the source too.
    target.stdin.close()
    os.close(0)
    os.close(1)
    target.wait()


if __name__ == "__main__":
    main()
