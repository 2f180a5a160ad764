/*
 * The trust store on disk: strict parsing of the JSON history summary
 * (every key known, every count a bounded non-negative integer, caps from
 * pol_limits.h), serialization, and the write path (flock on "<path>.lock",
 * re-read, replay unsaved events, temp file + fsync + rename + fsync of
 * the directory, mode 0600 in 0700 directories).
 *
 * SECURITY: the file is untrusted input. Anyone who can write it can raise
 * an agent's trust, so a store writable by group or others is refused, and
 * a store that does not parse is an error, never an empty (initial-score)
 * store: silently resetting would also erase revocations and incidents.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "atomic_file.h"
#include "file_read.h"
#include "pol_limits.h"
#include "trust_internal.h"

#define TRUST_FORMAT "attesta-trust"
#define TRUST_VERSION 1
#define MAX_SAFE_COUNT 9007199254740991.0 /* 2^53 - 1: exact in a double */

/* --- parsing -------------------------------------------------------------- */

static void position_of(const char *buf, size_t off, unsigned *line, unsigned *column)
{
	*line = 1;
	*column = 1;
	for (size_t i = 0; i < off; i++) {
		if (buf[i] == '\n') {
			(*line)++;
			*column = 1;
		} else {
			(*column)++;
		}
	}
}

struct parse_ctx {
	const char *name;
	struct pol_diag *diag;
	char where[POL_TRUST_MAX_NAME * 2 + 64]; /* JSON path of the object being read */
};

static int bad(struct parse_ctx *ctx, const char *key, const char *what)
{
	return pol_diag_set(ctx->diag, ctx->name, 0, 0, "%s%s%s: %s", ctx->where,
			    key ? "." : "", key ? key : "", what);
}

/* Check that obj has exactly the keys in names (no unknown, no duplicate,
 * none missing). */
static int check_keys(struct parse_ctx *ctx, const cJSON *obj, const char *const *names,
		      size_t n_names)
{
	unsigned seen = 0;

	if (!cJSON_IsObject(obj))
		return bad(ctx, NULL, "expected an object");
	for (const cJSON *item = obj->child; item; item = item->next) {
		size_t i = 0;
		while (i < n_names && strcmp(item->string, names[i]))
			i++;
		if (i == n_names)
			return bad(ctx, item->string, "unknown key");
		if (seen & (1u << i))
			return bad(ctx, item->string, "duplicate key");
		seen |= 1u << i;
	}
	for (size_t i = 0; i < n_names; i++)
		if (!(seen & (1u << i)))
			return bad(ctx, names[i], "missing key");
	return 0;
}

static int get_count(struct parse_ctx *ctx, const cJSON *obj, const char *key, uint64_t *ret)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
	double v;

	if (!cJSON_IsNumber(item))
		return bad(ctx, key, "expected a non-negative integer");
	v = item->valuedouble;
	if (!isfinite(v) || v < 0 || v > MAX_SAFE_COUNT || floor(v) != v)
		return bad(ctx, key, "expected a non-negative integer below 2^53");
	*ret = (uint64_t)v;
	return 0;
}

static int get_time(struct parse_ctx *ctx, const cJSON *obj, const char *key, bool nullable,
		    double *ret)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (nullable && cJSON_IsNull(item)) {
		*ret = 0;
		return 0;
	}
	if (!cJSON_IsNumber(item) || !isfinite(item->valuedouble) || item->valuedouble < 0)
		return bad(ctx, key, nullable ? "expected a timestamp (seconds since the epoch) or null"
					      : "expected a timestamp (seconds since the epoch)");
	*ret = item->valuedouble;
	return 0;
}

