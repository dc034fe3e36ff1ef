"""Helpers for the root network tests: unique names, `ip` wrappers, cleanup that always runs."""
import json
import os
import secrets
import subprocess
import time

import pytest

from conftest import wait_until

BUILD = os.environ.get("CKPT_BUILD", os.path.join(os.path.dirname(__file__), "..", "..", "build"))
NETNS_TOOL = os.path.join(BUILD, "tests", "netns_tool")


def sh(*args, check=True, **kw):
    result = subprocess.run(list(args), capture_output=True, text=True, **kw)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed ({result.returncode}): {result.stderr.strip()}")
    return result


def ip(*args, ns=None, check=True):
    prefix = ["ip", "-n", ns] if ns else ["ip"]
    return sh(*prefix, *args, check=check)


def ip_json(*args, ns=None):
    out = ip("-d", "-j", *args, ns=ns).stdout.strip()
    return json.loads(out) if out else []


def link_exists(name, ns=None):
    return ip("link", "show", "dev", name, ns=ns, check=False).returncode == 0


class NetEnv:
    """Names netns and host links with a unique `ckpt` prefix and removes all of them at the end,
    in reverse order, waiting until the kernel has really dropped them."""

    def __init__(self):
        self.tag = "ckpt" + secrets.token_hex(2)
        self.namespaces = []
        self.links = []
        self.procs = []
        self.files = []

    def name(self, suffix):
        n = self.tag + suffix
        assert len(n) < 16, n
        return n

    def netns(self, suffix):
        n = self.name(suffix)
        self.namespaces.append(n)
        ip("netns", "add", n)
        return n

    def adopt_netns(self, suffix):
        """A netns another program will create under /run/netns; removed at cleanup."""
        n = self.name(suffix)
        self.namespaces.append(n)
        return n

    def host_link(self, suffix, *args):
        n = self.name(suffix)
        self.links.append(n)
        ip("link", "add", n, *args)
        return n

    def expect_host_link(self, name):
        self.links.append(name)
        return name

    def hold(self, ns):
        """A process inside `ns` (for dump_netns and setup), killed at cleanup."""
        p = subprocess.Popen(["ip", "netns", "exec", ns, "sleep", "600"])
        self.procs.append(p)
        wait_until(lambda: os.readlink(f"/proc/{p.pid}/ns/net") != os.readlink("/proc/self/ns/net"),
                   "the holder to enter its netns")
        return p.pid

    def tmpfile(self, suffix):
        path = f"/tmp/{self.tag}{suffix}"
        self.files.append(path)
        return path

    def delete_netns(self, ns):
        for p in self.procs:
            if p.poll() is None and os.path.exists(f"/proc/{p.pid}/ns/net"):
                try:
                    if os.readlink(f"/proc/{p.pid}/ns/net") == _ns_id(ns):
                        p.kill()
                        p.wait()
                except FileNotFoundError:
                    pass
        ip("netns", "del", ns, check=False)

    def cleanup(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        for ns in reversed(self.namespaces):
            ip("netns", "del", ns, check=False)
        for link in reversed(self.links):
            ip("link", "del", link, check=False)
        for path in self.files:
            if os.path.exists(path):
                os.unlink(path)
        wait_until(lambda: self.tag not in ip("link").stdout, f"links named {self.tag}* to go")


def _ns_id(ns):
    st = os.stat(f"/run/netns/{ns}")
    return f"net:[{st.st_ino}]"


def netns_tool(*args, check=True):
    return sh(NETNS_TOOL, *args, check=check)


# Keys that differ between two equal namespaces: ifindexes, kernel timers and lifetimes.
VOLATILE = {"ifindex", "link_index", "valid_life_time", "preferred_life_time"}


def normalize(obj):
    if isinstance(obj, dict):
        return {k: normalize(v) for k, v in obj.items()
                if k not in VOLATILE and not k.endswith("_timer")}
    if isinstance(obj, list):
        return [normalize(v) for v in obj]
    return obj


def snapshot(ns):
    """Everything `ip -d -j` shows of a netns, normalized for comparison."""
    def sorted_json(items):
        return sorted((normalize(i) for i in items), key=lambda i: json.dumps(i, sort_keys=True))
    links = {l["ifname"]: normalize(l) for l in ip_json("link", ns=ns)}
    addrs = {}
    for entry in ip_json("addr", ns=ns):
        addrs[entry["ifname"]] = sorted_json(entry.get("addr_info", []))
    return {
        "links": links,
        "addrs": addrs,
        "routes4": sorted_json(ip_json("-4", "route", "show", "table", "all", ns=ns)),
        "routes6": sorted_json(ip_json("-6", "route", "show", "table", "all", ns=ns)),
        "rules4": sorted_json(ip_json("-4", "rule", ns=ns)),
        "rules6": sorted_json(ip_json("-6", "rule", ns=ns)),
        "neigh": sorted_json(ip_json("neigh", "show", "nud", "permanent", ns=ns)),
    }


def no_tentative(ns):
    return ip("-6", "addr", "show", "tentative", ns=ns).stdout.strip() == ""


@pytest.fixture
def env():
    """A NetEnv cleaned up even when the test fails (import this fixture into a test module)."""
    e = NetEnv()
    try:
        yield e
    finally:
        e.cleanup()


ECHO_SERVER = ("import socket, sys\n"
               "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
               "s.bind(('0.0.0.0', int(sys.argv[1]))); s.listen()\n"
               "while True:\n"
               "    c, _ = s.accept(); c.sendall(c.recv(4)); c.close()\n")


def tcp_answers(client_ns, address, port):
    """Whether an echo server at address:port answers a client inside `client_ns`."""
    code = (f"import socket; s = socket.create_connection(('{address}', {port}), timeout=2); "
            "s.sendall(b'ping'); print(s.recv(4).decode())")
    out = sh("ip", "netns", "exec", client_ns, "/usr/bin/python3", "-c", code, check=False)
    return out.stdout.strip() == "ping"
