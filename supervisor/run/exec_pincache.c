/*
 * The pinning walk cache (exec_pincache.h says what is remembered and why
 * a change of any step is seen). Trusts statx of descriptors and names
 * the supervisor opened or looks up itself; the target controls the path
 * and the files on the way, never what statx reports about them.
 */
#include "supervisor/run/exec_pincache.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "policy/pol_limits.h"
#include "supervisor/run/decode_proc.h"

/* What a step found: the fields the walk's answer depends on (owner,
 * group, mode and, through ctime, ACLs and entries) and the identity. */
struct pin_id {
	uint32_t dev_major, dev_minor;
	uint64_t ino, mnt_id, size;
	uint32_t mode, uid, gid;
	struct statx_timestamp ctime, mtime;
};

struct pin_step {
	int parent;        /* step whose directory holds name; -1: the root */
	uint16_t name_off, name_len;
	struct pin_id id;
	int fd;            /* O_PATH of a directory descended into, else -1 */
};

struct sup_pin_trace {
	bool ok;
	int cur;           /* the step the walk is in; -1: the root */
	struct timespec began;
	struct pin_id root;
	size_t n, names_len;
	struct pin_step steps[SUP_PINCACHE_STEPS];
	char names[SUP_PINCACHE_NAMES];
};

struct pin_entry {
	bool used;
	char *path;
	uid_t fsuid;
	gid_t fsgid;
	uint64_t cap_eff;
	bool by_root;
	size_t ngroups;
	gid_t groups[SUP_PROC_MAX_GROUPS];
	bool fixed;
	struct sup_pin_trace *walk; /* owned: its fds are the entry's */
};

static struct pin_entry cache[SUP_PINCACHE_ENTRIES];
static int cache_on = -1;
static size_t next_victim;
static unsigned long n_hits, n_stored;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

static void say_stats(void)
{
	fprintf(stderr, "attesta-run: pin cache: %lu walks recorded, %lu answered\n", n_stored,
		n_hits);
}

/* ATTESTA_PINCACHE=off: every walk runs; =stats: say the counters at
 * exit (tests, benchmarks). */
static bool enabled(void)
{
	if (cache_on < 0) {
		const char *v = getenv("ATTESTA_PINCACHE");
		cache_on = !(v && !strcmp(v, "off"));
		if (v && !strcmp(v, "stats"))
			atexit(say_stats);
	}
	return cache_on;
}

static bool id_of(int dirfd, const char *name, int flags, struct pin_id *ret)
{
	struct statx sx;
	const unsigned want = STATX_TYPE | STATX_MODE | STATX_UID | STATX_GID | STATX_INO |
			      STATX_SIZE | STATX_MTIME | STATX_CTIME | STATX_MNT_ID;

	if (statx(dirfd, name, flags | AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, want, &sx) < 0 ||
	    (sx.stx_mask & want) != want)
		return false;
	memset(ret, 0, sizeof *ret);
	ret->dev_major = sx.stx_dev_major;
	ret->dev_minor = sx.stx_dev_minor;
	ret->ino = sx.stx_ino;
	ret->mnt_id = sx.stx_mnt_id;
	ret->size = sx.stx_size;
	ret->mode = sx.stx_mode;
	ret->uid = sx.stx_uid;
	ret->gid = sx.stx_gid;
	ret->ctime = sx.stx_ctime;
	ret->mtime = sx.stx_mtime;
	return true;
}

