"""Root tests of netns/: a namespace built by hand with `ip` is dumped through dump_netns(),
removed, rebuilt by rebuild_netns() and compared with `ip -d -j`. Run as root:
    /usr/bin/python3 -m pytest tests/integration/test_netns_rebuild.py
"""
import os
import subprocess

import pytest

from netns_helpers import (ECHO_SERVER, NETNS_TOOL, env, ip, ip_json, link_exists,  # noqa: F401
                           netns_tool, no_tentative, sh, snapshot, tcp_answers, wait_until)

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root (namespaces, links)"),
    pytest.mark.skipif(not os.path.exists(NETNS_TOOL), reason=f"{NETNS_TOOL} is not built"),
]


def build_rich_namespace(env):
    """Two veths in two host bridges, a macvlan and a vxlan on a host link, a bridge inside with a
    port, a tap, IPv6, a second routing table, policy rules, a permanent neighbour, sysctls."""
    ns = env.netns("o")
    bridge_a = env.host_link("ba", "type", "bridge")
    bridge_b = env.host_link("bb", "type", "bridge")
    uplink = env.host_link("u0", "type", "veth", "peer", "name", env.name("u1"))
    for link in (bridge_a, bridge_b, uplink, env.name("u1")):
        ip("link", "set", link, "up")
    ip("addr", "add", "10.66.9.1/24", "dev", uplink)

    h0 = env.expect_host_link(env.name("h0"))
    h1 = env.expect_host_link(env.name("h1"))
    ip("link", "add", h0, "mtu", "1400", "type", "veth", "peer", "name", "eth0", "netns", ns)
    ip("link", "add", h1, "type", "veth", "peer", "name", "eth1", "netns", ns)
    ip("link", "set", h0, "master", bridge_a, "up")
    ip("link", "set", h1, "master", bridge_b, "up")
    mv, vx = env.name("mv"), env.name("vx")
    ip("link", "add", mv, "link", uplink, "type", "macvlan", "mode", "bridge")
    ip("link", "add", vx, "type", "vxlan", "id", "4242", "remote", "10.66.9.2", "local",
       "10.66.9.1", "dstport", "4789", "dev", uplink)
    ip("link", "set", mv, "netns", ns)
    ip("link", "set", vx, "netns", ns)

    ip("link", "set", "eth0", "mtu", "1400", "address", "02:66:00:00:00:01", ns=ns)
    ip("link", "add", "br0", "type", "bridge", "ageing_time", "12345", ns=ns)
    ip("link", "add", "in0", "type", "veth", "peer", "name", "in1", ns=ns)
    ip("link", "set", "in0", "master", "br0", ns=ns)
    ip("tuntap", "add", "dev", "tap0", "mode", "tap", "user", "1234", ns=ns)
    for link in ("lo", "eth0", "eth1", "br0", "in0", "in1", mv, vx, "tap0"):
        ip("link", "set", link, "up", ns=ns)

    ip("addr", "add", "10.66.1.2/24", "dev", "eth0", ns=ns)
    ip("addr", "add", "10.66.1.3/24", "dev", "eth0", ns=ns)  # a secondary
    ip("-6", "addr", "add", "fd66:1::2/64", "dev", "eth0", "nodad", ns=ns)
    ip("addr", "add", "10.66.2.2/24", "dev", "eth1", ns=ns)
    ip("addr", "add", "10.66.3.1/24", "dev", "br0", ns=ns)
    ip("addr", "add", "10.66.4.2/24", "dev", mv, ns=ns)
    ip("-6", "addr", "add", "fd66:4::2/64", "dev", mv, "nodad", ns=ns)
    ip("route", "add", "default", "via", "10.66.1.1", ns=ns)
    ip("route", "add", "10.66.50.0/24", "via", "10.66.2.1", "table", "100", ns=ns)
    ip("route", "add", "10.66.51.0/24", "dev", "eth1", "table", "100", "metric", "7", ns=ns)
    ip("-6", "route", "add", "fd66:99::/64", "via", "fd66:1::1", "metric", "50", ns=ns)
    ip("rule", "add", "from", "10.66.2.0/24", "table", "100", "priority", "100", ns=ns)
    ip("-6", "rule", "add", "to", "fd66:99::/64", "table", "100", "priority", "200", ns=ns)
    ip("neigh", "add", "10.66.1.9", "lladdr", "02:66:00:00:00:09", "dev", "eth0", "nud",
       "permanent", ns=ns)
    sh("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.ip_forward=1",
       "net.ipv4.conf.eth1.rp_filter=2", "net.ipv6.conf.eth0.hop_limit=33")
    wait_until(lambda: no_tentative(ns), "IPv6 DAD in the original")
    return ns, bridge_a, bridge_b, h0, h1


