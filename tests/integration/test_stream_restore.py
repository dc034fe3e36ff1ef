"""`ckpt dump -o - | ckpt restore -` (and `restore FIFO`): the image is restored while it is read,
with no copy on disk (TMPDIR names a directory that does not exist, so that a temp file could
not be made), the restore starts before the stream has ended, and a truncated stream is refused
in one line (exit code 6) with nothing left behind."""
import fcntl
import os
import subprocess
import threading
from pathlib import Path

import pytest

from conftest import (CKPT, COUNTER, cgroup_dir, container_info, run_ckpt, start_workload,
                      unique, verdict, wait_until)

pytestmark = pytest.mark.skipif(not CKPT.exists(), reason=f"{CKPT} is not built")

TIMEOUT = 120
NO_TMPDIR = {"TMPDIR": "/nonexistent-ckpt-tmpdir"}  # a spool would fail to open its temp file


def streamed_pipeline(cid, new, *dump_args):
    """`dump cid -o - | restore --name new -` through a shell, with no usable TMPDIR."""
    pipeline = (f"set -o pipefail; {CKPT} dump {cid} -o - {' '.join(dump_args)} | "
                f"{CKPT} restore --name {new} -")
    return subprocess.run(["bash", "-c", pipeline], capture_output=True, text=True,
                          timeout=TIMEOUT, env={**os.environ, **NO_TMPDIR})


def assert_nothing_left(new):
    assert container_info(new) is None, "state left behind"
    assert not cgroup_dir("memory", new).exists(), "cgroup left behind"
    assert not Path("/run/ckpt", new).exists(), "state directory left behind"


def test_memory_heavy_container_streams_through_a_pipe(containers, work):
    """256 MiB of half-random pages: restored from the pipe, no temp file possible, memory intact."""
    cid = start_workload(containers, work, "halfrandom", "256")
    new = containers.track(unique("stream"))
    proc = streamed_pipeline(cid, new)
    assert proc.returncode == 0, proc.stderr
    assert container_info(cid) is None
    assert verdict(new, work / "result") == "PASS"


def test_processes_sharing_pages_copy_on_write_stream_through_a_pipe(containers, work):
    """A parent and its forked child sharing 32 MiB copy-on-write: the parent's stream is read
    for the shared region before the tree is forked and again for its memory."""
    cid = start_workload(containers, work, "cow_shared", "32")
    new = containers.track(unique("stream"))
    proc = streamed_pipeline(cid, new)
    assert proc.returncode == 0, proc.stderr
    assert verdict(new, work / "result") == "PASS"


def test_leave_running_dump_of_a_frozen_container_streams_too(containers):
    """A container its user froze is not pre-copied: its page streams are read at the release,
    its processes still stopped, after every record."""
    cid = containers.run(*COUNTER)
    run_ckpt("freeze", cid)
    new = containers.track(unique("frozen"))
    try:
        proc = streamed_pipeline(cid, new, "--leave-running")
    finally:
        run_ckpt("thaw", cid)
    assert proc.returncode == 0, proc.stderr
    info = container_info(new)
    assert info["state"] == "running", info
    assert Path(f"/proc/{info['init_pid']}").exists()


def test_restore_from_a_fifo_streams_too(containers, work):
    cid = start_workload(containers, work, "halfrandom", "32")
    new = containers.track(unique("fifo"))
    fifo = work / "image.fifo"
    os.mkfifo(fifo)
    dump = subprocess.Popen(["bash", "-c", f"exec {CKPT} dump {cid} -o - > {fifo}"],
                            stderr=subprocess.PIPE, text=True)
    proc = run_ckpt("restore", "--name", new, fifo, timeout=TIMEOUT, env_extra=NO_TMPDIR)
    assert dump.wait(timeout=TIMEOUT) == 0, dump.stderr.read()
    assert proc.returncode == 0
    assert verdict(new, work / "result") == "PASS"


def test_restore_starts_before_the_stream_ends(containers, work):
    """The stream's last bytes are held back until the restored container's cgroup and state
    exist: a restore that copied the stream first would wait for them for ever."""
    cid = start_workload(containers, work, "halfrandom", "64")
    dumped = subprocess.run([str(CKPT), "dump", cid, "-o", "-"], capture_output=True,
                            timeout=TIMEOUT, check=True).stdout
    new = containers.track(unique("early"))
    restore = subprocess.Popen([str(CKPT), "restore", "--name", new, "-"], stdin=subprocess.PIPE,
                               stderr=subprocess.PIPE, env={**os.environ, **NO_TMPDIR})
    tail = 1 << 20  # pages and the trailer
    writer = threading.Thread(target=restore.stdin.write, args=(dumped[:-tail],))
    writer.start()
    try:
        wait_until(lambda: cgroup_dir("memory", new).exists(), timeout=60,
                   what="the restore's cgroup while the stream's end is held back")
        assert restore.poll() is None, "the restore ended before its stream did"
    finally:
        writer.join()
        restore.stdin.write(dumped[-tail:])
        restore.stdin.close()
    assert restore.wait(timeout=TIMEOUT) == 0, restore.stderr.read()
    assert verdict(new, work / "result") == "PASS"