static int parse_domain(struct parse_ctx *ctx, const cJSON *obj, struct pol_trust_domain *d)
{
	static const char *const keys[] = { "approvals", "denials", "incidents", "first_seen",
					    "last_activity", "last_incident_at",
					    "last_incident_action" };
	static const char *const sev[] = { "low", "medium", "high", "critical" };
	const cJSON *inc, *action;
	size_t base = strlen(ctx->where);
	int r;

	r = check_keys(ctx, obj, keys, sizeof(keys) / sizeof(keys[0]));
	if (r < 0)
		return r;
	if ((r = get_count(ctx, obj, "approvals", &d->approvals)) < 0 ||
	    (r = get_count(ctx, obj, "denials", &d->denials)) < 0 ||
	    (r = get_time(ctx, obj, "first_seen", false, &d->first_seen)) < 0 ||
	    (r = get_time(ctx, obj, "last_activity", false, &d->last_activity)) < 0 ||
	    (r = get_time(ctx, obj, "last_incident_at", true, &d->last_incident_at)) < 0)
		return r;
	action = cJSON_GetObjectItemCaseSensitive(obj, "last_incident_action");
	if (cJSON_IsString(action)) {
		if (strlen(action->valuestring) > POL_TRUST_MAX_NAME)
			return bad(ctx, "last_incident_action", "too long");
		d->last_incident_action = strdup(action->valuestring);
		if (!d->last_incident_action)
			return -ENOMEM;
	} else if (!cJSON_IsNull(action)) {
		return bad(ctx, "last_incident_action", "expected a string or null");
	}
	inc = cJSON_GetObjectItemCaseSensitive(obj, "incidents");
	snprintf(ctx->where + base, sizeof(ctx->where) - base, ".incidents");
	r = check_keys(ctx, inc, sev, POL_TRUST_SEVERITY_COUNT);
	for (unsigned s = 0; r == 0 && s < POL_TRUST_SEVERITY_COUNT; s++)
		r = get_count(ctx, inc, sev[s], &d->incidents[s]);
	ctx->where[base] = '\0';
	return r;
}

static int parse_agent(struct parse_ctx *ctx, const cJSON *obj, struct pol_trust_agent *agent)
{
	static const char *const keys[] = { "revoked", "revoked_at", "revocations", "domains" };
	const cJSON *revoked, *domains;
	size_t base = strlen(ctx->where);
	int r;

	r = check_keys(ctx, obj, keys, sizeof(keys) / sizeof(keys[0]));
	if (r < 0)
		return r;
	revoked = cJSON_GetObjectItemCaseSensitive(obj, "revoked");
	if (!cJSON_IsBool(revoked))
		return bad(ctx, "revoked", "expected true or false");
	agent->revoked = cJSON_IsTrue(revoked);
	if ((r = get_time(ctx, obj, "revoked_at", true, &agent->revoked_at)) < 0 ||
	    (r = get_count(ctx, obj, "revocations", &agent->revocations)) < 0)
		return r;
	domains = cJSON_GetObjectItemCaseSensitive(obj, "domains");
	if (!cJSON_IsObject(domains))
		return bad(ctx, "domains", "expected an object");
	for (const cJSON *item = domains->child; item; item = item->next) {
		struct pol_trust_domain *d;
		size_t before = agent->n_domains;
		int err = 0;

		snprintf(ctx->where + base, sizeof(ctx->where) - base, ".domains[\"%.*s\"]",
			 POL_TRUST_MAX_NAME, item->string);
		if (!trust_name_valid(item->string))
			return bad(ctx, NULL, "invalid domain name");
		d = trust_agent_domain(agent, item->string, true, 0, &err);
		if (!d)
			return err == -E2BIG ? bad(ctx, NULL, "too many domains") : err;
		if (agent->n_domains == before)
			return bad(ctx, NULL, "duplicate domain");
		r = parse_domain(ctx, item, d);
		if (r < 0)
			return r;
	}
	ctx->where[base] = '\0';
	return 0;
}

