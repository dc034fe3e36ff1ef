"""Fds on namespace files of a `ckpt run` container survive dump and restore: the ns_files
workload (fds on /proc/self/ns/{net,uts,ipc,pid,mnt,time,pid_for_children}) reports PASS in the
original (--leave-running) and in two restored copies: each fd is the namespace of its type the
copy is in (same inode as /proc/self/ns/X there), with its close-on-exec flag, and setns() takes
it. The restores are audited in fail mode. An fd on a namespace of the host (the user namespace,
which containers share with it) refuses the dump by name."""
from conftest import leave_running_and_two_restores, refused_dump, start_workload, verdict


def test_ns_files_pass_in_the_original_and_two_restored_copies(containers, work, strict_audit):
    cid = start_workload(containers, work, "ns_files")
    assert leave_running_and_two_restores(containers, work, cid) == ["PASS"] * 3


def test_a_host_namespace_file_refuses_the_dump(containers, work):
    cid = start_workload(containers, work, "ns_files", "user")
    line = refused_dump(cid, work / "image.ckpt")
    assert "namespace file user:[" in line and "is the host's" in line, line
    assert verdict(cid, work / "result") == "PASS"
