/*
 * Opening the audit log (audit.h: pol_audit_open): private directories and
 * file, the HMAC key, and start-up recovery from the tail only, with
 * torn-line repair. The log is untrusted here: only its last
 * POL_AUDIT_TAIL_BYTES are read, and a last line that is not a valid
 * entry stops start-up rather than starting a new chain.
 */
#include <stdlib.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit_writer.h"
#include "pol_limits.h"

static int mkdir_parents(const char *path)
{
	char dir[4096];
	size_t n = strlen(path);

	if (n >= sizeof(dir))
		return -ENAMETOOLONG;
	memcpy(dir, path, n + 1);
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		/* SECURITY: the log's directory is private; other local users
		 * must not be able to swap the log or its head file */
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

/* The last complete line in [buf, buf+len) (len ends at a newline or is
 * the start of the file): its chain hash and seq. */
static int parse_last_entry(struct pol_audit_log *log, const char *buf, size_t len,
			    bool *ret_found)
{
	const struct pol_json *hash, *seq;
	struct pol_json *v;
	size_t end = len, start;

	*ret_found = false;
	for (;;) {
		while (end > 0 && (buf[end - 1] == '\n' || buf[end - 1] == ' ' ||
				   buf[end - 1] == '\r' || buf[end - 1] == '\t'))
			end--;
		if (end == 0)
			return 0;
		start = end;
		while (start > 0 && buf[start - 1] != '\n')
			start--;
		break;
	}
	pol_json_arena_reset(log->arena);
	if (pol_json_parse(log->arena, buf + start, end - start, &v, NULL) < 0 ||
	    v->kind != POL_JSON_OBJECT)
		return -EBADMSG;
	hash = pol_json_get(v, "chain_hash");
	if (!hash || hash->kind != POL_JSON_STRING || !audit_is_hash_hex(hash->text, hash->len))
		return -EBADMSG;
	memcpy(log->last_hash, hash->text, AUDIT_HASH_HEX);
	log->last_hash[AUDIT_HASH_HEX] = '\0';
	seq = pol_json_get(v, "seq");
	if (seq && seq->kind == POL_JSON_INT && seq->text[0] != '-' && seq->len < 19) {
		log->count = strtoull(seq->text, NULL, 10) + 1;
		log->seq_known = true;
	} else {
		log->seq_known = false;
		log->count = 0;
	}
	*ret_found = true;
	return 0;
}

/* With the file locked: read the tail, cut a torn last line, and recover
 * the chain state. Cost is bounded by POL_AUDIT_TAIL_BYTES whatever the
 * size of the log. */
int audit_recover_tail(struct pol_audit_log *log, struct pol_diag *diag, struct audit_torn *ret_torn)
{
	struct stat st;
	size_t want, got = 0;
	off_t from;
	char *buf = NULL;
	bool found = false;
	int r;

	ret_torn->removed = 0;
	if (fstat(log->fd, &st) < 0)
		return -errno;
	if (st.st_size == 0) {
		log->known_size = 0;
		return 1; /* empty */
	}
	/* a small window first (entries are ~1 KiB; other writers make us
	 * come here often), the whole POL_AUDIT_TAIL_BYTES only if the last
	 * line does not start inside it */
	for (size_t window = AUDIT_TAIL_FIRST_WINDOW;; window = POL_AUDIT_TAIL_BYTES) {
		size_t newlines = 0;

		want = st.st_size < (off_t)window ? (size_t)st.st_size : window;
		from = st.st_size - (off_t)want;
		free(buf);
		buf = malloc(want);
		if (!buf)
			return -ENOMEM;
		got = 0;
		while (got < want) {
			ssize_t n = pread(log->fd, buf + got, want - got, from + (off_t)got);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				r = n < 0 ? -errno : -EIO;
				goto out;
			}
			got += (size_t)n;
		}
		for (const char *q = buf; newlines < 2 && (q = memchr(q, '\n', want - (size_t)(q - buf)));
		     q++)
			newlines++;
		if (from == 0 || newlines >= 2 || window == POL_AUDIT_TAIL_BYTES)
			break;
	}
	if (buf[want - 1] != '\n') {
		/* a crash mid-write (or garbage after the last entry) */
		size_t keep = want;

		while (keep > 0 && buf[keep - 1] != '\n')
			keep--;
		if (keep == 0 && from > 0) {
			r = pol_diag_set(diag, log->path, 0, 0,
					 "last line of audit log '%s' is longer than %d bytes",
					 log->path, POL_AUDIT_MAX_LINE);
			r = -EBADMSG;
			goto out;
		}
		ret_torn->offset = from + (off_t)keep;
		ret_torn->removed = want - keep;
		audit_chain_hash(NULL, "", buf + keep, want - keep, ret_torn->sha256);
		if (ftruncate(log->fd, ret_torn->offset) < 0 || fdatasync(log->fd) < 0) {
			r = -errno;
			pol_diag_set(diag, log->path, 0, 0, "cannot repair audit log '%s': %s",
				     log->path, strerror(-r));
			goto out;
		}
		want = keep;
	}
	log->known_size = from + (off_t)want;
	r = parse_last_entry(log, buf, want, &found);
	if (r < 0) {
		pol_diag_set(diag, log->path, 0, 0,
			     "last entry of audit log '%s' is not a valid entry (run 'attesta audit verify')",
			     log->path);
		goto out;
	}
	r = found ? 0 : 1;
out:
	free(buf);
	return r;
}

