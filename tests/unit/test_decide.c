/*
 * The decision table of the decide stage (supervisor/run/decide.h,
 * docs/ARCHITECTURE.md): decide is a pure function of the held call and
 * the gate's state, so each row builds one held call (a decoded action
 * and the facts the pipeline gathers), sets the gate (mode, fail_mode,
 * renderer, attestation, scopes, repeats, trust) and checks the verdict,
 * the source and a substring of the reason. Rows with a renderer that
 * can hold run the pipeline's next step too: a failed hold (hold_rc)
 * goes to sup_decide_unheld(). The default config and the built-in agent
 * profile score the actions (docs/score.md); nothing here needs a kernel.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "policy/action.h"
#include "policy/config.h"
#include "policy/engine.h"
#include "supervisor/run/attest_internal.h"
#include "supervisor/run/decide.h"
#include "supervisor/run/repeat.h"
#include "supervisor/run/scope.h"

/* renderer: none (no approval table), or one whose hold works, is full
 * (-ENOSPC) or fails (-EIO) */
enum rend { R_NONE = 0, R_HOLDS, R_FULL, R_BROKEN };

/* facts the pipeline gathers */
#define F_APPROVAL_SOCKET 0x1u
#define F_STATE_PATH 0x2u
#define F_PROTECTED 0x4u
#define F_NO_CONTEXT 0x8u
#define F_ATTEST_SYNC_FAILED 0x10u
/* gate state set up before the call */
#define P_SESSION_GRANT 0x1u      /* identical action granted at critical */
#define P_SESSION_GRANT_LOW 0x2u  /* identical action granted at low only */
#define P_EXEC_SCOPE 0x4u         /* `rm -rf $W/build` approved for this process */
#define P_EXEC_SCOPE_OTHER 0x8u   /* the same scope, for another process */
#define P_REPEAT 0x10u            /* the same call refused a moment ago */
#define P_EXEC_SCOPE_LOW 0x20u    /* the same scope, approved at medium only */
#define P_BLOCK_PROFILE 0x40u     /* profile "esc": `deploy*` is blocked (escalation rule) */

struct row {
	const char *name;
	enum pol_policy_mode mode;
	enum pol_fail_mode fail;
	enum rend renderer;
	enum pol_attestation_mode attest;
	enum pol_attest_result attest_result;
	double trust;           /* 0: neutral 0.5 */
	int decode;             /* decode_result */
	const char *cls;        /* exec, unlink, rmdir, rename, connect, sendto, socket */
	const char *text;       /* argv / path / "SRC DST" / host:port or unix:PATH / family */
	const char *interp;     /* exec of a "#!" script: its interpreter words */
	unsigned facts, pre;
	const char *allow;      /* gate.allow_socket_families (one name) */
	enum sup_verdict_kind want;
	enum sup_source src;
	const char *reason;     /* substring of the reason ("" : any) */
};

#define ENF POL_MODE_ENFORCE
#define SHD POL_MODE_SHADOW
#define AUD POL_MODE_AUDIT_ONLY
#define DENY POL_FAIL_DENY
#define ALLOW POL_FAIL_ALLOW
#define ESC POL_FAIL_ESCALATE
#define V_OK SUP_VERDICT_APPROVED
#define V_NO SUP_VERDICT_DENIED
#define V_ESC SUP_VERDICT_ESCALATED
#define V_HOLD SUP_VERDICT_HOLD

/* Low: auto-approved. Medium: confirm. Critical: teach_back (docs/score.md). */
#define LOW_EXEC "ls -la"
#define MED_EXEC "git push origin main"
#define CRIT_EXEC "rm -rf /"
#define CRIT_UNLINK "$HOME/.ssh/id_ed25519"

