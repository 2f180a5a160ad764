#!/bin/sh
# `attesta doctor`: every check is reported (text and --json) with a status
# and a consequence sentence; the exit code follows the required checks
# (0 when they are all ok, 1 otherwise); on a kernel >= 6.6 outside any
# seccomp filter every kernel feature the gate uses must be found. Then
# the doctor must notice what is taken away: with strace injecting ENOSYS
# into seccomp() it must exit 1 and say the gate cannot protect; with
# openat2() failing it must exit 0 with reduced protection; run as an
# unprivileged user it must still work.
set -u
BUILD=${BUILD:-build}
A="$(cd "$(dirname "$BUILD/attesta")" && pwd)/attesta"
[ -x "$A" ] || { echo "doctor: $A not built"; exit 77; }
command -v python3 >/dev/null || { echo "doctor: python3 needed"; exit 77; }

T=$(mktemp -d /tmp/attesta-doctor.XXXXXX)
chmod 755 "$T"
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
fail() { echo "doctor: FAIL: $*"; exit 1; }
run() { "$@" >out.txt 2>err.txt; echo $? >rc.txt; }
rc() { cat rc.txt; }
json() { python3 -c "import json,sys; d=json.load(open('out.txt')); $1"; }

IDS="user_notification pidfd_getfd process_vm_readv wait_killable_recv exec_verification
openat2 yama_ptrace_scope cap_sys_ptrace sync_wake_up addfd pidfd_info procmap_query io_uring root kernel seccomp_actions
state_protection"

# --- usage ------------------------------------------------------------------
run "$A" doctor --bogus
[ "$(rc)" = 2 ] || fail "unknown option exited $(rc), want 2"
run "$A" doctor extra
[ "$(rc)" = 2 ] || fail "extra argument exited $(rc), want 2"
run "$A" doctor --help
[ "$(rc)" = 0 ] && grep -q "usage: attesta doctor" out.txt || fail "--help"

# --- JSON report --------------------------------------------------------------
run "$A" doctor --json
json_rc=$(rc)
json "
ids = [c['id'] for c in d['checks']]
want = '''$IDS'''.split()
assert ids == want, ('ids', ids)
for c in d['checks']:
    assert c['status'] in ('ok', 'missing', 'note'), c
    assert c['need'] in ('required', 'recommended', 'info'), c
    assert c['consequence'] and not c['consequence'].endswith('.'), c
    assert c['feature'], c
blocked = [c['id'] for c in d['checks'] if c['need'] == 'required' and c['status'] != 'ok']
assert d['gate_can_protect'] == (not blocked), (d['gate_can_protect'], blocked)
assert d['summary'].startswith('the gate can protect' if not blocked else 'the gate cannot protect'), d['summary']
sys.exit(1 if blocked else 0)
"
want=$?
[ "$want" -le 1 ] || { cat out.txt; fail "JSON report malformed"; }
[ "$json_rc" = "$want" ] || fail "exit $json_rc does not match the required checks (want $want)"