int trust_table_parse(const char *name, const char *buf, size_t len,
		      struct trust_table *ret_table, struct pol_diag *diag)
{
	static const char *const keys[] = { "format", "version", "agents" };
	struct parse_ctx ctx = { .name = name, .diag = diag };
	struct trust_table table = { 0 };
	const char *end = NULL, *nul;
	cJSON *root = NULL;
	const cJSON *format, *version, *agents;
	unsigned line, column;
	int r;

	if (len > POL_TRUST_MAX_BYTES)
		return pol_diag_set(diag, name, 0, 0, "trust store is larger than %d bytes",
				    POL_TRUST_MAX_BYTES), -EFBIG;
	nul = memchr(buf, '\0', len);
	if (nul) {
		position_of(buf, (size_t)(nul - buf), &line, &column);
		return pol_diag_set(diag, name, line, column, "NUL byte in trust store");
	}
	root = cJSON_ParseWithLengthOpts(buf, len, &end, false);
	if (!root) {
		size_t off = end && end >= buf && end <= buf + len ? (size_t)(end - buf) : 0;
		position_of(buf, off, &line, &column);
		return pol_diag_set(diag, name, line, column, "invalid JSON");
	}
	for (const char *p = end; p < buf + len; p++) {
		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
			position_of(buf, (size_t)(p - buf), &line, &column);
			r = pol_diag_set(diag, name, line, column, "trailing data after the JSON document");
			goto out;
		}
	}
	r = check_keys(&ctx, root, keys, sizeof(keys) / sizeof(keys[0]));
	if (r < 0)
		goto out;
	format = cJSON_GetObjectItemCaseSensitive(root, "format");
	version = cJSON_GetObjectItemCaseSensitive(root, "version");
	if (!cJSON_IsString(format) || strcmp(format->valuestring, TRUST_FORMAT)) {
		r = bad(&ctx, "format", "expected \"" TRUST_FORMAT "\"");
		goto out;
	}
	if (!cJSON_IsNumber(version) || version->valuedouble != TRUST_VERSION) {
		r = bad(&ctx, "version", "unsupported version (this build reads version 1)");
		goto out;
	}
	agents = cJSON_GetObjectItemCaseSensitive(root, "agents");
	if (!cJSON_IsObject(agents)) {
		r = bad(&ctx, "agents", "expected an object");
		goto out;
	}
	for (const cJSON *item = agents->child; item; item = item->next) {
		struct pol_trust_agent *agent;
		size_t before = table.count;
		int err = 0;

		snprintf(ctx.where, sizeof(ctx.where), "agents[\"%.*s\"]", POL_TRUST_MAX_NAME,
			 item->string);
		if (!trust_name_valid(item->string)) {
			r = bad(&ctx, NULL, "invalid agent id");
			goto out;
		}
		agent = trust_table_agent(&table, item->string, true, &err);
		if (!agent) {
			r = err == -E2BIG ? pol_diag_set(diag, name, 0, 0,
							 "more than %d agents in trust store",
							 POL_TRUST_MAX_AGENTS), -E2BIG
					  : err;
			goto out;
		}
		if (table.count == before) {
			r = bad(&ctx, NULL, "duplicate agent");
			goto out;
		}
		r = parse_agent(&ctx, item, agent);
		if (r < 0)
			goto out;
	}
	*ret_table = table;
	table = (struct trust_table){ 0 };
	r = 0;
out:
	trust_table_release(&table);
	cJSON_Delete(root);
	return r;
}

/* --- serialization ---------------------------------------------------------- */

static bool add_time_or_null(cJSON *obj, const char *key, double t, bool present)
{
	return present ? cJSON_AddNumberToObject(obj, key, t) != NULL
		       : cJSON_AddNullToObject(obj, key) != NULL;
}