static const struct row rows[] = {
	/* --- the decoder ------------------------------------------------------ */
	{ "decode error", ENF, DENY, R_HOLDS, 0, 0, 0, -EFAULT, "exec", LOW_EXEC, NULL, 0, 0, NULL,
	  V_NO, SUP_SRC_DECODER, "bad pointer" },
	{ "decode refused", ENF, DENY, R_HOLDS, 0, 0, 0, SUP_DECODE_REFUSED, "unlink", "$W/a", NULL,
	  0, 0, NULL, V_NO, SUP_SRC_DECODER, "bad pointer" },
	{ "decode error, shadow: still denied", SHD, ALLOW, R_NONE, 0, 0, 0, -EIO, "exec", LOW_EXEC,
	  NULL, 0, 0, NULL, V_NO, SUP_SRC_DECODER, "bad pointer" },
	{ "kernel would fail it", ENF, DENY, R_HOLDS, 0, 0, 0, SUP_DECODE_FAILS_BASE + ENOENT, "exec",
	  LOW_EXEC, NULL, 0, 0, NULL, SUP_VERDICT_KERNEL_ERRNO, SUP_SRC_DECODER, "" },
	{ "send without destination", ENF, DENY, R_HOLDS, 0, 0, 0, SUP_DECODE_NO_DESTINATION,
	  "sendto", "127.0.0.1:53", NULL, 0, 0, NULL, SUP_VERDICT_PASS_SEND, SUP_SRC_DECODER, "" },
	{ "no context (ENOMEM)", ENF, ALLOW, R_HOLDS, 0, 0, 0, 0, "exec", LOW_EXEC, NULL,
	  F_NO_CONTEXT, 0, NULL, V_NO, SUP_SRC_SUPERVISOR, "out of memory" },

	/* --- hard rules: not scored, not softened by any mode ------------------ */
	{ "approval socket", ENF, ALLOW, R_HOLDS, 0, 0, 0, 0, "connect", "unix:/run/a.sock", NULL,
	  F_APPROVAL_SOCKET, 0, NULL, V_NO, SUP_SRC_HARD_RULE, "approval socket" },
	{ "approval socket, shadow", SHD, ALLOW, R_NONE, 0, 0, 0, 0, "connect", "unix:/run/a.sock",
	  NULL, F_APPROVAL_SOCKET, 0, NULL, V_NO, SUP_SRC_HARD_RULE, "approval socket" },
	{ "approval socket, audit_only", AUD, ALLOW, R_NONE, 0, 0, 0, 0, "sendto", "unix:/run/a.sock",
	  NULL, F_APPROVAL_SOCKET, 0, NULL, V_NO, SUP_SRC_HARD_RULE, "approval socket" },
	{ "approval socket beats a session grant", ENF, DENY, R_HOLDS, 0, 0, 0, 0, "connect",
	  "unix:/run/a.sock", NULL, F_APPROVAL_SOCKET, P_SESSION_GRANT, NULL, V_NO,
	  SUP_SRC_HARD_RULE, "approval socket" },
	{ "gate's own file by path", ENF, ALLOW, R_HOLDS, 0, 0, 0, 0, "unlink", "$W/.attesta/audit.jsonl",
	  NULL, F_STATE_PATH, 0, NULL, V_NO, SUP_SRC_HARD_RULE, "state path said so" },
	{ "gate's own file by path, shadow", SHD, ALLOW, R_NONE, 0, 0, 0, 0, "rename",
	  "$W/.attesta $W/x", NULL, F_STATE_PATH, 0, NULL, V_NO, SUP_SRC_HARD_RULE,
	  "state path said so" },
	{ "protected state file", ENF, ALLOW, R_HOLDS, 0, 0, 0, 0, "unlink", "$W/.attesta/head",
	  NULL, F_PROTECTED, 0, NULL, V_NO, SUP_SRC_HARD_RULE, "gate's own state" },
	{ "protected state dir, audit_only", AUD, ALLOW, R_NONE, 0, 0, 0, 0, "rmdir",
	  "$W/.attesta", NULL, F_PROTECTED, 0, NULL, V_NO, SUP_SRC_HARD_RULE, "gate's own state" },

	/* --- automatic decisions ---------------------------------------------- */
	{ "low exec auto-approved", ENF, DENY, R_NONE, 0, 0, 0, 0, "exec", LOW_EXEC, NULL, 0, 0, NULL,
	  V_OK, SUP_SRC_POLICY, "" },
	{ "low exec, renderer holds: no hold", ENF, DENY, R_HOLDS, 0, 0, 0, 0, "exec", "git status",
	  NULL, 0, 0, NULL, V_OK, SUP_SRC_POLICY, "" },
	{ "low unlink in the workspace", ENF, DENY, R_NONE, 0, 0, 0, 0, "unlink", "$W/build/a.o",
	  NULL, 0, 0, NULL, V_OK, SUP_SRC_POLICY, "" },
	{ "low exec, shadow", SHD, DENY, R_NONE, 0, 0, 0, 0, "exec", LOW_EXEC, NULL, 0, 0, NULL,
	  V_OK, SUP_SRC_POLICY, "" },
	{ "connect to a local port", ENF, DENY, R_NONE, 0, 0, 0, 0, "connect", "127.0.0.1:8080",
	  NULL, 0, 0, NULL, V_OK, SUP_SRC_POLICY, "" },

	/* --- a human is needed: every fail_mode x renderer (enforce) ----------- */
	{ "medium, none, deny", ENF, DENY, R_NONE, 0, 0, 0, 0, "exec", MED_EXEC, NULL, 0, 0, NULL,
	  V_NO, SUP_SRC_FAIL_MODE, "no approver: renderer none (medium confirm)" },
	{ "medium, none, allow", ENF, ALLOW, R_NONE, 0, 0, 0, 0, "exec", MED_EXEC, NULL, 0, 0, NULL,
	  V_OK, SUP_SRC_FAIL_MODE, "renderer none; fail_mode allow (medium confirm)" },
	{ "medium, none, escalate", ENF, ESC, R_NONE, 0, 0, 0, 0, "exec", MED_EXEC, NULL, 0, 0, NULL,
	  V_ESC, SUP_SRC_FAIL_MODE, "renderer none; escalated (medium confirm)" },
	{ "medium, holds, deny", ENF, DENY, R_HOLDS, 0, 0, 0, 0, "exec", MED_EXEC, NULL, 0, 0, NULL,
	  V_HOLD, SUP_SRC_HUMAN, "" },
	{ "medium, holds, allow", ENF, ALLOW, R_HOLDS, 0, 0, 0, 0, "exec", MED_EXEC, NULL, 0, 0, NULL,
	  V_HOLD, SUP_SRC_HUMAN, "" },
	{ "medium, holds, escalate", ENF, ESC, R_HOLDS, 0, 0, 0, 0, "exec", MED_EXEC, NULL, 0, 0,
	  NULL, V_HOLD, SUP_SRC_HUMAN, "" },
	{ "medium, full, deny", ENF, DENY, R_FULL, 0, 0, 0, 0, "exec", MED_EXEC, NULL, 0, 0, NULL,
	  V_NO, SUP_SRC_FAIL_MODE, "too many calls waiting for a human (medium confirm)" },
	{ "medium, full, allow", ENF, ALLOW, R_FULL, 0, 0, 0, 0, "exec", MED_EXEC, NULL, 0, 0, NULL,
	  V_OK, SUP_SRC_FAIL_MODE, "too many calls waiting for a human; fail_mode allow" },
	{ "medium, full, escalate", ENF, ESC, R_FULL, 0, 0, 0, 0, "exec", MED_EXEC, NULL, 0, 0, NULL,
	  V_ESC, SUP_SRC_FAIL_MODE, "too many calls waiting for a human; escalated" },
	{ "medium, broken, deny", ENF, DENY, R_BROKEN, 0, 0, 0, 0, "exec", MED_EXEC, NULL, 0, 0, NULL,
	  V_NO, SUP_SRC_FAIL_MODE, "cannot hold the call" },
	{ "medium, broken, allow", ENF, ALLOW, R_BROKEN, 0, 0, 0, 0, "exec", MED_EXEC, NULL, 0, 0,
	  NULL, V_OK, SUP_SRC_FAIL_MODE, "cannot hold the call; fail_mode allow" },
	{ "medium, broken, escalate", ENF, ESC, R_BROKEN, 0, 0, 0, 0, "exec", MED_EXEC, NULL, 0, 0,
	  NULL, V_ESC, SUP_SRC_FAIL_MODE, "cannot hold the call; escalated" },
	{ "critical, none, deny", ENF, DENY, R_NONE, 0, 0, 0, 0, "exec", CRIT_EXEC, NULL, 0, 0, NULL,
	  V_NO, SUP_SRC_FAIL_MODE, "(critical multi_party)" },
	{ "critical unlink, none, allow", ENF, ALLOW, R_NONE, 0, 0, 0, 0, "unlink", CRIT_UNLINK, NULL,
	  0, 0, NULL, V_OK, SUP_SRC_FAIL_MODE, "fail_mode allow (critical multi_party)" },
	{ "critical unlink, holds", ENF, DENY, R_HOLDS, 0, 0, 0, 0, "unlink", CRIT_UNLINK, NULL, 0, 0,
	  NULL, V_HOLD, SUP_SRC_HUMAN, "" },

	/* --- shadow and audit_only: never held, a deny becomes a would-deny --- */
	{ "medium, shadow, holds, deny", SHD, DENY, R_HOLDS, 0, 0, 0, 0, "exec", MED_EXEC, NULL, 0, 0,
	  NULL, V_OK, SUP_SRC_FAIL_MODE, "shadow: would deny: no approver: not held in this mode" },
	{ "medium, shadow, none, deny", SHD, DENY, R_NONE, 0, 0, 0, 0, "exec", MED_EXEC, NULL, 0, 0,
	  NULL, V_OK, SUP_SRC_FAIL_MODE, "shadow: would deny: no approver: renderer none" },
	{ "medium, shadow, escalate", SHD, ESC, R_NONE, 0, 0, 0, 0, "exec", MED_EXEC, NULL, 0, 0, NULL,
	  V_OK, SUP_SRC_FAIL_MODE, "shadow: would deny: no approver: renderer none; escalated" },
	{ "medium, shadow, allow: no would-deny", SHD, ALLOW, R_HOLDS, 0, 0, 0, 0, "exec", MED_EXEC,
	  NULL, 0, 0, NULL, V_OK, SUP_SRC_FAIL_MODE, "no approver: not held in this mode; fail_mode allow" },
	{ "critical, audit_only, deny", AUD, DENY, R_HOLDS, 0, 0, 0, 0, "exec", CRIT_EXEC, NULL, 0, 0,
	  NULL, V_OK, SUP_SRC_FAIL_MODE, "audit_only: would deny: no approver: not held in this mode" },
	{ "critical unlink, audit_only, escalate", AUD, ESC, R_NONE, 0, 0, 0, 0, "unlink",
	  CRIT_UNLINK, NULL, 0, 0, NULL, V_OK, SUP_SRC_FAIL_MODE, "audit_only: would deny" },

	/* --- escalation rule: block ------------------------------------------ */
	{ "blocked", ENF, ALLOW, R_HOLDS, 0, 0, 0, 0, "exec", "deploy-site --all", NULL, 0,
	  P_BLOCK_PROFILE, NULL, V_NO, SUP_SRC_POLICY, "blocked: " },
	{ "blocked, shadow: would deny", SHD, DENY, R_NONE, 0, 0, 0, 0, "exec", "deploy-site --all",
	  NULL, 0, P_BLOCK_PROFILE, NULL, V_OK, SUP_SRC_POLICY, "shadow: would deny: blocked: " },
	{ "blocked beats a session grant", ENF, DENY, R_NONE, 0, 0, 0, 0, "exec",
	  "deploy-site --all", NULL, 0, P_BLOCK_PROFILE | P_SESSION_GRANT, NULL, V_NO,
	  SUP_SRC_POLICY, "blocked: " },
	{ "the profile's other calls: low", ENF, DENY, R_NONE, 0, 0, 0, 0, "exec", LOW_EXEC, NULL, 0,
	  P_BLOCK_PROFILE, NULL, V_OK, SUP_SRC_POLICY, "" },

	/* --- session grants and exec scopes ----------------------------------- */
	{ "session grant covers", ENF, DENY, R_HOLDS, 0, 0, 0, 0, "exec", MED_EXEC, NULL, 0,
	  P_SESSION_GRANT, NULL, V_OK, SUP_SRC_SESSION, "covered by approval GRANT-1 (medium confirm)" },
	{ "session grant at a lower level does not", ENF, DENY, R_HOLDS, 0, 0, 0, 0, "exec", MED_EXEC,
	  NULL, 0, P_SESSION_GRANT_LOW, NULL, V_HOLD, SUP_SRC_HUMAN, "" },
	{ "session grant, renderer none", ENF, DENY, R_NONE, 0, 0, 0, 0, "exec", MED_EXEC, NULL, 0,
	  P_SESSION_GRANT, NULL, V_OK, SUP_SRC_SESSION, "covered by approval GRANT-1" },
	{ "session grant, shadow", SHD, DENY, R_NONE, 0, 0, 0, 0, "exec", MED_EXEC, NULL, 0,
	  P_SESSION_GRANT, NULL, V_OK, SUP_SRC_SESSION, "covered by approval GRANT-1" },
	{ "session grant is per action", ENF, DENY, R_NONE, 0, 0, 0, 0, "exec", "git push origin dev",
	  NULL, 0, P_SESSION_GRANT, NULL, V_NO, SUP_SRC_FAIL_MODE, "renderer none" },
	{ "exec scope covers a removal under it", ENF, DENY, R_HOLDS, 0, 0, 0, 0, "unlink",
	  "$W/build/.env", NULL, 0, P_EXEC_SCOPE, NULL, V_OK, SUP_SRC_SCOPE,
	  "covered by approval SCOPE-1 (high" },
	{ "exec scope, renderer none", ENF, DENY, R_NONE, 0, 0, 0, 0, "rmdir", "$W/build/.env",
	  NULL, 0, P_EXEC_SCOPE, NULL, V_OK, SUP_SRC_SCOPE, "SCOPE-1" },
	{ "exec scope covers a rename inside it", ENF, DENY, R_HOLDS, 0, 0, 0, 0, "rename",
	  "$W/build/.env $W/build/y", NULL, 0, P_EXEC_SCOPE, NULL, V_OK, SUP_SRC_SCOPE, "SCOPE-1" },
	{ "exec scope: a rename out of it is asked", ENF, DENY, R_HOLDS, 0, 0, 0, 0, "rename",
	  "$W/build/.env $W/y", NULL, 0, P_EXEC_SCOPE, NULL, V_HOLD, SUP_SRC_HUMAN, "" },
	{ "exec scope: a removal outside it is asked", ENF, DENY, R_HOLDS, 0, 0, 0, 0, "unlink",
	  CRIT_UNLINK, NULL, 0, P_EXEC_SCOPE, NULL, V_HOLD, SUP_SRC_HUMAN, "" },
	{ "exec scope: a level above it is asked", ENF, DENY, R_HOLDS, 0, 0, 0, 0, "unlink",
	  "$W/build/.env", NULL, 0, P_EXEC_SCOPE_LOW, NULL, V_HOLD, SUP_SRC_HUMAN, "" },
	{ "exec scope of another process is not used", ENF, DENY, R_HOLDS, 0, 0, 0, 0, "unlink",
	  "$W/build/.env", NULL, 0, P_EXEC_SCOPE_OTHER, NULL, V_HOLD, SUP_SRC_HUMAN, "" },
	{ "exec scope: another process", ENF, DENY, R_NONE, 0, 0, 0, 0, "rmdir", "$W/build/sub",
	  NULL, 0, P_EXEC_SCOPE_OTHER, NULL, V_OK, SUP_SRC_POLICY, "" },

	/* --- repeats of a refused call ---------------------------------------- */
	{ "repeat refused again", ENF, DENY, R_HOLDS, 0, 0, 0, 0, "exec", MED_EXEC, NULL, 0, P_REPEAT,
	  NULL, V_NO, SUP_SRC_REPEAT, "the same call was denied by a human less than" },
	{ "repeat, fail_mode allow: still refused", ENF, ALLOW, R_NONE, 0, 0, 0, 0, "exec", MED_EXEC,
	  NULL, 0, P_REPEAT, NULL, V_NO, SUP_SRC_REPEAT, "denied by a human" },
	{ "repeat, shadow: not consulted", SHD, DENY, R_NONE, 0, 0, 0, 0, "exec", MED_EXEC, NULL, 0,
	  P_REPEAT, NULL, V_OK, SUP_SRC_FAIL_MODE, "shadow: would deny" },
	{ "repeat of another call: asked", ENF, DENY, R_HOLDS, 0, 0, 0, 0, "exec",
	  "git push origin dev", NULL, 0, P_REPEAT, NULL, V_HOLD, SUP_SRC_HUMAN, "" },
	{ "session grant before repeat", ENF, DENY, R_HOLDS, 0, 0, 0, 0, "exec", MED_EXEC, NULL, 0,
	  P_REPEAT | P_SESSION_GRANT, NULL, V_OK, SUP_SRC_SESSION, "GRANT-1" },

	/* --- interpreter scripts ---------------------------------------------- */
	{ "script run by sh: low", ENF, DENY, R_NONE, 0, 0, 0, 0, "exec", "$W/build.sh", "/bin/sh", 0,
	  0, NULL, V_OK, SUP_SRC_POLICY, "" },
	{ "script whose #! is rm -rf: judged as rm", ENF, DENY, R_NONE, 0, 0, 0, 0, "exec",
	  "$W/x /", "/bin/rm -rf", 0, 0, NULL, V_NO, SUP_SRC_FAIL_MODE, "critical" },
	{ "script whose #! is rm -rf, holds", ENF, DENY, R_HOLDS, 0, 0, 0, 0, "exec", "$W/x /",
	  "/bin/rm -rf", 0, 0, NULL, V_HOLD, SUP_SRC_HUMAN, "" },
	{ "script run by python3: low", ENF, DENY, R_NONE, 0, 0, 0, 0, "exec", "$W/tool.py",
	  "/usr/bin/python3", 0, 0, NULL, V_OK, SUP_SRC_POLICY, "" },

	/* --- trust ------------------------------------------------------------- */
	{ "low exec, no trust", ENF, DENY, R_NONE, 0, 0, 0.001, 0, "exec", LOW_EXEC, NULL, 0, 0,
	  NULL, V_OK, SUP_SRC_POLICY, "" },
	{ "low exec, full trust", ENF, DENY, R_NONE, 0, 0, 1.0, 0, "exec", LOW_EXEC, NULL, 0, 0, NULL,
	  V_OK, SUP_SRC_POLICY, "" },
	{ "critical, full trust: still critical", ENF, DENY, R_NONE, 0, 0, 1.0, 0, "exec", CRIT_EXEC,
	  NULL, 0, 0, NULL, V_NO, SUP_SRC_FAIL_MODE, "(critical multi_party)" },
	{ "critical unlink, no trust", ENF, DENY, R_NONE, 0, 0, 0.001, 0, "unlink", CRIT_UNLINK, NULL,
	  0, 0, NULL, V_NO, SUP_SRC_FAIL_MODE, "(critical multi_party)" },

	/* --- socket creation: gate.allow_socket_families, not scored ---------- */
	{ "raw socket denied", ENF, ALLOW, R_HOLDS, 0, 0, 0, 0, "socket", "inet raw", NULL, 0, 0,
	  NULL, V_NO, SUP_SRC_POLICY, "does not allow it" },
	{ "raw socket allowed by 'raw'", ENF, DENY, R_HOLDS, 0, 0, 0, 0, "socket", "inet raw", NULL, 0,
	  0, "raw", V_OK, SUP_SRC_POLICY, "allowed by gate.allow_socket_families 'raw'" },
	{ "packet socket, shadow", SHD, DENY, R_NONE, 0, 0, 0, 0, "socket", "packet raw", NULL, 0, 0,
	  NULL, V_OK, SUP_SRC_POLICY, "shadow: would deny" },
	{ "packet socket, audit_only", AUD, DENY, R_NONE, 0, 0, 0, 0, "socket", "packet raw", NULL, 0,
	  0, NULL, V_OK, SUP_SRC_POLICY, "audit_only: would deny" },

	/* --- attestation (docs/fleet.md) ---------------------------------------- */
	{ "attestation enforce, allow", ENF, DENY, R_NONE, POL_ATTEST_ENFORCE, POL_ATTEST_ALLOW, 0, 0,
	  "exec", LOW_EXEC, NULL, 0, 0, NULL, V_OK, SUP_SRC_POLICY, "" },
	{ "attestation enforce, revoked", ENF, DENY, R_HOLDS, POL_ATTEST_ENFORCE, POL_ATTEST_REVOKED,
	  0, 0, "exec", LOW_EXEC, NULL, 0, 0, NULL, V_NO, SUP_SRC_ATTESTATION, "attestation" },
	{ "attestation enforce beats a hard rule", ENF, DENY, R_HOLDS, POL_ATTEST_ENFORCE,
	  POL_ATTEST_NOT_ENROLLED, 0, 0, "connect", "unix:/run/a.sock", NULL, F_APPROVAL_SOCKET, 0,
	  NULL, V_NO, SUP_SRC_ATTESTATION, "attestation" },
	{ "attestation enforce, shadow mode: still denied", SHD, ALLOW, R_NONE, POL_ATTEST_ENFORCE,
	  POL_ATTEST_SIGNATURE, 0, 0, "exec", LOW_EXEC, NULL, 0, 0, NULL, V_NO, SUP_SRC_ATTESTATION,
	  "attestation" },
	{ "attestation enforce, entry failed", ENF, DENY, R_NONE, POL_ATTEST_ENFORCE, POL_ATTEST_ALLOW,
	  0, 0, "exec", LOW_EXEC, NULL, F_ATTEST_SYNC_FAILED, 0, NULL, V_NO, SUP_SRC_ATTESTATION,
	  "audit entry could not be written" },
	{ "attestation advisory, revoked: policy decides", ENF, DENY, R_NONE, POL_ATTEST_ADVISORY,
	  POL_ATTEST_REVOKED, 0, 0, "exec", LOW_EXEC, NULL, 0, 0, NULL, V_OK, SUP_SRC_POLICY, "" },
	{ "attestation advisory, entry failed: policy decides", ENF, DENY, R_NONE,
	  POL_ATTEST_ADVISORY, POL_ATTEST_ALLOW, 0, 0, "exec", LOW_EXEC, NULL, F_ATTEST_SYNC_FAILED, 0,
	  NULL, V_OK, SUP_SRC_POLICY, "" },
	{ "attestation advisory, medium: held", ENF, DENY, R_HOLDS, POL_ATTEST_ADVISORY,
	  POL_ATTEST_ROLLOUT_STATE, 0, 0, "exec", MED_EXEC, NULL, 0, 0, NULL, V_HOLD, SUP_SRC_HUMAN,
	  "" },
	{ "attestation off: result ignored", ENF, DENY, R_NONE, POL_ATTEST_OFF, POL_ATTEST_REVOKED, 0,
	  0, "exec", LOW_EXEC, NULL, 0, 0, NULL, V_OK, SUP_SRC_POLICY, "" },
};

