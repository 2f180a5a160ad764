/*
 * The table of held calls waiting for a human: each item owns its
 * challenge (policy/challenge.h) and a copy of what it shows, and has a
 * deadline (policy.timeout_seconds) after which fail_mode decides. Items
 * are decided exactly once, through ops->decided, by a passed or failed
 * challenge, an explicit deny, the timeout, or the target going away.
 * Renderers (the socket server in approval_sock.c, the tty in tty.c) call
 * the functions of approval.h; identities they pass come from the kernel.
 * Trusts the caller's action and decision (already bounded by the
 * decoders); trusts nothing an approver sends beyond comparing it.
 */
#include "supervisor/run/approval_internal.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "policy/challenge.h"
#include "supervisor/common/termsafe.h"

/* While items are held, their targets are checked this often (a killed
 * agent must not leave a prompt up until the timeout). */
#define ALIVE_CHECK_SECONDS 1.0

double sup_approval_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void sup_approval_uid_name(uid_t uid, char *buf, size_t size)
{
	struct passwd pw, *res = NULL;
	char pwbuf[4096];
	if (getpwuid_r(uid, &pw, pwbuf, sizeof pwbuf, &res) == 0 && res && res->pw_name &&
	    *res->pw_name && strlen(res->pw_name) < size)
		snprintf(buf, size, "%s", res->pw_name);
	else
		snprintf(buf, size, "uid:%u", (unsigned)uid);
}

struct approval_item *approval_find(const struct sup_approval *a, unsigned id)
{
	for (struct approval_item *it = a->items; it; it = it->next)
		if (it->id == id)
			return it;
	return NULL;
}

void approval_notify_changed(struct sup_approval *a, unsigned id,
			   const struct sup_approval_outcome *o)
{
	if (a->changed)
		a->changed(a->changed_ctx, id, o);
	if (a->observer)
		a->observer(a->observer_ctx, id, o);
}

static void arm_timer(struct sup_approval *a)
{
	struct itimerspec its = { 0 };
	double now = sup_approval_now(), due = -1;
	for (struct approval_item *it = a->items; it; it = it->next)
		if (due < 0 || it->deadline < due)
			due = it->deadline;
	if (a->items && a->ops.alive && (due < 0 || due > now + ALIVE_CHECK_SECONDS))
		due = now + ALIVE_CHECK_SECONDS;
	if (due >= 0) {
		double d = due - now;
		if (d < 0.001)
			d = 0.001; /* 0 would disarm */
		its.it_value.tv_sec = (time_t)d;
		its.it_value.tv_nsec = (long)((d - (double)(time_t)d) * 1e9);
	}
	timerfd_settime(a->timerfd, 0, &its, NULL);
}

static void item_free(struct approval_item *it)
{
	if (!it)
		return;
	pol_challenge_free(it->challenge);
	cJSON_Delete(it->info);
	free(it);
}

static void unlink_item(struct sup_approval *a, struct approval_item *it)
{
	for (struct approval_item **p = &a->items; *p; p = &(*p)->next) {
		if (*p == it) {
			*p = it->next;
			return;
		}
	}
}

/* Decide an item: hand the outcome to the caller, drop the item. */
void approval_finish(struct sup_approval *a, struct approval_item *it,
		   struct sup_approval_outcome *o)
{
	const char *ids[POL_AGENT_MAX_DEPTH + 64];
	size_t n_ids = 0;
	struct pol_challenge_summary sum;

	pol_challenge_summarize(it->challenge, &sum);
	size_t parts = pol_challenge_part_count(it->challenge);
	for (size_t i = 0; i < parts && n_ids + 1 < sizeof ids / sizeof ids[0]; i++) {
		const char *who = pol_challenge_part_identity(it->challenge, i);
		if (who)
			ids[n_ids++] = who;
	}
	if (!o->approver_ids) {
		ids[n_ids] = NULL;
		o->approver_ids = ids;
	}
	o->challenge_presented = o->challenge_presented || n_ids > 0;
	o->review_seconds = sum.review_seconds;
	o->min_review_met = sum.min_review_met;
	o->challenge_passed = sum.status == POL_CHALLENGE_PASSED;
	o->challenge_result = pol_challenge_result_json(it->challenge);

	unlink_item(a, it);
	a->n_held++;
	a->held_seconds += sup_approval_now() - it->held_at;
	if (a->ops.decided)
		a->ops.decided(a->ops.ctx, it->cookie, o);
	approval_notify_changed(a, it->id, o);
	cJSON_Delete(o->challenge_result);
	item_free(it);
	arm_timer(a);
}