static bool same_ts(const struct statx_timestamp *a, const struct statx_timestamp *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

static bool same_id(const struct pin_id *a, const struct pin_id *b)
{
	return a->dev_major == b->dev_major && a->dev_minor == b->dev_minor && a->ino == b->ino &&
	       a->mnt_id == b->mnt_id && a->size == b->size && a->mode == b->mode &&
	       a->uid == b->uid && a->gid == b->gid && same_ts(&a->ctime, &b->ctime) &&
	       same_ts(&a->mtime, &b->mtime);
}

/* SECURITY: a timestamp within the margin of the walk's start could be
 * shared by a change made just after the walk looked (coarse clocks). */
static bool settled(const struct pin_id *id, const struct timespec *began)
{
	const int64_t limit = (int64_t)began->tv_sec - SUP_PINCACHE_MARGIN_S;

	return id->ctime.tv_sec < limit && id->mtime.tv_sec < limit;
}

struct sup_pin_trace *sup_pin_trace_new(void)
{
	struct sup_pin_trace *t = calloc(1, sizeof *t);

	if (t)
		t->cur = -1;
	return t;
}

void sup_pin_trace_free(struct sup_pin_trace *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		if (t->steps[i].fd >= 0)
			close(t->steps[i].fd);
	free(t);
}

void sup_pin_trace_begin(struct sup_pin_trace *t, int rootfd)
{
	if (!t)
		return;
	t->cur = -1;
	t->ok = clock_gettime(CLOCK_REALTIME, &t->began) == 0 &&
		id_of(rootfd, "", AT_EMPTY_PATH, &t->root) && S_ISDIR(t->root.mode);
}

void sup_pin_trace_fail(struct sup_pin_trace *t)
{
	if (t)
		t->ok = false;
}

void sup_pin_trace_step(struct sup_pin_trace *t, const char *name, int fd)
{
	size_t len = strlen(name);

	if (!t || !t->ok)
		return;
	if (t->cur < -1 || t->n == SUP_PINCACHE_STEPS || len + 1 > sizeof t->names - t->names_len) {
		t->ok = false;
		return;
	}
	struct pin_step *s = &t->steps[t->n];
	if (!id_of(fd, "", AT_EMPTY_PATH, &s->id)) {
		t->ok = false;
		return;
	}
	s->parent = t->cur;
	s->fd = -1;
	s->name_off = (uint16_t)t->names_len;
	s->name_len = (uint16_t)len;
	memcpy(t->names + t->names_len, name, len + 1);
	t->names_len += len + 1;
	t->n++;
}

void sup_pin_trace_descend(struct sup_pin_trace *t, int fd)
{
	if (!t || !t->ok || t->n == 0)
		return;
	struct pin_step *s = &t->steps[t->n - 1];
	if (!S_ISDIR(s->id.mode)) {
		t->cur = -2; /* a file: nothing is looked up in it */
		return;
	}
	s->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (s->fd < 0) {
		t->ok = false;
		return;
	}
	t->cur = (int)(t->n - 1);
}

void sup_pin_trace_restart(struct sup_pin_trace *t)
{
	if (t)
		t->cur = -1;
}

static void entry_drop(struct pin_entry *e)
{
	free(e->path);
	sup_pin_trace_free(e->walk);
	memset(e, 0, sizeof *e);
}

static bool same_creds(const struct pin_entry *e, const struct sup_proc_status *c, bool by_root)
{
	return e->fsuid == c->fsuid && e->fsgid == c->fsgid && e->cap_eff == c->cap_eff &&
	       e->by_root == by_root && e->ngroups == c->ngroups &&
	       memcmp(e->groups, c->groups, c->ngroups * sizeof c->groups[0]) == 0;
}

void sup_pin_trace_store(struct sup_pin_trace *t, const char *path,
			 const struct sup_proc_status *creds, bool by_root, bool fixed)
{
	if (!t)
		return;
	bool keep = t->ok && t->n > 0 && S_ISREG(t->steps[t->n - 1].id.mode) &&
		    settled(&t->root, &t->began) && creds->ngroups <= SUP_PROC_MAX_GROUPS &&
		    strlen(path) < POL_TARGET_MAX_PATH;
	for (size_t i = 0; keep && i < t->n; i++)
		keep = settled(&t->steps[i].id, &t->began);
	char *copy = keep && enabled() ? strdup(path) : NULL;
	if (!copy) {
		sup_pin_trace_free(t);
		return;
	}
	pthread_mutex_lock(&cache_lock);
	struct pin_entry *slot = NULL;
	for (size_t i = 0; i < SUP_PINCACHE_ENTRIES && !slot; i++)
		if (cache[i].used && !strcmp(cache[i].path, path) && same_creds(&cache[i], creds, by_root))
			slot = &cache[i];
	for (size_t i = 0; i < SUP_PINCACHE_ENTRIES && !slot; i++)
		if (!cache[i].used)
			slot = &cache[i];
	if (!slot) {
		slot = &cache[next_victim];
		next_victim = (next_victim + 1) % SUP_PINCACHE_ENTRIES;
	}
	entry_drop(slot);
	slot->used = true;
	slot->path = copy;
	slot->fsuid = creds->fsuid;
	slot->fsgid = creds->fsgid;
	slot->cap_eff = creds->cap_eff;
	slot->by_root = by_root;
	slot->ngroups = creds->ngroups;
	memcpy(slot->groups, creds->groups, creds->ngroups * sizeof creds->groups[0]);
	slot->fixed = fixed;
	slot->walk = t;
	n_stored++;
	pthread_mutex_unlock(&cache_lock);
}

/* Every step found again from its recorded parent, as it was. */
static bool still_same(const struct sup_pin_trace *w, int rootfd)
{
	struct pin_id now;

	if (!id_of(rootfd, "", AT_EMPTY_PATH, &now) || !same_id(&now, &w->root))
		return false;
	for (size_t i = 0; i < w->n; i++) {
		const struct pin_step *s = &w->steps[i];
		int dir = s->parent < 0 ? rootfd : w->steps[s->parent].fd;
		if (dir < 0 || !id_of(dir, w->names + s->name_off, 0, &now) || !same_id(&now, &s->id))
			return false;
	}
	return true;
}

bool sup_pincache_lookup(int rootfd, const char *path, const struct sup_proc_status *creds,
			 bool by_root, bool *ret_fixed, dev_t *ret_dev, ino_t *ret_ino)
{
	bool hit = false;

	if (path[0] != '/' || rootfd < 0 || !enabled())
		return false;
	pthread_mutex_lock(&cache_lock);
	for (size_t i = 0; i < SUP_PINCACHE_ENTRIES; i++) {
		struct pin_entry *e = &cache[i];
		if (!e->used || strcmp(e->path, path) || !same_creds(e, creds, by_root))
			continue;
		if (!still_same(e->walk, rootfd)) {
			entry_drop(e);
			break;
		}
		const struct pin_id *end = &e->walk->steps[e->walk->n - 1].id;
		*ret_fixed = e->fixed;
		*ret_dev = makedev(end->dev_major, end->dev_minor);
		*ret_ino = (ino_t)end->ino;
		n_hits++;
		hit = true;
		break;
	}
	pthread_mutex_unlock(&cache_lock);
	return hit;
}

void sup_pincache_stats(unsigned long *ret_hits, unsigned long *ret_stored)
{
	pthread_mutex_lock(&cache_lock);
	*ret_hits = n_hits;
	*ret_stored = n_stored;
	pthread_mutex_unlock(&cache_lock);
}
