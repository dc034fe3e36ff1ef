"""`ckpt backup`: incremental images of a running container, restored through their chain,
flattened, pruned by a keep policy, one backup at a time, and no harm from a killed one.

The container runs `writer.py`: a buffer of random bytes (made from a seed), changed by a few KiB
every 100 ms, each write deterministic from its number and logged. On SIGUSR1 it checks that its
buffer is exactly the seed's bytes with its writes 1..n applied, n being its own count, and that
the log holds those writes: a copy restored from any image must pass, which it only does when
every page came back from the right image of the chain.

Run as root: /usr/bin/python3 -m pytest tests/integration/test_backup.py
"""
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import CKPT, container_info, run_ckpt, text, unique, wait_until

pytestmark = pytest.mark.skipif(not CKPT.exists(), reason=f"{CKPT} is not built")

BUSY_EXIT = 4  # busy (README: Exit codes)

WRITER = r'''
import hashlib, os, random, signal, sys, time
size, log_path, result_path = int(sys.argv[1]) << 20, sys.argv[2], sys.argv[3]
CHUNK = 2048

def initial():
    rng = random.Random(1234)
    return bytearray(b"".join(rng.randbytes(1 << 20) for _ in range(size >> 20)))

buf = initial()

def write_of(k):
    offset = (k * 2654435761) % (size - CHUNK)
    data = hashlib.sha256(str(k).encode()).digest() * (CHUNK // 32)
    return offset, data

check = False
def on_usr1(sig, frame):
    global check
    check = True
signal.signal(signal.SIGUSR1, on_usr1)

def verdict(n):
    logged = {}
    for line in open(log_path):
        k, offset = map(int, line.split())
        logged[k] = offset
    expected = initial()
    for k in range(1, n + 1):
        offset, data = write_of(k)
        if logged.get(k) != offset:
            return f"FAIL write {k} not in the log"
        expected[offset:offset + CHUNK] = data
    if expected != buf:
        bad = next(i for i in range(0, size, 4096) if expected[i:i + 4096] != buf[i:i + 4096])
        return f"FAIL page at offset {bad} differs after {n} writes"
    return f"PASS {n}"

log = open(log_path, "a")
with open(log_path.replace(".log", ".ready"), "w") as ready:
    ready.write("ready\n")
n = 0
while True:
    if check:
        check = False
        with open(result_path, "a") as out:
            out.write(verdict(n) + "\n")
    n += 1
    offset, data = write_of(n)
    buf[offset:offset + CHUNK] = data
    log.write(f"{n} {offset}\n")
    log.flush()
    time.sleep(0.1)
'''


class Writer:
    """The writer program in a container; `verdict(cid)` asks container `cid` (the original or a
    restored copy) to check itself."""

    def __init__(self, containers, work, mib):
        self.work = work
        self.program = work / "writer.py"
        self.program.write_text(WRITER)
        self.log = work / "writes.log"
        self.result = work / "result"
        self.cid = containers.run("/usr/bin/python3", self.program, mib, self.log, self.result)
        wait_until(lambda: (work / "writes.ready").exists() and text(self.log).count("\n") > 2,
                   timeout=60, what="the writer to start")

    def verdict(self, cid):
        before = len(text(self.result).splitlines())
        run_ckpt("kill", cid, "USR1")
        wait_until(lambda: len(text(self.result).splitlines()) > before, timeout=60,
                   what=f"{cid} to check its memory")
        return text(self.result).splitlines()[before]


def backup(cid, directory, *args, env_extra=None):
    proc = run_ckpt("backup", cid, "--dir", directory, "--json", *args, env_extra=env_extra)
    return json.loads(proc.stdout)


def restored_verdict(containers, writer, image, *args):
    copy = containers.track(unique("bk"))
    run_ckpt("restore", image, "--name", copy, *args)
    try:
        return writer.verdict(copy)
    finally:
        run_ckpt("rm", "-f", copy, check=False)


def running(cid):
    info = container_info(cid)
    return info is not None and info["state"] == "running"


