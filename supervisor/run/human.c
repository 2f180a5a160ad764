/*
 * Held calls that need a human: creates the approval table (socket) and
 * the tty renderer for attesta-run, watches them from the event loop,
 * holds calls, and finishes them when the approval table decides (a
 * human answer, a timeout with fail_mode, or the target gone): audit
 * entry with the real review time and the challenge result, answer to
 * the kernel, trust update for human decisions, exec scopes and session
 * grants. Trusts the kernel's credentials (via approval.c) and nothing
 * the sandbox says; the sandbox's connects to the approval socket are
 * refused by device and inode.
 */
#include "supervisor/run/human.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/config.h"
#include "policy/diag.h"
#include "policy/trust.h"
#include "supervisor/run/approval.h"
#include "supervisor/run/approval_pg.h"
#include "supervisor/run/emulate.h"
#include "supervisor/run/removal_scale.h"
#include "supervisor/run/repeat.h"
#include "supervisor/run/scope.h"
#include "supervisor/run/trust_watch.h"
#include "supervisor/run/tty.h"
#include "supervisor/run/clock.h"
#include "supervisor/run/respond.h"

static bool alive(void *ctx, void *cookie)
{
	struct sup_loop *loop = ctx;
	struct sup_held *held = cookie;
	uint64_t id = held->id;
	return ioctl(loop->listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

static void record_trust(struct sup_loop *loop, const struct sup_approval_outcome *o)
{
	struct pol_diag diag;
	char line[600];

	if (!loop->gate->trust || !o->human_decision)
		return;
	/* approved -> APPROVED; denied, timed_out, escalated -> DENIED */
	enum pol_trust_event ev = o->approved && o->decision_source == SUP_SRC_HUMAN
					  ? POL_TRUST_APPROVED : POL_TRUST_DENIED;
	if (loop->gate->trust_pg) { /* trust.backend postgres: to the database (trust_watch.h) */
		sup_trust_pg_record(loop->gate->trust_pg, ev == POL_TRUST_APPROVED);
		return;
	}
	if (pol_trust_record(loop->gate->trust, loop->gate->agent_id, NULL, ev, sup_now()) < 0)
		return;
	/* a file bind-mounted read-only for the agent: replacing it now would
	 * detach that mount; main.c saves it when the run ends */
	if (loop->defer_trust_save)
		return;
	memset(&diag, 0, sizeof diag);
	int rc = pol_trust_store_save(loop->gate->trust, &diag);
	if (rc < 0) {
		pol_diag_format(&diag, line, sizeof line);
		fprintf(stderr, "attesta-run: warning: cannot save trust store: %s\n",
			diag.message[0] ? line : strerror(-rc));
	}
}

static void add_scopes(struct sup_loop *loop, struct sup_held *held,
		       const struct sup_approval_outcome *o, const char *entry_id)
{
	if (!loop->gate->scopes || !held->action || !held->evaluated || !entry_id[0])
		return;
	enum pol_level level = held->decision.assessment.level;
	if (held->action->action_class == POL_ACTION_EXEC &&
	    sup_scope_add_exec(loop->gate->scopes, held->action, level, entry_id) < 0)
		fprintf(stderr, "attesta-run: note: exec scope table full: later removals "
			"are asked again\n");
	if (o->session_grant &&
	    sup_scope_grant_session(loop->gate->scopes, held->action, level, entry_id) < 0)
		fprintf(stderr, "attesta-run: note: session grant table full: identical "
			"actions are asked again\n");
}

static void decided(void *ctx, void *cookie, const struct sup_approval_outcome *o)
{
	struct sup_loop *loop = ctx;
	struct sup_held *held = cookie;
	const struct sup_verdict_extra x = {
		.challenge_presented = o->challenge_presented,
		.challenge_passed = o->challenge_passed,
		.review_seconds = o->review_seconds,
		.min_review_met = o->min_review_met,
		.challenge_result = o->challenge_result,
		.session_grant = o->session_grant && o->approved,
		.escalation = o->escalation,
		.warning = o->warning,
	};

	/* The approval table's decision goes through the same record and
	 * respond stages as an automatic one (respond.h). */
	enum sup_verdict_kind kind = o->approved ? SUP_VERDICT_APPROVED
				     : o->verdict == SUP_VERDICT_APPROVED ? SUP_VERDICT_DENIED
				     : o->verdict;
	sup_verdict_set(&held->verdict, kind, o->decision_source, "%s", o->reason ? o->reason : "");
	held->verdict.approver_ids = o->approver_ids;
	sup_finish(loop, held, &x);
	held->verdict.approver_ids = NULL; /* borrowed for the callback only */
	record_trust(loop, o);
	/* A refusal is not asked again for the same call at once (repeat.h). */
	if (!o->approved && o->human_decision && held->action)
		sup_repeat_note(loop->gate->repeats, held->action, sup_verdict_name(o->verdict),
				sup_repeat_now_ms());
	/* Only a human approval that was written down grants anything. */
	if (o->approved && o->decision_source == SUP_SRC_HUMAN)
		add_scopes(loop, held, o, held->entry_id);
	sup_held_remove(loop, held);
	sup_held_free(held);
}

static void on_approval(void *ctx, int fd, uint32_t events)
{
	(void)fd;
	(void)events;
	int rc = sup_approval_dispatch(ctx);
	if (rc < 0)
		fprintf(stderr, "attesta-run: approval server: %s\n", strerror(-rc));
}

static void on_tty(void *ctx, int fd, uint32_t events)
{
	(void)fd;
	(void)events;
	sup_tty_dispatch(ctx);
}

int sup_human_open(struct sup_loop *loop, bool use_tty, char *why, size_t why_size)
{
	struct sup_approval_opts opts = {
		.config = loop->gate->config,
		.session_id = loop->gate->session_id,
		.supervisor_pid = getpid(),
		.listen = true,
		.announce = !use_tty,
		.escalation_env_agent = loop->gate->agent_id,
	};
	struct sup_approval_ops ops = { .ctx = loop, .decided = decided, .alive = alive };
	struct stat st;
	int rc;

	rc = sup_scope_table_new(&loop->gate->scopes);
	if (rc < 0) {
		snprintf(why, why_size, "cannot create the scope table: %s", strerror(-rc));
		return rc;
	}
	rc = sup_repeat_new(&loop->gate->repeats);
	if (rc < 0) {
		snprintf(why, why_size, "out of memory");
		return rc;
	}
	rc = sup_approval_new(&opts, &ops, &loop->gate->approval, why, why_size);
	if (rc < 0)
		return rc;
	if ((rc = sup_approval_pg_open(loop, why, why_size)) < 0) /* approval_pg.h */
		return rc;
	const char *path = sup_approval_socket_path(loop->gate->approval);
	if (path && stat(path, &st) == 0) {
		loop->gate->approval_sock.dev = st.st_dev;
		loop->gate->approval_sock.ino = st.st_ino;
		loop->gate->approval_sock.known = true;
		sup_emulate_forbid_socket(&loop->gate->approval_sock);
	} else if (path) {
		rc = -errno;
		snprintf(why, why_size, "cannot stat approval socket '%s': %s", path,
			 strerror(-rc));
		return rc;
	}
	if (use_tty && (rc = sup_tty_new(loop->gate->approval, &loop->tty, why, why_size)) < 0)
		return rc;
	rc = sup_ev_add(&loop->ev, sup_approval_fd(loop->gate->approval), on_approval, loop->gate->approval);
	if (rc < 0) {
		snprintf(why, why_size, "cannot watch the approval server: %s", strerror(-rc));
		return rc;
	}
	return 0;
}

int sup_human_started(struct sup_loop *loop)
{
	if (!loop->tty)
		return 0;
	int rc = sup_tty_started(loop->tty);
	if (rc < 0)
		return rc;
	return sup_ev_add(&loop->ev, sup_tty_fd(loop->tty), on_tty, loop->tty);
}

int sup_human_hold(struct sup_loop *loop, struct sup_held *held)
{
	unsigned id;
	if (!loop->gate->approval || !held->action || !held->evaluated)
		return -EINVAL;
	/* SECURITY: bounded, or a flood of held calls starves the
	 * supervisor of descriptors and locks the approver out. */
	if (sup_approval_count(loop->gate->approval) >= SUP_HUMAN_MAX_HELD)
		return -ENOSPC;
	struct pol_removal_scale scale; /* measured only now: a human will be asked */
	sup_removal_scale_measure(held, &scale);
	return sup_approval_hold_scaled(loop->gate->approval, held, held->action, &held->decision,
					&scale, &id);
}

static bool same_file(const char *path, const struct sup_loop *loop)
{
	struct stat st;
	return stat(path, &st) == 0 && st.st_dev == loop->gate->approval_sock.dev &&
	       st.st_ino == loop->gate->approval_sock.ino;
}

bool sup_human_is_approval_socket(const struct sup_loop *loop, const struct pol_action *action)
{
	char path[4200];

	if (!loop->gate->approval_sock.known || !action || !action->address ||
	    action->family != AF_UNIX || action->address[0] != '/')
		return false;
	if (action->action_class != POL_ACTION_CONNECT && action->action_class != POL_ACTION_SENDTO)
		return false;
	if (same_file(action->address, loop))
		return true;
	/* The decoders name it in the target's view (its root). */
	pid_t pid = action->tgid ? action->tgid : action->pid;
	snprintf(path, sizeof path, "/proc/%d/root%s", (int)pid, action->address);
	return same_file(path, loop);
}
