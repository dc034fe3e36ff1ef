"""Live migration (`ckpt migrate`, `ckpt receive`) on one host: a container on a test bridge runs
a python3 TCP server with a client connected and a memory area a thread keeps writing; the
migration moves it under a new name (--via 'ckpt receive --name B'): the client keeps its
connection, the memory checks out page by page, the source is gone. Faults at every step leave
the source running with its connection and nothing on the target."""
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import (CKPT, CGROUP_ROOT, cgroup_dir, console_text, container_info, read_cgroup,
                      run_ckpt, unique, wait_until)
from netns_helpers import env, ip, ip_json, link_exists  # noqa: F401
from test_foundation import make_busybox_rootfs
from test_mounts import BB, assert_counts_on, counting_into, counts, mount_line, mount_overlay
from test_net_e2e import bridge_with_client, host_veth_name, subnet

pytestmark = pytest.mark.skipif(not CKPT.exists(), reason=f"{CKPT} is not built")

PROXY = Path(__file__).resolve().parent / "migrate_proxy.py"

# argv: MiB of memory [fork]. Fills the area page by page with (index, generation), then listens
# on port 7000; a thread rewrites the pages in order, generation after generation, at ~10 MiB/s.
# "ping" -> "pong N"; "check" -> "ok GEN CURSOR" when pages before the cursor hold the current
# generation and the others the previous one, else "bad COUNT". With "fork", another thread
# forks a child again and again that checks its copy of every page the same way and exits 1 if
# one differs: "forks" -> "forks DONE BAD".
SERVER = r"""
import mmap, os, socket, struct, sys, threading, time
N = int(sys.argv[1]) * 256
area = mmap.mmap(-1, N * 4096, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
def page(i, g): return struct.pack('<QQ', i, g) * 256
for i in range(N): area[i * 4096:(i + 1) * 4096] = page(i, 0)
lock = threading.Lock()
state = {'gen': 1, 'cursor': 0}
def writer():
    while True:
        with lock:
            for _ in range(256):
                i, g = state['cursor'], state['gen']
                area[i * 4096:(i + 1) * 4096] = page(i, g)
                state['cursor'] = i + 1
                if state['cursor'] == N: state['cursor'], state['gen'] = 0, g + 1
        time.sleep(0.1)
def check():
    with lock:
        g, c = state['gen'], state['cursor']
        bad = sum(area[i * 4096:(i + 1) * 4096] != page(i, g if i < c else g - 1) for i in range(N))
    return 'ok %d %d' % (g, c) if bad == 0 else 'bad %d' % bad
forks = {'done': 0, 'bad': 0}
def forker():
    while True:
        with lock:
            g, c = state['gen'], state['cursor']
            pid = os.fork()
        if pid == 0:
            bad = sum(area[i * 4096:(i + 1) * 4096] != page(i, g if i < c else g - 1) for i in range(N))
            os._exit(1 if bad else 0)
        status = os.waitpid(pid, 0)[1]
        forks['done'] += 1
        forks['bad'] += status != 0
        time.sleep(0.05)
threading.Thread(target=writer, daemon=True).start()
if sys.argv[2:] == ['fork']: threading.Thread(target=forker, daemon=True).start()
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', 7000)); s.listen()
n = 0
while True:
    c, _ = s.accept(); f = c.makefile('rwb', buffering=0)
    for line in f:
        n += 1
        q = line.strip()
        a = check() if q == b'check' else 'forks %(done)d %(bad)d' % forks if q == b'forks' else 'pong %d' % n
        f.write((a + '\n').encode())
"""

# Connects, then pings every 10 ms in a thread and keeps the longest gap between two answers.
# stdin: "stats" -> "answers COUNT gap MS"; another line -> the server's answer to it.
CLIENT = r"""
import socket, sys, threading, time
c = socket.create_connection((sys.argv[1], 7000), timeout=120)
f = c.makefile('rwb', buffering=0)
print('connected', flush=True)
lock = threading.Lock()
st = {'count': 0, 'gap': 0.0, 'last': time.monotonic(), 'error': ''}
def ask(q):
    f.write(q + b'\n'); return f.readline().decode().strip()
def pinger():
    while True:
        with lock:
            try:
                assert ask(b'ping').startswith('pong')
            except Exception as e:
                st['error'] = repr(e); return
            now = time.monotonic()
            st['gap'] = max(st['gap'], now - st['last']); st['last'] = now; st['count'] += 1
        time.sleep(0.01)
threading.Thread(target=pinger, daemon=True).start()
for line in sys.stdin:
    if line.strip() == 'stats':
        print('answers %d gap %.0f %s' % (st['count'], st['gap'] * 1000, st['error']), flush=True)
    else:
        with lock:
            print(ask(line.strip().encode()), flush=True)
"""


