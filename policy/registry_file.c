/*
 * The enrollment registry as a local JSON file:
 *
 *   {"version": 1, "nodes": [{"node_id": "n1", "enrollment_ref": "r1",
 *     "status": "active", "rollout_state": "none",
 *     "enrolled_at": 1700000000.0, "updated_at": 1700000000.0}]}
 *
 * Changes are serialized with flock(LOCK_EX) on "PATH.lock" (the registry
 * itself is replaced by rename, so it cannot carry the lock), then the file
 * is read, changed and written whole: temporary file in the same
 * directory, mode 0600, fsync, rename, fsync of the directory. Readers
 * take no lock: rename makes every read see one whole version.
 *
 * Trust: the file may have been edited by anyone who can write it. It is
 * bounded (POL_REGISTRY_MAX_BYTES, POL_REGISTRY_MAX_NODES), validated
 * whole (types, names, unknown and duplicate keys, duplicate nodes) before
 * any row is used, and a corrupt file is an error naming the file; it is
 * never rewritten or reset.
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
#include "registry_internal.h"

struct row_table {
	struct pol_enrollment *rows;
	size_t n;
};

static void table_release(struct row_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		pol_enrollment_release(&t->rows[i]);
	free(t->rows);
	t->rows = NULL;
	t->n = 0;
}

/* Read the whole file into a NUL-terminated buffer. -ENOENT passes through
 * silently (no registry yet); other errors are described in diag. */
static int read_file(const char *path, char **ret_buf, size_t *ret_len, struct pol_diag *diag)
{
	int r = pol_file_read(path, POL_REGISTRY_MAX_BYTES, 0, ret_buf, ret_len);

	if (r < 0 && r != -ENOENT)
		pol_diag_set(diag, path, 0, 0, "cannot read registry: %s",
			     pol_file_read_strerror(r));
	return r;
}

