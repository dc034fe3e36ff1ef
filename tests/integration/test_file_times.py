"""File times and holes across a checkpoint (workload files_times): a file and a directory of a
tmpfs whose access times are older than their modification times (a read by the dump would move
them), and a 1 GiB sparse file deleted while open. After dump and restore, and in the original
and two copies of a --leave-running dump, every atime and mtime is the one set, and the deleted
file has its size, its holes, its data and its offset.

Run as root: /usr/bin/python3 -m pytest tests/integration/test_file_times.py
"""
import os

from conftest import leave_running_and_two_restores, run_ckpt, start_in_tmpfs, unique, verdict


def test_times_pass_without_checkpoint(containers, work):
    cid = start_in_tmpfs(containers, work, "files_times")
    assert verdict(cid, work / "result") == "PASS"


def test_times_and_holes_survive_dump_and_restore(containers, work):
    cid = start_in_tmpfs(containers, work, "files_times")
    image = work / "image.ckpt"
    run_ckpt("dump", cid, "-o", image)
    # Only the 8 KiB of data of the 1 GiB deleted file are stored, not its holes.
    assert os.path.getsize(image) < 64 << 20
    restored = containers.track(unique("times-r"))
    run_ckpt("restore", image, "--name", restored)
    assert verdict(restored, work / "result") == "PASS"


def test_times_with_leave_running_original_and_copies(containers, work):
    cid = start_in_tmpfs(containers, work, "files_times")
    assert leave_running_and_two_restores(containers, work, cid) == ["PASS"] * 3
