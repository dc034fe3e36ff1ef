"""A transport for `ckpt migrate --via` that breaks the channel on purpose: it runs the command
after `--` (a `ckpt receive`) with pipes, forwards the migration frames both ways, and at the
chosen moment closes both directions and exits (as a dropped ssh connection would), leaving the
receiver to notice on its own.

  migrate_proxy.py round1|final|rebuilt|term|resumed|lazyend|pause:DIR -- CMD ARGS...

round1: at the first pages frame; final: at the first image frame (the source is frozen);
rebuilt: when the target reports every process rebuilt (before it resumes); term: then, and the
receiver is sent SIGTERM first; resumed: after the target resumed, at its first post-copy
frame (--lazy); lazyend: at the source's word that it sent every post-copied page (--lazy);
pause:DIR: at the first pages frame (what came before it, the groundwork's records, forwarded),
it creates DIR/paused and holds the channel until DIR/go (it forwards on) or DIR/cut (it
closes the channel) appears."""
import os
import signal
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

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


def held(pause):
    """pause:DIR: says it is paused, waits for the word; whether to cut the channel."""
    (pause / "paused").touch()
    while not (pause / "go").exists() and not (pause / "cut").exists():
        time.sleep(0.05)
    return (pause / "cut").exists()


def forward(src, dst, trigger, broken, pause=None):
    """Copies frames from src to dst until the end or the trigger frame type."""
    while not broken.is_set():
        header = read_exact(src, HEADER)
        if header is None:
            break
        _, kind, size = struct.unpack_from("<IIQ", header)
        if kind in trigger:
            break
        if pause and kind == PAGES:
            if held(pause):
                break
            pause = None
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
    pause = Path(moment.split(":", 1)[1]) if moment.startswith("pause:") else None
    threading.Thread(target=forward, args=(0, target.stdin.fileno(), down, broken, pause),
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
