/*
 * The respond stage (respond.h): respond_guard(), the record stage
 * (record.c) and respond() (or respond_unaudited()), in that order, for
 * every decided call, from sup_finish():
 * the call is released only after its entry is written (write-ahead,
 * docs/SECURITY.md), every error is a deny (fail closed), and a stale
 * notification id is never answered with CONTINUE.
 */
#include "supervisor/run/respond.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "policy/config.h"
#include "supervisor/run/attest.h"
#include "supervisor/run/decode_cache.h"
#include "supervisor/run/denials.h"
#include "supervisor/run/emulate.h"
#include "supervisor/run/exec_chain.h"
#include "supervisor/run/exec_watch.h"
#include "supervisor/run/execcheck.h"
#include "supervisor/run/record.h"
#include "supervisor/run/scope.h"
#include "supervisor/run/shimgate.h"

static int deny_errno_of(const struct sup_loop *loop)
{
	/* the policy a newer bundle installs (attest.h) is swapped under the
	 * gate lock; the one it replaces stays allocated until the end */
	const struct pol_config *c = __atomic_load_n(&loop->gate->config, __ATOMIC_ACQUIRE);
	int e = c->deny_errno;
	return e > 0 && e < 4096 ? e : EPERM;
}

/* Answer the kernel. ENOENT (the target died or the call was interrupted
 * and abandoned) is normal. */
static void send_resp(struct sup_loop *loop, struct seccomp_notif_resp *resp)
{
	if (ioctl(loop->listener, SECCOMP_IOCTL_NOTIF_SEND, resp) == 0)
		return;
	if (errno == ENOENT)
		SUP_COUNT(loop->n_gone);
	else
		fprintf(stderr, "attesta-run: cannot answer notification: %s\n", strerror(errno));
}

