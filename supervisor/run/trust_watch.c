/*
 * Shared trust in attesta-run (trust_watch.h, docs/trust.md "Trust in the
 * fleet database"). One helper thread owns both database connections (a
 * query connection and a LISTEN connection, fleet_listen.c) and is the
 * only one that waits for the database. It re-reads the agent's record:
 * on a notification on attesta_trust (any change of any agent: the
 * payload is only a hint), every max_age / 2 while listening, every
 * second while not, and after each outcome it sent. The loop thread takes
 * the last record under a mutex; a record read more than max_age seconds
 * ago is not used (trust 0: fail safe, docs/trust.md). Lost connections
 * are reopened with back-off (1, 2, 4, 8 s), as attest_watch.c does.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "policy/config.h"
#include "policy/fleet_db.h"
#include "policy/trust.h"
#include "policy/trust_pg.h"
#include "supervisor/run/gate.h"
#include "supervisor/run/trust_watch.h"

/* outcomes waiting to be sent; beyond this they are dropped (warned) */
#define QUEUE_MAX 1024

struct sup_trust_pg {
	const struct pol_config *config;
	char *conninfo;
	char *agent_id;
	double max_age;

	pthread_mutex_t lock;          /* snap, snap_at, queue */
	struct pol_trust_store *snap;  /* last record read; NULL: none yet */
	double snap_at;                /* monotonic time of that read */
	bool queue[QUEUE_MAX];         /* approved? */
	size_t q_head, q_len;
	uint64_t dropped;

	int wake_fd;                   /* eventfd: an outcome queued, or stop */
	atomic_bool stop;
	pthread_t thread;
	bool thread_running;

	/* the thread's own */
	struct pol_trust_pg *db;
	struct pol_fleet_listener *listener;
	unsigned backoff;
	double next_try;
	bool warned;
};

static double monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void warn(struct sup_trust_pg *t, const char *what, const struct pol_diag *diag, int r)
{
	char line[600];

	/* once per outage: the gate's stderr is the user's */
	if (t->warned)
		return;
	t->warned = true;
	pol_diag_format(diag, line, sizeof line);
	fprintf(stderr, "attesta-run: trust database: %s: %s (trust is 0 once the last "
		"record is older than %g s)\n", what, diag->message[0] ? line : strerror(-r),
		t->max_age);
}

static void disconnect(struct sup_trust_pg *t)
{
	pol_trust_pg_close(t->db);
	t->db = NULL;
	pol_fleet_listener_free(t->listener);
	t->listener = NULL;
	t->backoff = t->backoff ? (t->backoff < 8 ? t->backoff * 2 : 8) : 1;
	t->next_try = monotonic() + t->backoff;
}

/* Connect both connections when the back-off allows. true: connected. */
static bool connect_db(struct sup_trust_pg *t)
{
	struct pol_diag diag;
	int r;

	if (t->db && t->listener)
		return true;
	if (monotonic() < t->next_try)
		return false;
	memset(&diag, 0, sizeof diag);
	r = t->db ? 0 : pol_trust_pg_open(t->conninfo, &t->db, &diag);
	r = r ?: pol_fleet_listen(t->conninfo, POL_FLEET_CHANNEL_TRUST, &t->listener, &diag);
	if (r < 0) {
		warn(t, "cannot connect", &diag, r);
		disconnect(t);
		return false;
	}
	t->backoff = 0;
	return true;
}

/* Read the record; publish it. 0 or -errno (the old record is kept: the
 * loop stops using it at max_age). */
static int refresh(struct sup_trust_pg *t)
{
	struct pol_trust_store *store = NULL, *old;
	struct pol_diag diag;
	int r;

	if (!t->db)
		return -ENOTCONN;
	memset(&diag, 0, sizeof diag);
	r = pol_trust_pg_load(t->db, t->agent_id, t->config, &store, &diag);
	if (r < 0) {
		warn(t, "cannot read the agent's trust", &diag, r);
		if (!pol_trust_pg_ok(t->db))
			disconnect(t);
		return r;
	}
	pthread_mutex_lock(&t->lock);
	old = t->snap;
	t->snap = store;
	t->snap_at = monotonic();
	pthread_mutex_unlock(&t->lock);
	pol_trust_store_free(old);
	if (t->warned)
		fprintf(stderr, "attesta-run: trust database: reading again\n");
	t->warned = false;
	return 0;
}

/* Send the queued outcomes. Each is taken off the queue before it is sent:
 * one that fails is not sent again (it may have been committed). true
 * when any was sent. */
static bool send_queued(struct sup_trust_pg *t)
{
	bool sent = false;

	while (t->db) {
		struct pol_diag diag;
		bool approved;
		int r;

		pthread_mutex_lock(&t->lock);
		if (!t->q_len) {
			pthread_mutex_unlock(&t->lock);
			break;
		}
		approved = t->queue[t->q_head];
		t->q_head = (t->q_head + 1) % QUEUE_MAX;
		t->q_len--;
		pthread_mutex_unlock(&t->lock);
		memset(&diag, 0, sizeof diag);
		r = pol_trust_pg_record(t->db, t->agent_id, NULL, approved, &diag);
		if (r < 0) {
			char line[600];

			pol_diag_format(&diag, line, sizeof line);
			fprintf(stderr, "attesta-run: trust database: an outcome (%s) was not "
				"recorded: %s\n", approved ? "approved" : "denied",
				diag.message[0] ? line : strerror(-r));
			if (!pol_trust_pg_ok(t->db))
				disconnect(t);
			continue;
		}
		sent = true;
	}
	return sent;
}