char *trust_table_serialize(const struct trust_table *table)
{
	static const char *const sev[] = { "low", "medium", "high", "critical" };
	cJSON *root = cJSON_CreateObject(), *agents = NULL;
	char *text = NULL;
	bool ok = root && cJSON_AddStringToObject(root, "format", TRUST_FORMAT) &&
		  cJSON_AddNumberToObject(root, "version", TRUST_VERSION) &&
		  (agents = cJSON_AddObjectToObject(root, "agents")) != NULL;

	for (size_t i = 0; ok && i < table->count; i++) {
		const struct pol_trust_agent *a = &table->agents[i];
		cJSON *agent = NULL, *domains = NULL;

		ok = (agent = cJSON_AddObjectToObject(agents, a->id)) != NULL &&
		     cJSON_AddBoolToObject(agent, "revoked", a->revoked) &&
		     add_time_or_null(agent, "revoked_at", a->revoked_at, a->revoked) &&
		     cJSON_AddNumberToObject(agent, "revocations", (double)a->revocations) &&
		     (domains = cJSON_AddObjectToObject(agent, "domains")) != NULL;
		for (size_t j = 0; ok && j < a->n_domains; j++) {
			const struct pol_trust_domain *d = &a->domains[j];
			cJSON *dom = NULL, *inc = NULL;

			ok = (dom = cJSON_AddObjectToObject(domains, d->name)) != NULL &&
			     cJSON_AddNumberToObject(dom, "approvals", (double)d->approvals) &&
			     cJSON_AddNumberToObject(dom, "denials", (double)d->denials) &&
			     (inc = cJSON_AddObjectToObject(dom, "incidents")) != NULL &&
			     cJSON_AddNumberToObject(dom, "first_seen", d->first_seen) &&
			     cJSON_AddNumberToObject(dom, "last_activity", d->last_activity) &&
			     add_time_or_null(dom, "last_incident_at", d->last_incident_at,
					      d->last_incident_action || d->last_incident_at > 0) &&
			     (d->last_incident_action
				      ? cJSON_AddStringToObject(dom, "last_incident_action",
								d->last_incident_action) != NULL
				      : cJSON_AddNullToObject(dom, "last_incident_action") != NULL);
			for (unsigned s = 0; ok && s < POL_TRUST_SEVERITY_COUNT; s++)
				ok = cJSON_AddNumberToObject(inc, sev[s], (double)d->incidents[s]) != NULL;
		}
	}
	if (ok)
		text = cJSON_Print(root);
	cJSON_Delete(root);
	return text;
}

/* --- files ------------------------------------------------------------------ */

/* Read path into a malloc'd buffer. -ENOENT when missing (no diag). */
static int read_store(const char *path, char **ret_buf, size_t *ret_len, struct pol_diag *diag)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = -errno;
		if (r != -ENOENT)
			pol_diag_set(diag, path, 0, 0, "cannot open trust store: %s", strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		pol_diag_set(diag, path, 0, 0, "cannot stat trust store: %s", strerror(-r));
		goto out;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		pol_diag_set(diag, path, 0, 0,
			     "trust store is writable by group or others (mode %04o): refusing it",
			     (unsigned)(st.st_mode & 07777));
		r = -EPERM;
		goto out;
	}
	r = pol_file_read_fd(fd, POL_TRUST_MAX_BYTES, 0, &buf, &len);
	if (r < 0) {
		pol_diag_set(diag, path, 0, 0, "cannot read trust store: %s", pol_file_read_strerror(r));
		goto out;
	}
	*ret_buf = buf;
	*ret_len = len;
	buf = NULL;
	r = 0;
out:
	free(buf);
	close(fd);
	return r;
}

/* Read and parse; a missing file is an empty table. */
static int load_table(const char *path, struct trust_table *ret_table, struct pol_diag *diag)
{
	char *buf = NULL;
	size_t len = 0;
	int r = read_store(path, &buf, &len, diag);

	if (r == -ENOENT) {
		*ret_table = (struct trust_table){ 0 };
		return 0;
	}
	if (r < 0)
		return r;
	r = trust_table_parse(path, buf, len, ret_table, diag);
	free(buf);
	return r;
}

static struct pol_trust_store *store_new(const char *path, const struct pol_config *config)
{
	struct pol_trust_store *store = calloc(1, sizeof(*store));

