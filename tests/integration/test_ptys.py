"""Pty consoles and ptys across a checkpoint: `ckpt run -t` gives the container a console on a
pty of its own devpts, held by a console keeper; `ckpt attach` talks to it (here with a pipe as
stdin). A shell on a pty of its own (under `script`, or the pty_shell workload, which does the
same without signalfd) is dumped, removed and restored; its pty comes back with the same index
and settings, and it executes what is typed at the restored console.

Run as root: /usr/bin/python3 -m pytest tests/integration/test_ptys.py
"""
import fcntl
import json
import os
import pty
import re
import signal
import struct
import subprocess
import termios
import time
from pathlib import Path


from conftest import (CKPT, WORKLOADS, console_text, dump_remove_restore, run_ckpt, unique,
                      wait_until)
from test_foundation import make_busybox_rootfs


def attach(cid, text, linger_ms=700):
    """Sends `text` to the console through `ckpt attach` (stdin a pipe); returns what it shows."""
    return run_ckpt("attach", "--linger", linger_ms, cid, input=text, timeout=60).stdout


def ask(cid, command, marker):
    """Runs `command` in the console's shell; returns its output up to `marker`."""
    token = f"{marker}-{os.getpid()}"
    out = attach(cid, f"{command}; echo {token[:4]}''{token[4:]}\n")
    deadline = time.monotonic() + 15
    while token not in out and time.monotonic() < deadline:
        out += attach(cid, "")
    assert token in out, f"no {token} in console output:\n{out}"
    lines = out[:out.index(token)].replace("\r", "").split("\n")
    # Without the echoed command line (when the terminal echoes).
    return "\n".join(l for l in lines if f"{token[:4]}''" not in l)


def stty_settings(cid):
    """`stty -a` of the console's shell, without the echoed command line."""
    out = ask(cid, "stty -a", "STTYEND")
    return out[out.index("speed "):].strip()


def shell_ready(cid):
    assert "ready" in ask(cid, "echo re''ady", "UP")


def dump_remove_restore_ptys(containers, work, cid):
    # Known losses (restore --check): a /dev/tty fd comes back as the pty itself, and pty fds
    # opened without O_LARGEFILE (TIOCGPTPEER, posix_openpt) come back with it.
    restored = dump_remove_restore(containers, work, cid, prefix="pty-r",
                                   check_ignore=("fd 10", " flags"))
    sections = json.loads(run_ckpt("inspect", "--json", work / "image.ckpt").stdout)["sections"]
    assert "ttys" in {s["type"] for s in sections}
    assert not (Path("/run/ckpt") / cid).exists()
    return restored


def test_run_t_gives_a_console_on_a_private_devpts(containers):
    host_pts = sorted(os.listdir("/dev/pts"))
    cid = containers.run("sh", opts=("-t",))
    shell_ready(cid)
    assert ask(cid, "tty", "TTY").strip().endswith("/dev/pts/0")
    assert ask(cid, "ls /dev/pts", "LS").split() == ["0", "ptmx"]
    assert "42" in ask(cid, "echo $((6*7))", "CALC")
    assert sorted(os.listdir("/dev/pts")) == host_pts  # the host's devpts is untouched
    assert "CALC" in console_text(cid)  # the keeper logs the console


