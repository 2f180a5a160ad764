"""The agent's side of the loader races (exec_loader.sh, exec_sealed.sh,
exec_procmap.sh): flip what a decided exec's loader is, as fast as it
can, until STOPDIR/stop exists or SECS + 5 seconds have passed.

  swap_interp.py link DIR A B SECS
      DIR/interp is a symlink to A, then B, then A, ... (each one made
      under a temporary name and renamed over it); STOPDIR is DIR
  swap_interp.py bytes PROG OFF A B SECS STOPDIR
      PROG's PT_INTERP string at byte OFF rewritten in place with A, then
      B, ... (A and B are the same length)
"""
import os
import sys
import time


def link(d, a, b, secs):
    end = time.time() + secs + 5
    i = 0
    while time.time() < end and not os.path.exists(d + "/stop"):
        t = d + "/tmp%d" % (i % 2)
        try:
            os.unlink(t)
        except FileNotFoundError:
            pass
        os.symlink(a if i % 2 else b, t)
        os.replace(t, d + "/interp")
        i += 1


def rewrite(p, off, a, b, secs, w):
    end = time.time() + secs + 5
    i = 0
    while time.time() < end and not os.path.exists(w + "/stop"):
        try:
            fd = os.open(p, os.O_WRONLY)
            os.pwrite(fd, (a if i % 2 else b).encode(), off)
            os.close(fd)
        except OSError:
            pass
        i += 1


if sys.argv[1] == "link":
    link(sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5]))
elif sys.argv[1] == "bytes":
    rewrite(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5], float(sys.argv[6]), sys.argv[7])
else:
    sys.exit("usage: swap_interp.py link DIR A B SECS | bytes PROG OFF A B SECS STOPDIR")