static char workspace[256];
static char home[256];
static struct pol_config *base_config;
static struct pol_engine *engine;
/* a configured profile whose escalation rule blocks `deploy*` */
static struct pol_config *esc_config;
static struct pol_engine *esc_engine;

static int setup(void **state)
{
	(void)state;
	snprintf(workspace, sizeof workspace, "/tmp/attesta-test-decide-XXXXXX");
	if (!mkdtemp(workspace))
		return -1;
	snprintf(home, sizeof home, "%s",
		 getenv("HOME") && getenv("HOME")[0] == '/' ? getenv("HOME") : "/root");
	setenv("HOME", home, 1);
	base_config = pol_config_new_default();
	if (!base_config || pol_engine_new(base_config, &engine, NULL) < 0)
		return -1;
	char path[512], yaml[512];
	snprintf(path, sizeof path, "%s/esc.yaml", workspace);
	FILE *f = fopen(path, "we");
	if (!f)
		return -1;
	fputs("name: esc\nescalation_rules:\n  - condition: \"matches_pattern:deploy_tool\"\n"
	      "    action: block\nrisk_patterns:\n  - pattern: \"^deploy\"\n"
	      "    target: function_name\n    risk_contribution: 0.0\n    name: deploy_tool\n"
	      "    description: deploys\n", f);
	fclose(f);
	snprintf(yaml, sizeof yaml, "domain: esc\ndomain_paths: [\"%s\"]\n", workspace);
	if (pol_config_load_buffer("esc", yaml, strlen(yaml), &esc_config, NULL) < 0 ||
	    pol_engine_new(esc_config, &esc_engine, NULL) < 0)
		return -1;
	unlink(path);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	pol_engine_free(engine);
	pol_config_free(base_config);
	pol_engine_free(esc_engine);
	pol_config_free(esc_config);
	rmdir(workspace);
	return 0;
}