# --- this machine ---------------------------------------------------------------
# Every kernel feature must be found on a recent kernel when nothing
# (a container's filter, a tracer) stands in the way.
kver=$(uname -r | sed 's/[^0-9.].*//')
major=${kver%%.*}; rest=${kver#*.}; minor=${rest%%.*}
seccomp_mode=$(sed -n 's/^Seccomp:[[:space:]]*//p' /proc/self/status)
tracer=$(sed -n 's/^TracerPid:[[:space:]]*//p' /proc/self/status)
yama=$(cat /proc/sys/kernel/yama/ptrace_scope 2>/dev/null || echo 0)
if [ "$major" -gt 6 ] || { [ "$major" -eq 6 ] && [ "$minor" -ge 6 ]; }; then
	if [ "${seccomp_mode:-0}" = 0 ] && [ "${tracer:-0}" = 0 ] && [ "$yama" -le 1 ]; then
		json "
bad = [c['id'] + ': ' + c['detail'] for c in d['checks'] if c['status'] == 'missing' and c['id'] != 'cap_sys_ptrace']
assert not bad, bad
" || fail "a feature of kernel $kver reported missing: $(cat out.txt)"
		[ "$json_rc" = 0 ] || fail "exit $json_rc on kernel $kver, want 0"
	fi
fi

# --- text report ------------------------------------------------------------------
run "$A" doctor
[ "$(rc)" = "$json_rc" ] || fail "text exit $(rc) differs from --json exit $json_rc"
for f in "seccomp user notification" "pidfd_open + pidfd_getfd" "reading a child's memory" \
	"WAIT_KILLABLE_RECV" "ptrace exec verification" "openat2" "Yama ptrace_scope" \
	"CAP_SYS_PTRACE" "SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP" "SECCOMP_IOCTL_NOTIF_ADDFD" \
	"PIDFD_THREAD + PIDFD_GET_INFO" "io_uring" "effective user" "kernel version" \
	"seccomp actions_avail"; do
	grep -q "^\(ok\|missing\|note\)  *$f" out.txt || { cat out.txt; fail "no line for '$f'"; }
done
[ "$(grep -cE '^(ok|missing|note) ' out.txt)" = 17 ] || { cat out.txt; fail "not 17 check lines"; }
tail -n 1 out.txt | grep -q '^summary: the gate can' || { cat out.txt; fail "summary line"; }
grep -q "$(uname -r)" out.txt || fail "kernel release not shown"

# --- features taken away (strace fault injection) ------------------------------------
# LeakSanitizer cannot run under ptrace: keep ASan, drop leak checking here.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
export ASAN_OPTIONS
if command -v strace >/dev/null && strace -qq -o /dev/null true 2>/dev/null && [ "$json_rc" = 0 ]; then
	run strace -f -qq -o /dev/null -e inject=seccomp:error=ENOSYS "$A" doctor
	[ "$(rc)" = 1 ] || { cat out.txt; fail "without seccomp() the doctor exited $(rc), want 1"; }
	grep -q '^missing  *seccomp user notification .*cannot protect' out.txt ||
		{ cat out.txt; fail "user notification not reported missing"; }
	tail -n 1 out.txt | grep -q '^summary: the gate cannot protect this host: seccomp user notification is missing' ||
		{ cat out.txt; fail "summary without user notification"; }

	run strace -f -qq -o /dev/null -e inject=pidfd_getfd:error=ENOSYS "$A" doctor --json
	[ "$(rc)" = 1 ] || fail "without pidfd_getfd the doctor exited $(rc), want 1"
	json "
c = {c['id']: c for c in d['checks']}
assert c['pidfd_getfd']['status'] == 'missing' and c['pidfd_getfd']['errno'] == 'ENOSYS', c['pidfd_getfd']
assert not d['gate_can_protect']
" || fail "pidfd_getfd not reported missing"

	run strace -f -qq -o /dev/null -e inject=openat2:error=ENOSYS "$A" doctor
	[ "$(rc)" = 0 ] || fail "without openat2 the doctor exited $(rc), want 0"
	grep -q '^missing  *openat2' out.txt || { cat out.txt; fail "openat2 not reported missing"; }
	tail -n 1 out.txt | grep -q 'reduced protection: .*openat2' || { cat out.txt; fail "summary without openat2"; }

	# A probe that dies must count as missing, and the doctor must survive it.
	run strace -f -qq -o /dev/null -e inject=pidfd_open:signal=SIGSEGV "$A" doctor --json
	[ "$(rc)" = 1 ] || fail "a crashing probe: exit $(rc), want 1"
	json "
c = {c['id']: c for c in d['checks']}
assert c['pidfd_getfd']['status'] == 'missing' and 'signal' in c['pidfd_getfd']['detail'], c['pidfd_getfd']
" || fail "a crashing probe was not reported"
else
	echo "doctor: strace unusable here, fault injection part skipped"
fi

# --- unprivileged ------------------------------------------------------------------------
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && id nobody >/dev/null 2>&1 &&
	setpriv --reuid=nobody --regid=nogroup --clear-groups test -x "$A" 2>/dev/null; then
	run setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all "$A" doctor --json
	json "
c = {c['id']: c for c in d['checks']}
assert c['root']['detail'] != 'euid 0', c['root']
assert c['cap_sys_ptrace']['status'] == 'missing', c['cap_sys_ptrace']
assert d['gate_can_protect'] == $( [ "$json_rc" = 0 ] && echo True || echo False ), d['summary']
" || { cat out.txt err.txt; fail "unprivileged report"; }
fi
echo "doctor: ok"
exit 0