static bool still_valid(struct sup_loop *loop, uint64_t id)
{
	if (ioctl(loop->listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0)
		return true;
	SUP_COUNT(loop->n_gone);
	return false;
}

/* Shim-only mode: the verdict on the asker's connection; a failure means
 * the asker is gone (its call never happens). */
static void answer_shim(struct sup_held *held, bool approved, int err)
{
	if (held->shim_conn < 0)
		return;
	(void)sup_shimgate_answer(held->shim_conn, &held->shim_req, approved, err);
	close(held->shim_conn);
	held->shim_conn = -1;
}

static void respond_guard(struct sup_loop *loop, struct sup_held *held)
{
	struct sup_verdict *v = &held->verdict;

	/* SECURITY: an approved exec runs only if the supervisor can watch
	 * it land (execcheck.h): become the thread's tracer now, while it is
	 * held; if that fails (another process traces it), deny. The id is
	 * checked first: only while the caller is still held in this
	 * notification does its tid name it (a human may have taken minutes,
	 * and a dead caller's tid could name another process by now). */
	if (sup_verdict_allows(v) && !held->from_shim && loop->gate->execcheck && held->action &&
	    held->action->action_class == POL_ACTION_EXEC) {
		int a = !still_valid(loop, held->id) ? -ESRCH
			: held->exec_here ? sup_exec_watch_seize(held)
					  : sup_execcheck_attach(loop->gate->execcheck, (pid_t)held->req.pid);
		if (a < 0)
			sup_verdict_set(v, SUP_VERDICT_DENIED, SUP_SRC_EXEC_CHECK,
					"cannot trace the exec to verify it: %s", strerror(-a));
	}
	/* Attestation, enforce (docs/fleet.md): a failing predicate turns an
	 * allow into a deny; it never turns a deny into an allow. */
	const char *attest_why;
	if (sup_verdict_allows(v) && loop->gate->attest && sup_attest_denies(loop->gate, &attest_why))
		sup_verdict_set(v, SUP_VERDICT_DENIED, SUP_SRC_ATTESTATION, "%s", attest_why);
}

/* gate_held: the caller holds the gate lock (the loop thread, or no
 * decision threads); else it is taken for the one entry written here. */
static void respond(struct sup_loop *loop, struct sup_held *held, bool gate_held)
{
	const struct sup_verdict *v = &held->verdict;
	const bool approved = sup_verdict_allows(v);
	const int deny_errno = deny_errno_of(loop);
	struct seccomp_notif_resp resp;

	memset(&resp, 0, sizeof resp);
	resp.id = held->id;
	/* An exec of this process was decided: its previous scope ends. */
	if (loop->gate->scopes && held->action && held->action->action_class == POL_ACTION_EXEC)
		sup_scope_exec_seen(loop->gate->scopes, held->action->tgid);
	if (held->from_shim) {
		/* Shim-only mode: nothing to emulate or continue; the shim
		 * makes the call itself after an allow (docs/shim.md). */
		answer_shim(held, approved, deny_errno);
		if (approved)
			SUP_COUNT(loop->n_approved);
		else
			SUP_COUNT(loop->n_denied);
		return;
	}
	if (approved && held->action && held->action->action_class == POL_ACTION_SOCKET) {
		/* socket()/socketpair() read no pointer argument (socketpair only
		 * writes its sv; docs/decode.md, "Socket creation"): the kernel
		 * makes the very call that was decided, so CONTINUE is safe
		 * (the id is re-checked below). */
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	} else if (approved && held->action && held->action->action_class == POL_ACTION_EXEC) {
		if (held->seized)
			/* its own tracer checks it (exec_watch.h) */
			held->expect = sup_exec_expect_new(loop->gate->execcheck, held->req.pid,
							   held->action, held->kept_fd);
		else if (loop->gate->execcheck)
			sup_execcheck_expect_fd(loop->gate->execcheck, held->req.pid, held->action,
						held->kept_fd);
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	} else if (approved && held->action) {
		/* The decoder checked the id after reading the target's memory.
		 * With WAIT_KILLABLE_RECV nothing but SIGKILL ends the call
		 * since, so an automatic decision (microseconds later) need not
		 * ask again; a human one (seconds or minutes later) does. */
		bool fresh = loop->killable_recv && v->source != SUP_SRC_HUMAN;
		if (!fresh && !still_valid(loop, held->id))
			return;
		int rc = sup_emulate_at2(loop->listener, &held->req, held->action, held->kept_fd,
					 held->kept_fd2, &resp);
		if (rc < 0) {
			struct sup_verdict failed;
			sup_verdict_set(&failed, SUP_VERDICT_DENIED, SUP_SRC_EMULATION,
					"emulation failed: %s", strerror(-rc));
			fprintf(stderr, "attesta-run: %s; denying\n", failed.reason);
			if (!gate_held)
				sup_gate_lock(loop);
			sup_record_also(loop->gate, held, &failed, deny_errno);
			if (!gate_held)
				sup_gate_unlock(loop);
			memset(&resp, 0, sizeof resp);
			resp.id = held->id;
			resp.error = -deny_errno;
		}
	} else {
		resp.error = -deny_errno;
	}
	if (approved) {
		SUP_COUNT(loop->n_approved);
	} else {
		SUP_COUNT(loop->n_denied);
		sup_denials_say(loop, held, sup_source_name(v->source), v->reason);
	}
	/* SECURITY: the target may have died and its pid been reused while
	 * we decided; never answer a stale id (the kernel would refuse it,
	 * but do not rely on that for CONTINUE). */
	if (resp.flags & SECCOMP_USER_NOTIF_FLAG_CONTINUE && !still_valid(loop, held->id))
		return;
	send_resp(loop, &resp);
}

static void respond_unaudited(struct sup_loop *loop, struct sup_held *held)
{
	struct seccomp_notif_resp resp;
	const bool kernel = held->verdict.kind == SUP_VERDICT_KERNEL_ERRNO;

	if (held->from_shim) {
		/* a kernel error: the asker's call fails with the kernel's
		 * errno, unmade; a send without destination: nothing to decide */
		answer_shim(held, !kernel, kernel ? sup_decode_fails_errno(held->decode_result) : 0);
		return;
	}
	memset(&resp, 0, sizeof resp);
	resp.id = held->id;
	if (kernel) {
		/* (added by the decoders' engineer) A call the kernel would fail
		 * anyway (exec of a missing PATH entry, unlink of a missing
		 * file): its errno at once, no policy, no audit -- execvp()
		 * stops its PATH search on EPERM but not on ENOENT. See
		 * SUP_DECODE_FAILS_BASE in decode.h. */
		resp.error = -sup_decode_fails_errno(held->decode_result);
	} else if (sup_emulate_at(loop->listener, &held->req, held->action, held->kept_fd, &resp) < 0) {
		/* A send on a connected socket: nothing to decide or audit,
		 * but it is still performed by the supervisor on the copies
		 * it read. */
		memset(&resp, 0, sizeof resp);
		resp.id = held->id;
		resp.error = -deny_errno_of(loop);
	}
	send_resp(loop, &resp);
}

void sup_finish_record(struct sup_loop *loop, struct sup_held *held,
		       const struct sup_verdict_extra *x)
{
	struct sup_verdict *v = &held->verdict;

	if (v->kind == SUP_VERDICT_KERNEL_ERRNO || v->kind == SUP_VERDICT_PASS_SEND)
		return; /* nothing to audit */
	if (v->warn_unreviewed && held->action)
		fprintf(stderr, "attesta-run: warning: %s allowed without review "
			"(fail_mode allow)\n", held->action->function_name);
	respond_guard(loop, held);
	/* SECURITY: write-ahead. The call is released only after its entry
	 * is written; if the entry cannot be written, it is denied. */
	int rc = sup_record(loop->gate, held, x);
	if (rc < 0) {
		fprintf(stderr, "attesta-run: cannot write audit entry for '%s': %s; denying\n",
			held->action && held->action->function_name ? held->action->function_name
								    : "call",
			strerror(-rc));
		if (sup_verdict_allows(v))
			v->kind = SUP_VERDICT_DENIED;
	}
	/* wrapper chains (exec_chain.h): open, advance or end, now that the
	 * entry that heads or carries them is written */
	if (held->action && !held->from_shim && held->action->action_class == POL_ACTION_EXEC)
		sup_exec_chain_decided(sup_exec_chains_get(&loop->gate->chains, NULL), held->action,
				       sup_verdict_allows(v), sup_source_name(v->source),
				       held->evaluated ? held->decision.assessment.level
						       : POL_LEVEL_CRITICAL,
				       rc >= 0 ? held->entry_id : NULL);
}

void sup_finish_respond(struct sup_loop *loop, struct sup_held *held, bool gate_held)
{
	const struct sup_verdict *v = &held->verdict;

	if (v->kind == SUP_VERDICT_KERNEL_ERRNO || v->kind == SUP_VERDICT_PASS_SEND)
		respond_unaudited(loop, held);
	else
		respond(loop, held, gate_held);
	/* the target runs again: close what its decision evicted now
	 * (decode_cache.h) */
	sup_tcache_close_deferred();
}

int sup_finish(struct sup_loop *loop, struct sup_held *held, const struct sup_verdict_extra *x)
{
	sup_finish_record(loop, held, x);
	sup_finish_respond(loop, held, true);
	return 0;
}