static void *watch_main(void *arg)
{
	struct sup_trust_pg *t = arg;
	double last_try = monotonic();

	while (!atomic_load(&t->stop)) {
		bool was = t->listener != NULL, due;
		int lfd, n;

		if (connect_db(t) && !was)
			refresh(t); /* what changed while we were not listening */
		if (send_queued(t))
			refresh(t);
		pthread_mutex_lock(&t->lock);
		double age = monotonic() - t->snap_at;
		bool have = t->snap != NULL;
		pthread_mutex_unlock(&t->lock);
		/* without a listener: poll every second */
		due = !have || age >= (t->listener ? t->max_age / 2 : 1.0);
		if (due && t->db && monotonic() - last_try >= 1.0) {
			last_try = monotonic();
			refresh(t);
		}
		lfd = t->listener ? pol_fleet_listener_fd(t->listener) : -1;
		struct pollfd p[2] = { { .fd = t->wake_fd, .events = POLLIN },
				       { .fd = lfd, .events = POLLIN } };
		n = poll(p, 2, 500);
		if (n < 0 && errno != EINTR)
			break;
		if (n > 0 && p[0].revents) {
			uint64_t v;
			if (read(t->wake_fd, &v, sizeof v) < 0 && errno != EAGAIN)
				break;
		}
		if (n > 0 && lfd >= 0 && p[1].revents) {
			struct pol_diag diag;

			memset(&diag, 0, sizeof diag);
			int got = pol_fleet_listener_drain(t->listener, &diag);
			if (got < 0) {
				warn(t, "lost the LISTEN connection", &diag, got);
				disconnect(t);
			} else if (got > 0) {
				refresh(t);
			}
		}
	}
	/* at exit: what the run decided last still counts, if we can */
	send_queued(t);
	return NULL;
}

int sup_trust_pg_setup(struct sup_gate *gate, const struct pol_config *config)
{
	struct sup_trust_pg *t;
	sigset_t all, old;
	int r;

	if (config->trust_backend != POL_TRUST_BACKEND_POSTGRES)
		return 0;
	t = calloc(1, sizeof(*t));
	if (t)
		t->wake_fd = -1;
	if (!t || !(t->agent_id = strdup(gate->agent_id)) ||
	    (config->fleet_database && !(t->conninfo = strdup(config->fleet_database)))) {
		sup_trust_pg_free(t);
		fprintf(stderr, "attesta-run: trust database: out of memory\n");
		return -ENOMEM;
	}
	t->config = config;
	t->max_age = config->trust_max_age_seconds;
	pthread_mutex_init(&t->lock, NULL);
	t->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (t->wake_fd < 0) {
		r = -errno;
		sup_trust_pg_free(t);
		fprintf(stderr, "attesta-run: trust database: %s\n", strerror(-r));
		return r;
	}
	/* the first read before the agent starts (a failure: trust 0) */
	if (connect_db(t))
		refresh(t);
	/* the loop reads signals from a signalfd: the thread takes none */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&t->thread, NULL, watch_main, t);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		sup_trust_pg_free(t);
		fprintf(stderr, "attesta-run: trust database: cannot start its thread: %s\n",
			strerror(r));
		return -r;
	}
	t->thread_running = true;
	gate->trust_pg = t;
	return 0;
}

double sup_trust_pg_score(struct sup_trust_pg *t, const char *agent_id, double now)
{
	double trust = 0.0, at = monotonic();

	pthread_mutex_lock(&t->lock);
	/* SECURITY (docs/trust.md): a record older than the bound is not
	 * used; an outage never raises trust */
	if (t->snap && at - t->snap_at <= t->max_age)
		trust = pol_trust_score(t->snap, agent_id, NULL, now);
	pthread_mutex_unlock(&t->lock);
	return trust;
}

void sup_trust_pg_record(struct sup_trust_pg *t, bool approved)
{
	uint64_t one = 1;
	bool dropped = false;

	pthread_mutex_lock(&t->lock);
	if (t->q_len < QUEUE_MAX) {
		t->queue[(t->q_head + t->q_len) % QUEUE_MAX] = approved;
		t->q_len++;
	} else {
		dropped = true;
		t->dropped++;
	}
	pthread_mutex_unlock(&t->lock);
	if (dropped)
		fprintf(stderr, "attesta-run: trust database: %d outcomes wait to be sent; "
			"this one (%s) is not recorded\n", QUEUE_MAX, approved ? "approved" : "denied");
	if (write(t->wake_fd, &one, sizeof one) < 0) {
		/* the thread sends it on its next turn (at most 0.5 s) */
	}
}

void sup_trust_pg_free(struct sup_trust_pg *t)
{
	if (!t)
		return;
	if (t->thread_running) {
		uint64_t one = 1;

		atomic_store(&t->stop, true);
		if (write(t->wake_fd, &one, sizeof one) < 0)
			pthread_cancel(t->thread);
		pthread_join(t->thread, NULL);
	}
	if (t->wake_fd >= 0)
		close(t->wake_fd);
	pol_trust_pg_close(t->db);
	pol_fleet_listener_free(t->listener);
	pol_trust_store_free(t->snap);
	pthread_mutex_destroy(&t->lock);
	free(t->agent_id);
	free(t->conninfo);
	free(t);
}
