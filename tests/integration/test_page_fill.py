"""How restore fills memory: private anonymous VMAs by UFFDIO_COPY through a userfaultfd of the
restored process, pages of private file mappings by populate + process_vm_writev, and everything
by the latter when CKPT_NO_UFFD_FILL is set (as where userfaultfd is missing). Either way the
`memory_kinds` workload must find every page as dumped, and the restored process must have the
dumped layout and protections and keep no trace of the userfaultfd.

Run as root: /usr/bin/python3 -m pytest tests/integration/test_page_fill.py
"""
import json
import os
import re
import signal
import subprocess
from pathlib import Path

import pytest

from conftest import run_ckpt
from test_processes import (CKPT_PROC, Workload, cleanup, dump, kill_tree,  # noqa: F401
                            restored_process, wait_for)


def layout(pid):
    """The mappings of `pid` as (range, perms, offset, path), the scratch area excluded."""
    out = []
    for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
        fields = line.split(maxsplit=5)
        out.append((fields[0], fields[1], fields[2], fields[5] if len(fields) > 5 else ""))
    return out


def uffd_traces(pid):
    """VmFlags lines still naming a userfaultfd mode, and fds that are userfaultfds."""
    flags = [l for l in Path(f"/proc/{pid}/smaps").read_text().splitlines()
             if l.startswith("VmFlags:") and re.search(r" u[mwi]\b", l)]
    fds = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
    return flags + [f for f in fds if "userfaultfd" in f]


def restore_logged(image, cleanup, env):
    """Restores with ckpt-proc -v; returns (root pid, debug log)."""
    proc = subprocess.run([str(CKPT_PROC), "-v", "restore", str(image)], capture_output=True,
                          text=True, timeout=120, env={**os.environ, **env})
    root = re.search(r"^root_pid (\d+)$", proc.stdout, re.M)
    if root:
        cleanup.append(int(root.group(1)))
    assert proc.returncode == 0 and root, proc.stdout + proc.stderr
    return int(root.group(1)), proc.stdout + proc.stderr


def merged(maps):
    """`maps` with neighbours that one mapping could cover joined (the kernel splits a VMA where
    only some pages have anon pages, e.g. relro; restore maps each part anew)."""
    out = []
    for rng, perms, offset, path in maps:
        start, end = (int(x, 16) for x in rng.split("-"))
        if out:
            p_start, p_end, p_perms, p_offset, p_path = out[-1]
            contiguous = int(offset, 16) == p_offset + (p_end - p_start) if path else True
            if p_end == start and p_perms == perms and p_path == path and contiguous:
                out[-1] = (p_start, end, p_perms, p_offset, p_path)
                continue
        out.append((start, end, perms, int(offset, 16), path))
    return out


def restore_and_check(work, pid, image, cleanup, env):
    """Restores `image` with `env`; returns (layout, log) once the workload passed."""
    work.result.write_text("")
    root, log = restore_logged(image, cleanup, env)
    host = restored_process(root, pid)
    maps = layout(host)
    assert not uffd_traces(host), "no userfaultfd registration or fd is left"
    # Restored in front of its pause(): a SIGTERM before it sleeps there would go unseen.
    wait_for(lambda: Path(f"/proc/{host}/stat").read_text().rsplit(")", 1)[1].split()[0] == "S",
             what="the restored workload to sleep")
    os.kill(host, signal.SIGTERM)
    assert work.outcome() == "PASS"
    kill_tree(root)
    return maps, log


def fill_figures(log):
    """MiB filled by UFFDIO_COPY and by process_vm_writev, per the debug log."""
    m = re.search(r"(\d+) MiB of pages by UFFDIO_COPY, (\d+) MiB by process_vm_writev", log)
    assert m, f"no uffd fill line in the log:\n{log}"
    return int(m.group(1)), int(m.group(2))


def test_uffd_and_writev_fills_restore_the_same_memory(tmp_path, cleanup):
    work = Workload(tmp_path, "memory_kinds", tmp_path / "mapped")
    pid = work.proc.pid
    before = layout(pid)
    dump(pid, tmp_path / "image")
    work.proc.wait(timeout=10)
    kill_tree(pid)

    by_uffd, log = restore_and_check(work, pid, tmp_path / "image", cleanup, {})
    copied, written = fill_figures(log)
    assert copied >= 15, "the anonymous areas (15.5 MiB of pages) went through UFFDIO_COPY"
    assert written >= 2, "the written pages of the private file mapping went through writev"
    assert merged(by_uffd) == merged(before), "the dumped mappings and protections"

    by_writev, log = restore_and_check(work, pid, tmp_path / "image", cleanup,
                                       {"CKPT_NO_UFFD_FILL": "1"})
    assert "by populate + process_vm_writev" in log
    assert "UFFDIO_COPY" not in log
    assert by_uffd == by_writev, "VMAs merged and split alike by both fills"


def test_leave_running_dump_keeps_every_kind_of_page(tmp_path, cleanup):
    """The pre-copy path: pages copied while the workload runs, the rest (those of the area made
    PROT_NONE, which the running process cannot have read) in the final round."""
    work = Workload(tmp_path, "memory_kinds", tmp_path / "mapped")
    pid = work.proc.pid
    cleanup.append(pid)
    before = layout(pid)
    figures = dump(pid, tmp_path / "image", leave_running=True)
    assert float(figures["precopy_seconds"]) > 0, "the dump pre-copied memory"
    assert layout(pid) == before, "the original's mappings and protections are untouched"
    os.kill(pid, signal.SIGTERM)
    assert work.outcome() == "PASS", "the original goes on as before"
    work.proc.wait(timeout=10)
    restored, _ = restore_and_check(work, pid, tmp_path / "image", cleanup, {})
    assert merged(restored) == merged(before)


@pytest.mark.parametrize("name,args", [("halfrandom", [64]), ("sparse", [64, 1])])
def test_large_areas_come_back_through_uffd(tmp_path, cleanup, name, args):
    work = Workload(tmp_path, name, *args)
    pid = work.proc.pid
    dump(pid, tmp_path / "image")
    work.proc.wait(timeout=10)
    kill_tree(pid)
    _, log = restore_and_check(work, pid, tmp_path / "image", cleanup, {})
    assert fill_figures(log)[0] >= 64


def test_check_says_how_restore_fills_memory():
    facts = {f["name"]: f for f in json.loads(run_ckpt("check", "--json").stdout)}
    uffd = facts["userfaultfd"]
    assert uffd["level"] == "ok", "this kernel has userfaultfd with WP_ASYNC"
    assert "restore fills memory with UFFDIO_COPY" in uffd["detail"]
