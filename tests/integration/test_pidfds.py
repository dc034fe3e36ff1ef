"""Pidfds of a `ckpt run` container survive dump and restore: the pidfds workload (pidfds on two
children, one O_NONBLOCK from pidfd_open and one from clone(CLONE_PIDFD), and on itself) reports
PASS in the original (--leave-running) and in two restored copies: each pidfd refers to the same
process with its flags, a child that inherited them shares their descriptions, the processes are
killed through their pidfds and reaped with waitid(P_PIDFD). The restores are audited in fail
mode (fdinfo flags and the pid in the container of every pidfd must match). A pidfd that cannot
be restored exactly refuses the dump by name."""
import json

from conftest import (leave_running_and_two_restores, refused_dump, run_ckpt, start_workload,
                      verdict)


def test_pidfds_pass_in_the_original_and_two_restored_copies(containers, work, strict_audit):
    cid = start_workload(containers, work, "pidfds")
    assert leave_running_and_two_restores(containers, work, cid) == ["PASS"] * 3


def records_of_kind(node, kind):
    """Every JSON object under `node` whose "kind" is `kind`."""
    if isinstance(node, dict):
        found = [node] if node.get("kind") == kind else []
        return found + [r for v in node.values() for r in records_of_kind(v, kind)]
    if isinstance(node, list):
        return [r for v in node for r in records_of_kind(v, kind)]
    return []


def test_the_image_names_the_pidfds_and_their_processes(containers, work):
    cid = start_workload(containers, work, "pidfds")
    image = work / "image.ckpt"
    run_ckpt("dump", cid, "-o", image, "--leave-running")
    pidfds = records_of_kind(json.loads(run_ckpt("inspect", "--json", image).stdout), "pidfd")
    # Its children a and b are pids 2 and 3 of the container; the workload is its init, pid 1
    # (its pidfd on a and the dup of it are one description, c's inherited ones too).
    assert sorted(d["pid"] for d in pidfds) == [1, 2, 3]
    assert verdict(cid, work / "result") == "PASS"


def test_a_pidfd_of_a_reaped_process_refuses_the_dump(containers, work):
    cid = start_workload(containers, work, "pidfds", "reaped")
    line = refused_dump(cid, work / "image.ckpt")
    assert "pidfd of a process that has exited and been reaped" in line and " fd " in line, line
    assert verdict(cid, work / "result") == "PASS"