/* Line and column of offset in buf, for the parse error message. */
static void locate(const char *buf, size_t offset, unsigned *line, unsigned *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < offset; i++) {
		if (buf[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static bool has_duplicate_key(const cJSON *object)
{
	for (const cJSON *a = object->child; a; a = a->next)
		for (const cJSON *b = a->next; b; b = b->next)
			if (!strcmp(a->string, b->string))
				return true;
	return false;
}

static int parse_time(const cJSON *item, double *ret)
{
	if (!cJSON_IsNumber(item) || !isfinite(item->valuedouble) || item->valuedouble < 0)
		return -EINVAL;
	*ret = item->valuedouble;
	return 0;
}

static int parse_row(const cJSON *item, struct pol_enrollment *row, const char **what)
{
	static const char *const keys[] = { "node_id", "enrollment_ref", "status",
					    "rollout_state", "enrolled_at", "updated_at" };
	const cJSON *f;

	if (!cJSON_IsObject(item) || has_duplicate_key(item)) {
		*what = "is not an object with unique keys";
		return -EINVAL;
	}
	for (f = item->child; f; f = f->next) {
		bool known = false;
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			known |= !strcmp(f->string, keys[k]);
		if (!known) {
			*what = "has an unknown key";
			return -EINVAL;
		}
	}
	f = cJSON_GetObjectItemCaseSensitive(item, "node_id");
	if (!cJSON_IsString(f) || !pol_registry_name_valid(f->valuestring)) {
		*what = "has a missing or invalid node_id";
		return -EINVAL;
	}
	row->node_id = f->valuestring;
	f = cJSON_GetObjectItemCaseSensitive(item, "enrollment_ref");
	if (!cJSON_IsString(f) || !pol_registry_name_valid(f->valuestring)) {
		*what = "has a missing or invalid enrollment_ref";
		return -EINVAL;
	}
	row->enrollment_ref = f->valuestring;
	f = cJSON_GetObjectItemCaseSensitive(item, "status");
	if (!cJSON_IsString(f) || pol_node_status_parse(f->valuestring, &row->status) < 0) {
		*what = "has a missing or invalid status";
		return -EINVAL;
	}
	f = cJSON_GetObjectItemCaseSensitive(item, "rollout_state");
	if (!cJSON_IsString(f) || pol_rollout_state_parse(f->valuestring, &row->rollout_state) < 0) {
		*what = "has a missing or invalid rollout_state";
		return -EINVAL;
	}
	if (parse_time(cJSON_GetObjectItemCaseSensitive(item, "enrolled_at"), &row->enrolled_at) < 0 ||
	    parse_time(cJSON_GetObjectItemCaseSensitive(item, "updated_at"), &row->updated_at) < 0) {
		*what = "has a missing or invalid enrolled_at or updated_at";
		return -EINVAL;
	}
	return 0;
}

static int compare_rows(const void *a, const void *b)
{
	return strcmp(((const struct pol_enrollment *)a)->node_id,
		      ((const struct pol_enrollment *)b)->node_id);
}

/* Parse and validate the whole registry; rows come out sorted by node id,
 * owning their strings. */
static int parse_registry(const char *path, const char *buf, size_t len, struct row_table *ret,
			  struct pol_diag *diag)
{
	struct row_table t = { 0 };
	const char *end = NULL, *what = NULL;
	const cJSON *nodes, *item, *version;
	cJSON *root;
	size_t i = 0;
	int r = 0;

	root = cJSON_ParseWithLengthOpts(buf, len, &end, false);
	if (!root) {
		unsigned line, col;
		const char *at = cJSON_GetErrorPtr();
		size_t off = at && at >= buf && at <= buf + len ? (size_t)(at - buf) : 0;
		locate(buf, off, &line, &col);
		return pol_diag_set(diag, path, line, col, "corrupt registry: invalid JSON");
	}
	for (const char *p = end; p && p < buf + len; p++) {
		if (!strchr(" \t\r\n", *p)) {
			r = pol_diag_set(diag, path, 0, 0, "corrupt registry: data after the JSON value");
			goto out;
		}
	}
	version = cJSON_GetObjectItemCaseSensitive(root, "version");
	nodes = cJSON_GetObjectItemCaseSensitive(root, "nodes");
	if (!cJSON_IsObject(root) || has_duplicate_key(root) || cJSON_GetArraySize(root) != 2 ||
	    !cJSON_IsNumber(version) || version->valuedouble != 1 || !cJSON_IsArray(nodes)) {
		r = pol_diag_set(diag, path, 0, 0,
				 "corrupt registry: expected {\"version\": 1, \"nodes\": [...]}");
		goto out;
	}
	t.n = (size_t)cJSON_GetArraySize(nodes);
	if (t.n > POL_REGISTRY_MAX_NODES) {
		r = pol_diag_set(diag, path, 0, 0, "corrupt registry: more than %d nodes",
				 POL_REGISTRY_MAX_NODES);
		t.n = 0;
		goto out;
	}
	t.rows = calloc(t.n ? t.n : 1, sizeof(*t.rows));
	if (!t.rows) {
		r = -ENOMEM;
		t.n = 0;
		goto out;
	}
	/* Validate every row first (strings still borrowed from the tree). */
	cJSON_ArrayForEach(item, nodes) {
		if (parse_row(item, &t.rows[i], &what) < 0) {
			r = pol_diag_set(diag, path, 0, 0, "corrupt registry: node %zu %s", i + 1, what);
			memset(t.rows, 0, t.n * sizeof(*t.rows));
			t.n = 0;
			goto out;
		}
		i++;
	}
	for (i = 0; i < t.n; i++) {
		char *id = strdup(t.rows[i].node_id), *ref = strdup(t.rows[i].enrollment_ref);
		t.rows[i].node_id = id;
		t.rows[i].enrollment_ref = ref;
		if (!id || !ref) {
			for (size_t j = i + 1; j < t.n; j++)
				t.rows[j].node_id = t.rows[j].enrollment_ref = NULL;
			r = -ENOMEM;
			goto out;
		}
	}
	qsort(t.rows, t.n, sizeof(*t.rows), compare_rows);
	for (i = 1; i < t.n; i++) {
		if (!strcmp(t.rows[i - 1].node_id, t.rows[i].node_id)) {
			r = pol_diag_set(diag, path, 0, 0, "corrupt registry: node '%s' appears twice",
					 t.rows[i].node_id);
			goto out;
		}
	}
	*ret = t;
	t.rows = NULL;
	t.n = 0;
out:
	table_release(&t);
	cJSON_Delete(root);
	return r;
}

static int load_table(const char *path, struct row_table *ret, struct pol_diag *diag)
{
	char *buf = NULL;
	size_t len = 0;
	int r = read_file(path, &buf, &len, diag);

	if (r == -ENOENT) {
		ret->rows = NULL;
		ret->n = 0;
		return 0;
	}
	if (r < 0)
		return r;
	r = parse_registry(path, buf, len, ret, diag);
	free(buf);
	return r;
}

static struct pol_enrollment *table_find(struct row_table *t, const char *node_id)
{
	struct pol_enrollment key = { .node_id = (char *)node_id };

	return t->n ? bsearch(&key, t->rows, t->n, sizeof(*t->rows), compare_rows) : NULL;
}

static int file_lookup(struct pol_registry *registry, const char *node_id,
		       struct pol_enrollment *ret_row, struct pol_diag *diag)
{
	struct row_table t = { 0 };
	struct pol_enrollment *row;
	int r = load_table(registry->path, &t, diag);

	if (r < 0)
		return r;
	row = table_find(&t, node_id);
	if (!row) {
		r = -ENOENT;
		goto out;
	}
	*ret_row = *row;
	row->node_id = row->enrollment_ref = NULL; /* moved to the caller */
out:
	table_release(&t);
	return r;
}

static char *render(const struct row_table *t)
{
	cJSON *root = cJSON_CreateObject(), *nodes = cJSON_CreateArray();
	char *text = NULL;

	if (!root || !nodes || !cJSON_AddNumberToObject(root, "version", 1)) {
		cJSON_Delete(nodes);
		goto out;
	}
	cJSON_AddItemToObject(root, "nodes", nodes);
	for (size_t i = 0; i < t->n; i++) {
		const struct pol_enrollment *row = &t->rows[i];
		cJSON *o = cJSON_CreateObject();
		if (!o || !cJSON_AddItemToArray(nodes, o) ||
		    !cJSON_AddStringToObject(o, "node_id", row->node_id) ||
		    !cJSON_AddStringToObject(o, "enrollment_ref", row->enrollment_ref) ||
		    !cJSON_AddStringToObject(o, "status", pol_node_status_name(row->status)) ||
		    !cJSON_AddStringToObject(o, "rollout_state",
					     pol_rollout_state_name(row->rollout_state)) ||
		    !cJSON_AddNumberToObject(o, "enrolled_at", row->enrolled_at) ||
		    !cJSON_AddNumberToObject(o, "updated_at", row->updated_at))
			goto out;
	}
	text = cJSON_Print(root);
out:
	cJSON_Delete(root);
	return text;
}

static int file_change(struct pol_registry *registry, const struct registry_change *change,
		       struct pol_diag *diag)
{
	struct row_table t = { 0 };
	struct pol_enrollment *row;
	char lock_path[4200];
	char *text = NULL;
	int lock_fd = -1, r;

	r = pol_file_make_parents(registry->path, diag);
	if (r < 0)
		return r;
	snprintf(lock_path, sizeof(lock_path), "%s.lock", registry->path);
	lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW, 0600);
	if (lock_fd < 0) {
		r = -errno;
		pol_diag_set(diag, lock_path, 0, 0, "cannot open registry lock: %s", strerror(-r));
		return r;
	}
	while ((r = flock(lock_fd, LOCK_EX)) < 0 && errno == EINTR)
		;
	if (r < 0) {
		r = -errno;
		pol_diag_set(diag, lock_path, 0, 0, "cannot lock registry: %s", strerror(-r));
		goto out;
	}
	r = load_table(registry->path, &t, diag);
	if (r < 0)
		goto out;
	row = table_find(&t, change->node_id);
	if (!row && change->kind != REGISTRY_ENROLL) {
		r = -ENOENT;
		goto out;
	}
	if (!row) {
		struct pol_enrollment *grown;
		if (t.n >= POL_REGISTRY_MAX_NODES) {
			r = pol_diag_set(diag, registry->path, 0, 0, "registry is full (%d nodes)",
					 POL_REGISTRY_MAX_NODES);
			goto out;
		}
		grown = realloc(t.rows, (t.n + 1) * sizeof(*t.rows));
		if (!grown) {
			r = -ENOMEM;
			goto out;
		}
		t.rows = grown;
		row = &t.rows[t.n++];
		memset(row, 0, sizeof(*row));
	}
	r = registry_apply(row, change);
	if (r < 0)
		goto out;
	qsort(t.rows, t.n, sizeof(*t.rows), compare_rows);
	text = render(&t);
	if (!text) {
		r = -ENOMEM;
		goto out;
	}
	r = pol_file_write_atomic(registry->path, text, strlen(text), 0600, POL_FILE_NEWLINE,
				  "registry", diag);
out:
	free(text);
	table_release(&t);
	close(lock_fd); /* releases the lock */
	return r;
}

static const struct registry_ops file_ops = {
	.lookup = file_lookup,
	.change = file_change,
	.free = NULL,
};

int registry_file_open(struct pol_registry *registry, const char *path)
{
	size_t n = strlen(path);

	if (n >= 4000)
		return -EINVAL;
	registry->path = strdup(path);
	registry->description = malloc(n + 6);
	if (!registry->path || !registry->description)
		return -ENOMEM;
	snprintf(registry->description, n + 6, "file:%s", path);
	registry->ops = &file_ops;
	return 0;
}
