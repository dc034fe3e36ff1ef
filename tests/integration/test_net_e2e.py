"""End to end through `ckpt`: a container on a test bridge (`ckpt run --net`), dumped, removed
and restored, gets its network back; `--net-map` moves it to another bridge; a missing bridge
fails the restore in one line and leaves nothing behind. Traffic goes only between the container
and a client netns the test plugs into the same bridge."""
import json
import os
import secrets
import subprocess
import sys

import pytest

from conftest import CKPT, container_info, run_ckpt, unique
from netns_helpers import (ECHO_SERVER, env, ip, ip_json, link_exists, sh,  # noqa: F401
                           tcp_answers, wait_until)

pytestmark = pytest.mark.skipif(not CKPT.exists(), reason=f"{CKPT} is not built")

def host_veth_name(container_id, index):
    """The same hash as netns::host_veth_name (FNV-1a of the id)."""
    h = 2166136261
    for byte in container_id.encode():
        h = ((h ^ byte) * 16777619) & 0xFFFFFFFF
    return f"ck{h:08x}-{index}"


def bridge_with_client(env, suffix, subnet):
    bridge = env.host_link("b" + suffix, "type", "bridge")
    ip("link", "set", bridge, "up")
    client = env.netns("c" + suffix)
    host_end = env.expect_host_link(env.name("h" + suffix))
    ip("link", "add", host_end, "type", "veth", "peer", "name", "eth0", "netns", client)
    ip("link", "set", host_end, "master", bridge, "up")
    ip("link", "set", "eth0", "up", ns=client)
    ip("addr", "add", f"{subnet}.1/24", "dev", "eth0", ns=client)
    return bridge, client


def answers(client, address):
    return tcp_answers(client, address, 7000)


def in_container(cid, *args):
    pid = container_info(cid)["init_pid"]
    return json.loads(sh("nsenter", "-t", str(pid), "-n", "ip", "-j", *args).stdout)


def check_network(cid, bridge, subnet):
    addrs = in_container(cid, "addr", "show", "dev", "eth0")[0]["addr_info"]
    assert {(a["local"], a["prefixlen"]) for a in addrs if a["family"] == "inet"} == {
        (f"{subnet}.2", 24)}
    routes = in_container(cid, "route")
    assert any(r["dst"] == "default" and r["gateway"] == f"{subnet}.1" for r in routes)
    host_end = ip_json("link", "show", "dev", host_veth_name(cid, 0))[0]
    assert host_end["master"] == bridge
    assert "UP" in host_end["flags"]
    assert {"interface": "eth0", "family": "inet", "address": f"{subnet}.2", "prefix": 24} in \
        container_info(cid)["addresses"], "ckpt list shows it"


def processes_restored(cid):
    """Whether `ckpt restore` brought the container's own processes back (not a placeholder)."""
    pid = container_info(cid)["init_pid"]
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return b"python3" in f.read()


def run_net_container(containers, env, bridge, subnet, *command):
    cid = containers.track(unique("net"))
    env.expect_host_link(host_veth_name(cid, 0))
    run_ckpt("run", "--name", cid, "--detach", "--net",
             f"bridge={bridge},ip={subnet}.2/24,gw={subnet}.1", "--",
             *(command or ("sleep", "1000")))
    return cid


def run_echo_container(containers, env, bridge, subnet):
    return run_net_container(containers, env, bridge, subnet, "/usr/bin/python3", "-c",
                             ECHO_SERVER, "7000")


def open_connections(cid):
    """TCP sockets of the container's netns that are neither listening nor in TIME_WAIT."""
    pid = container_info(cid)["init_pid"]
    rows = [l.split() for l in sh("nsenter", "-t", str(pid), "-n", "cat", "/proc/net/tcp",
                                  "/proc/net/tcp6").stdout.splitlines()]
    return [r for r in rows if len(r) > 3 and r[0] != "sl" and r[3] not in ("0A", "06")]


def dump_when_settled(cid, image):
    """Dumps once the probes' connections are closed (an established connection would need
    --tcp-established)."""
    wait_until(lambda: not open_connections(cid), what="the probe connections to close")
    proc = run_ckpt("dump", cid, "-o", image, check=False)
    assert proc.returncode == 0, proc.stderr


def subnet():
    return f"10.77.{secrets.randbelow(250) + 1}"


def test_container_network_survives_dump_and_restore(containers, env, tmp_path):
    net = subnet()
    bridge, _ = bridge_with_client(env, "a", net)
    cid = run_net_container(containers, env, bridge, net)
    check_network(cid, bridge, net)

    image = tmp_path / "net.img"
    run_ckpt("dump", cid, "-o", image)
    record = json.loads(run_ckpt("inspect", image, "--json").stdout)["net"]
    eth0 = next(link for link in record["links"] if link["name"] == "eth0")
    assert eth0["veth"]["master"] == bridge
    assert eth0["veth"]["name"] == host_veth_name(cid, 0)
    assert container_info(cid) is None
    assert not link_exists(host_veth_name(cid, 0)), "the host veth goes with the container"

    run_ckpt("restore", image)
    check_network(cid, bridge, net)


