"""Sockets, removed files and directories across a checkpoint, each a ZDTM-style workload as a
container's init: dumped (original gone) and restored, and dumped with --leave-running (the
original and two restored copies each check their own state).

- inet_sockets: TCP/UDP sockets not bound or not listening, with options (linger, keepalive and
  its timers, buffers, IP and TCP options, congestion control), a listener with options, two
  listeners sharing a port with SO_REUSEPORT.
- unix_peer_closed: data a unix socket's peer sent before closing is read, then end of file.
- removed_cwd: a process whose working directory was removed (with a deleted file in it) is in a
  removed directory again.
- files_removed: a directory and a FIFO removed while open, an O_PATH fd on a symlink, a file in a
  directory removed since.
- socket_options: IPv4/IPv6 UDP and TCP and unix sockets with the options issue 15 found lost
  (receive ancillary options, timeouts, SO_BINDTODEVICE, classic BPF filters, multicast groups
  with source filters, TCP_WINDOW_CLAMP, ...). The same workload holding an eBPF filter, which
  cannot be read back, is refused by pid and fd and carries on.

Run as root: /usr/bin/python3 -m pytest tests/integration/test_fidelity.py
"""
import pytest

from conftest import (container_info, leave_running_and_two_restores, refused_dump_lines,
                      run_ckpt, start_in_tmpfs, start_workload, unique, verdict)

WORKLOADS = ["inet_sockets", "unix_peer_closed", "removed_cwd", "files_removed", "socket_options"]


def start(containers, work, workload):
    # files_removed makes its device node outside the (nodev) tmpfs, in the work directory.
    extra = [work] if workload == "files_removed" else []
    return start_in_tmpfs(containers, work, workload, *extra)


@pytest.mark.parametrize("workload", WORKLOADS)
def test_passes_without_checkpoint(containers, work, workload):
    cid = start(containers, work, workload)
    assert verdict(cid, work / "result") == "PASS"


@pytest.mark.parametrize("workload", WORKLOADS)
def test_survives_dump_and_restore(containers, work, workload):
    cid = start(containers, work, workload)
    image = work / "image.ckpt"
    run_ckpt("dump", cid, "-o", image)
    restored = containers.track(unique("fid-r"))
    run_ckpt("restore", image, "--name", restored)
    assert verdict(restored, work / "result") == "PASS"


@pytest.mark.parametrize("workload", WORKLOADS)
def test_leave_running_original_and_copies(containers, work, workload):
    cid = start(containers, work, workload)
    assert leave_running_and_two_restores(containers, work, cid) == ["PASS"] * 3


def test_ebpf_socket_filter_refuses_the_dump_by_pid_and_fd(containers, work):
    cid = start_workload(containers, work, "socket_options", "ebpf")
    pid = container_info(cid)["init_pid"]
    for line in refused_dump_lines(cid, work):
        assert f"pid {pid} fd " in line and "eBPF filter" in line, line
    assert verdict(cid, work / "result") == "PASS"


def test_a_removed_cwd_whose_name_a_new_directory_took_comes_back_removed_at_its_name(
        containers, work, strict_audit):
    """The cwd was removed and a directory made at its name since: the original and two copies
    are in a removed directory shown at the old name (it came back as NAME.ckpt-removed-XXXXXX,
    which the strict audit of the restores names), and the new directory stays."""
    cid = start_in_tmpfs(containers, work, "removed_cwd", "retaken")
    assert leave_running_and_two_restores(containers, work, cid) == ["PASS"] * 3