/* gate.escalation_command: split on blanks, no shell, not waited for
 * here (the supervisor reaps it with its other children). */
static void run_escalation(struct sup_approval *a, struct approval_item *it)
{
	const char *cmd = a->config->escalation_command;
	char *copy, *argv[32], *save = NULL;
	size_t argc = 0;
	char env_id[32], env_action[600], env_level[32], env_session[96];

	if (!cmd || !*cmd || !(copy = strdup(cmd)))
		return;
	for (char *tok = strtok_r(copy, " \t", &save); tok && argc < 31;
	     tok = strtok_r(NULL, " \t", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	if (argc == 0) {
		free(copy);
		return;
	}
	const cJSON *desc = cJSON_GetObjectItemCaseSensitive(it->info, "action");
	snprintf(env_id, sizeof env_id, "ATTESTA_HELD_ID=%u", it->id);
	snprintf(env_action, sizeof env_action, "ATTESTA_ACTION=%s",
		 cJSON_IsString(desc) ? desc->valuestring : "");
	snprintf(env_level, sizeof env_level, "ATTESTA_RISK_LEVEL=%s", pol_level_name(it->level));
	snprintf(env_session, sizeof env_session, "ATTESTA_SESSION_ID=%s", a->session_id);
	pid_t pid = fork();
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		setpgid(0, 0);
		putenv(env_id);
		putenv(env_action);
		putenv(env_level);
		putenv(env_session);
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (null >= 0)
			dup2(null, STDIN_FILENO);
		execvp(argv[0], argv);
		dprintf(STDERR_FILENO, "attesta-run: cannot run escalation command '%s': %m\n",
			argv[0]);
		_exit(127);
	}
	if (pid < 0)
		fprintf(stderr, "attesta-run: cannot run escalation command '%s': %m\n", argv[0]);
	free(copy);
}

/* fail_mode for an item nobody answered: after its timeout, or (cause
 * not NULL, e.g. "the fleet database was lost") at once. */
static void fail_item(struct sup_approval *a, struct approval_item *it, const char *cause)
{
	struct sup_approval_outcome o = { .decision_source = SUP_SRC_TIMEOUT };
	char why[400], no_answer[240];
	char desc[512];
	sup_term_safe(approval_info_description(it->info), desc, sizeof desc);
	if (cause)
		snprintf(no_answer, sizeof no_answer, "no answer: %.200s", cause);
	else
		snprintf(no_answer, sizeof no_answer, "no answer within %g s",
			 a->config->timeout_seconds);

	switch (a->config->fail_mode) {
	case POL_FAIL_ALLOW:
		o.approved = true;
		o.verdict = SUP_VERDICT_APPROVED;
		o.warning = true;
		snprintf(why, sizeof why, "%s: fail_mode allow (unreviewed)", no_answer);
		fprintf(stderr, "attesta: warning: held #%u %s allowed without review "
			"(%s, fail_mode allow)\n", it->id, desc, cause ? cause : "timeout");
		break;
	case POL_FAIL_ESCALATE:
		o.verdict = SUP_VERDICT_ESCALATED;
		o.escalation = true;
		snprintf(why, sizeof why, "%s: escalated", no_answer);
		fprintf(stderr, "attesta: held #%u %s escalated (%s)\n", it->id, desc,
			cause ? cause : "timeout");
		run_escalation(a, it);
		break;
	default:
		o.verdict = SUP_VERDICT_TIMED_OUT;
		snprintf(why, sizeof why, "%s: fail_mode deny", no_answer);
		fprintf(stderr, "attesta: held #%u %s denied (%s)\n", it->id, desc,
			cause ? cause : "timeout");
		break;
	}
	o.reason = why;
	o.human_decision = true; /* a human was asked and did not approve */
	if (o.approved)
		o.human_decision = false;
	approval_finish(a, it, &o);
}

static void on_timer(struct sup_approval *a)
{
	uint64_t ticks;
	if (read(a->timerfd, &ticks, sizeof ticks) < 0 && errno != EAGAIN)
		return;
	double now = sup_approval_now();
	bool again = true;
	/* finish() unlinks: restart the scan after each decision. */
	while (again) {
		again = false;
		for (struct approval_item *it = a->items; it; it = it->next) {
			if (a->ops.alive && !a->ops.alive(a->ops.ctx, it->cookie)) {
				struct sup_approval_outcome o = {
					.verdict = SUP_VERDICT_DENIED, .decision_source = SUP_SRC_SUPERVISOR,
					.reason = "target gone while held",
				};
				approval_finish(a, it, &o);
				again = true;
				break;
			}
			if (it->deadline <= now) {
				fail_item(a, it, NULL);
				again = true;
				break;
			}
		}
	}
	arm_timer(a);
}

int sup_approval_new(const struct sup_approval_opts *opts, const struct sup_approval_ops *ops,
		     struct sup_approval **ret_approval, char *why, size_t why_size)
{
	struct sup_approval *a = calloc(1, sizeof *a);
	int rc;
	if (!a) {
		snprintf(why, why_size, "out of memory");
		return -ENOMEM;
	}
	a->config = opts->config;
	a->ops = *ops;
	a->supervisor_pid = opts->supervisor_pid ? opts->supervisor_pid : getpid();
	a->announce = opts->announce;
	a->listen_fd = -1;
	a->next_id = 1;
	snprintf(a->session_id, sizeof a->session_id, "%s",
		 opts->session_id && *opts->session_id ? opts->session_id : "session");
	a->epfd = epoll_create1(EPOLL_CLOEXEC);
	a->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (a->epfd < 0 || a->timerfd < 0) {
		rc = -errno;
		snprintf(why, why_size, "cannot create approval timers: %s", strerror(-rc));
		goto fail;
	}
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = APPROVAL_TAG_TIMER };
	if (epoll_ctl(a->epfd, EPOLL_CTL_ADD, a->timerfd, &ev) < 0) {
		rc = -errno;
		snprintf(why, why_size, "cannot watch approval timer: %s", strerror(-rc));
		goto fail;
	}
	if (opts->listen && (rc = approval_sock_listen(a, why, why_size)) < 0)
		goto fail;
	*ret_approval = a;
	return 0;
fail:
	sup_approval_free(a);
	return rc;
}