/* $W and $HOME in a word. */
static void expand(const char *in, char *out, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; in[i] && o + 1 < size;) {
		const char *rep = !strncmp(in + i, "$W", 2) ? workspace
				  : !strncmp(in + i, "$HOME", 5) ? home : NULL;
		if (rep) {
			o += (size_t)snprintf(out + o, size - o, "%s", rep);
			if (o >= size)
				o = size - 1;
			i += rep == workspace ? 2 : 5;
		} else {
			out[o++] = in[i++];
		}
	}
	out[o] = '\0';
}

static void push(struct pol_strv *v, const char *word)
{
	assert_int_equal(pol_strv_push(v, word, strlen(word)), 0);
}

static struct pol_action *make_action(const struct row *r, pid_t tgid)
{
	char text[512], *words[16], *save = NULL;
	size_t n = 0;
	enum pol_action_class c;

	expand(r->text, text, sizeof text);
	for (char *w = strtok_r(text, " ", &save); w && n < 16; w = strtok_r(NULL, " ", &save))
		words[n++] = w;
	assert_true(n >= 1);
	assert_int_equal(pol_action_class_parse(r->cls, &c), 0);
	struct pol_action *a = pol_action_new(c);
	assert_non_null(a);
	a->pid = a->tgid = tgid;
	assert_int_equal(pol_action_set(&a->cwd, workspace), 0);
	assert_int_equal(pol_action_set(&a->environment, "development"), 0);
	assert_int_equal(pol_action_set(&a->agent_id, "default"), 0);
	if (c == POL_ACTION_EXEC) {
		const char *base = strrchr(words[0], '/') ? strrchr(words[0], '/') + 1 : words[0];
		char path[512];

		if (words[0][0] == '/')
			snprintf(path, sizeof path, "%s", words[0]);
		else
			snprintf(path, sizeof path, "/usr/bin/%s", base);
		assert_int_equal(pol_action_set(&a->function_name, base), 0);
		assert_int_equal(pol_action_set(&a->path, path), 0);
		assert_int_equal(pol_action_set(&a->argv0, base), 0);
		for (size_t i = 1; i < n; i++)
			push(&a->args, words[i]);
		if (r->interp) {
			char iw[128], *s2 = NULL;
			snprintf(iw, sizeof iw, "%s", r->interp);
			for (char *w = strtok_r(iw, " ", &s2); w; w = strtok_r(NULL, " ", &s2))
				push(&a->interp_argv, w);
			assert_int_equal(pol_action_set(&a->interpreter, a->interp_argv.items[0]), 0);
		}
	} else if (c == POL_ACTION_UNLINK || c == POL_ACTION_RMDIR || c == POL_ACTION_RENAME) {
		assert_int_equal(pol_action_set(&a->function_name, r->cls), 0);
		assert_int_equal(pol_action_set(&a->path, words[0]), 0);
		push(&a->args, words[0]);
		if (c == POL_ACTION_RENAME) {
			assert_true(n >= 2);
			assert_int_equal(pol_action_set(&a->dest_path, words[1]), 0);
			push(&a->args, words[1]);
		}
	} else if (c == POL_ACTION_SOCKET) {
		assert_int_equal(pol_action_set(&a->function_name, "socket"), 0);
		for (size_t i = 0; i < n; i++)
			push(&a->args, words[i]);
		push(&a->args, "0");
	} else {
		assert_int_equal(pol_action_set(&a->function_name, r->cls), 0);
		push(&a->args, words[0]);
		if (!strncmp(words[0], "unix:", 5)) {
			a->family = AF_UNIX;
			assert_int_equal(pol_action_set(&a->address, words[0] + 5), 0);
		} else {
			char *colon = strrchr(words[0], ':');
			assert_non_null(colon);
			a->port = (uint16_t)atoi(colon + 1);
			*colon = '\0';
			a->family = AF_INET;
			assert_int_equal(pol_action_set(&a->address, words[0]), 0);
		}
	}
	return a;
}