@pytest.mark.parametrize("mapped", [False, True], ids=["same-bridge", "net-map"])
def test_echo_server_answers_after_restore(containers, env, tmp_path, mapped):
    """The server answers again at its address, on the same bridge or, with --net-map, on
    another one."""
    net = subnet()
    bridge_a, client_a = bridge_with_client(env, "a", net)
    bridge_b, client_b = bridge_with_client(env, "b", net) if mapped else (bridge_a, client_a)
    cid = run_echo_container(containers, env, bridge_a, net)
    wait_until(lambda: answers(client_a, f"{net}.2"), what="the echo server before the dump")
    image = tmp_path / "net.img"
    dump_when_settled(cid, image)

    run_ckpt("restore", image, *(["--net-map", f"bridge:{bridge_a}={bridge_b}"] if mapped else []))
    check_network(cid, bridge_b, net)
    assert processes_restored(cid)
    wait_until(lambda: answers(client_b, f"{net}.2"), what="the echo server after the restore")


def test_net_map_rebuilds_the_network_on_another_bridge(containers, env, tmp_path):
    net = subnet()
    bridge_a, _ = bridge_with_client(env, "a", net)
    bridge_b, _ = bridge_with_client(env, "b", net)
    cid = run_net_container(containers, env, bridge_a, net)
    run_ckpt("dump", cid, "-o", tmp_path / "net.img")
    run_ckpt("restore", tmp_path / "net.img", "--net-map", f"bridge:{bridge_a}={bridge_b}")
    check_network(cid, bridge_b, net)


def test_restore_with_missing_bridge_fails_naming_it_and_leaves_nothing(containers, env,
                                                                         tmp_path):
    net = subnet()
    bridge, _ = bridge_with_client(env, "a", net)
    cid = run_net_container(containers, env, bridge, net)
    image = tmp_path / "net.img"
    run_ckpt("dump", cid, "-o", image)
    ip("link", "del", bridge)

    proc = run_ckpt("restore", image, check=False)
    assert proc.returncode == 7, "exit code 7: a restore precondition is missing on this host"
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and f"bridge {bridge} (for eth0) is missing" in lines[0], proc.stderr
    assert container_info(cid) is None
    assert not link_exists(host_veth_name(cid, 0))
    assert not os.path.exists(f"/sys/fs/cgroup/freezer/ckpt/{cid}")


def test_run_with_missing_bridge_fails_naming_it(containers, env):
    cid = containers.track(unique("net"))
    proc = run_ckpt("run", "--name", cid, "--detach", "--net", "bridge=ckptnosuchbr",
                    "--", "sleep", "100", check=False)
    assert proc.returncode == 7, "exit code 7: the host lacks the bridge"
    assert "bridge ckptnosuchbr (for eth0) is missing" in proc.stderr
    assert not link_exists(host_veth_name(cid, 0))


REFUSED = 5


