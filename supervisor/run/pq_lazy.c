/*
 * libpq for attesta-run, loaded only when the fleet database is used
 * (docs/fleet.md, "Fleet mode in attesta-run"). Linking libpq into
 * attesta-run made every start pay for loading it and its dependencies
 * (TLS, GSSAPI, LDAP: about 6-15 ms here), also with attestation off.
 * These are the libpq functions policy/ calls, each resolving the real
 * one from libpq.so.5 with dlopen()/dlsym() on first use. Without the
 * library a connection fails (PQconnectdb returns NULL, callers fail
 * closed) and says why on standard error once. Hidden: never exported,
 * so libpq's own calls never reach these wrappers.
 */
#if defined(__has_include) && __has_include(<libpq-fe.h>)
#include <dlfcn.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#define LAZY __attribute__((visibility("hidden")))

static void *lib;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
	lib = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
	if (!lib)
		fprintf(stderr, "attesta-run: cannot load libpq for the fleet database: %s\n",
			dlerror());
}

static void *sym(const char *name)
{
	pthread_once(&once, load);
	return lib ? dlsym(lib, name) : NULL;
}

/* fn: the real function (resolved once; a race resolves it twice, same value) */
#define REAL(name) \
	static __typeof__(&name) real; \
	if (!real) \
		real = (__typeof__(&name))sym(#name)

/* SECURITY: the agent inherits attesta-run's environment, so a
 * PGPASSWORD there would hand it the node's database password (the role
 * that ships the audit, records trust, reads the registry). No fleet
 * connection is made while it is set: every caller then fails closed
 * (docs/fleet.md, "Where things come from"). Said once on stderr. */
static bool password_in_environment(void)
{
	static int said;

	if (!getenv("PGPASSWORD"))
		return false;
	if (!__atomic_exchange_n(&said, 1, __ATOMIC_RELAXED))
		fprintf(stderr, "attesta-run: not connecting to the fleet database while PGPASSWORD "
				"is set (the agent would inherit it): put the password in PGPASSFILE "
				"or ~/.pgpass (mode 0600) and unset PGPASSWORD\n");
	return true;
}

LAZY PGconn *PQconnectdb(const char *conninfo)
{
	REAL(PQconnectdb);
	return real && !password_in_environment() ? real(conninfo) : NULL;
}

LAZY PGconn *PQconnectdbParams(const char *const *keywords, const char *const *values,
			       int expand_dbname)
{
	REAL(PQconnectdbParams);
	return real && !password_in_environment() ? real(keywords, values, expand_dbname) : NULL;
}

LAZY ConnStatusType PQstatus(const PGconn *conn)
{
	REAL(PQstatus);
	return real && conn ? real(conn) : CONNECTION_BAD;
}

LAZY char *PQerrorMessage(const PGconn *conn)
{
	REAL(PQerrorMessage);
	return real && conn ? real(conn) : (char *)"libpq is not available";
}

LAZY void PQfinish(PGconn *conn)
{
	REAL(PQfinish);
	if (real && conn)
		real(conn);
}

LAZY PGresult *PQexec(PGconn *conn, const char *query)
{
	REAL(PQexec);
	return real ? real(conn, query) : NULL;
}

LAZY PGresult *PQexecParams(PGconn *conn, const char *command, int nParams,
			    const Oid *paramTypes, const char *const *paramValues,
			    const int *paramLengths, const int *paramFormats, int resultFormat)
{
	REAL(PQexecParams);
	return real ? real(conn, command, nParams, paramTypes, paramValues, paramLengths,
			   paramFormats, resultFormat) : NULL;
}

LAZY ExecStatusType PQresultStatus(const PGresult *res)
{
	REAL(PQresultStatus);
	return real ? real(res) : PGRES_FATAL_ERROR;
}

LAZY char *PQresultErrorMessage(const PGresult *res)
{
	REAL(PQresultErrorMessage);
	return real ? real(res) : (char *)"libpq is not available";
}

LAZY char *PQresultErrorField(const PGresult *res, int fieldcode)
{
	REAL(PQresultErrorField);
	return real ? real(res, fieldcode) : NULL;
}

LAZY void PQclear(PGresult *res)
{
	REAL(PQclear);
	if (real)
		real(res);
}

LAZY int PQntuples(const PGresult *res)
{
	REAL(PQntuples);
	return real ? real(res) : 0;
}

LAZY int PQnfields(const PGresult *res)
{
	REAL(PQnfields);
	return real ? real(res) : 0;
}

LAZY char *PQgetvalue(const PGresult *res, int tup_num, int field_num)
{
	REAL(PQgetvalue);
	return real ? real(res, tup_num, field_num) : (char *)"";
}

LAZY int PQgetisnull(const PGresult *res, int tup_num, int field_num)
{
	REAL(PQgetisnull);
	return real ? real(res, tup_num, field_num) : 1;
}

LAZY int PQgetlength(const PGresult *res, int tup_num, int field_num)
{
	REAL(PQgetlength);
	return real ? real(res, tup_num, field_num) : 0;
}

LAZY char *PQcmdTuples(PGresult *res)
{
	REAL(PQcmdTuples);
	return real ? real(res) : (char *)"0";
}

LAZY int PQsocket(const PGconn *conn)
{
	REAL(PQsocket);
	return real ? real(conn) : -1;
}

LAZY int PQconsumeInput(PGconn *conn)
{
	REAL(PQconsumeInput);
	return real ? real(conn) : 0;
}

LAZY PGnotify *PQnotifies(PGconn *conn)
{
	REAL(PQnotifies);
	return real ? real(conn) : NULL;
}

LAZY void PQfreemem(void *ptr)
{
	REAL(PQfreemem);
	if (real)
		real(ptr);
}

LAZY PQnoticeProcessor PQsetNoticeProcessor(PGconn *conn, PQnoticeProcessor proc, void *arg)
{
	REAL(PQsetNoticeProcessor);
	return real ? real(conn, proc, arg) : NULL;
}
#endif
