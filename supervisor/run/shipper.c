/*
 * attesta-run's audit shipper thread (shipper.h; docs/audit.md "Shipping
 * to PostgreSQL"). Every audit.ship_interval_ms it looks at the log's
 * size; when the log grew, pol_ship_file() syncs and reads it through its
 * own descriptor and ships the new complete lines from the cursor stored
 * in the database. The loop thread and the audit writer never wait for
 * it: it shares no lock with them, only the file. A lost or refused
 * connection is reported once on standard error and retried with
 * back-off (1, 2, 4, 8 s); nothing is lost meanwhile (the cursor is the
 * database's), and `attesta audit ship` can finish the job after the run.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "policy/audit_ship.h"
#include "policy/config.h"
#include "policy/registry.h"
#include "shipper.h"

struct sup_shipper {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;          /* CLOCK_MONOTONIC */
	bool stop;
	uint64_t deadline_ms;         /* after stop: give up draining then */
	char *path, *node, *conninfo;
	unsigned batch, interval_ms;
	struct pol_ship_conn *conn;
	unsigned backoff_s;
	bool failing;
	char last_error[1200];
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Once per distinct problem, and once when it is over. */
static void report(struct sup_shipper *s, const struct pol_diag *diag, int r)
{
	char line[1200];

	if (r == 0) {
		if (s->failing)
			fprintf(stderr, "attesta-run: audit shipping: working again\n");
		s->failing = false;
		s->last_error[0] = '\0';
		return;
	}
	if (diag->message[0])
		pol_diag_format(diag, line, sizeof(line));
	else
		snprintf(line, sizeof(line), "%s", strerror(-r));
	s->failing = true;
	if (!strcmp(line, s->last_error))
		return;
	snprintf(s->last_error, sizeof(s->last_error), "%s", line);
	fprintf(stderr, "attesta-run: audit shipping (node %s): %s (retrying; `attesta audit ship` "
		"catches up later)\n", s->node, line);
}

/* One round: connect if needed, ship what is new. 1 caught up, 0 more to
 * do or failed (retry later), -1 failed in a way a retry will not mend
 * (another log's entries under this node id, a line that is not an
 * entry): retried slowly, and not waited for at exit. */
static int round_once(struct sup_shipper *s, off_t *shipped_size)
{
	struct pol_diag diag = { 0 };
	struct pol_ship_stats st;
	struct stat sb;
	int r;

	if (stat(s->path, &sb) == 0 && sb.st_size == *shipped_size && s->conn)
		return 1;
	if (!s->conn) {
		r = pol_ship_connect(s->conninfo, s->node, &s->conn, &diag);
		if (r < 0) {
			report(s, &diag, r);
			return 0;
		}
	}
	r = pol_ship_file(s->conn, s->path, s->batch, &st, &diag);
	if (r < 0) {
		report(s, &diag, r);
		if (!pol_ship_ok(s->conn)) {
			pol_ship_close(s->conn);
			s->conn = NULL;
		}
		return r == -EEXIST || r == -EBADMSG ? -1 : 0;
	}
	report(s, &diag, 0);
	s->backoff_s = 0;
	if (st.offset >= st.size)
		*shipped_size = (off_t)st.size;
	return st.offset >= st.size;
}

static void *ship_main(void *arg)
{
	struct sup_shipper *s = arg;
	off_t shipped = -1;

	for (;;) {
		bool stopping, done, hopeless;
		uint64_t wait_ms;
		int r;
		struct timespec ts;

		pthread_mutex_lock(&s->lock);
		stopping = s->stop;
		pthread_mutex_unlock(&s->lock);
		/* on stop, one last look at the closed log: all of it is durable */
		if (stopping)
			shipped = -1;
		r = round_once(s, &shipped);
		done = r == 1;
		hopeless = r < 0;
		if (stopping && (done || hopeless || now_ms() >= s->deadline_ms))
			break;
		if (hopeless) {
			wait_ms = 8000;
		} else if (done || !s->failing) {
			wait_ms = s->interval_ms;
		} else {
			s->backoff_s = s->backoff_s ? (s->backoff_s < 8 ? s->backoff_s * 2 : 8) : 1;
			wait_ms = s->backoff_s * 1000u;
		}
		if (stopping) {
			uint64_t left = s->deadline_ms - now_ms();

			wait_ms = wait_ms < left ? wait_ms : left;
			wait_ms = wait_ms < 200 ? wait_ms : 200;
		}
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += (time_t)(wait_ms / 1000);
		ts.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&s->lock);
		if (s->stop == stopping)
			pthread_cond_timedwait(&s->wake, &s->lock, &ts);
		pthread_mutex_unlock(&s->lock);
	}
	if (s->failing)
		fprintf(stderr, "attesta-run: audit shipping: not everything was shipped; run "
			"`attesta audit ship --node-id %s %s`\n", s->node, s->path);
	return NULL;
}