def test_incremental_chain_restores_flattens_and_prunes(containers, work):
    writer = Writer(containers, work, 256)
    directory = work / "backups"
    results = []
    for _ in range(5):
        results.append(backup(writer.cid, directory))
        time.sleep(1)
    assert oct(directory.stat().st_mode & 0o777) == "0o700"
    full = results[0]
    assert full["parent"] is None
    for previous, result in zip(results, results[1:]):
        assert result["parent"] == previous["image"]
        assert result["bytes"] <= 0.05 * full["bytes"], (result, full)
        assert oct(Path(result["image"]).stat().st_mode & 0o777) == "0o600"

    newest, third = results[4]["image"], results[2]["image"]
    assert "chain of 5 images: ok" in run_ckpt("verify", newest).stdout
    chain = json.loads(run_ckpt("inspect", newest, "--json").stdout)["chain"]
    assert [link["path"] for link in chain] == [r["image"] for r in reversed(results)]
    assert chain[0]["stored_bytes"] < chain[-1]["stored_bytes"] * 0.05
    listed = json.loads(run_ckpt("backup", "--list", directory, "--json").stdout)
    assert [l["chain_length"] for l in listed] == [1, 2, 3, 4, 5]

    newest_verdict = restored_verdict(containers, writer, newest)
    assert newest_verdict.startswith("PASS"), newest_verdict
    third_verdict = restored_verdict(containers, writer, third)
    assert third_verdict.startswith("PASS"), third_verdict
    assert int(third_verdict.split()[1]) < int(newest_verdict.split()[1])

    flat = work / "flat.ckpt"
    run_ckpt("flatten", newest, "-o", flat)
    assert json.loads(run_ckpt("inspect", flat, "--json").stdout)["chain"][0]["parent"] is None
    # The same memory: the same count of writes, give or take the few a restored copy makes
    # (one every 100 ms) before the signal that asks it reaches it, longer on a loaded host (a
    # chain short of its newest link would be about ten writes behind: the backups are a second
    # apart).
    flat_verdict = restored_verdict(containers, writer, flat)
    assert flat_verdict.startswith("PASS"), flat_verdict
    assert abs(int(flat_verdict.split()[1]) - int(newest_verdict.split()[1])) <= 4, \
        (flat_verdict, newest_verdict)

    pruned = backup(writer.cid, directory, "--keep-last", "2")
    assert sorted(pruned["pruned"]) == sorted(r["image"] for r in results[:4])
    kept = sorted(str(p) for p in directory.glob("*.ckpt"))
    assert kept == sorted([results[4]["image"], pruned["image"]])
    for image in kept:
        verdict = restored_verdict(containers, writer, image)
        assert verdict.startswith("PASS"), (image, verdict)
    assert writer.verdict(writer.cid).startswith("PASS"), "the original is untouched"


def test_missing_parent_is_refused_by_name_and_nothing_is_made(containers, work):
    writer = Writer(containers, work, 16)
    directory = work / "backups"
    first = backup(writer.cid, directory)
    time.sleep(1)
    second = backup(writer.cid, directory)
    assert second["parent"] == first["image"]
    os.unlink(first["image"])
    copy = containers.track(unique("bk"))
    proc = run_ckpt("restore", second["image"], "--name", copy, check=False)
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and Path(first["image"]).name in lines[0] and "missing" in lines[0], lines
    assert container_info(copy) is None
    assert not Path(f"/run/ckpt/{copy}").exists()
    assert not any(Path("/sys/fs/cgroup").glob(f"*/ckpt/{copy}"))


def flip_first_page_byte(image):
    """Flips a bit in the payload of the image's first page section (README: The image)."""
    data = bytearray(Path(image).read_bytes())
    at = data.find(b"SECT" + (18).to_bytes(4, "little"))  # section type 18: pages
    assert at > 0, f"no page section in {image}"
    data[at + 56] ^= 1  # the first byte after the 56-byte section header
    Path(image).write_bytes(bytes(data))


def test_damaged_link_fails_the_restore_by_name_and_nothing_is_made(containers, work):
    writer = Writer(containers, work, 16)
    directory = work / "backups"
    images = []
    for _ in range(3):
        images.append(backup(writer.cid, directory)["image"])
        time.sleep(1)
    flip_first_page_byte(images[1])  # a newer link, whose pages go over the oldest's
    copy = containers.track(unique("bk"))
    proc = run_ckpt("restore", images[2], "--name", copy, check=False)
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and Path(images[1]).name in lines[0] and "checksum" in lines[0], lines
    assert container_info(copy) is None
    assert not Path(f"/run/ckpt/{copy}").exists()
    assert not any(Path("/sys/fs/cgroup").glob(f"*/ckpt/{copy}"))