def streamed(cid, new, *dump_args, source=None):
    """`dump cid -o - | restore --name new -` (or `cat source | restore ...`) on this host; the
    exit codes of both sides and the restore's stderr."""
    writer = [str(CKPT), "dump", cid, "-o", "-", *dump_args] if source is None else \
        ["cat", str(source)]
    dump = subprocess.Popen(writer, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    name = [] if new is None else ["--name", new]  # None: the source's own name
    restore = subprocess.run([str(CKPT), "restore", *name, "-"], stdin=dump.stdout,
                             capture_output=True, text=True, timeout=180)
    dump.stdout.close()
    return dump.wait(timeout=180), restore.returncode, restore.stderr


def assert_nothing_left(cid):
    assert container_info(cid) is None
    assert not link_exists(host_veth_name(cid, 0))
    assert not os.path.exists(f"/sys/fs/cgroup/freezer/ckpt/{cid}")
    assert not os.path.exists(f"/run/ckpt/{cid}")


def test_streamed_restore_on_one_host_takes_the_address_of_its_source(containers, env):
    """The restore runs while its source still exists (frozen, being dumped): the source, which
    the dump removes, is left out of the clash check, and the copy's host link stays down until
    it is gone; then the copy answers at the source's static address."""
    net = subnet()
    bridge, client = bridge_with_client(env, "a", net)
    cid = run_echo_container(containers, env, bridge, net)
    wait_until(lambda: answers(client, f"{net}.2"), what="the echo server before the dump")
    wait_until(lambda: not open_connections(cid), what="the probe connections to close")
    new = containers.track(unique("net"))
    env.expect_host_link(host_veth_name(new, 0))

    dump_code, restore_code, err = streamed(cid, new)
    assert (dump_code, restore_code) == (0, 0), err
    assert container_info(cid) is None
    assert not link_exists(host_veth_name(cid, 0))
    check_network(new, bridge, net)
    assert processes_restored(new)
    wait_until(lambda: answers(client, f"{net}.2"), what="the echo server after the restore")


def test_streamed_restore_on_one_host_under_the_sources_own_name(containers, env):
    """No --name: the name is the source's until its dump ends. The restore reads the stream to
    its end (the dump removes the source), takes the name and the address: the echo server
    answers again, restored."""
    net = subnet()
    bridge, client = bridge_with_client(env, "a", net)
    cid = run_echo_container(containers, env, bridge, net)
    wait_until(lambda: answers(client, f"{net}.2"), what="the echo server before the dump")
    wait_until(lambda: not open_connections(cid), what="the probe connections to close")
    before = container_info(cid)["init_pid"]

    dump_code, restore_code, err = streamed(cid, None)
    assert (dump_code, restore_code) == (0, 0), err
    assert container_info(cid)["init_pid"] != before
    check_network(cid, bridge, net)
    assert processes_restored(cid)
    wait_until(lambda: answers(client, f"{net}.2"), what="the echo server after the restore")


def test_streamed_leave_running_copy_is_refused_the_address(containers, env):
    """With --leave-running the source stays: the copy is refused its address at once (exit code
    5, one line naming it and the source), nothing of it left; the source runs on."""
    net = subnet()
    bridge, _ = bridge_with_client(env, "a", net)
    cid = run_net_container(containers, env, bridge, net)
    new = containers.track(unique("net"))
    env.expect_host_link(host_veth_name(new, 0))

    _, restore_code, err = streamed(cid, new, "--leave-running")
    assert restore_code == REFUSED, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and f"{net}.2" in lines[0] and cid in lines[0], err
    assert_nothing_left(new)
    assert container_info(cid)["state"] == "running"
    check_network(cid, bridge, net)


def test_streamed_restore_whose_source_address_stays_taken_fails_cleanly(containers, env,
                                                                         tmp_path):
    """A stream whose dump removed its source, piped later while a container of the source's
    name holds the address again: the restore waits for it to go (bounded), then fails in one
    line naming the clash, with nothing left."""
    net = subnet()
    bridge, _ = bridge_with_client(env, "a", net)
    cid = run_net_container(containers, env, bridge, net)
    image = tmp_path / "stream.img"
    with open(image, "wb") as out:
        assert subprocess.run([str(CKPT), "dump", cid, "-o", "-"], stdout=out).returncode == 0
    run_ckpt("run", "--name", cid, "--detach", "--net",
             f"bridge={bridge},ip={net}.2/24,gw={net}.1", "--", "sleep", "1000")
    new = containers.track(unique("net"))
    env.expect_host_link(host_veth_name(new, 0))

    _, restore_code, err = streamed(cid, new, source=image)
    assert restore_code == REFUSED, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "still clashing" in lines[0] and f"{net}.2" in lines[0], err
    assert_nothing_left(new)
    check_network(cid, bridge, net)


# In a netns: prints "arp" for a gratuitous ARP request (sender and target address argv[1]) and
# "na" for an unsolicited neighbour advertisement of argv[2] with the override flag, each with
# the sender's MAC, as they come on eth0; stops after argv[3] seconds.
ANNOUNCE_LISTENER = r"""
import ipaddress, socket, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind(('eth0', 0)); s.settimeout(0.2)
v4, v6 = socket.inet_aton(sys.argv[1]), ipaddress.IPv6Address(sys.argv[2]).packed
print('listening', flush=True)
end = time.monotonic() + float(sys.argv[3])
while time.monotonic() < end:
    try:
        f = s.recv(2048)
    except socket.timeout:
        continue
    if f[12:14] == b'\x08\x06' and f[20:22] == b'\x00\x01' and f[28:32] == v4 and f[38:42] == v4:
        print('arp', f[22:28].hex(), flush=True)
    if f[12:14] == b'\x86\xdd' and f[20] == 58 and f[54] == 136 and f[58] & 0x20 and f[62:78] == v6:
        print('na', f[6:12].hex(), flush=True)
"""


def test_a_restored_container_announces_its_addresses(containers, env, tmp_path):
    """Once its links carry traffic, the restored container sends a gratuitous ARP for its IPv4
    address and an unsolicited neighbour advertisement (override) for its IPv6 one, from its own
    MAC: bridges and switches learn its port at once, as after a VM's live migration."""
    net = subnet()
    bridge, client = bridge_with_client(env, "a", net)
    cid = run_net_container(containers, env, bridge, net)
    pid = container_info(cid)["init_pid"]
    v6 = f"fd00:77:{net.split('.')[2]}::2"
    sh("nsenter", "-t", str(pid), "-n", "ip", "-6", "addr", "add", f"{v6}/64", "dev", "eth0",
       "nodad")
    mac = in_container(cid, "link", "show", "dev", "eth0")[0]["address"].replace(":", "")
    image = tmp_path / "net.img"
    run_ckpt("dump", cid, "-o", image)
    listener = subprocess.Popen(["ip", "netns", "exec", client, sys.executable, "-c",
                                 ANNOUNCE_LISTENER, f"{net}.2", v6, "20"],
                                stdout=subprocess.PIPE, text=True)
    env.procs.append(listener)
    assert listener.stdout.readline().strip() == "listening"
    run_ckpt("restore", image)
    seen = set()
    while seen != {("arp", mac), ("na", mac)}:
        line = listener.stdout.readline().split()
        assert line, f"announcements seen: {seen}"
        seen.add(tuple(line))