def test_truncated_stream_fails_in_one_line_and_leaves_nothing(containers, work):
    cid = start_workload(containers, work, "halfrandom", "32")
    image = work / "stream.ckpt"
    with open(image, "wb") as out:  # as the pipe carries it: stream-ordered
        subprocess.run([str(CKPT), "dump", cid, "-o", "-"], stdout=out, timeout=TIMEOUT,
                       check=True)
    size = image.stat().st_size
    # in the records, in the page streams (the restore is under way), in the trailer
    for keep in (4000, size // 2, size - 20):
        new = unique("cut")
        proc = subprocess.run(
            ["bash", "-c", f"head -c {keep} {image} | {CKPT} restore --name {new} -"],
            capture_output=True, text=True, timeout=TIMEOUT, env={**os.environ, **NO_TMPDIR})
        assert proc.returncode == 6, (keep, proc.stderr)
        assert len(proc.stderr.strip().splitlines()) == 1, (keep, proc.stderr)
        assert "truncated" in proc.stderr, (keep, proc.stderr)
        assert_nothing_left(new)


def test_image_written_to_a_file_still_restores_from_a_pipe(containers, work):
    """An image not laid out for streaming (written to a path, or by an older ckpt) is copied to
    a temp file first, as before."""
    cid = start_workload(containers, work, "halfrandom", "16")
    image = work / "file.ckpt"
    run_ckpt("dump", cid, "-o", image, timeout=TIMEOUT)
    new = containers.track(unique("old"))
    proc = subprocess.run(["bash", "-c", f"cat {image} | {CKPT} restore --name {new} -"],
                          capture_output=True, text=True, timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stderr
    assert verdict(new, work / "result") == "PASS"


@pytest.mark.parametrize("mib", ["1", "64"])
def test_restore_under_the_sources_own_name_on_one_host(containers, work, mib):
    """`dump c -o - | restore -`: the name is the source's, still there (its dump holds it) while
    the stream comes. The restore reads the rest of the stream into a temp file, so that the dump
    ends and removes the source, then takes the name: `c` runs restored, its memory intact.
    1 MiB: the rest of the stream fits in the pipe (the dump ends while the restore starts);
    64 MiB: it does not (the dump waits for the restore to read it)."""
    cid = start_workload(containers, work, "halfrandom", mib)
    before = container_info(cid)["init_pid"]
    proc = subprocess.run(["bash", "-c", f"set -o pipefail; {CKPT} dump {cid} -o - | "
                           f"{CKPT} restore -"], capture_output=True, text=True, timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stderr
    info = container_info(cid)
    assert info is not None and info["state"] == "running", (info, proc.stderr)
    assert info["init_pid"] != before
    assert verdict(cid, work / "result") == "PASS"


def test_source_that_stays_keeps_its_name(containers, work):
    """A --leave-running stream's source stays: its name is refused at once, the source runs on."""
    cid = containers.run(*COUNTER)
    dump_err = work / "dump.err"  # the dump fails too (broken pipe): its line kept apart
    proc = subprocess.run(["bash", "-c", f"{CKPT} dump {cid} -o - --leave-running 2>{dump_err} | "
                           f"{CKPT} restore -"], capture_output=True, text=True, timeout=TIMEOUT)
    assert proc.returncode != 0
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    info = container_info(cid)
    assert info["state"] == "running", info
    assert Path(f"/proc/{info['init_pid']}").exists()


@pytest.mark.parametrize("released", [True, False])
def test_name_a_dump_holds_is_waited_for(containers, work, released):
    """A stream whose dump removes its source, piped from a file while a `dump` (here the test,
    holding the lock as one) still holds the source's name: the restore reads the stream to its
    end and waits for the name. Freed after a moment: restored under it. Held for good: one line,
    exit code 4 (busy), nothing made."""
    cid = start_workload(containers, work, "halfrandom", "8")
    image = work / "stream.ckpt"
    with open(image, "wb") as out:
        subprocess.run([str(CKPT), "dump", cid, "-o", "-"], stdout=out, timeout=TIMEOUT,
                       check=True)
    assert container_info(cid) is None
    lock = os.open(Path("/run/ckpt/.locks") / cid, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        os.write(lock, f"dump (pid {os.getpid()})\n".encode())
        if released:
            threading.Timer(2, os.close, args=(lock,)).start()
        proc = subprocess.run(["bash", "-c", f"cat {image} | {CKPT} restore -"],
                              capture_output=True, text=True, timeout=TIMEOUT)
    finally:
        if not released:
            os.close(lock)
            (Path("/run/ckpt/.locks") / cid).unlink(missing_ok=True)
    if released:
        assert proc.returncode == 0, proc.stderr
        assert verdict(cid, work / "result") == "PASS"
    else:
        assert proc.returncode == 4, proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert "still there" in proc.stderr, proc.stderr
        assert_nothing_left(cid)
