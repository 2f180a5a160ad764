/*
 * The attestation predicate over time (attest.h): evaluated once at
 * start-up, then on a helper thread whenever its inputs may have changed,
 * and published for the loop thread (which reads it with one atomic load
 * per gated call and never waits for the registry).
 *
 * File registry: inotify on the registry file's directory (the file is
 * replaced by rename: IN_MOVED_TO, IN_CLOSE_WRITE, IN_DELETE) plus a
 * stat() every second (a directory created later, a shared file system
 * without inotify). PostgreSQL: LISTEN attesta_enrollment on a connection
 * of the thread's own (the trigger comes with `attesta db init`), a lookup
 * on every notification; without a listener (connection lost, no
 * trigger yet) a lookup every second; lost connections are reopened with
 * back-off (1, 2, 4, 8 s).
 * A registry that cannot be read keeps the last known result for at most
 * attestation.grace_seconds (default 0), then fails closed
 * ("attestation: not_enrolled", the detail says why): docs/fleet.md.
 */
#include <errno.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "policy/fleet_db.h"
#include "supervisor/run/attest_internal.h"

double sup_attest_monotonic(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool is_postgres(const struct sup_attest *a)
{
	return !strcmp(a->registry_spec, POL_REGISTRY_POSTGRES);
}

static void publish(struct sup_attest *a, enum pol_attest_result result, const char *detail)
{
	pthread_mutex_lock(&a->lock);
	if (result != a->result || strcmp(detail, a->detail) || atomic_load(&a->gen) == 0) {
		a->result = result;
		snprintf(a->detail, sizeof a->detail, "%s", detail);
		atomic_fetch_add(&a->gen, 1);
	}
	pthread_mutex_unlock(&a->lock);
}

/* Open the registry if it is not open (postgres: respecting the back-off).
 * 0 or -errno with why. */
static int ensure_open(struct sup_attest *a, char *why, size_t size)
{
	struct pol_diag diag;
	char line[600];
	int r;

	if (a->registry)
		return 0;
	if (a->next_try_at > 0 && sup_attest_monotonic() < a->next_try_at) {
		snprintf(why, size, "registry %s: not connected (retrying)", a->registry_spec);
		return -ECONNREFUSED;
	}
	memset(&diag, 0, sizeof diag);
	r = pol_registry_open(a->registry_spec, a->conninfo, &a->registry, &diag);
	if (r < 0) {
		a->registry = NULL;
		pol_diag_format(&diag, line, sizeof line);
		snprintf(why, size, "cannot open registry %s: %s", a->registry_spec,
			 diag.message[0] ? line : strerror(-r));
		a->backoff = a->backoff ? (a->backoff < 8 ? a->backoff * 2 : 8) : 1;
		a->next_try_at = sup_attest_monotonic() + a->backoff;
		return r;
	}
	a->backoff = 0;
	a->next_try_at = 0;
	return 0;
}

void sup_attest_evaluate(struct sup_attest *a)
{
	struct pol_enrollment row;
	struct pol_diag diag;
	char why[700], line[600], detail[400];
	enum pol_attest_result result;
	int r;

	memset(&row, 0, sizeof row);
	if (a->sig != POL_BUNDLE_SIG_OK) {
		/* SECURITY: nothing in an unverified bundle is consulted */
		publish(a, POL_ATTEST_SIGNATURE, a->sig_why);
		return;
	}
	r = ensure_open(a, why, sizeof why);
	if (r == 0 && a->node_id) {
		memset(&diag, 0, sizeof diag);
		r = pol_registry_lookup(a->registry, a->node_id, &row, &diag);
		if (r < 0 && r != -ENOENT) {
			pol_diag_format(&diag, line, sizeof line);
			snprintf(why, sizeof why, "cannot read registry %s: %s", a->registry_spec,
				 diag.message[0] ? line : strerror(-r));
			if (is_postgres(a)) {
				/* reconnect on the next tick */
				pol_registry_free(a->registry);
				a->registry = NULL;
				a->backoff = 1;
				a->next_try_at = sup_attest_monotonic() + 1;
			}
		}
	}
	if (r < 0 && r != -ENOENT) {
		double now = sup_attest_monotonic();
		a->last_failed = true;
		if (a->have_ok && a->grace_seconds > 0 && now - a->last_ok_at <= a->grace_seconds) {
			snprintf(detail, sizeof detail, "%.300s; last known state kept "
				 "(attestation.grace_seconds %g)", why, a->grace_seconds);
			publish(a, a->last_ok_result, detail);
		} else {
			/* SECURITY: fail closed (docs/fleet.md) */
			publish(a, POL_ATTEST_NOT_ENROLLED, why);
		}
		return;
	}
	result = pol_attest_evaluate(a->manifest, a->sig, r == 0 && a->node_id ? &row : NULL,
				     a->node_id);
	a->last_failed = false;
	a->have_ok = true;
	a->last_ok_at = sup_attest_monotonic();
	a->last_ok_result = result;
	if (!a->node_id)
		snprintf(detail, sizeof detail, "no node id (--node-id, ATTESTA_NODE_ID, "
			 "attestation.node_id)");
	else if (r == -ENOENT)
		snprintf(detail, sizeof detail, "node '%.256s' is not enrolled in %s", a->node_id,
			 a->registry_spec);
	else
		snprintf(detail, sizeof detail, "node '%.128s' ref '%.128s' %s rollout %s",
			 a->node_id, row.enrollment_ref, pol_node_status_name(row.status),
			 pol_rollout_state_name(row.rollout_state));
	pol_enrollment_release(&row);
	publish(a, result, detail);
}

/* The file registry changed on disk since it was last read? */
static bool file_changed(struct sup_attest *a)
{
	struct stat st;
	bool valid = stat(a->registry_spec, &st) == 0;

	if (valid == a->reg_st_valid &&
	    (!valid || (st.st_ino == a->reg_st.st_ino && st.st_dev == a->reg_st.st_dev &&
			st.st_size == a->reg_st.st_size &&
			st.st_mtim.tv_sec == a->reg_st.st_mtim.tv_sec &&
			st.st_mtim.tv_nsec == a->reg_st.st_mtim.tv_nsec &&
			st.st_ctim.tv_sec == a->reg_st.st_ctim.tv_sec &&
			st.st_ctim.tv_nsec == a->reg_st.st_ctim.tv_nsec)))
		return false;
	a->reg_st = st;
	a->reg_st_valid = valid;
	return true;
}

static bool bundle_is_file(const struct sup_attest *a)
{
	return a->follow && a->bundle_label[0] != '<';
}

static bool bundle_is_ref(const struct sup_attest *a)
{
	return a->follow && a->bundle_label[0] == '<';
}

/* inotify on the directories of the registry file and of a bundle file
 * (both are replaced by rename). A directory that does not exist yet is
 * covered by the 1 s stat(). */
static void watch_dirs(struct sup_attest *a)
{
	const char *paths[2] = { is_postgres(a) ? NULL : a->registry_spec,
				 bundle_is_file(a) ? a->bundle_path : NULL };
	bool any = false;

	if (!paths[0] && !paths[1])
		return;
	a->inotify_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (a->inotify_fd < 0)
		return;
	for (size_t i = 0; i < 2; i++) {
		char *copy = paths[i] ? strdup(paths[i]) : NULL;

		if (copy && inotify_add_watch(a->inotify_fd, dirname(copy),
					      IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE |
					      IN_CREATE) >= 0)
			any = true;
		free(copy);
	}
	if (!any) {
		close(a->inotify_fd);
		a->inotify_fd = -1;
	}
}

/* PostgreSQL: (re)open the listener when its back-off allows. */
static void pg_listen(struct sup_attest *a, struct pol_fleet_listener **l, unsigned *backoff,
		      double *next_try, bool *fresh)
{
	struct pol_diag diag;
	int r;

	if (*l || sup_attest_monotonic() < *next_try)
		return;
	memset(&diag, 0, sizeof diag);
	r = pol_fleet_listen(a->conninfo, is_postgres(a) ? POL_FLEET_CHANNEL_ENROLLMENT
							 : POL_FLEET_CHANNEL_BUNDLE, l, &diag);
	if (r == 0 && is_postgres(a) && bundle_is_ref(a))
		r = pol_fleet_listen_also(*l, POL_FLEET_CHANNEL_BUNDLE, &diag);
	if (r < 0) {
		pol_fleet_listener_free(*l);
		*l = NULL;
		*backoff = *backoff ? (*backoff < 8 ? *backoff * 2 : 8) : 1;
		*next_try = sup_attest_monotonic() + *backoff;
		return;
	}
	*backoff = 0;
	*fresh = true; /* what changed while we were not listening */
}

static void *watch_main(void *arg)
{
	struct sup_attest *a = arg;
	bool pg = is_postgres(a);
	bool listen = pg || bundle_is_ref(a);
	struct pol_fleet_listener *listener = NULL;
	unsigned listen_backoff = 0;
	double listen_next = 0;

	for (;;) {
		bool notified = false, inot = false;
		if (listen)
			pg_listen(a, &listener, &listen_backoff, &listen_next, &notified);
		int lfd = listener ? pol_fleet_listener_fd(listener) : -1;
		struct pollfd p[3] = { { .fd = a->stop_fd, .events = POLLIN },
				       { .fd = a->inotify_fd, .events = POLLIN },
				       { .fd = lfd, .events = POLLIN } };
		int n = poll(p, 3, notified ? 0 : 1000);

		if (n < 0 && errno != EINTR)
			break;
		if (n > 0 && p[0].revents)
			break;
		if (n > 0 && a->inotify_fd >= 0 && p[1].revents) {
			char buf[4096];
			while (read(a->inotify_fd, buf, sizeof buf) > 0)
				inot = true;
		}
		if (n > 0 && lfd >= 0 && p[2].revents) {
			struct pol_diag diag;

			memset(&diag, 0, sizeof diag);
			int got = pol_fleet_listener_drain(listener, &diag);
			/* a notification, or the connection is gone */
			if (got != 0)
				notified = true;
			if (got < 0) {
				pol_fleet_listener_free(listener);
				listener = NULL;
				listen_backoff = 1;
				listen_next = sup_attest_monotonic() + 1;
			}
		}
		if (a->inotify_fd < 0)
			watch_dirs(a);
		/* the bundle first: its enrollment ref is the predicate's input */
		if (bundle_is_ref(a) ? notified || !listener : sup_attest_bundle_file_changed(a))
			sup_attest_check_bundle(a);
		if (pg) {
			/* no listener: poll; a failed read: retry (grace, reconnect) */
			if (notified || !listener || a->last_failed)
				sup_attest_evaluate(a);
			continue;
		}
		/* the stat is taken before the read: a change after it is
		 * seen next time */
		if (file_changed(a) || inot || a->last_failed)
			sup_attest_evaluate(a);
	}
	pol_fleet_listener_free(listener);
	return NULL;
}

int sup_attest_start(struct sup_attest *a, const struct pol_config *config)
{
	sigset_t all, old;
	int r;

	if (!sup_attest_active(a))
		return 0;
	a->running = config;
	sup_attest_bundle_file_changed(a);
	watch_dirs(a);
	if (!is_postgres(a))
		file_changed(a);
	sup_attest_evaluate(a);
	a->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (a->stop_fd < 0)
		return -errno;
	/* the loop reads signals from a signalfd: the thread takes none */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&a->thread, NULL, watch_main, a);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0)
		return -r;
	a->thread_running = true;
	return 0;
}

void sup_attest_free(struct sup_attest *a)
{
	if (!a)
		return;
	if (a->thread_running) {
		uint64_t one = 1;
		if (write(a->stop_fd, &one, sizeof one) < 0)
			pthread_cancel(a->thread);
		pthread_join(a->thread, NULL);
	}
	if (a->stop_fd >= 0)
		close(a->stop_fd);
	if (a->inotify_fd >= 0)
		close(a->inotify_fd);
	pol_registry_free(a->registry);
	/* a->bundle is the first bundle (owned here) or a reloaded one (in
	 * the owned list) */
	pol_bundle_free(a->first_bundle);
	sup_attest_owned_free(a);
	pol_bundle_key_free(a->key);
	pol_config_free(a->local);
	pthread_mutex_destroy(&a->lock);
	free(a->node_id);
	free(a->bundle_path);
	free(a->registry_spec);
	free(a->conninfo);
	free(a->pubkey_path);
	free(a);
}
