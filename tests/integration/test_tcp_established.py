"""TCP connections across a checkpoint (`ckpt dump --tcp-established`, TCP_REPAIR): inside the
container over loopback (IPv4 and IPv6, with queued bytes both ways), and between a container on
a test bridge and a client in a test netns that keeps its socket open across the dump, the
removal and the restore; closing connections (CLOSE_WAIT, FIN_WAIT1/2, LAST_ACK) and one still
in its handshake (SYN_SENT) too. Without the flag the dump is refused in one line naming the
connection; `ckpt restore --tcp-close` brings the connections back closed."""
import subprocess

import pytest

from conftest import (CKPT, console_text, container_info, dump_remove_restore, run_ckpt,
                      start_workload, text, unique, verdict, wait_until)
from netns_helpers import env, ip, ip_json  # noqa: F401
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


def server_container(containers, env, net, server=COUNTING_SERVER, tag="a"):
    """A container on a new test bridge at NET.2 running the python3 `server`, and the client
    netns on that bridge."""
    bridge, client_ns = bridge_with_client(env, tag, net)
    cid = containers.track(unique("tcp"))
    env.expect_host_link(host_veth_name(cid, 0))
    run_ckpt("run", "--name", cid, "--detach", "--net",
             f"bridge={bridge},ip={net}.2/24,gw={net}.1", "--",
             "/usr/bin/python3", "-c", server)
    return cid, client_ns


def connected_client(env, client_ns, net):
    def listening():
        out = subprocess.run(["ip", "netns", "exec", client_ns, "/usr/bin/python3", "-c",
                              f"import socket; socket.create_connection(('{net}.2', 7000), 2)"],
                             capture_output=True)
        return out.returncode == 0
    wait_until(listening, what="the counting server to listen")
    return Client(env, client_ns, f"{net}.2")


# tcp_loopback: established connections with bytes queued both ways; tcp_half_closed: CLOSE_WAIT,
# FIN_WAIT1, FIN_WAIT2 and LAST_ACK ends with bytes unread or unsent.
@pytest.mark.parametrize("workload", ["tcp_loopback", "tcp_half_closed"])
def test_loopback_connections_keep_their_state_and_bytes(containers, work, workload):
    cid = start_workload(containers, work, workload)
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


def refused_dump(cid, work):
    """The one line of a `dump --tcp-established` of `cid` refused (exit 5), which wrote no
    image and left the container running."""
    proc = run_ckpt("dump", cid, "-o", work / "image.ckpt", "--tcp-established", check=False)
    assert proc.returncode == 5, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert not (work / "image.ckpt").exists()
    assert container_info(cid)["state"] == "running"
    return lines[0]


def python_container(containers, ready, program):
    """A container (no network of its own to set up) running the python3 `program`, once it
    printed `ready`."""
    cid = containers.track(unique("tcp"))
    run_ckpt("run", "--name", cid, "--detach", "--", "/usr/bin/python3", "-c", program)
    wait_until(lambda: ready in console_text(cid), what=f"the program to print {ready!r}")
    return cid


def test_a_listener_with_connections_waiting_to_be_accepted_is_refused(containers, work):
    """A connection in a listener's accept queue has no fd to dump and could not be queued
    again: before, the restored server waited in accept() for good and its client's end was
    reset. The dump is refused in one line naming the listener, and the container runs on."""
    cid = python_container(containers, "queued", "import socket, time\n"
                           "l = socket.socket(); l.bind(('127.0.0.1', 7001)); l.listen()\n"
                           "c = socket.create_connection(('127.0.0.1', 7001))\n"
                           "print('queued', flush=True); time.sleep(3600)\n")
    line = refused_dump(cid, work)
    assert "TCP listener 127.0.0.1:7001 has 1 connection(s) waiting to be accepted" in line


def test_a_peer_fin_on_an_ipv6_address_other_than_loopback_is_refused(containers, work):
    """CLOSE_WAIT on fd00::5: the restore could not give the peer's FIN again (the restored
    address is tentative while the links are held down), so the dump is refused, by name."""
    cid = python_container(containers, "closing", "import os, socket, time\n"
                           "os.system('ip link set lo up; "
                           "ip -6 addr add fd00::5/128 dev lo nodad')\n"
                           "l = socket.socket(socket.AF_INET6); l.bind(('fd00::5', 7002))\n"
                           "l.listen()\n"
                           "for _ in range(100):\n"
                           "    try:\n"
                           "        c = socket.create_connection(('fd00::5', 7002)); break\n"
                           "    except OSError:\n"
                           "        time.sleep(0.05)\n"
                           "s, _ = l.accept(); l.close(); c.shutdown(socket.SHUT_WR)\n"
                           "print('closing', flush=True); time.sleep(3600)\n")
    line = refused_dump(cid, work)
    assert "[fd00::5]:7002" in line and "is in state CLOSE_WAIT" in line, line


