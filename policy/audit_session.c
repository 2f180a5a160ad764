/*
 * Sessions in the audit log (docs/audit.md, "Sessions"): who wrote a
 * session-start entry (pid, start time and boot of the writer process),
 * whether that process still runs, and the verifier's table of sessions
 * started and not yet closed. /proc and the log are untrusted input here:
 * fields are bounded and parsed strictly; an identity that cannot be read
 * is "cannot tell", never "running" by guess.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "audit_internal.h"

/* Read a small /proc file whole (NUL-terminated). Bytes read or -errno. */
static ssize_t read_small(const char *path, char *buf, size_t size)
{
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return -errno;
	while (got + 1 < size) {
		ssize_t n = read(fd, buf + got, size - 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int r = -errno;

			close(fd);
			return r;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	return (ssize_t)got;
}

static int boot_id(char out[POL_AUDIT_BOOT_ID_LEN + 1])
{
	char buf[64];
	ssize_t n = read_small("/proc/sys/kernel/random/boot_id", buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	if (n < POL_AUDIT_BOOT_ID_LEN)
		return -EIO;
	memcpy(out, buf, POL_AUDIT_BOOT_ID_LEN);
	out[POL_AUDIT_BOOT_ID_LEN] = '\0';
	return 0;
}

/* Field 22 (starttime, clock ticks after boot) of /proc/PID/stat, and
 * whether the process is a zombie (field 3: Z or X, it has exited). The
 * command name (field 2) may hold spaces and parentheses: fields are
 * counted after its last ')'. */
int pol_audit_proc_start_ticks(int pid, uint64_t *ret, bool *ret_exited)
{
	char path[64], buf[1024], *p, *end;
	ssize_t n;
	int field = 2;

	if (pid > 0)
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/stat");
	n = read_small(path, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return -EIO;
	*ret_exited = p[2] == 'Z' || p[2] == 'X';
	p++;
	while (*p && field < 22) {
		if (*p++ == ' ') {
			field++;
			while (*p == ' ')
				p++;
		}
	}
	if (field != 22 || *p < '0' || *p > '9')
		return -EIO;
	errno = 0;
	*ret = strtoull(p, &end, 10);
	if (errno || (*end != ' ' && *end != '\n' && *end))
		return -EIO;
	return 0;
}

static int identity_read(int pid, struct pol_audit_proc_id *ret_id)
{
	struct pol_audit_proc_id id = { .pid = pid > 0 ? pid : (int)getpid() };
	bool exited;
	int r;

	if ((r = pol_audit_proc_start_ticks(pid, &id.start_ticks, &exited)) < 0 ||
	    (r = boot_id(id.boot_id)) < 0)
		return r;
	*ret_id = id;
	return 0;
}

/* This process's identity, read ahead by pol_audit_warm() on attesta-run's
 * warm-up thread so the session-start entry does not pay for the two /proc
 * reads on the start-up path (docs/audit.md, "Sessions"). */
static struct pol_audit_proc_id self_cache;
static int self_state; /* 0 not read, 1 being read, 2 ready */

void audit_proc_identity_warm(void)
{
	struct pol_audit_proc_id id;
	int expect = 0;

	if (!__atomic_compare_exchange_n(&self_state, &expect, 1, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE))
		return;
	if (identity_read(0, &id) == 0) {
		self_cache = id;
		__atomic_store_n(&self_state, 2, __ATOMIC_RELEASE);
	} else {
		__atomic_store_n(&self_state, 0, __ATOMIC_RELEASE);
	}
}

int pol_audit_proc_identity(int pid, struct pol_audit_proc_id *ret_id)
{
	/* the cache names the process that read it (not a forked child) */
	if ((pid <= 0 || pid == getpid()) && __atomic_load_n(&self_state, __ATOMIC_ACQUIRE) == 2 &&
	    self_cache.pid == getpid()) {
		*ret_id = self_cache;
		return 0;
	}
	return identity_read(pid, ret_id);
}

int pol_audit_proc_alive(const struct pol_audit_proc_id *id)
{
	struct pol_audit_proc_id now;
	bool exited = false;
	int r;

	if (id->pid <= 0)
		return -EINVAL;
	r = boot_id(now.boot_id);
	if (r == 0 && strcmp(now.boot_id, id->boot_id))
		return 0; /* written in another boot (or on another host) */
	if (r == 0) {
		r = pol_audit_proc_start_ticks(id->pid, &now.start_ticks, &exited);
		if (r == 0)
			return now.start_ticks == id->start_ticks && !exited;
	}
	/* /proc hides the process (hidepid) or is missing: a pid that does
	 * not exist is gone; one that exists cannot be told apart from a
	 * reused pid */
	if (kill(id->pid, 0) < 0 && errno == ESRCH)
		return 0;
	return r < 0 ? r : -EIO;
}

static bool str_is(const struct pol_json *m, const char *s)
{
	return m && m->kind == POL_JSON_STRING && m->len == strlen(s) && !memcmp(m->text, s, m->len);
}

/* A non-negative integer member of at most 19 digits. */
static bool uint_member(const struct pol_json *obj, const char *key, uint64_t *ret)
{
	const struct pol_json *m = pol_json_get(obj, key);

	if (!m || m->kind != POL_JSON_INT || !m->len || m->len > 19 || m->text[0] == '-')
		return false;
	*ret = strtoull(m->text, NULL, 10);
	return true;
}

void audit_session_ref_parse(const struct pol_json *action_name, const struct pol_json *session_id,
			     const struct pol_json *metadata, struct audit_session_ref *out)
{
	const struct pol_json *boot;
	uint64_t pid = 0;

	out->kind = AUDIT_SESSION_NONE;
	out->id_known = false;
	if (str_is(action_name, POL_AUDIT_SESSION_START))
		out->kind = AUDIT_SESSION_START;
	else if (str_is(action_name, POL_AUDIT_SESSION_END))
		out->kind = AUDIT_SESSION_END;
	else
		return;
	if (!session_id || session_id->kind != POL_JSON_STRING || !session_id->len ||
	    memchr(session_id->text, '\0', session_id->len)) {
		out->kind = AUDIT_SESSION_NONE; /* nothing to pair it with */
		return;
	}
	snprintf(out->sid, sizeof(out->sid), "%.*s",
		 (int)(session_id->len > AUDIT_SESSION_ID_MAX ? AUDIT_SESSION_ID_MAX : session_id->len),
		 session_id->text);
	if (out->kind != AUDIT_SESSION_START || !metadata || metadata->kind != POL_JSON_OBJECT)
		return;
	boot = pol_json_get(metadata, "boot_id");
	if (uint_member(metadata, "supervisor_pid", &pid) && pid > 0 && pid < (1u << 30) &&
	    uint_member(metadata, "supervisor_start_ticks", &out->id.start_ticks) &&
	    boot && boot->kind == POL_JSON_STRING && boot->len == POL_AUDIT_BOOT_ID_LEN &&
	    !memchr(boot->text, '\0', boot->len)) {
		out->id.pid = (int)pid;
		memcpy(out->id.boot_id, boot->text, POL_AUDIT_BOOT_ID_LEN);
		out->id.boot_id[POL_AUDIT_BOOT_ID_LEN] = '\0';
		out->id_known = true;
	}
}

/* --- the verifier's table of open sessions ---------------------------------- */

int audit_sessions_start(struct audit_sessions *s, const struct audit_session_ref *ref,
			 uint64_t line)
{
	struct audit_open_session *o;

	/* the same session started twice: keep the later start */
	audit_sessions_end(s, ref->sid);
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct audit_open_session *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	o = &s->v[s->n++];
	memcpy(o->sid, ref->sid, sizeof(o->sid));
	o->line = line;
	o->id_known = ref->id_known;
	o->id = ref->id;
	return 0;
}

void audit_sessions_end(struct audit_sessions *s, const char *sid)
{
	/* newest first: a closing entry usually ends a recent session */
	for (size_t i = s->n; i-- > 0;) {
		if (strcmp(s->v[i].sid, sid))
			continue;
		memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof(s->v[0]));
		s->n--;
		return;
	}
}

void audit_sessions_free(struct audit_sessions *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}
