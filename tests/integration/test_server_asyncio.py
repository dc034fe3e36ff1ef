"""A python3 asyncio server (epoll loop, call_later timers, a unix socketpair, a TCP server on
the container's loopback) keeps serving after dump, removal and restore: its timer keeps
ticking, the socketpair keeps relaying, and it answers new connections."""
import subprocess
import time
from pathlib import Path

from conftest import container_info, dump_remove_restore, text, wait_until

SERVER = Path(__file__).resolve().parent / "asyncio_server.py"
PORT = 7311
CLIENT = ("import socket,sys; s=socket.create_connection(('127.0.0.1',int(sys.argv[1])),timeout=5);"
          "s.sendall(b'q\\n'); print(s.makefile().readline().strip())")


def counts(cid):
    """(ticks, relayed) as the server answers them on its loopback."""
    pid = container_info(cid)["init_pid"]
    out = subprocess.run(["nsenter", "-t", str(pid), "-n", "/usr/bin/python3", "-c", CLIENT,
                          str(PORT)], capture_output=True, text=True, timeout=20, check=True)
    ticks, relayed = map(int, out.stdout.split())
    return ticks, relayed


def test_asyncio_server_keeps_serving_after_restore(containers, work):
    result = work / "result"
    cid = containers.run("/usr/bin/python3", SERVER, result, PORT)
    wait_until(lambda: "ready" in text(result), timeout=20, what="server ready")
    time.sleep(0.3)
    before = counts(cid)
    assert before[0] > 0
    restored = dump_remove_restore(containers, work, cid, prefix="aio")
    after = counts(restored)
    assert after[0] >= before[0], "the counters went back"
    time.sleep(0.5)
    later = counts(restored)
    assert later[0] >= after[0] + 5, f"the call_later timer stopped: {after} -> {later}"
    assert later[1] >= after[1] + 5, f"the socketpair stopped relaying: {after} -> {later}"
    assert later[0] - later[1] <= 2, "bytes sent through the socketpair were lost"
