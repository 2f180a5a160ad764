/*
 * The verdict path: run the policy pipeline for a held call, turn the
 * decision into an audit entry (reference fields plus the syscall fields
 * of docs/audit.md), append it durably, and only then answer the kernel:
 * emulate an allowed unlink/rmdir/connect/sendto on the decided copies,
 * CONTINUE an allowed exec (to be verified at PTRACE_EVENT_EXEC when the
 * exec check is on), or fail the call with gate.deny_errno; a shim-only
 * request (held->from_shim) gets its verdict on its connection instead
 * (the shim makes the call itself). Every error
 * on this path is a deny (fail closed). Trusts the decoded action only as
 * far as the decoders bounded it.
 */
#include "supervisor/run/verdict.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>

#include "policy/audit.h"
#include "policy/config.h"
#include "policy/trust.h"
#include "supervisor/run/attest.h"
#include "supervisor/run/emulate.h"
#include "supervisor/run/denials.h"
#include "supervisor/run/exec_chain.h"
#include "supervisor/run/execcheck.h"
#include "supervisor/run/repeat.h"
#include "supervisor/run/shimloop.h"
#include "supervisor/run/statepaths.h"
#include "supervisor/run/state_protect.h"
#include "supervisor/run/verdict_entry.h"
#include "supervisor/run/human.h"
#include "supervisor/run/scope.h"
#include "supervisor/run/trust_watch.h"

double sup_verdict_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)(ts.tv_nsec / 1000) / 1e6;
}

void sup_verdict_iso_time(double epoch, char *buf, size_t size)
{
	time_t secs = (time_t)floor(epoch);
	long usec = lround((epoch - (double)secs) * 1e6);
	if (usec >= 1000000) {
		secs++;
		usec -= 1000000;
	}
	struct tm tm;
	gmtime_r(&secs, &tm);
	char date[32];
	strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, size, "%s.%06ld+00:00", date, usec);
}


static int deny_errno_of(const struct sup_loop *loop)
{
	int e = loop->config->deny_errno;
	return e > 0 && e < 4096 ? e : EPERM;
}

/* Answer the kernel. ENOENT (the target died or the call was interrupted
 * and abandoned) is normal. */
static int send_resp(struct sup_loop *loop, struct seccomp_notif_resp *resp)
{
	if (ioctl(loop->listener, SECCOMP_IOCTL_NOTIF_SEND, resp) < 0) {
		if (errno == ENOENT) {
			loop->n_gone++;
			return 0;
		}
		return -errno;
	}
	return 0;
}

