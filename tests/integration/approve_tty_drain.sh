#!/bin/bash
# The tty renderer must not hold back what the agent printed just before a
# held call (docs/approvals.md, "The tty prompt"). A real pseudo-terminal
# (python3's pty) plays the user's terminal and is not read for a while,
# as a slow terminal would be: attesta-run's queue for it fills and its
# relay stops reading PROG's pty, so the end of what PROG printed (a
# marker line) is still in PROG's pty when its `rm` is held. When the
# terminal is read again, the marker must come before the prompt (the
# relay is drained first), not after the prompt is answered.
. "$(dirname "$0")/lib/approve.bash"
. "$(dirname "$0")/lib/approve_e2e.bash"
write_config 60
sed -i '/approval_group:/d; s/^    sh: low$/    sh: low\n    rm: high/' "$AW/attesta.yaml"
# How much a pty holds varies with the kernel's buffer accounting, so the
# agent prints several amounts (40-100 kB): for some of them the end is
# still in PROG's pty when the call is held (more than the terminal's pty
# and the relay's 16 kB queue take, less than that plus PROG's own pty
# buffer); for every one the marker must come before the prompt.
for n in 600 900 1200 1500; do
mkdir -p "$AW/victim"
printf 'seq -f "%%-62g filler line of the agent" 1 '$n'\necho OUTPUT-BEFORE-HELD\nrm -rf victim\necho rc=$?\n' >"$AW/prog.sh"
python3 - "$RUN" "$AW" >"$AW/drain.out" 2>&1 <<'PY'
import os, pty, select, sys, time
run, aw = sys.argv[1], sys.argv[2]
pid, fd = pty.fork()
if pid == 0:
    os.chdir(aw)
    os.execv(run, [run, "-c", aw + "/attesta.yaml", "--renderer", "tty", "--", "sh", "prog.sh"])
# the slow terminal: nothing read for 3 s (PROG prints, then is held)
time.sleep(3)
buf = b""
deadline = time.time() + 30
while time.time() < deadline and b"Q1." not in buf:
    r, _, _ = select.select([fd], [], [], 0.5)
    if r:
        try:
            buf += os.read(fd, 65536)
        except OSError:
            break
marker, prompt = buf.find(b"OUTPUT-BEFORE-HELD"), buf.find(b"held call #1: exec rm -rf victim")
print("marker at", marker, "prompt at", prompt, "read", len(buf))
os.write(fd, b"\x03")  # Ctrl-C denies
end = time.time() + 20
while time.time() < end:
    r, _, _ = select.select([fd], [], [], 0.5)
    if r:
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        buf += data
os.waitpid(pid, 0)
ok = prompt >= 0 and 0 <= marker < prompt
print("ORDER-OK" if ok else "ORDER-BAD")
sys.exit(0 if ok else 1)
PY
rc=$?
[ $rc -eq 0 ] || fail "$n lines: the agent's output before the held call was held back behind the prompt: $(tail -2 "$AW/drain.out")"
[ -d "$AW/victim" ] || fail "the held rm ran after Ctrl-C"
done
pass "output printed right before a held call is shown before the prompt (slow terminal)"
exit 0