def set_window_size(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def test_attach_from_a_terminal_gives_the_console_its_window_size(containers):
    cid = containers.run("sh", opts=("-t",))
    shell_ready(cid)
    master, slave = pty.openpty()
    set_window_size(slave, 33, 111)
    user = subprocess.Popen([str(CKPT), "attach", cid], stdin=slave, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        wait_until(lambda: ask(cid, "stty size", "SIZE").split() == ["33", "111"],
                   what="the console to take the terminal's size")
        set_window_size(slave, 44, 122)
        user.send_signal(signal.SIGWINCH)
        wait_until(lambda: ask(cid, "stty size", "SIZE").split() == ["44", "122"],
                   what="the console to follow the resized terminal")
    finally:
        os.write(master, b"\x10\x11")  # the detach keys
        try:
            user.wait(timeout=10)
        finally:
            user.kill()
            os.close(master)
            os.close(slave)
    assert user.returncode == 0, user.stderr.read()


def test_attach_ends_when_the_container_exits(containers):
    cid = containers.run("sh", opts=("-t",))
    shell_ready(cid)
    started = time.monotonic()
    out = attach(cid, "echo bye''bye; exit\n", linger_ms=30000)
    assert "byebye" in out
    assert time.monotonic() - started < 20
    wait_until(lambda: not (Path("/run/ckpt") / cid / "console.sock").exists(),
               what="the keeper to go")


def test_attach_to_a_container_without_tty_fails_in_one_line(containers):
    cid = containers.run("sleep", "1000")
    proc = run_ckpt("attach", cid, check=False, input="")
    assert proc.returncode != 0
    assert "has no console" in proc.stderr


SESSIONS = "cut -d' ' -f5-7 /proc/$$/stat; cut -d' ' -f5-8 /proc/1/stat"  # pgrp sid tty [tpgid]


def check_shell_survives(containers, work, cid):
    shell_ready(cid)
    ask(cid, "stty cols 123 rows 45; stty -echo", "SET")
    before = stty_settings(cid)
    assert "rows 45; columns 123" in before and "-echo " in before
    tty_before = ask(cid, "tty", "TTY").strip()
    assert re.search(r"/dev/pts/[1-9]", tty_before)
    sessions_before = ask(cid, SESSIONS, "SESS").split()
    attach(cid, "cat\n")  # a foreground job in a process group of its own, reading the terminal

    restored = dump_remove_restore_ptys(containers, work, cid)

    # cat still owns the terminal: it gets the line (a background job would be stopped).
    out = attach(restored, "meow-meow\n")
    deadline = time.monotonic() + 15  # a loaded machine may take a while to answer
    while "meow-meow" not in out and time.monotonic() < deadline:
        out += attach(restored, "")
    assert "meow-meow" in out
    attach(restored, "\x04")  # end of file for cat: the shell carries on
    assert "42" in ask(restored, "echo $((6*7))", "CALC")
    assert stty_settings(restored) == before
    assert ask(restored, "tty", "TTY").strip() == tty_before
    assert ask(restored, SESSIONS, "SESS").split() == sessions_before
    # Its session kept its controlling terminal: /dev/tty opens.
    assert "ctty-ok" in ask(restored, "echo ctty-ok > /dev/tty", "CTTY")


def test_shell_on_its_own_pty_survives_dump_and_restore(containers, work):
    cid = containers.run(WORKLOADS / "pty_shell", opts=("-t",))
    check_shell_survives(containers, work, cid)


def test_shell_under_script_survives_dump_and_restore(containers, work):
    cid = containers.run("script", "-q", "-c", "sh", "/dev/null", opts=("-t",))
    shell_ready(cid)
    probe = run_ckpt("dump", cid, "-o", work / "probe.ckpt", "--leave-running", check=False)
    assert probe.returncode == 0, probe.stderr
    check_shell_survives(containers, work, cid)


def test_rootfs_container_console_survives_dump_and_restore(containers, work):
    root = work / "rootfs"
    make_busybox_rootfs(root)
    for applet in ("stty", "tty", "readlink"):
        (root / "bin" / applet).symlink_to("busybox")
    cid = containers.run("/bin/sh", opts=("-t", "--rootfs", root))
    shell_ready(cid)
    assert ask(cid, "readlink /dev/ptmx", "LINK").strip() == "pts/ptmx"
    ask(cid, "stty cols 77 rows 11", "SET")
    before = stty_settings(cid)
    restored = dump_remove_restore_ptys(containers, work, cid)
    assert stty_settings(restored) == before
    assert ask(restored, "tty", "TTY").strip() == "/dev/pts/0"


def test_run_t_without_detach_shows_the_output_and_returns_the_exit_code(containers):
    cid = containers.track(unique("pty-fg"))
    proc = run_ckpt("run", "--name", cid, "-t", "--", "sh", "-c", "sleep 0.5; echo hi-there; exit 3",
                    check=False, input="", timeout=60)
    assert proc.returncode == 3, proc.stderr
    assert "hi-there" in proc.stdout
