"""Established TCP connections across a checkpoint (`ckpt dump --tcp-established`, TCP_REPAIR):
inside the container over loopback (IPv4 and IPv6, with queued bytes both ways), and between a
container on a test bridge and a client in a test netns that keeps its socket open across the
dump, the removal and the restore. Without the flag the dump is refused in one line naming the
connection; `ckpt restore --tcp-close` brings the connections back closed."""
import subprocess

import pytest

from conftest import (CKPT, console_text, container_info, dump_remove_restore, run_ckpt,
                      start_workload, text, unique, verdict, wait_until)
from netns_helpers import env, ip  # noqa: F401
from tcp_client import LineClient
from test_net_e2e import bridge_with_client, host_veth_name, subnet

pytestmark = pytest.mark.skipif(not CKPT.exists(), reason=f"{CKPT} is not built")

# Answers each message on a connection with "<count>:<message>"; the count runs over every
# connection; a connection that ends is reported and the next one accepted.
COUNTING_SERVER = (
    "import socket, sys\n"
    "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
    "s.bind(('0.0.0.0', 7000)); s.listen()\n"
    "n = 0\n"
    "while True:\n"
    "    c, _ = s.accept()\n"
    "    while True:\n"
    "        m = c.recv(100)\n"
    "        if not m: break\n"
    "        n += 1\n"
    "        c.sendall(b'%d:%s' % (n, m))\n"
    "    print('connection ended', flush=True); c.close()\n")

# A client that keeps one connection: "send X" sends X, "recv" prints what arrives ("got X",
# "got " at end-of-file, "error E" on a reset or timeout).
CLIENT = (
    "import socket, sys\n"
    "c = socket.create_connection((sys.argv[1], 7000), timeout=60)\n"
    "print('connected %s:%d' % c.getsockname(), flush=True)\n"
    "for line in sys.stdin:\n"
    "    cmd = line.rstrip('\\n')\n"
    "    try:\n"
    "        if cmd.startswith('send '):\n"
    "            c.sendall(cmd[5:].encode()); print('sent', flush=True)\n"
    "        else:\n"
    "            print('got ' + c.recv(100).decode(), flush=True)\n"
    "    except OSError as e:\n"
    "        print('error ' + type(e).__name__, flush=True)\n")


class Client(LineClient):
    """The CLIENT script connected to the counting server at `address`."""

    def __init__(self, env, netns, address):
        super().__init__(env, netns, "/usr/bin/python3", "-c", CLIENT, address)

    def send(self, message):
        assert self.ask(f"send {message}") == "sent"

    def recv(self):
        return self.ask("recv")

    def exchange(self, message):
        self.send(message)
        return self.recv()


def counting_container(containers, env, net):
    bridge, client_ns = bridge_with_client(env, "a", net)
    cid = containers.track(unique("tcp"))
    env.expect_host_link(host_veth_name(cid, 0))
    run_ckpt("run", "--name", cid, "--detach", "--net",
             f"bridge={bridge},ip={net}.2/24,gw={net}.1", "--",
             "/usr/bin/python3", "-c", COUNTING_SERVER)
    return cid, client_ns


def connected_client(env, client_ns, net):
    def listening():
        out = subprocess.run(["ip", "netns", "exec", client_ns, "/usr/bin/python3", "-c",
                              f"import socket; socket.create_connection(('{net}.2', 7000), 2)"],
                             capture_output=True)
        return out.returncode == 0
    wait_until(listening, what="the counting server to listen")
    return Client(env, client_ns, f"{net}.2")


def test_loopback_connections_with_queued_bytes_survive(containers, work):
    cid = start_workload(containers, work, "tcp_loopback")
    restored = dump_remove_restore(containers, work, cid, "--tcp-established", prefix="tcp")
    assert verdict(restored, work / "result") == "PASS", text(work / "result")


def test_dump_without_the_flag_fails_naming_the_connection(containers, work):
    cid = start_workload(containers, work, "tcp_loopback")
    proc = run_ckpt("dump", cid, "-o", work / "image.ckpt", check=False)
    assert proc.returncode == 5, "a refused resource exits 5"
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "established TCP connection 127.0.0.1:" in lines[0] and "--tcp-established" in lines[0]
    assert not (work / "image.ckpt").exists()
    assert verdict(cid, work / "result") == "PASS", "the container runs on untouched"


def test_leave_running_keeps_the_loopback_connections(containers, work):
    cid = start_workload(containers, work, "tcp_loopback")
    run_ckpt("dump", cid, "-o", work / "image.ckpt", "--tcp-established", "--leave-running")
    assert verdict(cid, work / "result") == "PASS", text(work / "result")


def counting_pair(containers, env):
    """A counting server in a container and a client that had one answer from it."""
    net = subnet()
    cid, client_ns = counting_container(containers, env, net)
    client = connected_client(env, client_ns, net)
    assert client.exchange("a") == "got 1:a"
    return cid, client_ns, net, client


def test_client_keeps_its_connection_across_dump_removal_and_restore(containers, env, tmp_path):
    cid, _, _, client = counting_pair(containers, env)

    image = tmp_path / "image.ckpt"
    run_ckpt("dump", cid, "-o", image, "--tcp-established")
    assert container_info(cid) is None
    client.send("b")  # while the container is gone: retransmitted until it is back
    run_ckpt("restore", image)

    assert client.recv() == "got 2:b"
    assert client.exchange("c") == "got 3:c"
    assert "UP" in ip("link", "show", "dev", host_veth_name(cid, 0)).stdout.split(">")[0]


def test_leave_running_keeps_the_client_connection(containers, env, tmp_path):
    cid, _, _, client = counting_pair(containers, env)
    run_ckpt("dump", cid, "-o", tmp_path / "image.ckpt", "--tcp-established", "--leave-running")
    assert client.exchange("b") == "got 2:b"
    assert "UP" in ip("link", "show", "dev", host_veth_name(cid, 0)).stdout.split(">")[0]


def test_tcp_close_restores_the_connection_closed(containers, env, tmp_path):
    cid, client_ns, net, client = counting_pair(containers, env)
    image = tmp_path / "image.ckpt"
    run_ckpt("dump", cid, "-o", image, "--tcp-established")
    run_ckpt("restore", image, "--tcp-close")

    # The server reads end-of-file on the restored socket and accepts the next client.
    # (The console is the restored container's own: only what it printed after the restore.)
    wait_until(lambda: "connection ended" in console_text(cid), what="the server to see EOF")
    assert connected_client(env, client_ns, net).exchange("x") == "got 2:x"
    # The old client's connection is gone on the server side: the peer resets it.
    answer = client.exchange("b")
    assert answer in ("error ConnectionResetError", "got "), answer