static bool env_flag(const char *name, bool dflt)
{
	const char *v = getenv(name);

	if (!v || !*v)
		return dflt;
	if (!strcmp(v, "1") || !strcmp(v, "on") || !strcmp(v, "true"))
		return true;
	if (!strcmp(v, "0") || !strcmp(v, "off") || !strcmp(v, "false"))
		return false;
	return dflt;
}

static void shipper_free(struct sup_shipper *s)
{
	if (!s)
		return;
	pol_ship_close(s->conn);
	free(s->path);
	free(s->node);
	free(s->conninfo);
	free(s);
}

int sup_shipper_start(const struct pol_config *config, const char *node_opt,
		      const char *audit_path, struct sup_shipper **ret, char *why, size_t why_size)
{
	const char *node = node_opt ? node_opt : getenv("ATTESTA_NODE_ID") ? getenv("ATTESTA_NODE_ID")
									   : config->node_id;
	struct sup_shipper *s;
	pthread_condattr_t ca;
	sigset_t all, old;
	int r;

	*ret = NULL;
	if (!env_flag("ATTESTA_AUDIT_SHIP", config->audit_ship))
		return 0;
	if (!node || !pol_registry_name_valid(node)) {
		snprintf(why, why_size, "audit.ship needs a %snode id (--node-id, ATTESTA_NODE_ID or "
			 "attestation.node_id; 1-256 bytes of A-Z a-z 0-9 . _ : @ / + = -)",
			 node ? "valid " : "");
		return -EINVAL;
	}
	if (!audit_path) {
		snprintf(why, why_size, "audit.ship: no audit log to ship");
		return -EINVAL;
	}
	/* SECURITY: PROG inherits this environment: a password there would
	 * be the agent's (docs/audit.md, "Shipping to PostgreSQL") */
	if (getenv("PGPASSWORD")) {
		snprintf(why, why_size, "audit.ship: PGPASSWORD is set, and the agent would inherit "
			 "it: give the node's password in a file the agent's account cannot read "
			 "(PGPASSFILE or ~/.pgpass, 0600) and unset PGPASSWORD");
		return -EPERM;
	}
	s = calloc(1, sizeof(*s));
	if (!s || !(s->path = strdup(audit_path)) || !(s->node = strdup(node)) ||
	    (config->fleet_database && !(s->conninfo = strdup(config->fleet_database)))) {
		shipper_free(s);
		snprintf(why, why_size, "out of memory");
		return -ENOMEM;
	}
	s->batch = config->audit_ship_batch;
	s->interval_ms = config->audit_ship_interval_ms ? config->audit_ship_interval_ms : 1000;
	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->wake, &ca);
	pthread_condattr_destroy(&ca);
	/* the loop reads signals from a signalfd: this thread takes none */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&s->thread, NULL, ship_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		snprintf(why, why_size, "cannot start the audit shipper: %s", strerror(r));
		shipper_free(s);
		return -r;
	}
	*ret = s;
	return 0;
}

void sup_shipper_stop(struct sup_shipper *s)
{
	const char *v = getenv("ATTESTA_AUDIT_SHIP_DRAIN_MS");
	unsigned long drain = v && *v ? strtoul(v, NULL, 10) : 5000;
	struct timespec until;

	if (!s)
		return;
	if (drain > 600000)
		drain = 600000;
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	s->deadline_ms = now_ms() + drain;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	/* A database that stops answering can hold the thread in libpq past
	 * the deadline (a connect or a statement on the wire): attesta-run
	 * does not wait for it longer than the drain and two seconds; the
	 * process is exiting, the thread and its memory go with it. */
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += (time_t)(drain / 1000) + 2;
	until.tv_nsec += (long)(drain % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	if (pthread_timedjoin_np(s->thread, NULL, &until) != 0) {
		fprintf(stderr, "attesta-run: audit shipping: the fleet database does not answer; "
			"not waiting for it (run `attesta audit ship --node-id %s %s`)\n", s->node,
			s->path);
		pthread_detach(s->thread);
		return;
	}
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->wake);
	shipper_free(s);
}