def test_second_backup_at_once_gives_up_and_a_killed_one_harms_nothing(containers, work):
    writer = Writer(containers, work, 64)
    directory = work / "backups"
    held = subprocess.Popen([str(CKPT), "backup", writer.cid, "--dir", str(directory)],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                            env={**os.environ, "CKPT_FAULT": "dump:release:wait"})
    try:
        assert "waiting at dump:release" in held.stderr.readline()
        second = run_ckpt("backup", writer.cid, "--dir", directory, check=False)
        assert second.returncode == BUSY_EXIT, second
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1 and "already running" in lines[0] and str(held.pid) in lines[0]
        assert list(directory.glob("*.tmp.*")), "the held backup is writing its image"
        held.kill()  # SIGKILL with the image half written
        held.wait(timeout=10)
    finally:
        if held.poll() is None:
            held.kill()
    assert running(writer.cid)
    assert not list(directory.glob("*.ckpt")), "no partial image under an image name"
    assert writer.verdict(writer.cid).startswith("PASS")

    result = backup(writer.cid, directory)
    assert result["parent"] is None
    assert not list(directory.glob("*.tmp.*")), "the leftovers of the killed backup are gone"
    run_ckpt("verify", result["image"])
    verdict = restored_verdict(containers, writer, result["image"])
    assert verdict.startswith("PASS"), verdict


def test_with_rootfs_an_incremental_holds_the_changed_file_only(containers, work):
    from test_foundation import make_busybox_rootfs
    root = make_busybox_rootfs(work / "rootfs")
    (root / "data").mkdir()
    for name in ("a", "b", "c"):
        (root / "data" / name).write_bytes(os.urandom(1 << 20))
    cid = containers.run("/bin/sh", "-c", "while true; do sleep 1; done", opts=["--rootfs", root])
    directory = work / "backups"
    full = backup(cid, directory, "--with-rootfs")
    new_b = os.urandom(1 << 20)
    (root / "data" / "b").write_bytes(new_b)
    time.sleep(1)
    incremental = backup(cid, directory, "--with-rootfs")
    assert incremental["parent"] == full["image"]

    def tree_bytes(image):
        sections = json.loads(run_ckpt("inspect", image, "--json").stdout)["sections"]
        return sum(s["raw_size"] for s in sections if s["type"] == "mount-data")
    busybox = (root / "bin" / "busybox").stat().st_size
    assert tree_bytes(full["image"]) >= 3 * (1 << 20) + busybox
    assert (1 << 20) <= tree_bytes(incremental["image"]) < (1 << 20) + (64 << 10), \
        "the changed file, and not the others"

    copy = containers.track(unique("bkfs"))
    run_ckpt("restore", incremental["image"], "--name", copy)
    new_root = Path("/var/lib/ckpt/rootfs") / copy
    try:
        for name in ("a", "c"):
            assert (new_root / "data" / name).read_bytes() == (root / "data" / name).read_bytes()
        assert (new_root / "data" / "b").read_bytes() == new_b
        assert (new_root / "bin" / "busybox").read_bytes() == (root / "bin" / "busybox").read_bytes()
        assert (new_root / "data" / "a").stat().st_mtime_ns == (root / "data" / "a").stat().st_mtime_ns
        assert running(copy)
    finally:
        run_ckpt("rm", copy, check=False)


def test_signed_backups_are_checked_link_by_link(containers, work):
    """`backup --sign-key` signs every image; a chain is verified and restored only under the
    same key, each link checked before its records are read."""
    writer = Writer(containers, work, 16)
    directory = work / "backups"
    key, other = work / "image.key", work / "other.key"
    for path, byte in ((key, 3), (other, 4)):
        path.write_bytes(bytes([byte]) * 32)
        path.chmod(0o600)
    backup(writer.cid, directory, "--sign-key", key)
    time.sleep(1.1)  # image names are to the second
    newest = backup(writer.cid, directory, "--sign-key", key)
    assert newest["parent"] is not None
    run_ckpt("verify", newest["image"], "--verify-key", key)
    refused = run_ckpt("verify", newest["image"], "--verify-key", other, check=False)
    assert refused.returncode != 0 and "signature" in refused.stderr, refused.stderr
    verdict = restored_verdict(containers, writer, newest["image"], "--verify-key", key)
    assert verdict.startswith("PASS"), verdict