void sup_approval_free(struct sup_approval *a)
{
	if (!a)
		return;
	approval_sock_close_all(a);
	while (a->items) {
		struct approval_item *it = a->items;
		a->items = it->next;
		item_free(it);
	}
	if (a->listen_fd >= 0)
		close(a->listen_fd);
	if (a->socket_path)
		unlink(a->socket_path);
	free(a->socket_path);
	if (a->timerfd >= 0)
		close(a->timerfd);
	if (a->epfd >= 0)
		close(a->epfd);
	free(a);
}

void sup_approval_set_config(struct sup_approval *a, const struct pol_config *config)
{
	a->config = config;
}

int sup_approval_fd(const struct sup_approval *a)
{
	return a->epfd;
}

const char *sup_approval_socket_path(const struct sup_approval *a)
{
	return a->socket_path;
}

size_t sup_approval_count(const struct sup_approval *a)
{
	size_t n = 0;
	for (struct approval_item *it = a->items; it; it = it->next)
		n++;
	return n;
}

void sup_approval_set_changed(struct sup_approval *a, sup_approval_changed_fn fn, void *ctx)
{
	a->changed = fn;
	a->changed_ctx = ctx;
}

void sup_approval_set_observer(struct sup_approval *a, sup_approval_changed_fn fn, void *ctx)
{
	a->observer = fn;
	a->observer_ctx = ctx;
}

int sup_approval_fail(struct sup_approval *a, unsigned id, const char *cause)
{
	struct approval_item *it = approval_find(a, id);
	if (!it)
		return -ENOENT;
	fail_item(a, it, cause);
	return 0;
}

int sup_approval_dispatch(struct sup_approval *a)
{
	struct epoll_event events[16];
	int n = epoll_wait(a->epfd, events, 16, 0);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		uint64_t tag = events[i].data.u64;
		if (tag == APPROVAL_TAG_TIMER)
			on_timer(a);
		else if (tag == APPROVAL_TAG_LISTEN)
			approval_sock_accept(a);
		else
			approval_sock_event(a, (struct approval_conn *)(uintptr_t)tag,
					    events[i].events);
	}
	return 0;
}

int sup_approval_hold(struct sup_approval *a, void *cookie, const struct pol_action *action,
		      const struct pol_decision *decision, unsigned *ret_id)
{
	return sup_approval_hold_scaled(a, cookie, action, decision, NULL, ret_id);
}