def dump_and_remove(env, ns):
    record = env.tmpfile(".net")
    netns_tool("dump", str(env.hold(ns)), record)
    env.delete_netns(ns)
    wait_until(lambda: not link_exists(env.name("h0")) and not link_exists(env.name("h1")),
               "the original's host veths to go")
    return record


def test_rich_namespace_rebuilds_identically(env):
    ns, bridge_a, bridge_b, h0, h1 = build_rich_namespace(env)
    before = snapshot(ns)
    before_h0 = ip_json("link", "show", "dev", h0)[0]
    record = dump_and_remove(env, ns)

    restored = env.adopt_netns("r")
    netns_tool("rebuild", record, "test", restored)
    wait_until(lambda: no_tentative(restored), "IPv6 DAD in the restored netns")
    after = snapshot(restored)

    assert after["links"].keys() == before["links"].keys()
    for name in before["links"]:
        assert after["links"][name] == before["links"][name], name
    for key in ("addrs", "routes4", "routes6", "rules4", "rules6", "neigh"):
        assert after[key] == before[key], key
    forward = sh("ip", "netns", "exec", restored, "sysctl", "-n", "net.ipv4.ip_forward")
    assert forward.stdout.strip() == "1"
    hop = sh("ip", "netns", "exec", restored, "sysctl", "-n", "net.ipv6.conf.eth0.hop_limit")
    assert hop.stdout.strip() == "33"

    after_h0 = ip_json("link", "show", "dev", h0)[0]
    assert after_h0["master"] == bridge_a
    assert after_h0["mtu"] == 1400
    assert after_h0["address"] == before_h0["address"]
    assert "UP" in after_h0["flags"]
    assert ip_json("link", "show", "dev", h1)[0]["master"] == bridge_b


def simple_namespace(env, bridge):
    ns = env.netns("o")
    h0 = env.expect_host_link(env.name("h0"))
    ip("link", "add", h0, "type", "veth", "peer", "name", "eth0", "netns", ns)
    ip("link", "set", h0, "master", bridge, "up")
    ip("link", "set", "eth0", "up", ns=ns)
    ip("link", "set", "lo", "up", ns=ns)
    ip("addr", "add", "10.67.0.2/24", "dev", "eth0", ns=ns)
    return ns, h0


def test_missing_bridge_fails_naming_it_and_leaves_nothing(env):
    bridge = env.host_link("ba", "type", "bridge")
    ns, h0 = simple_namespace(env, bridge)
    record = dump_and_remove(env, ns)
    ip("link", "del", bridge)
    restored = env.adopt_netns("r")

    result = netns_tool("rebuild", record, "test", restored, check=False)
    assert result.returncode == 1
    assert f"bridge {bridge} (for eth0) is missing" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not link_exists(h0)
    assert not os.path.exists(f"/run/netns/{restored}")