/* Checks one row; false (and the difference on stderr) when it fails. */
static bool run_row(const struct row *r)
{
	static int dummy_approval;
	struct sup_gate gate;
	struct sup_attest attest;
	struct sup_held held;
	struct sup_scope_table *scopes = NULL;
	struct sup_repeat *repeats = NULL;
	char *allow[1] = { (char *)r->allow };
	const pid_t tgid = 4242;

	struct pol_config *config = r->pre & P_BLOCK_PROFILE ? esc_config : base_config;

	memset(&gate, 0, sizeof gate);
	memset(&attest, 0, sizeof attest);
	memset(&held, 0, sizeof held);
	config->mode = r->mode;
	config->fail_mode = r->fail;
	config->allow_socket_families.items = r->allow ? allow : NULL;
	config->allow_socket_families.count = r->allow ? 1 : 0;
	gate.config = config;
	gate.engine = r->pre & P_BLOCK_PROFILE ? esc_engine : engine;
	gate.agent_id = "default";
	gate.environment = "development";
	if (r->renderer != R_NONE)
		gate.approval = (struct sup_approval *)&dummy_approval;
	if (r->attest != POL_ATTEST_OFF) {
		attest.mode = r->attest;
		attest.cur = r->attest_result;
		gate.attest = &attest;
	}
	assert_int_equal(sup_scope_table_new(&scopes), 0);
	assert_int_equal(sup_repeat_new(&repeats), 0);
	gate.scopes = scopes;
	gate.repeats = repeats;

	held.kept_fd = held.kept_fd2 = -1;
	held.decode_result = r->decode;
	held.action = make_action(r, tgid);
	if (r->decode < 0 || r->decode == SUP_DECODE_REFUSED)
		snprintf(held.reason, sizeof held.reason, "bad pointer");
	if (held.action->action_class == POL_ACTION_SOCKET) {
		held.req.data.args[0] = !strcmp(held.action->args.items[0], "packet") ? AF_PACKET
											: AF_INET;
		held.req.data.args[1] = SOCK_RAW;
		held.req.data.args[2] = 0;
	}
	held.facts.now = 1.8e9;
	held.facts.now_ms = 1000000;
	held.facts.trust = r->trust > 0 ? r->trust : 0.5;
	held.facts.context_failed = r->facts & F_NO_CONTEXT;
	held.facts.attest_sync_failed = r->facts & F_ATTEST_SYNC_FAILED;
	held.facts.approval_socket = r->facts & F_APPROVAL_SOCKET;
	held.facts.state_path = r->facts & F_STATE_PATH;
	if (held.facts.state_path)
		snprintf(held.facts.state_why, sizeof held.facts.state_why, "state path said so");
	held.facts.protected_state = r->facts & F_PROTECTED;

	if (r->pre & (P_SESSION_GRANT | P_SESSION_GRANT_LOW)) {
		/* a grant of `git push origin main`, or of the blocked call */
		struct row g = { .cls = "exec",
				 .text = r->pre & P_BLOCK_PROFILE ? r->text : MED_EXEC };
		struct pol_action *ga = make_action(&g, tgid);
		assert_int_equal(sup_scope_grant_session(scopes, ga, r->pre & P_SESSION_GRANT
								? POL_LEVEL_CRITICAL : POL_LEVEL_LOW,
						 "GRANT-1"), 0);
		pol_action_free(ga);
	}
	if (r->pre & (P_EXEC_SCOPE | P_EXEC_SCOPE_OTHER | P_EXEC_SCOPE_LOW)) {
		struct row g = { .cls = "exec", .text = "rm -rf $W/build" };
		struct pol_action *ga = make_action(&g, r->pre & P_EXEC_SCOPE_OTHER ? tgid + 1 : tgid);
		assert_int_equal(sup_scope_add_exec(scopes, ga, r->pre & P_EXEC_SCOPE_LOW
							  ? POL_LEVEL_MEDIUM : POL_LEVEL_HIGH,
						    "SCOPE-1"), 0);
		pol_action_free(ga);
	}
	if (r->pre & P_REPEAT) {
		struct row g = { .cls = "exec", .text = MED_EXEC };
		struct pol_action *ga = make_action(&g, tgid);
		sup_repeat_note(repeats, ga, "denied", held.facts.now_ms - 500);
		pol_action_free(ga);
	}

	sup_decide(&gate, &held);
	if (held.verdict.kind == SUP_VERDICT_HOLD && r->renderer != R_HOLDS)
		sup_decide_unheld(&gate, &held, r->renderer == R_FULL ? -ENOSPC : -EIO);

	bool grant = r->src == SUP_SRC_SESSION || r->src == SUP_SRC_SCOPE;
	bool ok = held.verdict.kind == r->want && held.verdict.source == r->src &&
		  strstr(held.verdict.reason, r->reason) &&
		  /* the grant's entry id goes with a grant, and only with one */
		  grant == (held.verdict.grant[0] != '\0') &&
		  /* only an approval is released; a hold is not final */
		  sup_verdict_allows(&held.verdict) == (r->want == SUP_VERDICT_APPROVED);
	if (!ok)
		print_error("row '%s': got %s/%s \"%s\" grant '%s', want %s/%s \"...%s...\"\n",
			    r->name, sup_verdict_name(held.verdict.kind),
			    sup_source_name(held.verdict.source), held.verdict.reason,
			    held.verdict.grant, sup_verdict_name(r->want), sup_source_name(r->src),
			    r->reason);

	if (held.evaluated)
		pol_decision_release(&held.decision);
	pol_action_free(held.action);
	sup_scope_table_free(scopes);
	sup_repeat_free(repeats);
	config->allow_socket_families.items = NULL;
	config->allow_socket_families.count = 0;
	return ok;
}