@pytest.mark.parametrize("workload", ["tcp_loopback", "tcp_half_closed"])
def test_leave_running_keeps_the_loopback_connections(containers, work, workload):
    cid = start_workload(containers, work, workload)
    run_ckpt("dump", cid, "-o", work / "image.ckpt", "--tcp-established", "--leave-running")
    assert verdict(cid, work / "result") == "PASS", text(work / "result")


def counting_pair(containers, env):
    """A counting server in a container and a client that had one answer from it."""
    net = subnet()
    cid, client_ns = server_container(containers, env, net)
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



# Takes one connection, waits for SIGUSR1, then reads it to its end and answers "got:<all>".
LATE_READER = (
    "import signal, socket\n"
    "signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})\n"
    "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
    "s.bind(('0.0.0.0', 7000)); s.listen()\n"
    "c, _ = s.accept()\n"
    "print('accepted', flush=True)\n"
    "signal.sigwait({signal.SIGUSR1})\n"
    "data = b''\n"
    "while True:\n"
    "    m = c.recv(100)\n"
    "    if not m: break\n"
    "    data += m\n"
    "c.sendall(b'got:' + data); c.close()\n")

# Connects (again until the server listens), sends its argument, shuts its sending side down,
# then prints each piece of what arrives until end-of-file ("eof").
HALF_CLOSING_CLIENT = (
    "import socket, sys, time\n"
    "for _ in range(200):\n"
    "    try:\n"
    "        c = socket.create_connection((sys.argv[1], 7000), timeout=60); break\n"
    "    except OSError:\n"
    "        time.sleep(0.1)\n"
    "c.sendall(sys.argv[2].encode()); c.shutdown(socket.SHUT_WR)\n"
    "print('shut', flush=True)\n"
    "while True:\n"
    "    m = c.recv(100)\n"
    "    print(m.decode() if m else 'eof', flush=True)\n"
    "    if not m: break\n")


def close_wait_sockets(cid):
    """The container's TCP sockets in CLOSE_WAIT, as `ss` lists them."""
    return in_netns_of(cid, "ss", "-Htn", "state", "close-wait").strip().splitlines()


def half_closed_by_client(containers, env, tag):
    """A LATE_READER container whose connection a client on its bridge half-closed after
    sending "hello": the server's end is in CLOSE_WAIT. Returns the id and the client."""
    net = subnet()
    cid, client_ns = server_container(containers, env, net, LATE_READER, tag)
    client = subprocess.Popen(["ip", "netns", "exec", client_ns, "/usr/bin/python3", "-c",
                               HALF_CLOSING_CLIENT, f"{net}.2", "hello"],
                              stdout=subprocess.PIPE, text=True)
    env.procs.append(client)
    assert client.stdout.readline().strip() == "shut"
    wait_until(lambda: close_wait_sockets(cid), what="the server's end in CLOSE_WAIT")
    return cid, client


def reads_to_the_end_and_answers(cid, client):
    assert len(close_wait_sockets(cid)) == 1, "the restored end is in CLOSE_WAIT again"
    run_ckpt("kill", cid, "USR1")
    assert client.stdout.readline().strip() == "got:hello"
    assert client.stdout.readline().strip() == "eof"


def test_connection_the_client_half_closed_reads_its_end_after_restore(containers, env, tmp_path):
    """The server's end in CLOSE_WAIT with the client's bytes and FIN unread at the dump: after
    the restore it is in CLOSE_WAIT again, the server reads the bytes and end-of-file, and the
    client gets its answer and end-of-file."""
    cid, client = half_closed_by_client(containers, env, "h")
    image = tmp_path / "image.ckpt"
    run_ckpt("dump", cid, "-o", image, "--tcp-established")
    run_ckpt("restore", image)
    reads_to_the_end_and_answers(cid, client)


def test_a_half_closed_connection_migrates(containers, env):
    """The same across `ckpt migrate`, whose target holds the container's links down until the
    resume (the peer's FIN is given again inside its namespace before that)."""
    cid, client = half_closed_by_client(containers, env, "m")
    target = containers.track(unique("tcp"))
    env.expect_host_link(host_veth_name(target, 0))
    run_ckpt("migrate", cid, "--tcp-established", "--via", f"{CKPT} receive --name {target}")
    assert container_info(cid) is None
    reads_to_the_end_and_answers(target, client)


# In the client netns: a listener at NET.9 that prints what its first connection sends.
LISTENER = (
    "import socket, sys\n"
    "l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
    "l.bind((sys.argv[1], 7100)); l.listen()\n"
    "print('listening', flush=True)\n"
    "c, _ = l.accept()\n"
    "print('accepted ' + c.recv(10).decode(), flush=True)\n")

# In the container: once the file argv[2] exists, a non-blocking connect to argv[1]:7100 that
# waits to complete, then says hi.
CONNECTING_CLIENT = (
    "import os, select, socket, sys, time\n"
    "while not os.path.exists(sys.argv[2]): time.sleep(0.05)\n"
    "s = socket.socket(); s.setblocking(False); s.connect_ex((sys.argv[1], 7100))\n"
    "print('connecting', flush=True)\n"
    "select.select([], [s], [], 3600)\n"
    "error = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)\n"
    "if not error: s.setblocking(True); s.sendall(b'hi')\n"
    "print('connected %d' % error, flush=True); select.select([], [], [], 3600)\n")


