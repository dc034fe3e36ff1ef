"""Unix sockets across a checkpoint: the unix_sockets workload (socketpairs of every type with
queued data, a path server with an accepted client, an abstract listener with a connection
waiting) runs as the init of a `ckpt run` container, is dumped and restored, and must pass its
own checks; also with --leave-running and two restores from one image. fds in flight and
sockets connected outside the container fail the dump in one line and the container carries on.

Run as root: /usr/bin/python3 -m pytest tests/integration/test_unix_sockets.py
"""
import json
import socket

from conftest import (leave_running_and_two_restores, refused_dump_lines, run_ckpt, start_workload,
                      text, unique, verdict, wait_until)

# Runs as a container's init: sets up `SETUP`, reports ready, passes on SIGTERM.
HOLDER = """
import array, os, signal, socket, sys, time
result = sys.argv[1]
def report(line):
    with open(result, "a") as f:
        f.write(line + "\\n")
signal.signal(signal.SIGTERM, lambda *_: (report("PASS"), os._exit(0)))
{setup}
report("ready")
while True:
    time.sleep(1)
"""

FD_IN_FLIGHT = """
a, b = socket.socketpair()
a.sendmsg([b"x"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [1]))])
"""

CONNECTED_OUTSIDE = """
c = socket.socket(socket.AF_UNIX)
c.connect(sys.argv[2])
"""


def holder(containers, work, setup, *args):
    result = work / "result"
    cid = containers.run("/usr/bin/python3", "-c", HOLDER.format(setup=setup), result, *args)
    wait_until(lambda: "ready" in text(result), timeout=20, what="holder ready")
    return cid


def sections(image):
    listing = json.loads(run_ckpt("inspect", "--json", image).stdout)["sections"]
    return {s["type"] for s in listing}


def test_workload_passes_without_checkpoint(containers, work):
    cid = start_workload(containers, work, "unix_sockets", work)
    assert verdict(cid, work / "result") == "PASS"


def test_unix_sockets_survive_dump_removal_and_restore(containers, work):
    cid = start_workload(containers, work, "unix_sockets", work)
    image = work / "image.ckpt"
    run_ckpt("dump", cid, "-o", image)
    assert {"unix-sockets", "socket-data"} <= sections(image)
    restored = containers.track(unique("unix-r"))
    run_ckpt("restore", image, "--name", restored)
    assert verdict(restored, work / "result") == "PASS"


def test_leave_running_and_two_restores_all_pass(containers, work):
    cid = start_workload(containers, work, "unix_sockets", work)
    assert leave_running_and_two_restores(containers, work, cid) == ["PASS"] * 3


def assert_dump_refused_and_container_carries_on(cid, work, why):
    image = work / "image.ckpt"
    dump = run_ckpt("dump", cid, "-o", image, check=False)
    assert dump.returncode != 0
    lines = dump.stderr.strip().splitlines()
    assert len(lines) == 1 and why in lines[0], dump.stderr
    assert not image.exists()
    assert verdict(cid, work / "result") == "PASS"


def test_fd_in_flight_fails_the_dump_in_one_line(containers, work):
    cid = holder(containers, work, FD_IN_FLIGHT)
    assert_dump_refused_and_container_carries_on(cid, work, "in flight (SCM_RIGHTS)")


def test_socket_connected_outside_fails_the_dump_in_one_line(containers, work):
    path = str(work / "outside.sock")
    outside = socket.socket(socket.AF_UNIX)
    try:
        outside.bind(path)
        outside.listen()
        cid = holder(containers, work, CONNECTED_OUTSIDE, path)
        assert_dump_refused_and_container_carries_on(cid, work, "outside the container")
    finally:
        outside.close()



def test_messages_queued_with_sender_credentials_without_checkpoint(containers, work):
    cid = start_workload(containers, work, "unix_passcred", work)
    assert verdict(cid, work / "result") == "PASS"


def test_messages_queued_with_sender_credentials_keep_their_senders(containers, work):
    """SO_PASSCRED: each queued message reaches its reader with its sender's pid, uid and gid.
    Messages from a live child of another uid, from the reader itself, from a child that has
    exited, on a datagram pair, a stream pair (read apart by sender) and a named socket. The
    dump refused them before; restored by one process a message they all came as pid 1, uid 0.
    Now the original and both copies pass their checks."""
    cid = start_workload(containers, work, "unix_passcred", work)
    assert leave_running_and_two_restores(containers, work, cid) == ["PASS"] * 3


def test_messages_queued_with_sender_pidfds_are_refused_by_name(containers, work):
    """SO_PASSPIDFD: each message brings a pidfd of its sender, which a restored copy's could
    only refer to a process that has exited; both dumps refuse it in one line and the
    container runs on."""
    cid = start_workload(containers, work, "unix_passcred", work, "pidfd")
    for line in refused_dump_lines(cid, work):
        assert "SO_PASSPIDFD" in line, line
    assert verdict(cid, work / "result") == "PASS"


def test_peer_credentials_without_checkpoint(containers, work):
    cid = start_workload(containers, work, "unix_peercred", work)
    assert verdict(cid, work / "result") == "PASS"


def test_peer_credentials_survive_leave_running_and_two_restores(containers, work):
    """SO_PEERCRED/SO_PEERGROUPS name the process that connected, listened or made the pair,
    with its ids then: processes of four uids, a connection from a listener closed since, one
    waiting to be accepted, a pair whose maker has exited. They came back naming the restore's
    pid 1 (uid 0) as every peer; now the original and both copies pass their checks."""
    cid = start_workload(containers, work, "unix_peercred", work)
    assert leave_running_and_two_restores(containers, work, cid) == ["PASS"] * 3