class PingClient:
    def __init__(self, env, netns, address):
        def listening():
            probe = subprocess.run(["ip", "netns", "exec", netns, sys.executable, "-c",
                                    f"import socket; socket.create_connection(('{address}', 7000), 2)"],
                                   capture_output=True)
            return probe.returncode == 0
        wait_until(listening, what="the server to listen", timeout=120)
        self.proc = subprocess.Popen(["ip", "netns", "exec", netns, sys.executable, "-c", CLIENT,
                                      address], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True)
        env.procs.append(self.proc)
        assert self.proc.stdout.readline().strip() == "connected"

    def ask(self, request):
        self.proc.stdin.write(request + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def stats(self):
        """(answers so far, longest gap in ms, error or '')."""
        fields = self.ask("stats").split(" ", 4)
        return int(fields[1]), int(fields[3]), fields[4] if len(fields) > 4 else ""

    def answers_grow(self):
        before = self.stats()[0]
        wait_until(lambda: self.stats()[0] > before + 5, what="the client to get answers")


def serving_container(containers, env, mib, *server_args):
    net = subnet()
    bridge, client_ns = bridge_with_client(env, "m", net)
    cid = containers.track(unique("mig"))
    env.expect_host_link(host_veth_name(cid, 0))
    run_ckpt("run", "--name", cid, "--detach", "--net", f"bridge={bridge},ip={net}.2/24,gw={net}.1",
             "--", sys.executable, "-c", SERVER, str(mib), *server_args)
    client = PingClient(env, client_ns, f"{net}.2")
    client.answers_grow()
    return cid, client


def target_name(containers, env):
    name = containers.track(unique("mig"))
    env.expect_host_link(host_veth_name(name, 0))
    return name


def nothing_of(name):
    """What is left of container `name` on this host (empty when nothing)."""
    left = []
    if container_info(name) is not None or Path("/run/ckpt", name).exists():
        left.append("state")
    left += [str(p) for p in CGROUP_ROOT.glob(f"*/ckpt/{name}")]
    if link_exists(host_veth_name(name, 0)):
        left.append("host veth")
    return left


def source_carries_on(cid, client):
    info = container_info(cid)
    assert info is not None and info["state"] == "running", info
    client.answers_grow()
    assert client.stats()[2] == ""
    assert client.ask("check").startswith("ok"), "the source's memory is intact"


def migrated(containers, env, mib, server_args=(), options=(), env_extra=None):
    """Migrates a serving container of `mib` MiB with `options` (--tcp-established --json, via
    `ckpt receive` under another name): the source is gone, the target runs, the client keeps
    getting answers and every page is as the writer left it. Returns (report, client)."""
    cid, client = serving_container(containers, env, mib, *server_args)
    target = target_name(containers, env)
    proc = run_ckpt("migrate", cid, *options, "--tcp-established", "--json",
                    "--via", f"{CKPT} receive --name {target}", timeout=600, env_extra=env_extra)
    report = json.loads(proc.stdout)

    assert container_info(cid) is None and nothing_of(cid) == [], "the source is gone"
    assert container_info(target)["state"] == "running"
    client.answers_grow()
    assert client.stats()[2] == ""
    assert client.ask("check").startswith("ok"), "every page as the writer left it"
    return report, client


def forked_children_saw_every_page(client):
    forks_before = int(client.ask("forks").split()[1])
    wait_until(lambda: int(client.ask("forks").split()[1]) > forks_before + 1,
               what="children forked after the migration to check their memory", timeout=120)
    assert client.ask("forks").split()[2] == "0", "every forked child saw every page"


def neighbours_of(cid):
    """The container's neighbour table: (address, link-layer address, state) of each entry."""
    pid = container_info(cid)["init_pid"]
    out = subprocess.run(["nsenter", "-t", str(pid), "-n", "ip", "-j", "neigh", "show"],
                         capture_output=True, text=True, check=True).stdout
    return [(n["dst"], n.get("lladdr", ""), " ".join(n.get("state", []))) for n in json.loads(out)]


def test_the_target_knows_the_client_s_link_layer_address_at_once(containers, env):
    """The neighbour entries the container had learned come back (as stale, confirmed on first
    use): its first answer after the resume went out only after a neighbour resolution, whose
    first request the held-down link had lost and whose second came a second later (the
    client saw a gap of ~1.2 s for a downtime of ~0.2-0.4 s; now about the downtime)."""
    cid, client = serving_container(containers, env, 16)
    before = [n for n in neighbours_of(cid) if n[1]]
    assert before, "the server learned its client's address"
    target = target_name(containers, env)
    run_ckpt("migrate", cid, "--tcp-established", "--via", f"{CKPT} receive --name {target}",
             timeout=600)
    after = {n[0]: n[1] for n in neighbours_of(target)}
    for address, lladdr, _ in before:
        assert after.get(address) == lladdr, (address, neighbours_of(target))
    client.answers_grow()
    assert client.stats()[2] == ""


def test_migration_keeps_the_client_connection_and_the_memory(containers, env):
    report, client = migrated(containers, env, 1024)
    gap = client.stats()[1]
    assert report["rounds"][0]["bytes"] >= 1 << 30
    print(f"\nmigration of 1 GiB written at ~10 MiB/s: {len(report['rounds'])} rounds, "
          f"downtime {report['downtime_ms']:.0f} ms, memory filled "
          f"{report['fill_after_resume_ms'] / 1000:.2f} s after the resume, total "
          f"{report['total_seconds']:.1f} s, {report['bytes_sent'] >> 20} MiB sent; longest gap "
          f"between answers {gap} ms")


def test_a_migration_fills_the_held_pages_after_the_resume(containers, env):
    """Without --lazy too, the target resumes the container before it writes the pre-copied
    pages it holds: it serves the container's faults from them and fills the rest in the
    background, from its own memory. A thread keeps writing, another keeps forking children that
    check their copy of every page: the memory checks out, in the process and in the children
    forked while it was being filled."""
    report, client = migrated(containers, env, 256, ("fork",))
    forked_children_saw_every_page(client)
    assert report["lazy"] is False and report["post_copied_bytes"] == 0
    assert report["filled_after_resume_bytes"] > 0 and report["fill_after_resume_ms"] > 0
    print(f"\nmigration of 256 MiB: downtime {report['downtime_ms']:.0f} ms, "
          f"{report['filled_after_resume_bytes'] >> 20} MiB filled in "
          f"{report['fill_after_resume_ms'] / 1000:.2f} s after the resume")


def test_the_held_pages_can_still_be_filled_before_the_resume(containers, env):
    """CKPT_MIGRATE_FILL_BEFORE_RESUME=1 (for tools/bench to compare): every page is written
    before the resume, inside the downtime, as before."""
    report, _ = migrated(containers, env, 64, (), (),
                         env_extra={"CKPT_MIGRATE_FILL_BEFORE_RESUME": "1"})
    assert report["filled_after_resume_bytes"] == 0 and report["fill_after_resume_ms"] == 0


def test_lazy_migration_fills_the_memory_after_the_resume(containers, env):
    """--lazy (post-copy): the target resumes before the pre-copied pages are in and fills them
    while the container runs, serving its faults first. A thread keeps writing, another keeps
    forking children that check their copy of every page: the memory checks out, in the
    process and in the children forked while it was being filled (UFFD_EVENT_FORK)."""
    report, client = migrated(containers, env, 256, ("fork",), ("--lazy",))
    forked_children_saw_every_page(client)
    assert report["lazy"] is True and report["downtime_ms"] > 0
    assert report["post_copy_seconds"] > 0
    print(f"\nlazy migration of 256 MiB: downtime {report['downtime_ms']:.0f} ms, post-copy "
          f"{report['post_copy_seconds']:.2f} s")


def test_a_pure_post_copy_sends_every_page_after_the_resume(containers, env):
    """--lazy --max-rounds 0: no pre-copy round; the container is frozen, its state but the
    private anonymous memory goes, the target resumes it and gets every page after that (faults
    first, the rest streamed), each once. The writer's memory checks out, in the process and in
    the children it forks meanwhile; the source is gone."""
    report, client = migrated(containers, env, 256, ("fork",), ("--lazy", "--max-rounds", "0"))
    forked_children_saw_every_page(client)
    assert report["rounds"] == [] and report["lazy"] is True
    assert 256 << 20 <= report["post_copied_bytes"] <= 320 << 20, report["post_copied_bytes"]
    assert report["bytes_sent"] < report["post_copied_bytes"] + (64 << 20), "each page once"
    print(f"\npure post-copy of 256 MiB: downtime {report['downtime_ms']:.0f} ms, "
          f"{report['post_copied_bytes'] >> 20} MiB post-copied in "
          f"{report['post_copy_seconds']:.2f} s")


def test_no_rounds_without_lazy_is_refused():
    """--max-rounds 0 leaves every page to after the resume: without --lazy it is refused before
    anything runs."""
    proc = run_ckpt("migrate", unique("mig"), "--max-rounds", "0", "--via", "true", check=False)
    assert proc.returncode != 0 and "needs --lazy" in proc.stderr

# 256 MiB of pages, each (index, 7), and 16 MiB more with MADV_WIPEONFORK; once it runs restored
# (its start time in /proc/self/stat changes), at once, while its memory is filled after the
# resume: a fork (the child sees zeros in the wiped area, the parent its pages), write(2) from
# pages and read(2) into them (kernel-mode faults), an mremap of 16 MiB (the pages follow it),
# MADV_DONTNEED of 16 MiB (zeros there), then every other page; prints PASS or FAIL with what
# differed.
MEMORY_OPS = r"""
import ctypes, mmap, os, struct, sys, time
N = 256 * 256
P = 4096
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
libc.mremap.restype = ctypes.c_void_p
libc.mremap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t, ctypes.c_int, ctypes.c_void_p]
libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
W = 16 * 256
wipe = libc.mmap(None, W * P, 3, 0x22, -1, 0)
base = libc.mmap(None, N * P, 3, 0x22, -1, 0)
def page(i): return struct.pack('<QQ', i, 7) * 256
buf = (ctypes.c_char * (N * P)).from_address(base)
for i in range(N): ctypes.memmove(base + i * P, page(i), P)
for i in range(W): ctypes.memmove(wipe + i * P, page(i), P)
libc.madvise(wipe, W * P, 18)  # MADV_WIPEONFORK
print("ready", flush=True)
def at(addr, i): return ctypes.string_at(addr + i * P, P)
def ops():
    bad = []
    # a child forked at once (the wiped area not filled yet) sees zeros there, its parent pages
    pid = os.fork()
    if pid == 0:
        os._exit(0 if all(at(wipe, j) == bytes(P) for j in range(W)) else 1)
    if os.waitpid(pid, 0)[1] != 0: bad.append(("wipeonfork child", pid))
    for j in range(W):
        if at(wipe, j) != page(j): bad.append(("wipeonfork parent", j)); break
    # kernel-mode reads of pages not yet filled: write(2) from the area into a pipe
    r, w = os.pipe()
    lo = N // 2
    for i in range(lo, lo + 64):
        n = libc.write(w, ctypes.c_void_p(base + i * P), P)
        if n != P or os.read(r, P) != page(i): bad.append(("write", i))
    # kernel-mode writes: read(2) into pages not yet filled, then the neighbours intact
    for i in range(lo + 64, lo + 128, 2):
        os.write(w, b"k" * 16)
        libc.read(r, ctypes.c_void_p(base + i * P), 16)
        if at(base, i)[:16] != b"k" * 16 or at(base, i)[16:] != page(i)[16:]: bad.append(("read", i))
    # mremap 16 MiB away: the pages follow
    m0 = lo + 1024
    new = libc.mmap(None, 4096 * P, 0, 0x22, -1, 0)
    moved = libc.mremap(base + m0 * P, 4096 * P, 4096 * P, 3, new)  # MAYMOVE|FIXED
    if moved != new: bad.append(("mremap", ctypes.get_errno()))
    for j in range(4096):
        if at(new, j) != page(m0 + j): bad.append(("moved", m0 + j)); break
    # MADV_DONTNEED: zeros there, not the old pages
    d0 = lo + 8192
    libc.madvise(base + d0 * P, 4096 * P, 4)
    for j in range(4096):
        if at(base, d0 + j) != bytes(P): bad.append(("dontneed", d0 + j)); break
    # every other page
    for i in range(N):
        if lo <= i < lo + 128 or m0 <= i < m0 + 4096 or d0 <= i < d0 + 4096: continue
        if at(base, i) != page(i): bad.append(("page", i)); break
    print("PASS" if not bad else "FAIL %s" % bad[:5], flush=True)
def started(): return open('/proc/self/stat').read().rsplit(')', 1)[1].split()[19]
first = started()
while started() == first: time.sleep(0.002)  # a restored process is a new task
ops()
while True: time.sleep(1)
"""


@pytest.mark.parametrize("options", [(), ("--lazy",)], ids=["held", "lazy"])
def test_the_fill_after_the_resume_follows_forks_kernel_faults_mremap_and_madvise(containers,
                                                                                  options):
    cid = containers.track(unique("mig"))
    run_ckpt("run", "--name", cid, "--detach", "--", sys.executable, "-c", MEMORY_OPS)
    wait_until(lambda: "ready" in console_text(cid), what="the area to be written", timeout=120)
    target = containers.track(unique("mig"))
    run_ckpt("migrate", cid, *options, "--via", f"{CKPT} receive --name {target}", timeout=300)
    assert nothing_of(cid) == [], "the source is gone"
    wait_until(lambda: "PASS" in console_text(target) or "FAIL" in console_text(target),
               what="the restored program to check its memory", timeout=120)
    assert "PASS" in console_text(target), console_text(target)


def test_a_lazy_migration_whose_receiver_is_stopped_before_the_resume_leaves_the_source_running(
        containers, env):
    """The receiver is terminated (SIGTERM) and the channel cut when it reports every process
    rebuilt: the pages it was serving by post-copy go with its processes, the source runs on."""
    failed_migration(containers, env,
                     f"{sys.executable} {PROXY} term -- {CKPT} receive --name TARGET",
                     "the target", options=("--tcp-established", "--lazy"))


def lazy_migration_cut(containers, env, moment, mib):
    """A lazy migration of a serving container through the proxy cutting the channel at
    `moment` (after the resume): it fails, the source is gone and says the container runs on
    the target. Returns (the client, the target's name, the migrate stderr)."""
    cid, client = serving_container(containers, env, mib)
    target = target_name(containers, env)
    proc = run_ckpt("migrate", cid, "--lazy", "--tcp-established", "--via",
                    f"{sys.executable} {PROXY} {moment} -- {CKPT} receive --name {target}",
                    check=False, timeout=300)
    assert proc.returncode != 0
    assert f"{cid} runs on the target, but its post-copy did not report" in proc.stderr, \
        proc.stderr
    assert nothing_of(cid) == [], "the source is gone"
    return client, target, proc.stderr


def test_a_lazy_migration_whose_channel_breaks_after_every_page_came_fills_the_memory_anyway(
        containers, env):
    """The channel cut at the target's first post-copy frame (every page has come): the fill
    goes on. The source, already removed, could not hear the end; the container runs on the
    target with its client and every page."""
    client, target, stderr = lazy_migration_cut(containers, env, "resumed", 256)
    assert container_info(target)["state"] == "running", stderr
    client.answers_grow()
    assert client.stats()[2] == ""
    assert client.ask("check").startswith("ok"), stderr


def test_a_migration_whose_channel_breaks_during_the_fill_after_the_resume_goes_through(
        containers, env):
    """Without --lazy every page is on the target at the resume: the channel cut at the target's
    first word about its fill does not stop it. The migration succeeds (saying the end of the
    fill went unheard), the container runs on the target with its client and every page."""
    cid, client = serving_container(containers, env, 256)
    target = target_name(containers, env)
    proc = run_ckpt("migrate", cid, "--tcp-established", "--via",
                    f"{sys.executable} {PROXY} resumed -- {CKPT} receive --name {target}",
                    timeout=300)
    assert "its end was not heard" in proc.stderr, proc.stderr
    assert nothing_of(cid) == [], "the source is gone"
    assert container_info(target)["state"] == "running"
    client.answers_grow()
    assert client.stats()[2] == ""
    assert client.ask("check").startswith("ok"), proc.stderr


def test_a_fill_failing_after_the_resume_kills_the_container_and_says_so(containers, env):
    """The target's fill of the held pages fails after the resume (CKPT_FAULT): nothing can be
    undone (the source is gone), so the target kills the container rather than let it wait on
    its faults, and the source says it is lost."""
    cid, client = serving_container(containers, env, 64)
    target = target_name(containers, env)
    proc = run_ckpt("migrate", cid, "--tcp-established", "--via",
                    f"env CKPT_FAULT=post-copy:fill {CKPT} receive --name {target}",
                    check=False, timeout=300)
    assert proc.returncode != 0
    assert f"{cid} was moved and resumed on the target, but filling its memory" in proc.stderr, \
        proc.stderr
    assert f"container {target} is lost (killed)" in proc.stderr, proc.stderr
    assert nothing_of(cid) == [], "the source is gone"
    wait_until(lambda: (container_info(target) or {}).get("state") != "running",
               what="the lost container's processes to be killed")


def test_a_lazy_migration_whose_channel_breaks_before_every_page_came_loses_the_container(
        containers, env):
    """The channel cut before the source's word that it sent every post-copied page: the target
    cannot complete the memory, kills the container rather than let it wait on its faults or
    read zeros, and the source (already removed) says so."""
    client, target, stderr = lazy_migration_cut(containers, env, "lazyend", 64)
    assert f"container {target} is lost (killed)" in stderr, stderr
    wait_until(lambda: (container_info(target) or {}).get("state") != "running",
               what="the lost container's processes to be killed")


def failed_migration(containers, env, via, expected, mib=64, options=("--tcp-established",)):
    """Migrates a serving container through `via` (TARGET replaced by the target's name), which
    must fail with `expected` in its message; then the source runs on with its client and
    nothing of the target is left."""
    cid, client = serving_container(containers, env, mib)
    target = target_name(containers, env)
    proc = run_ckpt("migrate", cid, *options, "--via", via.replace("TARGET", target), check=False,
                    timeout=300)
    assert proc.returncode != 0
    assert expected in proc.stderr and f"{cid} stays here and runs on" in proc.stderr, proc.stderr
    source_carries_on(cid, client)
    assert nothing_of(target) == []


@pytest.mark.parametrize("moment", ["round1", "final", "rebuilt"])
def test_a_broken_transport_leaves_the_source_running(containers, env, moment):
    failed_migration(containers, env,
                     f"{sys.executable} {PROXY} {moment} -- {CKPT} receive --name TARGET",
                     "the target")  # closed the channel, or a write to it failed


@pytest.mark.parametrize("point", ["restore:preflight", "restore:cgroups", "restore:netns",
                                   "restore:root-task", "restore:tree", "restore:memory",
                                   "restore:processes"])
def test_a_target_failing_leaves_the_source_running(containers, env, point):
    """The source says why the target failed (at preflight, cgroups and netns the target fails
    while it makes its groundwork, during the rounds, before any freeze)."""
    failed_migration(containers, env, f"env CKPT_FAULT={point} {CKPT} receive --name TARGET",
                     f"stays here and runs on: the target: injected fault at {point}")


def test_a_peer_of_another_protocol_version_is_refused(containers, env):
    failed_migration(containers, env,
                     f"env CKPT_MIGRATE_PROTOCOL=1 {CKPT} receive --name TARGET",
                     "speaks migration protocol version 1, this ckpt speaks 4", mib=16,
                     options=())


class PausedMigration:
    """A migration of a serving container through the proxy holding the channel at the first
    pages frame (round 1), the groundwork's records passed: the source runs, not yet frozen."""

    def __init__(self, containers, env, tmp_path):
        self.cid, self.client = serving_container(containers, env, 64)
        self.target = target_name(containers, env)
        self.pause = tmp_path
        self.proc = subprocess.Popen(
            [str(CKPT), "migrate", self.cid, "--tcp-established", "--json", "--via",
             f"{sys.executable} {PROXY} pause:{tmp_path} -- {CKPT} -v receive --name {self.target}"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        env.procs.append(self.proc)
        wait_until(lambda: (tmp_path / "paused").exists() or self.proc.poll() is not None,
                   what="the proxy to hold round 1", timeout=120)
        assert self.proc.poll() is None, self.proc.communicate()

    def target_made(self):
        return (cgroup_dir("pids", self.target).exists()
                and link_exists(host_veth_name(self.target, 0)))

    def source_runs_unfrozen(self):
        assert container_info(self.cid)["state"] == "running"
        assert read_cgroup("freezer", self.cid, "freezer.state") == "THAWED"
        self.client.answers_grow()

    def finish(self, word):
        (self.pause / word).touch()
        out, err = self.proc.communicate(timeout=300)
        return self.proc.returncode, out, err


def test_the_target_builds_cgroups_and_network_while_the_source_runs(containers, env, tmp_path):
    """The groundwork (cgroup subtree, network namespace with its host links down) is made on
    the target during round 1, the source running and thawed; the final restore uses it."""
    m = PausedMigration(containers, env, tmp_path)
    wait_until(m.target_made, what="the target's cgroup and host veth during the rounds",
               timeout=60)
    m.source_runs_unfrozen()
    host_end = ip_json("link", "show", "dev", host_veth_name(m.target, 0))[0]
    assert "UP" not in host_end["flags"], "the target's host link is held down until the resume"
    code, out, err = m.finish("go")
    assert code == 0, err
    report = json.loads(out)
    assert report["target"]["groundwork_prebuilt"] is True, err
    assert report["target_prebuild_ms"] > 0
    assert container_info(m.cid) is None and nothing_of(m.cid) == [], "the source is gone"
    assert container_info(m.target)["state"] == "running"
    m.client.answers_grow()
    assert m.client.stats()[2] == ""
    assert m.client.ask("check").startswith("ok")
    print(f"\ndowntime {report['downtime_ms']:.0f} ms, prebuild {report['target_prebuild_ms']:.1f}"
          f" ms before the freeze, target stages {report['target']['stage_ms']}")


def test_a_limit_changed_during_the_rounds_is_rebuilt_at_the_freeze(containers, env, tmp_path):
    """The source's pids limit changes after the target prebuilt its cgroups: the final image's
    records differ, the target tears its groundwork down and makes it anew with the new limit."""
    m = PausedMigration(containers, env, tmp_path)
    wait_until(m.target_made, what="the target's groundwork", timeout=60)
    before = read_cgroup("pids", m.target, "pids.max")
    new_limit = "4321"
    assert before != new_limit
    (cgroup_dir("pids", m.cid) / "pids.max").write_text(new_limit)
    code, out, err = m.finish("go")
    assert code == 0, err
    report = json.loads(out)
    assert report["target"]["groundwork_prebuilt"] is False, report
    assert read_cgroup("pids", m.target, "pids.max") == new_limit
    assert container_info(m.target)["state"] == "running"
    m.client.answers_grow()
    assert m.client.ask("check").startswith("ok")


def test_a_migration_broken_after_the_prebuild_removes_the_groundwork(containers, env, tmp_path):
    """The channel cut during round 1, after the target made its cgroups and network: it removes
    them, the source runs on with its client."""
    m = PausedMigration(containers, env, tmp_path)
    wait_until(m.target_made, what="the target's groundwork", timeout=60)
    code, out, err = m.finish("cut")
    assert code != 0
    assert f"{m.cid} stays here and runs on" in err, err
    source_carries_on(m.cid, m.client)
    assert nothing_of(m.target) == []


def rootfs_container(containers, tmp_path):
    """A counting container on a busybox rootfs with a file that stays as it is, one that will
    change (same size), one that will go: (its rootfs, its id, the kept file's bytes)."""
    root = make_busybox_rootfs(tmp_path / "rootfs")
    (root / "etc").mkdir()
    kept = os.urandom(3 << 20)
    (root / "etc" / "kept").write_bytes(kept)
    (root / "etc" / "changed").write_text("before\n")
    (root / "etc" / "gone").write_text("x\n")
    # A file changed less than a second before the source reads it is sent again in the final
    # image whatever happens (common/tree_pack.h kStampMarginNs): these are older.
    time.sleep(1.1)
    cid = containers.run(*counting_into("/count"), opts=["--rootfs", root])
    wait_until(lambda: len(counts(root / "count")) >= 3, what="the counter")
    return root, cid, kept


class RootfsMigration:
    """rootfs_container() migrated --with-rootfs through the proxy held at the first pages
    frame: the rootfs came before it, the target unpacks it while the source runs."""

    def __init__(self, containers, env, tmp_path):
        self.root, self.cid, self.kept = rootfs_container(containers, tmp_path)
        self.target = containers.track(unique("migr"))
        self.pause = tmp_path / "pause"
        self.pause.mkdir()
        self.proc = subprocess.Popen(
            [str(CKPT), "migrate", self.cid, "--with-rootfs", "--json", "--via",
             f"{sys.executable} {PROXY} pause:{self.pause} -- {CKPT} -v receive "
             f"--name {self.target}"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        env.procs.append(self.proc)
        wait_until(lambda: (self.pause / "paused").exists() or self.proc.poll() is not None,
                   what="the proxy to hold round 1", timeout=120)
        assert self.proc.poll() is None, self.proc.communicate()
        self.target_root = Path("/var/lib/ckpt/rootfs") / self.target

    def prebuilt(self):
        kept = self.target_root / "etc" / "kept"
        return ((self.target_root / "etc" / "changed").exists()
                and (self.target_root / "count").exists()
                and kept.exists() and kept.read_bytes() == self.kept)

    def finish(self, word):
        (self.pause / word).touch()
        out, err = self.proc.communicate(timeout=300)
        return self.proc.returncode, out, err


def test_the_target_unpacks_the_rootfs_while_the_source_runs(containers, env, tmp_path):
    """The rootfs is unpacked on the target during round 1, the source running; files changed,
    made or removed after that (and the counter's log, written all along) are as they were at
    the freeze on the target, the others as sent."""
    m = RootfsMigration(containers, env, tmp_path)
    wait_until(m.prebuilt, what="the target's rootfs during the rounds", timeout=60)
    assert read_cgroup("freezer", m.cid, "freezer.state") == "THAWED"
    kept_inode = (m.target_root / "etc" / "kept").stat().st_ino
    (m.root / "etc" / "changed").write_text("after!\n")  # same size, maybe the same mtime
    (m.root / "etc" / "gone").unlink()
    (m.root / "etc" / "new").write_text("new\n")
    code, out, err = m.finish("go")
    assert code == 0, err
    report = json.loads(out)
    rootfs = report["rootfs_prebuild"]
    assert rootfs["bytes"] > len(m.kept) and rootfs["ms"] > 0, report
    assert container_info(m.cid) is None, "the source is gone"
    assert container_info(m.target)["state"] == "running"
    etc = m.target_root / "etc"
    assert (etc / "kept").read_bytes() == m.kept
    assert (etc / "kept").stat().st_ino == kept_inode, "the file sent during the rounds is kept"
    assert (etc / "changed").read_text() == "after!\n"
    assert (etc / "new").read_text() == "new\n"
    assert not (etc / "gone").exists()
    assert os.access(m.target_root / "bin" / "busybox", os.X_OK)
    assert_counts_on(m.target_root / "count", len(counts(m.target_root / "count")))
    print(f"\nrootfs prebuilt: {rootfs['bytes'] >> 20} MiB in {rootfs['ms']:.0f} ms; downtime "
          f"{report['downtime_ms']:.0f} ms")


def test_a_migration_cut_after_the_rootfs_prebuild_leaves_nothing_on_the_target(containers, env,
                                                                              tmp_path):
    m = RootfsMigration(containers, env, tmp_path)
    wait_until(m.prebuilt, what="the target's rootfs during the rounds", timeout=60)
    code, out, err = m.finish("cut")
    assert code != 0
    assert f"{m.cid} stays here and runs on" in err, err
    assert container_info(m.cid)["state"] == "running"
    assert_counts_on(m.root / "count", len(counts(m.root / "count")))
    wait_until(lambda: not m.target_root.exists(), what="the target to remove its rootfs",
               timeout=60)
    assert nothing_of(m.target) == []


@pytest.mark.parametrize("point", ["restore:root-task", "restore:processes"])
def test_a_target_failing_after_the_rootfs_prebuild_removes_it(containers, env, tmp_path, point):
    """The target fails after it unpacked the rootfs during the rounds (while bringing it up to
    date, and after): the prebuilt rootfs goes with the rest, the source runs on."""
    root, cid, _ = rootfs_container(containers, tmp_path)
    target = containers.track(unique("migf"))
    proc = run_ckpt("migrate", cid, "--with-rootfs", "--via",
                    f"env CKPT_FAULT={point} {CKPT} receive --name {target}", check=False,
                    timeout=300)
    assert proc.returncode != 0
    assert f"{cid} stays here and runs on: the target: injected fault at {point}" in proc.stderr, \
        proc.stderr
    assert container_info(cid)["state"] == "running"
    assert_counts_on(root / "count", len(counts(root / "count")))
    assert not (Path("/var/lib/ckpt/rootfs") / target).exists()
    assert nothing_of(target) == []


def test_a_target_rootfs_dir_in_use_is_refused_and_left_alone(containers, env, tmp_path):
    """receive --rootfs DIR where DIR holds files: the target refuses at the rootfs's first
    frame, says why, and leaves DIR as it was; the source runs on."""
    root, cid, _ = rootfs_container(containers, tmp_path)
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "mine").write_text("the user's\n")
    target = containers.track(unique("migb"))
    proc = run_ckpt("migrate", cid, "--with-rootfs", "--rootfs", busy, "--via",
                    f"{CKPT} receive --name {target}", check=False, timeout=300)
    assert proc.returncode != 0
    assert f"{cid} stays here and runs on: the target: " in proc.stderr, proc.stderr
    assert "the directory is not empty" in proc.stderr, proc.stderr
    assert (busy / "mine").read_text() == "the user's\n" and len(list(busy.iterdir())) == 1
    assert container_info(cid)["state"] == "running"
    assert_counts_on(root / "count", len(counts(root / "count")))
    assert nothing_of(target) == []


def test_an_overlay_rootfs_is_prebuilt_as_its_upper_layer(containers, env, tmp_path):
    """An overlay rootfs goes as its upper layer (a whiteout in it): the target unpacks it into
    its layers directory during the rounds and mounts the overlay on the same lower layer."""
    lower = make_busybox_rootfs(tmp_path / "lower")
    (lower / "etc").mkdir()
    (lower / "etc" / "motd").write_text("from the lower layer\n")
    (lower / "gone").write_text("deleted in the container\n")
    merged = tmp_path / "merged"
    mount_overlay(lower, tmp_path / "upper", tmp_path / "work", merged)
    try:
        setup = f"{BB} rm /gone; echo upper > /etc/mine;"
        cid = containers.run(*counting_into("/count", setup), opts=["--rootfs", merged])
        wait_until(lambda: len(counts(merged / "count")) >= 3, what="the counter")
        target = containers.track(unique("migo"))
        proc = run_ckpt("migrate", cid, "--with-rootfs", "--json", "--via",
                        f"{CKPT} receive --name {target}")
        report = json.loads(proc.stdout)
        assert report["rootfs_prebuild"]["bytes"] > 0, report
        assert container_info(cid) is None, "the source is gone"
        root = Path("/var/lib/ckpt/rootfs") / target / "merged"
        assert f"lowerdir={lower}," in mount_line(target, "/")
        assert (root / "etc" / "motd").read_text() == "from the lower layer\n"
        assert (root / "etc" / "mine").read_text() == "upper\n"
        assert not (root / "gone").exists()
        assert_counts_on(root / "count", len(counts(root / "count")))
        run_ckpt("rm", "-f", target)
        assert not (Path("/var/lib/ckpt/rootfs") / target).exists()
    finally:
        subprocess.run(["umount", "-l", str(merged)], check=False)


def signing_key(path, byte):
    path.write_bytes(bytes([byte]) * 32)
    path.chmod(0o600)
    return path


def test_a_final_image_signed_with_another_key_is_refused(containers, env, tmp_path):
    """The source signs the final image (--sign-key), the target checks it with its own key
    (--verify-key): another key refuses the migration, the source runs on."""
    ours, theirs = signing_key(tmp_path / "ours.key", 7), signing_key(tmp_path / "theirs.key", 9)
    failed_migration(containers, env, f"{CKPT} receive --name TARGET --verify-key {theirs}",
                     "signature", mib=16, options=("--tcp-established", "--sign-key", str(ours)))


def test_a_signed_migration_goes_through(containers, env, tmp_path):
    key = signing_key(tmp_path / "image.key", 5)
    cid, client = serving_container(containers, env, 16)
    target = target_name(containers, env)
    run_ckpt("migrate", cid, "--tcp-established", "--sign-key", key,
             "--via", f"{CKPT} receive --name {target} --verify-key {key}", timeout=300)
    assert container_info(cid) is None and container_info(target)["state"] == "running"
    client.answers_grow()
    assert client.ask("check").startswith("ok")


@pytest.fixture
def sshd(tmp_path):
    """An sshd of our own on 127.0.0.1 at a free unprivileged port, with a throwaway host key
    and a key for root in a temp dir; yields (port, ssh options for ckpt migrate)."""
    if not Path("/usr/sbin/sshd").exists():
        pytest.skip("openssh-server is not installed (tools/setup installs it)")
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    for key in ("host_key", "id"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", tmp_path / key],
                       check=True)
    (tmp_path / "authorized_keys").write_text((tmp_path / "id.pub").read_text())
    config = tmp_path / "sshd_config"
    config.write_text(f"Port {port}\nListenAddress 127.0.0.1\nHostKey {tmp_path}/host_key\n"
                      f"AuthorizedKeysFile {tmp_path}/authorized_keys\nPidFile {tmp_path}/pid\n"
                      "PermitRootLogin prohibit-password\nPasswordAuthentication no\n"
                      "KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n")
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # its privilege separation directory
    daemon = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-f", config],
                              stderr=open(tmp_path / "sshd.log", "w"))
    try:
        def accepting():
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", port)) == 0
        wait_until(accepting, what="sshd to listen")
        yield port, [f"IdentityFile={tmp_path}/id", "StrictHostKeyChecking=no",
                     f"UserKnownHostsFile={tmp_path}/known_hosts"]
    finally:
        daemon.terminate()
        daemon.wait()


def test_migration_over_a_real_sshd(containers, env, sshd):
    port, options = sshd
    cid, client = serving_container(containers, env, 64)
    target = target_name(containers, env)
    ssh_options = [arg for option in options for arg in ("--ssh-option", option)]
    run_ckpt("migrate", cid, f"ssh://root@127.0.0.1:{port}", "--name", target,
             "--tcp-established", "--remote-ckpt", CKPT, *ssh_options, timeout=300)
    assert nothing_of(cid) == [], "the source is gone"
    assert container_info(target)["state"] == "running"
    client.answers_grow()
    assert client.stats()[2] == ""
    assert client.ask("check").startswith("ok")
