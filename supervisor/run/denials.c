/*
 * Denials on attesta-run's stderr (denials.h), the exit summary, and the
 * note that the audit log's torn tail was repaired at start. Everything printed comes
 * from the agent (paths, argv): it goes through sup_term_safe() so the
 * agent cannot write terminal escapes into the user's terminal.
 */
#include "supervisor/run/denials.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "policy/action.h"
#include "policy/audit.h"
#include "policy/engine.h"
#include "supervisor/run/approval.h"
#include "supervisor/common/termsafe.h"
#include "supervisor/run/filter.h"
#include "supervisor/run/gate.h"
#include "supervisor/run/loop.h"

/* One shell word: as is when it is plain, else in single quotes. */
static size_t put_word(char *buf, size_t size, const char *w)
{
	size_t o = 0;
	bool plain = *w != '\0';

	for (const char *p = w; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:=@%+,-", *p))
			plain = false;
	if (plain)
		return (size_t)snprintf(buf, size, " %s", w);
	if (o + 2 < size) {
		buf[o++] = ' ';
		buf[o++] = '\'';
	}
	for (const char *p = w; *p && o + 5 < size; p++) {
		if (*p == '\'') {
			memcpy(buf + o, "'\\''", 4);
			o += 4;
		} else {
			buf[o++] = *p;
		}
	}
	if (o + 1 < size)
		buf[o++] = '\'';
	buf[o < size ? o : size - 1] = '\0';
	return o;
}

/* As `attesta score` takes it: "exec /usr/bin/rm -rf build", "unlink
 * /w/x", "connect 127.0.0.2:80", "rename /w/a /w/b"; bounded. */
static void describe(const struct pol_action *a, char *buf, size_t size)
{
	const char *cls = pol_action_class_name(a->action_class);
	size_t o;
	int n;

	if (a->action_class == POL_ACTION_UNLINK || a->action_class == POL_ACTION_RMDIR) {
		snprintf(buf, size, "%s %s", cls, a->path ? a->path : "?");
		return;
	}
	if (a->action_class == POL_ACTION_EXEC)
		n = snprintf(buf, size, "%s %s", cls, a->path ? a->path : a->function_name ? a->function_name : "?");
	else
		n = snprintf(buf, size, "%s", cls);
	o = n > 0 && (size_t)n < size ? (size_t)n : size - 1;
	for (size_t i = 0; i < a->args.count && i < 8 && o + 1 < size; i++) {
		size_t w = put_word(buf + o, size - o, a->args.items[i]);
		o = w < size - o ? o + w : size - 1;
	}
}

void sup_denials_say(struct sup_loop *loop, const struct sup_held *held, const char *source,
		     const char *reason)
{
	char what[512], safe_what[1200], safe_why[800], risk[64] = "";

	if (loop->quiet || held->from_shim)
		return;
	/* any decision thread (workers.h) */
	unsigned said = __atomic_add_fetch(&loop->n_denials_said, 1, __ATOMIC_RELAXED);
	if (said > SUP_DENIALS_SHOWN) {
		if (said == SUP_DENIALS_SHOWN + 1)
			fprintf(stderr, "attesta-run: more than %d denials: the rest are only in the "
				"audit log (attesta audit inspect)\n", SUP_DENIALS_SHOWN);
		return;
	}
	if (held->action) {
		describe(held->action, what, sizeof what);
	} else {
		const char *name = sup_filter_syscall_name(held->req.data.nr);
		snprintf(what, sizeof what, "%s", name ? name : "system call");
	}
	if (held->evaluated)
		snprintf(risk, sizeof risk, " (%s %.3f)",
			 pol_level_name(held->decision.assessment.level),
			 held->decision.assessment.score);
	sup_term_safe(what, safe_what, sizeof safe_what);
	sup_term_safe(reason ? reason : "", safe_why, sizeof safe_why);
	fprintf(stderr, "attesta-run: denied %s%s [%s]: %s\n", safe_what, risk, source, safe_why);
	if (held->evaluated && held->action->action_class != POL_ACTION_SOCKET)
		fprintf(stderr, "attesta-run:   why: attesta score %s   (a human can allow it with "
			"--renderer tty or socket; docs/score.md)\n", safe_what);
}

void sup_denials_summary(const struct sup_loop *loop, const char *audit_path)
{
	unsigned long long held = 0;
	double held_seconds = 0;

	sup_approval_held_stats(loop->gate->approval, &held, &held_seconds);
	/* A clean run (nothing denied, nobody asked) stays silent. */
	if (loop->quiet || (loop->n_denied == 0 && held == 0))
		return;
	fprintf(stderr, "attesta-run: %llu gated calls decided: %llu approved, %llu denied; "
		"%llu held for a human, %.1f s waiting in all (attesta audit inspect%s%s)\n",
		(unsigned long long)(loop->n_approved + loop->n_denied),
		(unsigned long long)loop->n_approved, (unsigned long long)loop->n_denied, held,
		held_seconds, audit_path ? " " : "", audit_path ? audit_path : "");
}

void sup_denials_audit_opened(const struct pol_audit_log *audit, const char *audit_path,
			      bool quiet)
{
	size_t removed = pol_audit_repaired_bytes(audit);
	char safe[1200];

	if (quiet || !removed)
		return;
	fprintf(stderr, "attesta-run: the audit log %s ended in a torn line (an earlier run "
		"stopped mid-write): removed %zu bytes and recorded the repair in the log "
		"(attesta audit verify)\n",
		sup_term_safe(audit_path ? audit_path : "", safe, sizeof safe), removed);
}