def test_half_way_failure_removes_host_veths(env):
    """A record whose second veth cannot be created (its host end's MAC is multicast): the first
    veth, already made, must be removed again."""
    bridge = env.host_link("ba", "type", "bridge")
    ip("link", "set", bridge, "up")
    ns, h0 = simple_namespace(env, bridge)
    h1 = env.expect_host_link(env.name("h1"))
    ip("link", "add", h1, "type", "veth", "peer", "name", "eth1", "netns", ns)
    ip("link", "set", h1, "master", bridge, "up")
    record = dump_and_remove(env, ns)
    restored = env.adopt_netns("r")
    # The rename map points eth1's host end at a name the kernel refuses ("." is invalid).
    result = netns_tool("rebuild", record, "test", restored, "veth:" + h1 + "=.", check=False)
    assert result.returncode == 1, result.stdout
    assert "eth1" in result.stderr
    assert not link_exists(h0)
    assert not link_exists(".")
    assert not os.path.exists(f"/run/netns/{restored}")


def echo_server(env, ns, port):
    p = subprocess.Popen(["ip", "netns", "exec", ns, "/usr/bin/python3", "-c", ECHO_SERVER,
                          str(port)])
    env.procs.append(p)
    return p


def client_on(env, bridge, address):
    client = env.netns("c")
    host_end = env.expect_host_link(env.name("hc"))
    ip("link", "add", host_end, "type", "veth", "peer", "name", "eth0", "netns", client)
    ip("link", "set", host_end, "master", bridge, "up")
    ip("link", "set", "eth0", "up", ns=client)
    ip("addr", "add", address, "dev", "eth0", ns=client)
    return client


def test_bridge_map_restores_onto_another_bridge_and_answers(env):
    bridge_a = env.host_link("ba", "type", "bridge")
    bridge_b = env.host_link("bb", "type", "bridge")
    for b in (bridge_a, bridge_b):
        ip("link", "set", b, "up")
    ns, h0 = simple_namespace(env, bridge_a)
    record = dump_and_remove(env, ns)

    restored = env.adopt_netns("r")
    netns_tool("rebuild", record, "test", restored, f"bridge:{bridge_a}={bridge_b}")
    assert ip_json("link", "show", "dev", h0)[0]["master"] == bridge_b
    client = client_on(env, bridge_b, "10.67.0.1/24")
    echo_server(env, restored, 7007)
    wait_until(lambda: tcp_answers(client, "10.67.0.2", 7007), "the echo server to answer")


def test_run_network_setup_and_errors(env):
    bridge = env.host_link("ba", "type", "bridge")
    ip("link", "set", bridge, "up")
    ns = env.netns("o")
    pid = env.hold(ns)
    result = netns_tool("setup", str(pid), "ctr-a", "bridge=x,bogus=1", check=False)
    assert result.returncode == 1
    assert "--net bridge=x,bogus=1: unknown key 'bogus'" in result.stderr
    result = netns_tool("setup", str(pid), "ctr-a", "bridge=nosuchbr0,ip=10.68.0.2/24", check=False)
    assert result.returncode == 1
    assert "bridge nosuchbr0 (for eth0) is missing" in result.stderr
    assert not link_exists("eth0", ns=ns)

    netns_tool("setup", str(pid), "ctr-a",
               f"bridge={bridge},ip=10.68.0.2/24,gw=10.68.0.1,mac=02:68:00:00:00:02,mtu=1450")
    eth0 = ip_json("link", "show", "dev", "eth0", ns=ns)[0]
    assert eth0["address"] == "02:68:00:00:00:02"
    assert eth0["mtu"] == 1450
    assert "UP" in ip_json("link", "show", "dev", "lo", ns=ns)[0]["flags"]
    routes = ip_json("route", ns=ns)
    assert any(r["dst"] == "default" and r.get("gateway") == "10.68.0.1" for r in routes)
    hosts = [l for l in ip_json("link", "show", "master", bridge)]
    assert len(hosts) == 1 and hosts[0]["ifname"].startswith("ck")
    env.expect_host_link(hosts[0]["ifname"])

    client = client_on(env, bridge, "10.68.0.1/24")
    echo_server(env, ns, 7008)
    wait_until(lambda: tcp_answers(client, "10.68.0.2", 7008), "the echo server to answer")
