/*
 * Signed bundles in the fleet database (fleet_db.h): `attesta bundle push`
 * stores the exact archive bytes under name@version (a version is never
 * replaced: pushing other bytes under an existing version is refused),
 * `pull` returns the newest pushed version of a name or an exact one. The
 * bytes are a parameter in binary form, never SQL text; what comes back
 * is untrusted until the caller checks its signature.
 */
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bundle.h"
#include "fleet_db.h"
#include "pol_limits.h"

#if defined(__has_include) && __has_include(<libpq-fe.h>)
#include <libpq-fe.h>

static int failed(struct pol_diag *diag, const char *what, const char *message)
{
	size_t n = message ? strcspn(message, "\n") : 0;

	pol_diag_set(diag, "postgres", 0, 0, "%s: %.*s", what, (int)(n > 400 ? 400 : n),
		     message ? message : "");
	return -EIO;
}

static PGconn *connect_db(const char *conninfo, struct pol_diag *diag)
{
	PGconn *conn = PQconnectdb(conninfo ? conninfo : "");

	if (!conn || PQstatus(conn) != CONNECTION_OK) {
		failed(diag, "cannot connect to the fleet database",
		       conn ? PQerrorMessage(conn) : "out of memory");
		PQfinish(conn);
		return NULL;
	}
	return conn;
}

static int sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[32];
	unsigned int n = 0;

	if (!EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) || n != 32)
		return -EIO;
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}

int pol_fleet_bundle_push(const char *conninfo, const char *name, const char *version,
			  const void *data, size_t len, struct pol_diag *diag)
{
	char hex[65];
	const char *params[4] = { name, version, hex, data };
	int lengths[4] = { 0, 0, 0, (int)len };
	int formats[4] = { 0, 0, 0, 1 };
	PGconn *conn;
	PGresult *res;
	int r = 0;

	if (len > POL_BUNDLE_MAX_BYTES || sha256_hex(data, len, hex) < 0)
		return pol_diag_set(diag, "postgres", 0, 0, "bundle too large or unhashable");
	if (!(conn = connect_db(conninfo, diag)))
		return -ECONNREFUSED;
	res = PQexecParams(conn, "INSERT INTO attesta_bundle (name, version, sha256, data)"
			   " VALUES ($1, $2, $3, $4) ON CONFLICT (name, version) DO NOTHING",
			   4, NULL, params, lengths, formats, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		r = failed(diag, "cannot store the bundle", PQresultErrorMessage(res));
	} else if (!strcmp(PQcmdTuples(res), "0")) {
		/* that version exists: the same bytes are fine, others never */
		PQclear(res);
		res = PQexecParams(conn, "SELECT sha256 FROM attesta_bundle"
				   " WHERE name = $1 AND version = $2", 2, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
			r = failed(diag, "cannot read the stored bundle", PQresultErrorMessage(res));
		else if (strcmp(PQgetvalue(res, 0, 0), hex)) {
			pol_diag_set(diag, "postgres", 0, 0, "bundle %s@%s already exists with "
				     "other content (versions are never replaced)", name, version);
			r = -EEXIST;
		}
	}
	PQclear(res);
	PQfinish(conn);
	return r;
}

int pol_fleet_bundle_pull(const char *conninfo, const char *ref, char **ret_data,
			  size_t *ret_len, char *ret_resolved, size_t resolved_size,
			  struct pol_diag *diag)
{
	char name[POL_BUNDLE_MAX_STRING + 1];
	const char *at = strchr(ref, '@');
	const char *params[2];
	PGconn *conn;
	PGresult *res;
	int r = 0;

	if (!*ref || at == ref || (at && !at[1]) || strlen(ref) > 2 * POL_BUNDLE_MAX_STRING ||
	    (at ? (size_t)(at - ref) : strlen(ref)) > POL_BUNDLE_MAX_STRING)
		return pol_diag_set(diag, "postgres", 0, 0, "invalid bundle reference '%.64s' "
				    "(NAME or NAME@VERSION)", ref);
	snprintf(name, sizeof(name), "%.*s", at ? (int)(at - ref) : (int)strlen(ref), ref);
	params[0] = name;
	params[1] = at ? at + 1 : NULL;
	if (!(conn = connect_db(conninfo, diag)))
		return -ECONNREFUSED;
	res = PQexecParams(conn, at ? "SELECT data, name || '@' || version FROM attesta_bundle"
				      " WHERE name = $1 AND version = $2"
				    : "SELECT data, name || '@' || version FROM attesta_bundle"
				      " WHERE name = $1 ORDER BY seq DESC LIMIT 1",
			   at ? 2 : 1, NULL, params, NULL, NULL, 1);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		r = failed(diag, "cannot read bundles", PQresultErrorMessage(res));
	} else if (PQntuples(res) != 1) {
		pol_diag_set(diag, "postgres", 0, 0, "no bundle '%.200s' in the fleet database", ref);
		r = -ENOENT;
	} else {
		size_t len = (size_t)PQgetlength(res, 0, 0);
		char *copy = len <= POL_BUNDLE_MAX_BYTES ? malloc(len ? len : 1) : NULL;

		if (!copy) {
			r = len > POL_BUNDLE_MAX_BYTES
				    ? pol_diag_set(diag, "postgres", 0, 0, "stored bundle too large")
				    : -ENOMEM;
		} else {
			memcpy(copy, PQgetvalue(res, 0, 0), len);
			*ret_data = copy;
			*ret_len = len;
			if (ret_resolved && resolved_size)
				snprintf(ret_resolved, resolved_size, "%.*s", PQgetlength(res, 0, 1),
					 PQgetvalue(res, 0, 1));
		}
	}
	PQclear(res);
	PQfinish(conn);
	return r;
}

#else

int pol_fleet_bundle_push(const char *conninfo, const char *name, const char *version,
			  const void *data, size_t len, struct pol_diag *diag)
{
	(void)conninfo;
	(void)name;
	(void)version;
	(void)data;
	(void)len;
	pol_diag_set(diag, "postgres", 0, 0, "this attesta was built without libpq");
	return -ENOTSUP;
}

int pol_fleet_bundle_pull(const char *conninfo, const char *ref, char **ret_data,
			  size_t *ret_len, char *ret_resolved, size_t resolved_size,
			  struct pol_diag *diag)
{
	(void)conninfo;
	(void)ref;
	(void)ret_data;
	(void)ret_len;
	(void)ret_resolved;
	(void)resolved_size;
	pol_diag_set(diag, "postgres", 0, 0, "this attesta was built without libpq");
	return -ENOTSUP;
}

#endif

int pol_fleet_bundle_load(const char *spec, const char *conninfo, struct pol_bundle **ret,
			  char *ret_label, size_t label_size, struct pol_diag *diag)
{
	char resolved[2 * POL_BUNDLE_MAX_STRING + 2];
	char label[sizeof(resolved) + 32];
	struct stat st;
	char *data = NULL;
	size_t len = 0;
	int r;

	if (stat(spec, &st) == 0 || strchr(spec, '/')) {
		if (ret_label && label_size)
			snprintf(ret_label, label_size, "%s", spec);
		return pol_bundle_read(spec, ret, diag);
	}
	r = pol_fleet_bundle_pull(conninfo, spec, &data, &len, resolved, sizeof(resolved), diag);
	if (r < 0)
		return r;
	snprintf(label, sizeof(label), "<fleet database: %s>", resolved);
	if (ret_label && label_size)
		snprintf(ret_label, label_size, "%s", label);
	r = pol_bundle_parse(label, data, len, ret, diag);
	free(data);
	return r;
}
