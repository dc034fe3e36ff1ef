"""File locks and SIGIO owners across a checkpoint (workload files_locks): POSIX record locks of
two processes on one file, an OFD lock, a flock lock, a read lease, and a pipe with O_ASYNC, an
owner and a signal, all in a tmpfs of the container. Dumped (original gone) and restored, and
dumped with --leave-running (original and two copies each check): every lock is held again by
the same owner over the same range, the lease is there, a write into the pipe signals the owner.
A flock lock held only through a mapping refuses the dump in one line. A write lease (any
open breaks it) is kept, and the dump reads its tmpfs file without breaking it.

Run as root: /usr/bin/python3 -m pytest tests/integration/test_file_locks.py
"""
from conftest import (leave_running_and_two_restores, outcomes, run_ckpt, start_in_tmpfs, unique,
                      verdict)


def start_locks(containers, work, *extra):
    return start_in_tmpfs(containers, work, "files_locks", *extra)


def test_locks_pass_without_checkpoint(containers, work):
    cid = start_locks(containers, work)
    assert verdict(cid, work / "result") == "PASS"


def test_locks_and_owners_survive_dump_and_restore(containers, work):
    cid = start_locks(containers, work)
    image = work / "image.ckpt"
    run_ckpt("dump", cid, "-o", image)
    restored = containers.track(unique("locks-r"))
    run_ckpt("restore", image, "--name", restored)
    assert verdict(restored, work / "result") == "PASS"


def test_locks_with_leave_running_original_and_copies(containers, work):
    cid = start_locks(containers, work)
    assert leave_running_and_two_restores(containers, work, cid) == ["PASS"] * 3


def test_flock_held_by_a_mapping_only_refuses_the_dump(containers, work):
    cid = start_locks(containers, work, "mapped")
    image = work / "image.ckpt"
    dump = run_ckpt("dump", cid, "-o", image, check=False)
    assert dump.returncode != 0
    lines = dump.stderr.strip().splitlines()
    assert len(lines) == 1 and "FLOCK WRITE" in lines[0] and "held through no fd" in lines[0]
    assert not image.exists()
    assert outcomes(work / "result") == []
    assert verdict(cid, work / "result") == "PASS"


def test_a_write_lease_is_kept_and_the_dump_does_not_break_it(containers, work):
    """A write lease is broken by any open of its file by another: the dump must not open it to
    read the tmpfs (the original would be signalled and lose its lease, and the open would wait
    for the break), and the copies hold the write lease again."""
    cid = start_locks(containers, work, "write_lease")
    assert leave_running_and_two_restores(containers, work, cid) == ["PASS"] * 3
