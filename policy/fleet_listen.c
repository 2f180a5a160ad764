/*
 * LISTEN on the fleet database (fleet_db.h): a connection of its own,
 * used only by the thread that owns it (attesta-run's attestation
 * watcher), so a notification wakes a running gate at once. A lost
 * connection is reported, never hidden: the caller reconnects with
 * back-off and applies attestation.grace_seconds (docs/fleet.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet_db.h"

#if defined(__has_include) && __has_include(<libpq-fe.h>)
#include <libpq-fe.h>

struct pol_fleet_listener {
	PGconn *conn;
};

static void first_line(struct pol_diag *diag, const char *what, const char *message)
{
	size_t n = message ? strcspn(message, "\n") : 0;

	pol_diag_set(diag, "postgres", 0, 0, "%s: %.*s", what, (int)(n > 400 ? 400 : n),
		     message ? message : "");
}

int pol_fleet_listen(const char *conninfo, const char *channel,
		     struct pol_fleet_listener **ret, struct pol_diag *diag)
{
	struct pol_fleet_listener *l = calloc(1, sizeof(*l));
	char sql[128];
	PGresult *res;

	if (!l)
		return -ENOMEM;
	l->conn = PQconnectdb(conninfo ? conninfo : "");
	if (!l->conn || PQstatus(l->conn) != CONNECTION_OK) {
		first_line(diag, "cannot connect to the fleet database",
			   l->conn ? PQerrorMessage(l->conn) : "out of memory");
		pol_fleet_listener_free(l);
		return -ECONNREFUSED;
	}
	/* channel is one of ours (a constant identifier), not input */
	snprintf(sql, sizeof(sql), "LISTEN %s", channel);
	res = PQexec(l->conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		first_line(diag, "cannot LISTEN", PQresultErrorMessage(res));
		PQclear(res);
		pol_fleet_listener_free(l);
		return -ECONNREFUSED;
	}
	PQclear(res);
	*ret = l;
	return 0;
}

int pol_fleet_listen_also(struct pol_fleet_listener *l, const char *channel,
			  struct pol_diag *diag)
{
	char sql[128];
	PGresult *res;
	int r = 0;

	snprintf(sql, sizeof(sql), "LISTEN %s", channel);
	res = PQexec(l->conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		first_line(diag, "cannot LISTEN", PQresultErrorMessage(res));
		r = -EIO;
	}
	PQclear(res);
	return r;
}

int pol_fleet_listener_fd(const struct pol_fleet_listener *l)
{
	return PQsocket(l->conn);
}

int pol_fleet_listener_drain(struct pol_fleet_listener *l, struct pol_diag *diag)
{
	PGnotify *n;
	int count = 0;

	if (!PQconsumeInput(l->conn) || PQstatus(l->conn) != CONNECTION_OK) {
		first_line(diag, "lost the fleet database connection", PQerrorMessage(l->conn));
		return -EPIPE;
	}
	while ((n = PQnotifies(l->conn))) {
		count++;
		PQfreemem(n);
	}
	return count;
}

void pol_fleet_listener_free(struct pol_fleet_listener *l)
{
	if (!l)
		return;
	if (l->conn)
		PQfinish(l->conn);
	free(l);
}

#else

struct pol_fleet_listener {
	int unused;
};

int pol_fleet_listen(const char *conninfo, const char *channel,
		     struct pol_fleet_listener **ret, struct pol_diag *diag)
{
	(void)conninfo;
	(void)channel;
	(void)ret;
	pol_diag_set(diag, "postgres", 0, 0, "this attesta was built without libpq");
	return -ENOTSUP;
}

int pol_fleet_listen_also(struct pol_fleet_listener *l, const char *channel,
			  struct pol_diag *diag)
{
	(void)l;
	(void)channel;
	(void)diag;
	return -ENOTSUP;
}

int pol_fleet_listener_fd(const struct pol_fleet_listener *l)
{
	(void)l;
	return -1;
}

int pol_fleet_listener_drain(struct pol_fleet_listener *l, struct pol_diag *diag)
{
	(void)l;
	(void)diag;
	return -ENOTSUP;
}

void pol_fleet_listener_free(struct pol_fleet_listener *l)
{
	free(l);
}

#endif