void sup_approval_held_stats(const struct sup_approval *a, unsigned long long *ret_count,
			     double *ret_seconds)
{
	*ret_count = a ? a->n_held : 0;
	*ret_seconds = a ? a->held_seconds : 0;
}

int sup_approval_hold_scaled(struct sup_approval *a, void *cookie, const struct pol_action *action,
			     const struct pol_decision *decision,
			     const struct pol_removal_scale *scale, unsigned *ret_id)
{
	struct approval_item *it = calloc(1, sizeof *it);
	uint64_t seed = 0;
	int rc;

	if (!it)
		return -ENOMEM;
	if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) != (ssize_t)sizeof seed)
		seed = (uint64_t)sup_approval_now() * 1000003u ^ (uint64_t)a->next_id;
	double now = sup_approval_now();
	rc = pol_challenge_new_scaled(action, decision, a->config, scale, seed, now, &it->challenge);
	if (rc < 0)
		goto fail;
	it->id = a->next_id++;
	it->held_at = now;
	it->info = approval_info_build(it->id, action, decision, scale);
	if (!it->info) {
		rc = -ENOMEM;
		goto fail;
	}
	it->cookie = cookie;
	it->level = decision->assessment.level;
	it->deadline = now + a->config->timeout_seconds;
	/* FIFO: append */
	struct approval_item **p = &a->items;
	while (*p)
		p = &(*p)->next;
	*p = it;
	if (a->announce) {
		const cJSON *ch = cJSON_GetObjectItemCaseSensitive(it->info, "challenge");
		char safe[512], level[16];
		snprintf(level, sizeof level, "%s", pol_level_name(it->level));
		for (char *c = level; *c; c++)
			*c = (char)(*c >= 'a' && *c <= 'z' ? *c - 'a' + 'A' : *c);
		fprintf(stderr, "attesta: held #%u %s (%s, %s): run 'attesta approve %u%s%s'\n",
			it->id, sup_term_safe(approval_info_description(it->info), safe, sizeof safe),
			level, cJSON_IsString(ch) ? ch->valuestring : "?",
			it->id, a->socket_path ? " --socket " : "",
			a->socket_path ? a->socket_path : "");
	}
	arm_timer(a);
	*ret_id = it->id;
	approval_notify_changed(a, it->id, NULL);
	return 0;
fail:
	item_free(it);
	return rc;
}

unsigned sup_approval_next(const struct sup_approval *a, const char *identity, unsigned after_id)
{
	for (struct approval_item *it = a->items; it; it = it->next) {
		if (it->id <= after_id || pol_challenge_status(it->challenge) != POL_CHALLENGE_PENDING)
			continue;
		bool free_part = false, holds = false;
		size_t parts = pol_challenge_part_count(it->challenge);
		for (size_t i = 0; i < parts; i++) {
			const char *who = pol_challenge_part_identity(it->challenge, i);
			if (!who)
				free_part = true;
			else if (!strcmp(who, identity))
				holds = true;
		}
		if (holds) {
			/* Resuming one's own part changes nothing; begin() says
			 * whether it is still open (-EALREADY once answered). */
			size_t part;
			if (pol_challenge_begin(it->challenge, identity, 0, &part) == 0)
				return it->id;
			continue;
		}
		if (free_part)
			return it->id;
	}
	return 0;
}

struct pol_challenge_state *sup_approval_challenge(struct sup_approval *a, unsigned id)
{
	struct approval_item *it = approval_find(a, id);
	return it ? it->challenge : NULL;
}

const cJSON *sup_approval_info(const struct sup_approval *a, unsigned id)
{
	struct approval_item *it = approval_find(a, id);
	return it ? it->info : NULL;
}

double sup_approval_seconds_left(const struct sup_approval *a, unsigned id)
{
	struct approval_item *it = approval_find(a, id);
	if (!it)
		return 0;
	double left = it->deadline - sup_approval_now();
	return left > 0 ? left : 0;
}

bool sup_approval_session_allowed(const struct sup_approval *a, unsigned id)
{
	struct approval_item *it = approval_find(a, id);
	return it && it->level < POL_LEVEL_CRITICAL;
}

int sup_approval_begin(struct sup_approval *a, unsigned id, const char *identity,
		       size_t *ret_part)
{
	struct approval_item *it = approval_find(a, id);
	if (!it)
		return -ENOENT;
	return pol_challenge_begin(it->challenge, identity, sup_approval_now(), ret_part);
}
