#!/usr/bin/env python3
"""A user at a terminal, for tests/adversarial/terminal.sh.

usage: ptyshell.py LOG TIMEOUT LINE...

Starts `sh -i` on a new pseudo-terminal as a session leader whose
controlling terminal it is (what a terminal emulator does), types each
LINE as a person would, waiting until the shell has run it, then waits
1.5 s so that anything pushed into the terminal's input (TIOCSTI) is read
and run by the shell, and types `exit`. A LINE "@type TEXT" is typed (with
Enter) 1 s after the line before it started, for the program it runs. Everything the terminal showed is
written to LOG. Exits 0, or 3 if the shell did not finish within TIMEOUT
seconds (then LOG says where it stopped).
"""
import os
import pty
import select
import sys
import time


def main():
    log_path, timeout, lines = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
    env = dict(os.environ, PS1="$ ", ENV="/dev/null", HISTFILE="/dev/null")
    pid, fd = pty.fork()
    if pid == 0:
        os.execvpe("sh", ["sh", "-i"], env)
    seen = bytearray()
    deadline = time.monotonic() + timeout

    def pump(until=None, secs=None):
        """Read the terminal until `until` appears or secs pass."""
        end = time.monotonic() + secs if secs is not None else deadline
        while time.monotonic() < min(end, deadline):
            r, _, _ = select.select([fd], [], [], 0.05)
            if r:
                try:
                    data = os.read(fd, 4096)
                except OSError:
                    return False
                if not data:
                    return False
                seen.extend(data)
            if until is not None and until in seen:
                return True
        return until is None

    ok = pump(b"$ ", 10)
    for i, line in enumerate(lines):
        if line.startswith("@type "):
            continue  # typed while the line before it runs (below)
        # the marker is computed by the shell, so the echoed command line
        # does not contain it
        done = b"__LINE_DONE_%d__" % (i + 1)
        os.write(fd, (line + "; echo __LINE_DONE_$((%d))__\n" % (i + 1)).encode())
        # "@type TEXT" lines after it: keys for the running program
        for nxt in lines[i + 1:]:
            if not nxt.startswith("@type "):
                break
            pump(secs=1)
            os.write(fd, (nxt[len("@type "):] + "\r").encode())
        ok = ok and pump(done)
    pump(secs=1.5)  # injected input, if any, runs now
    os.write(fd, b"exit\n")
    pump(secs=2)
    try:
        os.kill(pid, 9)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)
    with open(log_path, "wb") as f:
        f.write(bytes(seen))
    sys.exit(0 if ok else 3)


main()