static void test_sup_decide_table(void **state)
{
	(void)state;
	assert_true(sizeof rows / sizeof rows[0] >= 60);
	size_t failed = 0;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		failed += !run_row(&rows[i]);
	assert_int_equal(failed, 0);
}

/* The audit strings of docs/audit.md come from one table. */
static void test_sup_decision_names(void **state)
{
	struct sup_verdict v;
	char buf[96];

	(void)state;
	assert_string_equal(sup_verdict_name(SUP_VERDICT_APPROVED), "approved");
	assert_string_equal(sup_verdict_name(SUP_VERDICT_DENIED), "denied");
	assert_string_equal(sup_verdict_name(SUP_VERDICT_TIMED_OUT), "timed_out");
	assert_string_equal(sup_verdict_name(SUP_VERDICT_ESCALATED), "escalated");
	static const char *const names[SUP_SRC_COUNT] = {
		"policy", "fail_mode", "decoder", "human", "hard_rule", "repeat", "supervisor",
		"exec_check", "attestation", "emulation", "filter", "timeout", "session", "scope",
		"chain",
	};
	for (int s = 0; s < SUP_SRC_COUNT; s++)
		assert_string_equal(sup_source_name((enum sup_source)s), names[s]);
	sup_verdict_set(&v, SUP_VERDICT_APPROVED, SUP_SRC_SESSION, "x");
	snprintf(v.grant, sizeof v.grant, "abc123");
	assert_string_equal(sup_source_format(&v, buf, sizeof buf), "session:abc123");
	v.source = SUP_SRC_SCOPE;
	assert_string_equal(sup_source_format(&v, buf, sizeof buf), "scope:abc123");
	v.source = SUP_SRC_CHAIN;
	assert_string_equal(sup_source_format(&v, buf, sizeof buf), "chain:abc123");
	v.source = SUP_SRC_HUMAN;
	assert_string_equal(sup_source_format(&v, buf, sizeof buf), "human");
	/* a zeroed verdict fails closed */
	memset(&v, 0, sizeof v);
	assert_false(sup_verdict_allows(&v));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sup_decide_table),
		cmocka_unit_test(test_sup_decision_names),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