static bool still_valid(struct sup_loop *loop, uint64_t id)
{
	if (ioctl(loop->listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0)
		return true;
	loop->n_gone++;
	return false;
}

static int append_entry(struct sup_loop *loop, const struct sup_held *held, bool approved,
			const char *verdict, const char *source, const char *reason,
			const char *const *approver_ids, int answer_errno, enum pol_audit_kind kind,
			const struct sup_verdict_extra *x, char *ret_id, size_t id_size)
{
	if (!loop->entry_arena && !(loop->entry_arena = pol_json_arena_new()))
		return -ENOMEM;
	pol_json_arena_reset(loop->entry_arena);
	struct pol_json *entry = sup_verdict_entry(loop->entry_arena, loop, held, approved, verdict,
						   source, reason, approver_ids, answer_errno, x);
	if (!entry)
		return -ENOMEM;
	char entry_id[64];
	int rc = pol_audit_append_json(loop->audit, entry, kind, entry_id, sizeof entry_id);
	if (rc >= 0 && ret_id && id_size)
		snprintf(ret_id, id_size, "%s", entry_id);
	return rc;
}

int sup_verdict_record(struct sup_loop *loop, pid_t pid, int nr, const char *verdict,
		       const char *decision_source, const char *reason)
{
	struct sup_held h;
	memset(&h, 0, sizeof h);
	h.req.pid = (__u32)pid;
	h.req.data.nr = nr;
	h.intercepted_at = sup_verdict_now();
	return append_entry(loop, &h, false, verdict, decision_source, reason, NULL,
			    0, POL_AUDIT_DENY, NULL, NULL, 0);
}

int sup_verdict_answer(struct sup_loop *loop, struct sup_held *held, bool approved,
		       const char *verdict, const char *decision_source, const char *reason,
		       const char *const *approver_ids, const struct sup_verdict_extra *x,
		       char *ret_entry_id, size_t entry_id_size)
{
	struct seccomp_notif_resp resp;
	const int deny_errno = deny_errno_of(loop);
	enum pol_audit_kind kind;
	int rc;

	/* SECURITY: an approved exec runs only if the supervisor can watch
	 * it land (execcheck.h): become the thread's tracer now, while it is
	 * held; if that fails (another process traces it), deny. The id is
	 * checked first: only while the caller is still held in this
	 * notification does its tid name it (a human may have taken minutes,
	 * and a dead caller's tid could name another process by now). */
	char attach_why[160];
	if (approved && !held->from_shim && loop->execcheck && held->action &&
	    held->action->action_class == POL_ACTION_EXEC) {
		int a = still_valid(loop, held->id)
				? sup_execcheck_attach(loop->execcheck, (pid_t)held->req.pid)
				: -ESRCH;
		if (a < 0) {
			snprintf(attach_why, sizeof attach_why,
				 "cannot trace the exec to verify it: %s", strerror(-a));
			approved = false;
			verdict = "denied";
			decision_source = "exec_check";
			reason = attach_why;
		}
	}

	/* Attestation, enforce (docs/fleet.md): a failing predicate turns an
	 * allow into a deny; it never turns a deny into an allow. */
	const char *attest_why;
	if (approved && loop->attest && sup_attest_denies(loop, &attest_why)) {
		approved = false;
		verdict = "denied";
		decision_source = "attestation";
		reason = attest_why;
	}

	if (!approved)
		kind = POL_AUDIT_DENY;
	else if (!strcmp(decision_source, "human"))
		kind = POL_AUDIT_HUMAN;
	else if (!strcmp(decision_source, "policy"))
		kind = POL_AUDIT_AUTO;
	else
		kind = POL_AUDIT_DENY; /* fail_mode allow etc.: durable before release */

	/* SECURITY: write-ahead. The call is released only after its entry
	 * is written; if the entry cannot be written, it is denied. */
	char own_id[64];
	if (!(ret_entry_id && entry_id_size >= sizeof own_id)) {
		ret_entry_id = own_id;
		entry_id_size = sizeof own_id;
	}
	if (ret_entry_id && entry_id_size)
		ret_entry_id[0] = '\0';
	rc = append_entry(loop, held, approved, verdict, decision_source, reason, approver_ids,
			  approved ? 0 : deny_errno, kind, x, ret_entry_id, entry_id_size);
	/* Attestation, advisory: the would-deny shadow under the same id. */
	if (rc >= 0 && loop->attest)
		rc = sup_attest_shadow(loop, held, approved, verdict, approver_ids, x,
				       ret_entry_id);
	if (rc < 0) {
		fprintf(stderr, "attesta-run: cannot write audit entry for '%s': %s; denying\n",
			held->action && held->action->function_name ? held->action->function_name
								    : "call",
			strerror(-rc));
		approved = false;
	}
	/* wrapper chains (exec_chain.h): open, advance or end */
	if (held->action && !held->from_shim)
		sup_exec_chain_decided(sup_exec_chains_get(&loop->chains, NULL), held->action, approved,
				       decision_source, held->evaluated ? held->decision.assessment.level
								       : POL_LEVEL_CRITICAL,
				       rc >= 0 ? ret_entry_id : NULL);

	memset(&resp, 0, sizeof resp);
	resp.id = held->id;
	/* An exec of this process was decided: its previous scope ends. */
	if (loop->scopes && held->action && held->action->action_class == POL_ACTION_EXEC)
		sup_scope_exec_seen(loop->scopes, held->action->tgid);
	if (held->from_shim) {
		/* Shim-only mode: nothing to emulate or continue; the shim
		 * makes the call itself after an allow (docs/shim.md). */
		sup_shimloop_answer(held, approved, deny_errno);
		if (approved)
			loop->n_approved++;
		else
			loop->n_denied++;
		return 0;
	}
	if (approved && held->action && held->action->action_class == POL_ACTION_SOCKET) {
		/* socket()/socketpair() read no pointer argument (socketpair only
		 * writes its sv; docs/decode.md,
		 * "Socket creation"): the kernel makes the very call that was
		 * decided, so CONTINUE is safe (the id is re-checked below). */
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	} else if (approved && held->action && held->action->action_class == POL_ACTION_EXEC) {
		if (loop->execcheck)
			sup_execcheck_expect_fd(loop->execcheck, held->req.pid, held->action,
						held->kept_fd);
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	} else if (approved && held->action) {
		/* The decoder checked the id after reading the target's memory.
		 * With WAIT_KILLABLE_RECV nothing but SIGKILL ends the call
		 * since, so an automatic decision (microseconds later) need not
		 * ask again; a human one (seconds or minutes later) does. */
		bool fresh = loop->killable_recv && strcmp(decision_source, "human") != 0;
		if (!fresh && !still_valid(loop, held->id))
			goto done;
		rc = sup_emulate_at2(loop->listener, &held->req, held->action, held->kept_fd,
				     held->kept_fd2, &resp);
		if (rc < 0) {
			char why[300];
			snprintf(why, sizeof why, "emulation failed: %s", strerror(-rc));
			fprintf(stderr, "attesta-run: %s; denying\n", why);
			append_entry(loop, held, false, "denied", "emulation", why, NULL, deny_errno,
				     POL_AUDIT_DENY, NULL, NULL, 0);
			memset(&resp, 0, sizeof resp);
			resp.id = held->id;
			resp.error = -deny_errno;
		}
	} else {
		resp.error = -deny_errno;
	}
	if (approved) {
		loop->n_approved++;
	} else {
		loop->n_denied++;
		sup_denials_say(loop, held, decision_source, reason);
	}
	/* SECURITY: the target may have died and its pid been reused while
	 * we decided; never answer a stale id (the kernel would refuse it,
	 * but do not rely on that for CONTINUE). */
	if (resp.flags & SECCOMP_USER_NOTIF_FLAG_CONTINUE && !still_valid(loop, held->id))
		goto done;
	rc = send_resp(loop, &resp);
	if (rc < 0)
		fprintf(stderr, "attesta-run: cannot answer notification: %s\n", strerror(-rc));
done:
	return 0;
}

int sup_verdict_finish(struct sup_loop *loop, struct sup_held *held, bool approved,
		       const char *verdict, const char *decision_source, const char *reason,
		       const char *const *approver_ids)
{
	int rc = sup_verdict_answer(loop, held, approved, verdict, decision_source, reason,
				    approver_ids, NULL, NULL, 0);
	sup_held_remove(loop, held);
	sup_held_free(held);
	return rc;
}

/* A send on a connected socket: nothing to decide or audit, but it is
 * still performed by the supervisor on the copies it read. */
/* (added by the decoders' engineer) A call the kernel would fail anyway
 * (exec of a missing PATH entry, unlink of a missing file): answer its
 * errno at once, no policy, no audit -- execvp() stops its PATH search on
 * EPERM but not on ENOENT. See SUP_DECODE_FAILS_BASE in decode.h. */
static int finish_kernel_error(struct sup_loop *loop, struct sup_held *held)
{
	struct seccomp_notif_resp resp;
	if (held->from_shim) {
		/* the asker's call fails with the kernel's errno, unmade */
		sup_shimloop_answer(held, false, sup_decode_fails_errno(held->decode_result));
		sup_held_remove(loop, held);
		sup_held_free(held);
		return 0;
	}
	memset(&resp, 0, sizeof resp);
	resp.id = held->id;
	resp.error = -sup_decode_fails_errno(held->decode_result);
	int rc = send_resp(loop, &resp);
	if (rc < 0)
		fprintf(stderr, "attesta-run: cannot answer notification: %s\n", strerror(-rc));
	sup_held_remove(loop, held);
	sup_held_free(held);
	return 0;
}

static int finish_no_destination(struct sup_loop *loop, struct sup_held *held)
{
	struct seccomp_notif_resp resp;
	if (held->from_shim) {
		/* a send without destination: nothing to decide */
		sup_shimloop_answer(held, true, 0);
		sup_held_remove(loop, held);
		sup_held_free(held);
		return 0;
	}
	memset(&resp, 0, sizeof resp);
	resp.id = held->id;
	int rc = sup_emulate_at(loop->listener, &held->req, held->action, held->kept_fd, &resp);
	if (rc < 0) {
		memset(&resp, 0, sizeof resp);
		resp.id = held->id;
		resp.error = -deny_errno_of(loop);
	}
	rc = send_resp(loop, &resp);
	if (rc < 0)
		fprintf(stderr, "attesta-run: cannot answer notification: %s\n", strerror(-rc));
	sup_held_remove(loop, held);
	sup_held_free(held);
	return 0;
}

static int fill_context(struct sup_loop *loop, struct sup_held *held)
{
	struct pol_action *act = held->action;
	int rc = 0;
	if (!act->agent_id)
		rc = rc ?: pol_action_set(&act->agent_id, loop->agent_id);
	if (!act->session_id)
		rc = rc ?: pol_action_set(&act->session_id, loop->session_id);
	if (!act->environment)
		rc = rc ?: pol_action_set(&act->environment, loop->environment);
	if (!act->intercepted_at)
		act->intercepted_at = held->intercepted_at;
	return rc;
}

int sup_verdict_decide(struct sup_loop *loop, struct sup_held *held)
{
	const struct pol_config *config = loop->config;
	char why[320];
	int rc;

	if (sup_decode_fails_errno(held->decode_result))
		return finish_kernel_error(loop, held);
	if (held->decode_result < 0 || !held->action)
		return sup_verdict_finish(loop, held, false, "denied", "decoder",
					  held->reason[0] ? held->reason : "cannot decode call",
					  NULL);
	if (held->decode_result == SUP_DECODE_NO_DESTINATION)
		return finish_no_destination(loop, held);
	if (held->decode_result == SUP_DECODE_REFUSED)
		return sup_verdict_finish(loop, held, false, "denied", "decoder",
					  held->reason[0] ? held->reason : "refused", NULL);

	rc = fill_context(loop, held);
	if (rc < 0)
		return sup_verdict_finish(loop, held, false, "denied", "supervisor",
					  "out of memory", NULL);
	/* Attestation, enforce: denied before any policy or human (no
	 * challenge is shown); sup_verdict_answer checks again. */
	const char *attest_why;
	if (loop->attest && sup_attest_denies(loop, &attest_why))
		return sup_verdict_finish(loop, held, false, "denied", "attestation", attest_why,
					  NULL);
	if (held->action->action_class == POL_ACTION_SOCKET)
		return sup_verdict_socket(loop, held);
	/* SECURITY (docs/challenges.md, hard rule, not scored, not softened by any
	 * mode): the sandbox never reaches the approval socket. */
	if (sup_human_is_approval_socket(loop, held->action))
		return sup_verdict_finish(loop, held, false, "denied", "hard_rule",
					  "connect to the approval socket from inside the sandbox",
					  NULL);
	/* SECURITY (hard rule, like the one above): the sandbox never renames
	 * or removes the gate's own files or a directory above them
	 * (statepaths.h); the emulation checks their identity again. */
	if (sup_state_paths_hit(held->action, why, sizeof why))
		return sup_verdict_finish(loop, held, false, "denied", "hard_rule", why, NULL);
	/* SECURITY (docs/SECURITY.md, "The gate's own files"): the agent may
	 * not have the supervisor remove a protected state file for it (in
	 * the supervisor's namespace it is no mount point, and its removal
	 * would detach the agent's read-only bind). */
	if ((held->action->action_class == POL_ACTION_UNLINK ||
	     held->action->action_class == POL_ACTION_RMDIR) && held->action->path &&
	    sup_state_is_protected_at(held->kept_fd, held->action->path))
		return sup_verdict_finish(loop, held, false, "denied", "hard_rule",
					  "removal of the gate's own state (audit log, head, key, "
					  "trust store, config or profiles)", NULL);
	double trust = 0.5;
	if (loop->trust)
		trust = pol_trust_score(loop->trust, loop->agent_id, NULL, sup_verdict_now());
	if (loop->trust_pg) /* the database's record instead (trust_watch.h) */
		trust = sup_trust_pg_score(loop->trust_pg, loop->agent_id, sup_verdict_now());
	rc = pol_engine_evaluate(loop->engine, held->action, trust, true, &held->decision);
	if (rc == 0 && held->action->action_class == POL_ACTION_EXEC)
		rc = sup_verdict_exec_judge(loop, held, trust);
	if (rc < 0) {
		snprintf(why, sizeof why, "policy evaluation failed: %s", strerror(-rc));
		return sup_verdict_finish(loop, held, false, "denied", "policy", why, NULL);
	}
	held->evaluated = true;
	const struct pol_decision *d = &held->decision;

	bool approved;
	const char *verdict, *source;
	if (d->blocked) {
		approved = false;
		verdict = "denied";
		source = "policy";
		snprintf(why, sizeof why, "blocked: %s", d->reason[0] ? d->reason : "escalation rule");
	} else if (d->challenge == POL_CHALLENGE_AUTO_APPROVE) {
		approved = true;
		verdict = "approved";
		source = "policy";
		snprintf(why, sizeof why, "%s", d->reason);
	} else {
		/* A human is needed. A scope or a session grant from an
		 * earlier approval covers it (still audited). */
		const char *by = NULL;
		const char *kind = "session";
		if (loop->scopes) {
			by = sup_scope_session_covers(loop->scopes, held->action,
						      d->assessment.level);
			if (!by) {
				by = sup_scope_exec_covers(loop->scopes, held->action,
							   d->assessment.level);
				kind = "scope";
			}
		}
		/* a hop of a wrapper chain a human approved (exec_chain.h) */
		if (!by && !held->from_shim &&
		    (by = sup_exec_chain_covers(loop->chains, held->action, d->assessment.level)))
			kind = "chain";
		if (by) {
			char src[96];
			snprintf(src, sizeof src, "%s:%s", kind, by);
			snprintf(why, sizeof why, "covered by approval %s (%s %s)", by,
				 pol_level_name(d->assessment.level),
				 pol_challenge_name(d->challenge));
			return sup_verdict_finish(loop, held, true, "approved", src, why, NULL);
		}
		/* The same call refused by a human a moment ago (a shell trying
		 * the next PATH entry for the same file): refused again at
		 * once, not asked again (repeat.h). */
		const char *was = config->mode == POL_MODE_ENFORCE && loop->repeats
					  ? sup_repeat_find(loop->repeats, held->action,
							    sup_repeat_now_ms())
					  : NULL;
		if (was) {
			snprintf(why, sizeof why, "the same call was %s by a human less than %d s ago",
				 was, SUP_REPEAT_WINDOW_MS / 1000);
			return sup_verdict_finish(loop, held, false, "denied", "repeat", why, NULL);
		}
		/* Hold it for a human; finished later by human.c. Shadow and
		 * audit_only never make the agent wait. */
		int hold_rc = -EINVAL;
		if (config->mode == POL_MODE_ENFORCE && loop->approval &&
		    (hold_rc = sup_human_hold(loop, held)) == 0)
			return 0;
		/* No approver can be reached: fail_mode decides at once. */
		const char *nobody = !loop->approval ? "renderer none"
				     : config->mode != POL_MODE_ENFORCE ? "not held in this mode"
				     : hold_rc == -ENOSPC ? "too many calls waiting for a human"
				     : "cannot hold the call";
		source = "fail_mode";
		switch (config->fail_mode) {
		case POL_FAIL_ALLOW:
			approved = true;
			verdict = "approved";
			snprintf(why, sizeof why, "no approver: %s; fail_mode allow (%s %s)", nobody,
				 pol_level_name(d->assessment.level), pol_challenge_name(d->challenge));
			fprintf(stderr, "attesta-run: warning: %s allowed without review "
				"(fail_mode allow)\n", held->action->function_name);
			break;
		case POL_FAIL_ESCALATE:
			approved = false;
			verdict = "escalated";
			snprintf(why, sizeof why, "no approver: %s; escalated (%s %s)", nobody,
				 pol_level_name(d->assessment.level), pol_challenge_name(d->challenge));
			break;
		default:
			approved = false;
			verdict = "denied";
			snprintf(why, sizeof why, "no approver: %s (%s %s)", nobody,
				 pol_level_name(d->assessment.level), pol_challenge_name(d->challenge));
			break;
		}
	}
	/* shadow / audit_only: record what enforce would have done, let it run. */
	if (!approved && config->mode != POL_MODE_ENFORCE) {
		char shadow[360];
		snprintf(shadow, sizeof shadow, "%s: would deny: %s", sup_policy_mode_name(config->mode), why);
		return sup_verdict_finish(loop, held, true, "approved", source, shadow, NULL);
	}
	return sup_verdict_finish(loop, held, approved, verdict, source, why, NULL);
}