def in_netns_of(cid, *command):
    pid = container_info(cid)["init_pid"]
    return subprocess.run(["nsenter", "-t", str(pid), "-n", *command], capture_output=True,
                          text=True, check=True).stdout


def syn_sent_sockets(cid):
    return in_netns_of(cid, "ss", "-Htn", "state", "syn-sent").strip().splitlines()


def connecting_to_nobody(containers, env, tmp_path, bridge, net, client):
    """A container on `bridge` at NET.2 running the python `client`, whose connect to NET.9
    stays in SYN_SENT: a permanent neighbour entry sends its SYNs to a link-layer address no one
    has. Returns its id once the connect is in its handshake."""
    cid = containers.track(unique("tcp"))
    env.expect_host_link(host_veth_name(cid, 0))
    go = tmp_path / "go"
    run_ckpt("run", "--name", cid, "--detach", "--net",
             f"bridge={bridge},ip={net}.2/24,gw={net}.1", "--",
             "/usr/bin/python3", "-c", client, f"{net}.9", str(go))
    in_netns_of(cid, "ip", "neigh", "add", f"{net}.9", "lladdr", "02:00:00:00:00:99", "dev",
                "eth0", "nud", "permanent")
    go.touch()
    wait_until(lambda: syn_sent_sockets(cid), what="the container's connect in SYN_SENT")
    return cid


def test_a_connection_in_its_handshake_is_made_again_and_completes(containers, env, tmp_path):
    """The container's connect() is in its handshake at the dump (its SYNs go to a link-layer
    address no one has: a permanent neighbour entry): after the restore it is in SYN_SENT again,
    from the same port, and once the entry names the peer, the handshake completes and the
    restored program's bytes arrive."""
    net = subnet()
    bridge, client_ns = bridge_with_client(env, "s", net)
    ip("addr", "add", f"{net}.9/24", "dev", "eth0", ns=client_ns)
    peer_mac = ip_json("link", "show", "dev", "eth0", ns=client_ns)[0]["address"]
    listener = subprocess.Popen(["ip", "netns", "exec", client_ns, "/usr/bin/python3", "-c",
                                 LISTENER, f"{net}.9"], stdout=subprocess.PIPE, text=True)
    env.procs.append(listener)
    assert listener.stdout.readline().strip() == "listening"
    cid = connecting_to_nobody(containers, env, tmp_path, bridge, net, CONNECTING_CLIENT)
    before = syn_sent_sockets(cid)

    image = tmp_path / "image.ckpt"
    run_ckpt("dump", cid, "-o", image, "--tcp-established")
    run_ckpt("restore", image)
    assert syn_sent_sockets(cid) == before, "the same local and peer address, in SYN_SENT"
    in_netns_of(cid, "ip", "neigh", "replace", f"{net}.9", "lladdr", peer_mac, "dev", "eth0",
                "nud", "permanent")
    assert listener.stdout.readline().strip() == "accepted hi"
    wait_until(lambda: "connected 0" in console_text(cid), what="the restored connect to end")


FAST_OPEN_CLIENT = (
    "import os, select, socket, sys, time\n"
    "while not os.path.exists(sys.argv[2]): time.sleep(0.05)\n"
    "s = socket.socket(); s.setblocking(False)\n"
    "s.setsockopt(socket.IPPROTO_TCP, 34, 1)\n"  # TCP_FASTOPEN_NO_COOKIE: the bytes go with the SYN
    "try: s.sendto(b'hi', socket.MSG_FASTOPEN, (sys.argv[1], 7100))\n"
    "except BlockingIOError: pass\n"
    "print('connecting', flush=True); select.select([], [], [], 3600)\n")


def test_a_connection_in_its_handshake_with_fast_open_bytes_is_refused_by_name(
        containers, env, tmp_path):
    """TCP fast open: the bytes given to sendto(MSG_FASTOPEN) wait in the send queue of a socket
    in SYN_SENT, which the restore's connect cannot carry: the dump is refused (exit 5) naming
    the connection, and the container runs on with its connect still in its handshake."""
    net = subnet()
    bridge, _ = bridge_with_client(env, "f", net)
    cid = connecting_to_nobody(containers, env, tmp_path, bridge, net, FAST_OPEN_CLIENT)
    before = syn_sent_sockets(cid)
    proc = run_ckpt("dump", cid, "-o", tmp_path / "image.ckpt", "--tcp-established", check=False)
    assert proc.returncode == 5, proc.stderr
    assert "has bytes queued (TCP fast open)" in proc.stderr.strip().splitlines()[-1], proc.stderr
    assert not (tmp_path / "image.ckpt").exists()
    assert container_info(cid)["state"] == "running"
    assert syn_sent_sockets(cid) == before
