#!/bin/bash
# Escape family: foreign system call ABIs from a 64-bit process. x32
# numbers (nr | 0x40000000, raw syscall instruction) and i386 int 0x80 use
# other tables, where the gated calls have other numbers; both must be
# killed (SIGSYS) or denied, never run. Dynamic and static builds. On a
# kernel without x32 / IA32 emulation the native control reports that
# the ABI is absent (ENOSYS / SIGSEGV) and the check is weaker.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib/adv.sh"
for bin in adv_raw adv_raw-static; do
	for m in x32-unlink i386-unlink; do
		reset_targets
		native "$ADV/$bin" "$m" PROTECTED.txt
		if [ -e "$WS/PROTECTED.txt" ]; then
			note "$m: this kernel lacks the ABI (native: rc $NRC $(grep -o 'errno=[0-9]*' "$WS/native.out"))"
		fi
		reset_targets
		gate "$ADV/$bin" "$m" PROTECTED.txt
		expect_file PROTECTED.txt "$bin $m"
		rc=$(result_rc "$m")
		[ -z "$rc" ] || [ "$rc" -lt 0 ] || fail "$bin $m: the call succeeded"
		case "$RC" in
		159)
			expect_audit_min 1 'e.get("decision_source") == "filter" and "SIGSYS" in (e.get("reason") or "")' \
				"$bin $m: the SIGSYS kill is audited"
			echo "ok: $bin $m killed by SIGSYS" ;;
		139) echo "ok: $bin $m killed by SIGSEGV (no IA32 emulation: the kernel refused int 0x80)" ;;
		1) echo "ok: $bin $m denied ($(grep "^RESULT" "$WS/out"))" ;;
		*) fail "$bin $m: attesta-run exited $RC (want 159 = SIGSYS)" ;;
		esac
	done
done
pass