	if (!store)
		return NULL;
	if (path && !(store->path = strdup(path))) {
		free(store);
		return NULL;
	}
	pol_trust_params_from_config(config, &store->params);
	return store;
}

int pol_trust_store_load(const char *path, const struct pol_config *config,
			 struct pol_trust_store **ret_store, struct pol_diag *diag)
{
	struct pol_trust_store *store;
	int r;

	if (!path)
		path = config->trust_path;
	if (!path || !*path)
		return pol_diag_set(diag, "", 0, 0, "no trust store path configured");
	store = store_new(path, config);
	if (!store)
		return -ENOMEM;
	r = load_table(path, &store->table, diag);
	if (r < 0) {
		pol_trust_store_free(store);
		return r;
	}
	*ret_store = store;
	return 0;
}

int pol_trust_store_parse(const char *name, const char *buf, size_t len,
			  const struct pol_config *config,
			  struct pol_trust_store **ret_store, struct pol_diag *diag)
{
	struct pol_trust_store *store = store_new(NULL, config);
	int r;

	if (!store)
		return -ENOMEM;
	r = trust_table_parse(name, buf, len, &store->table, diag);
	if (r < 0) {
		pol_trust_store_free(store);
		return r;
	}
	*ret_store = store;
	return 0;
}

void pol_trust_store_free(struct pol_trust_store *store)
{
	if (!store)
		return;
	trust_store_pending_release(store);
	free(store->pending);
	trust_table_release(&store->table);
	free(store->path);
	free(store);
}

int pol_trust_store_save(struct pol_trust_store *store, struct pol_diag *diag)
{
	struct trust_table fresh = { 0 };
	char lock_path[4096 + 8];
	char *text = NULL;
	int lock_fd = -1, r;

	if (!store->path)
		return pol_diag_set(diag, "", 0, 0, "trust store was not loaded from a file");
	if ((size_t)snprintf(lock_path, sizeof(lock_path), "%s.lock", store->path) >= sizeof(lock_path))
		return pol_diag_set(diag, store->path, 0, 0, "trust store path is too long");
	r = pol_file_make_parents(store->path, diag);
	if (r < 0)
		return r;
	lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	if (lock_fd < 0) {
		r = -errno;
		pol_diag_set(diag, lock_path, 0, 0, "cannot open lock file: %s", strerror(-r));
		return r;
	}
	while ((r = flock(lock_fd, LOCK_EX)) < 0 && errno == EINTR)
		;
	if (r < 0) {
		r = -errno;
		pol_diag_set(diag, lock_path, 0, 0, "cannot lock trust store: %s", strerror(-r));
		goto out;
	}
	/* Other writers may have saved since we loaded: start from what is
	 * on disk now and replay our own events on top of it. */
	r = load_table(store->path, &fresh, diag);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < store->n_pending; i++) {
		r = trust_table_apply(&fresh, &store->pending[i]);
		/* Someone else already lifted the revocation: nothing to do. */
		if (r == -ENOENT && store->pending[i].kind == TRUST_OP_REINSTATE)
			r = 0;
		if (r < 0) {
			pol_diag_set(diag, store->path, 0, 0, "cannot apply trust event: %s",
				     strerror(-r));
			goto out;
		}
	}
	text = trust_table_serialize(&fresh);
	if (!text) {
		r = -ENOMEM;
		goto out;
	}
	/* a crash leaves the old or the new store, never a torn one */
	r = pol_file_write_atomic(store->path, text, strlen(text), 0600, POL_FILE_NEWLINE,
				  "trust store", diag);
	if (r < 0)
		goto out;
	trust_table_release(&store->table);
	store->table = fresh;
	fresh = (struct trust_table){ 0 };
	trust_store_pending_release(store);
out:
	free(text);
	trust_table_release(&fresh);
	if (lock_fd >= 0)
		close(lock_fd);
	return r;
}
