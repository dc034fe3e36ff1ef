"""Shared memory across a checkpoint: shared anonymous memory, a memfd (mapped and held as an
fd with seals), a SysV segment attached by several processes and a mapped deleted file, in a
container started by `ckpt run`, dumped (the original goes away), restored; every process must
then see its memory as before and see the others' writes made after the restore. The same
workload with --leave-running and two restores: test_workloads_in_containers.py.

Run as root: /usr/bin/python3 -m pytest tests/integration/test_shared_memory.py
"""
import json
import sys

from conftest import run_ckpt, start_workload, unique, verdict, wait_until, text

# A python3 parent and child sharing mmap(-1, n) (MAP_SHARED | MAP_ANONYMOUS): the child keeps
# incrementing a counter in it; on SIGTERM the parent checks the counter still moves and that
# the child sees a value it writes. 16 MiB mapped: a page, 8 MiB of data (several image chunks)
# and a marked page touched.
PYTHON_MMAP = r"""
import mmap, os, signal, struct, sys, time
out = sys.argv[1]
def report(line):
    with open(out, "a") as f:
        f.write(line + "\n")
m = mmap.mmap(-1, 16 << 20)
blob = os.urandom(4096) * 2048
m[4 << 20:12 << 20] = blob
m[14 << 20:(14 << 20) + 5] = b"mark!"
pid = os.fork()
if pid == 0:
    n = 0
    while True:
        n += 1
        m[0:8] = struct.pack("q", n)
        m[16:24] = m[8:16]
        time.sleep(0.001)
stop = []
signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
report("ready")
while not stop:
    time.sleep(0.05)
first = struct.unpack("q", m[0:8])[0]
time.sleep(0.3)
moved = struct.unpack("q", m[0:8])[0] > first
m[8:16] = struct.pack("q", 4242)
time.sleep(0.3)
echoed = struct.unpack("q", m[16:24])[0] == 4242
os.kill(pid, signal.SIGKILL)
os.waitpid(pid, 0)
ok = moved and echoed and m[14 << 20:(14 << 20) + 5] == b"mark!" and first > 0
ok = ok and m[4 << 20:12 << 20] == blob
report("PASS" if ok else f"FAIL moved={moved} echoed={echoed} first={first}")
"""

# A SysV segment of three pages with its middle page unmapped: attached only in part. On SIGTERM
# it checks the two outer pages are still mapped with their contents and the middle one is not.
PYTHON_PARTIAL_SHM = r"""
import ctypes, signal, sys, time
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
shm_id = libc.shmget(0, 3 * 4096, 0o1600)
addr = libc.shmat(shm_id, None, 0)
ctypes.memset(addr, 0x61, 4096)
ctypes.memset(addr + 8192, 0x62, 4096)
assert libc.munmap(ctypes.c_void_p(addr + 4096), 4096) == 0
stop = []
signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
open(sys.argv[1], "a").write("ready\n")
while not stop:
    time.sleep(0.05)
pieces = [l.split()[0] for l in open("/proc/self/maps") if "SYSV" in l]
want = [f"{addr:x}-{addr + 4096:x}", f"{addr + 8192:x}-{addr + 12288:x}"]
ok = pieces == want and ctypes.string_at(addr, 1) == b"a" and ctypes.string_at(addr + 8192, 1) == b"b"
open(sys.argv[1], "a").write("PASS\n" if ok else f"FAIL {pieces} != {want}\n")
"""


def sections(image):
    return json.loads(run_ckpt("inspect", "--json", image).stdout)["sections"]


def raw_bytes(image, section_type):
    return sum(s["raw_size"] for s in sections(image) if s["type"] == section_type)


def test_workload_passes_without_checkpoint(containers, work):
    cid = start_workload(containers, work, "shared_memory")
    assert verdict(cid, work / "result") == "PASS"


def test_shared_memory_survives_dump_removal_and_restore(containers, work):
    cid = start_workload(containers, work, "shared_memory")
    image = work / "image.ckpt"
    run_ckpt("dump", cid, "-o", image)
    # Stored once, only pages with data: 4 MiB + 64 KiB + 12 KiB mapped by three processes,
    # about 52 KiB of it written.
    stored = raw_bytes(image, "shared-mem")
    assert 40 << 10 <= stored <= 128 << 10
    restored = containers.track(unique("shm"))
    run_ckpt("restore", image, "--name", restored)
    assert verdict(restored, work / "result") == "PASS"


def test_python_mmap_shared_with_a_child(containers, work):
    result = work / "result"
    cid = containers.run(sys.executable, "-c", PYTHON_MMAP, result)
    wait_until(lambda: "ready" in text(result), timeout=20, what="python ready")
    image = work / "image.ckpt"
    run_ckpt("dump", cid, "-o", image)
    restored = containers.track(unique("pymm"))
    run_ckpt("restore", image, "--name", restored)
    assert verdict(restored, result) == "PASS"


def test_partly_attached_segment_comes_back_in_part(containers, work):
    result = work / "result"
    cid = containers.run(sys.executable, "-c", PYTHON_PARTIAL_SHM, result)
    wait_until(lambda: "ready" in text(result), timeout=20, what="python ready")
    image = work / "image.ckpt"
    run_ckpt("dump", cid, "-o", image)
    restored = containers.track(unique("part"))
    run_ckpt("restore", image, "--name", restored)
    assert verdict(restored, result) == "PASS"


def test_a_restored_container_dumps_and_restores_again(containers, work):
    """The objects restore made (shared anonymous memory, memfd, SysV, deleted file) are found
    and stored again by the next dump."""
    cid = start_workload(containers, work, "shared_memory")
    for generation in (1, 2):
        image = work / f"image{generation}.ckpt"
        run_ckpt("dump", cid, "-o", image)
        cid = containers.track(unique(f"shm-gen{generation}"))
        run_ckpt("restore", image, "--name", cid)
    assert verdict(cid, work / "result") == "PASS"