/* After a copytruncate rotation (or on a fresh log) the chain continues
 * from the head file; a head that exists but fails its check is fatal:
 * starting a new chain there would hide a truncation. */
static int chain_from_head(struct pol_audit_log *log, struct pol_diag *diag)
{
	struct audit_head head;
	int r = audit_head_read(log->head_path, log->key, log->key_len, &head);

	if (r == -ENOENT) {
		memcpy(log->last_hash, AUDIT_GENESIS, sizeof(AUDIT_GENESIS));
		log->count = 0;
		log->seq_known = true;
		return 0;
	}
	if (r < 0) {
		pol_diag_set(diag, log->head_path, 0, 0, "audit head file '%s' is invalid: %s",
			     log->head_path,
			     r == -EBADMSG ? "malformed or bad mac" : strerror(-r));
		return r;
	}
	memcpy(log->last_hash, head.last_hash, sizeof(head.last_hash));
	log->count = head.count;
	log->seq_known = true;
	log->head_count = head.count;
	return 0;
}

int pol_audit_open(const struct pol_config *config, const char *path,
		   struct pol_audit_log **ret_log, struct pol_diag *diag)
{
	struct pol_audit_log *log = calloc(1, sizeof(*log));
	const char *p = path ? path : config ? config->audit_path : NULL;
	struct audit_torn torn = { 0 };
	int r;

	if (!log)
		return -ENOMEM;
	log->fd = -1;
	pthread_mutex_init(&log->lock, NULL);
	pthread_mutex_init(&log->head_lock, NULL);
	pthread_cond_init(&log->synced, NULL);
	if (!p || !*p)
		p = ".attesta/audit.jsonl";
	log->sync_mode = config ? config->audit_sync : POL_SYNC_TIERED;
	log->window_ms = config ? config->audit_sync_window_ms : 10;
	log->path = strdup(p);
	log->head_path = pol_audit_head_path(p);
	log->arena = pol_json_arena_new();
	log->md = EVP_MD_CTX_new();
	if (!log->path || !log->head_path || !log->arena || !log->md) {
		r = -ENOMEM;
		goto fail;
	}
	if (config && config->audit_hmac_key_file &&
	    (r = pol_audit_key_load(config->audit_hmac_key_file, &log->key, &log->key_len,
				    diag)) < 0)
		goto fail;
	if ((r = mkdir_parents(p)) < 0) {
		pol_diag_set(diag, p, 0, 0, "cannot create directory for audit log '%s': %s", p,
			     strerror(-r));
		goto fail;
	}
	log->fd = open(p, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
	if (log->fd < 0) {
		r = -errno;
		pol_diag_set(diag, p, 0, 0, "cannot open audit log '%s': %s", p, strerror(-r));
		goto fail;
	}
	if ((r = audit_lock_file(log->fd, LOCK_EX)) < 0) {
		pol_diag_set(diag, p, 0, 0, "cannot lock audit log '%s': %s", p, strerror(-r));
		goto fail;
	}
	r = audit_recover_tail(log, diag, &torn);
	if (r == 1)
		r = chain_from_head(log, diag);
	if (r == 0 && torn.removed) {
		log->repaired_bytes = torn.removed;
		r = audit_record_repair(log, &torn);
		if (r == 0 && fdatasync(log->fd) < 0)
			r = -errno;
		if (r < 0)
			pol_diag_set(diag, p, 0, 0, "cannot record repair of audit log '%s': %s", p,
				     strerror(-r));
	}
	audit_lock_file(log->fd, LOCK_UN);
	if (r < 0)
		goto fail;
	log->synced_gen = log->written_gen;
	log->head_written_ms = audit_now_ms();
	*ret_log = log;
	return 0;
fail:
	pol_audit_close(log);
	return r;
}


int audit_record_repair(struct pol_audit_log *log, const struct audit_torn *torn)
{
	cJSON *repair = cJSON_CreateObject();
	cJSON *meta = cJSON_AddObjectToObject(repair, "metadata");
	char reason[160];
	int r;

	snprintf(reason, sizeof(reason), "audit: removed torn last line (%zu bytes at offset %lld)",
		 torn->removed, (long long)torn->offset);
	if (!cJSON_AddStringToObject(repair, "action_name", "audit.repair") ||
	    !cJSON_AddStringToObject(repair, "action_class", "audit") ||
	    !cJSON_AddStringToObject(repair, "verdict", "repaired") ||
	    !cJSON_AddStringToObject(repair, "reason", reason) || !meta ||
	    !cJSON_AddNumberToObject(meta, "removed_bytes", (double)torn->removed) ||
	    !cJSON_AddNumberToObject(meta, "offset", (double)torn->offset) ||
	    !cJSON_AddStringToObject(meta, "removed_sha256", torn->sha256))
		r = -ENOMEM;
	else
		r = audit_append_locked(log, repair, NULL, NULL);
	cJSON_Delete(repair);
	return r;
}

size_t pol_audit_repaired_bytes(const struct pol_audit_log *log)
{
	return log ? log->repaired_bytes : 0;
}
