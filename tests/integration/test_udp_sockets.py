"""UDP sockets across a checkpoint: a python3 UDP echo server bound in a container on a test
bridge answers a client in a test netns after dump, removal and restore; an IPv6 socket bound
to [::1] with IPV6_V6ONLY and a connected IPv4 socket come back with their addresses.

Run as root: /usr/bin/python3 -m pytest tests/integration/test_udp_sockets.py
"""
import json

import pytest

from conftest import CKPT, container_info, run_ckpt
from netns_helpers import env, sh, wait_until  # noqa: F401
from test_net_e2e import bridge_with_client, run_net_container, subnet

pytestmark = pytest.mark.skipif(not CKPT.exists(), reason=f"{CKPT} is not built")

UDP_ECHO = """
import socket
echo = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
echo.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
echo.bind(("0.0.0.0", 7001))
six = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
six.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
six.bind(("::1", 7002))
told = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
told.connect(("127.0.0.1", 7001))
while True:
    data, peer = echo.recvfrom(64)
    echo.sendto(data, peer)
"""


def udp_answers(client_ns, address, port):
    code = ("import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
            f"s.settimeout(1); s.sendto(b'ping', ('{address}', {port})); "
            "print(s.recvfrom(4)[0].decode())")
    out = sh("ip", "netns", "exec", client_ns, "/usr/bin/python3", "-c", code, check=False)
    return out.stdout.strip() == "ping"


def udp_sockets_in(cid):
    """(local, peer) of every UDP socket in the container's netns, as ss shows them."""
    pid = container_info(cid)["init_pid"]
    out = sh("nsenter", "-t", str(pid), "-n", "ss", "-H", "-u", "-a", "-n").stdout
    return {tuple(line.split()[3:5]) for line in out.splitlines()}


def test_udp_echo_server_answers_after_restore(containers, env, tmp_path):  # noqa: F811
    net = subnet()
    bridge, client = bridge_with_client(env, "u", net)
    cid = run_net_container(containers, env, bridge, net, "/usr/bin/python3", "-c", UDP_ECHO)
    wait_until(lambda: udp_answers(client, f"{net}.2", 7001), what="the UDP echo before the dump")
    before = udp_sockets_in(cid)
    assert ("[::1]:7002", "[::]:*") in before and ("0.0.0.0:7001", "0.0.0.0:*") in before
    assert any(peer == "127.0.0.1:7001" for _, peer in before), before
    image = tmp_path / "udp.img"
    run_ckpt("dump", cid, "-o", image)
    sections = {s["type"] for s in json.loads(run_ckpt("inspect", "--json", image).stdout)["sections"]}
    assert "inet-sockets" in sections

    run_ckpt("restore", image)
    wait_until(lambda: udp_answers(client, f"{net}.2", 7001), what="the UDP echo after the restore")
    assert udp_sockets_in(cid) == before
