/*
 * The approval socket (docs/approvals.md): a UNIX stream socket, mode
 * 0600 in a 0700 directory (0660 / 0750 for gate.approval_group), served
 * non-blocking from the supervisor's loop. Each connection speaks JSON
 * lines: one request object per line, one response object per line.
 * Identity is the peer's SO_PEERCRED uid turned into a user name; peers
 * inside the sandbox are refused at accept (approval_peer.c).
 *
 * SECURITY: peers are untrusted: a line is at most POL_APPROVAL_MAX_LINE
 * bytes (a longer one closes the connection), at most MAX_CONNS
 * connections are served, replies a peer does not read are capped, and
 * no reply ever carries a challenge's expected answers.
 */
#include "supervisor/run/approval_internal.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* Approvers connected at once: a handful of humans and scripts. */
#define MAX_CONNS 64
/* Replies queued for a peer that does not read them. */
#define MAX_OUT (4u * 1024 * 1024)

static int resolve_group(const char *name, gid_t *ret_gid)
{
	struct group gr, *res = NULL;
	char buf[4096];
	if (getgrnam_r(name, &gr, buf, sizeof buf, &res) != 0 || !res)
		return -ENOENT;
	*ret_gid = res->gr_gid;
	return 0;
}

/* Create dir (one level) or check it: a directory owned by us, not
 * writable by others; then set its mode and group. A directory that
 * already existed is adjusted only when it is attesta's own (`own`: the
 * default /tmp/attesta-UID or $XDG_RUNTIME_DIR/attesta); a configured
 * gate.approval_socket in an existing directory (the user's home, /tmp
 * as root) never has that directory's mode or group changed: it must
 * already be safe, and the socket's own mode guards who may connect. */
static int prepare_dir(const char *dir, mode_t mode, gid_t gid, bool own, char *why,
		       size_t why_size)
{
	struct stat st;
	bool created = mkdir(dir, mode) == 0;

	if (!created && errno != EEXIST) {
		int e = errno;
		snprintf(why, why_size, "cannot create approval directory '%s': %s", dir,
			 strerror(e));
		return -e;
	}
	if (lstat(dir, &st) < 0) {
		int e = errno;
		snprintf(why, why_size, "cannot stat approval directory '%s': %s", dir, strerror(e));
		return -e;
	}
	/* SECURITY: another local user could pre-create /tmp/attesta-UID
	 * (or a symlink there) to watch or hijack the socket. */
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid()) {
		snprintf(why, why_size, "approval directory '%s' is not a directory owned by uid %u",
			 dir, (unsigned)geteuid());
		return -EPERM;
	}
	if (!created && !own) {
		if (st.st_mode & (S_IWGRP | S_IWOTH)) {
			snprintf(why, why_size,
				 "approval directory '%s' is writable by group or others (mode %04o): "
				 "give gate.approval_socket a directory of its own",
				 dir, (unsigned)(st.st_mode & 07777));
			return -EPERM;
		}
		if (gid != (gid_t)-1 && (st.st_gid != gid || (st.st_mode & S_IXGRP) == 0)) {
			snprintf(why, why_size,
				 "approval directory '%s' must belong to gate.approval_group with "
				 "group search permission (chgrp and chmod g+x it, or let attesta "
				 "create it)",
				 dir);
			return -EPERM;
		}
		return 0;
	}
	if (gid != (gid_t)-1 && chown(dir, (uid_t)-1, gid) < 0) {
		int e = errno;
		snprintf(why, why_size, "cannot give approval directory '%s' to its group: %s", dir,
			 strerror(e));
		return -e;
	}
	if (chmod(dir, mode) < 0) {
		int e = errno;
		snprintf(why, why_size, "cannot set mode of approval directory '%s': %s", dir,
			 strerror(e));
		return -e;
	}
	return 0;
}

static char *default_path(const char *session_id)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	char buf[sizeof ((struct sockaddr_un *)0)->sun_path];
	struct stat st;
	int n;
	if (xdg && *xdg == '/' && stat(xdg, &st) == 0 && S_ISDIR(st.st_mode) &&
	    st.st_uid == geteuid())
		n = snprintf(buf, sizeof buf, "%s/attesta/%s.sock", xdg, session_id);
	else
		n = snprintf(buf, sizeof buf, "/tmp/attesta-%u/%s.sock", (unsigned)geteuid(),
			     session_id);
	if (n < 0 || (size_t)n >= sizeof buf)
		return NULL;
	return strdup(buf);
}

int approval_sock_listen(struct sup_approval *a, char *why, size_t why_size)
{
	const struct pol_config *c = a->config;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	gid_t gid = (gid_t)-1;
	int fd = -1, rc;
	char *path = c->approval_socket ? strdup(c->approval_socket) : default_path(a->session_id);
	char *dircopy = NULL;

	if (!path) {
		snprintf(why, why_size, "approval socket path too long or out of memory");
		return -ENAMETOOLONG;
	}
	if (strlen(path) >= sizeof sun.sun_path) {
		snprintf(why, why_size, "approval socket path '%s' too long", path);
		rc = -ENAMETOOLONG;
		goto fail;
	}
	if (c->approval_group && resolve_group(c->approval_group, &gid) < 0) {
		snprintf(why, why_size, "unknown gate.approval_group '%s'", c->approval_group);
		rc = -ENOENT;
		goto fail;
	}
	dircopy = strdup(path);
	if (!dircopy) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = prepare_dir(dirname(dircopy), gid != (gid_t)-1 ? 0750 : 0700, gid, !c->approval_socket,
			 why, why_size);
	if (rc < 0)
		goto fail;
	memcpy(sun.sun_path, path, strlen(path) + 1);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		rc = -errno;
		snprintf(why, why_size, "cannot create approval socket: %s", strerror(-rc));
		goto fail;
	}
	struct stat st;
	if (lstat(path, &st) == 0) {
		/* A socket left by a supervisor that died: reuse the name only
		 * if nobody answers on it. */
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		bool live = S_ISSOCK(st.st_mode) && probe >= 0 &&
			    connect(probe, (struct sockaddr *)&sun, sizeof sun) == 0;
		if (probe >= 0)
			close(probe);
		if (!S_ISSOCK(st.st_mode) || live) {
			snprintf(why, why_size, "approval socket '%s' %s", path,
				 live ? "is in use by another supervisor" : "exists and is not a socket");
			rc = -EADDRINUSE;
			goto fail;
		}
		unlink(path);
	}
	mode_t old = umask(0177);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof sun);
	int e = errno;
	umask(old);
	if (rc < 0) {
		rc = -e;
		snprintf(why, why_size, "cannot bind approval socket '%s': %s", path, strerror(e));
		goto fail;
	}
	if ((gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) < 0) ||
	    chmod(path, gid != (gid_t)-1 ? 0660 : 0600) < 0) {
		rc = -errno;
		snprintf(why, why_size, "cannot set mode of approval socket '%s': %s", path,
			 strerror(-rc));
		unlink(path);
		goto fail;
	}
	if (listen(fd, 16) < 0) {
		rc = -errno;
		snprintf(why, why_size, "cannot listen on approval socket '%s': %s", path,
			 strerror(-rc));
		unlink(path);
		goto fail;
	}
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = APPROVAL_TAG_LISTEN };
	if (epoll_ctl(a->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		rc = -errno;
		snprintf(why, why_size, "cannot watch approval socket: %s", strerror(-rc));
		unlink(path);
		goto fail;
	}
	a->listen_fd = fd;
	a->socket_path = path;
	free(dircopy);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	free(path);
	free(dircopy);
	return rc;
}

static void conn_free(struct sup_approval *a, struct approval_conn *c)
{
	for (struct approval_conn **p = &a->conns; *p; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			a->n_conns--;
			break;
		}
	}
	epoll_ctl(a->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
}

void approval_sock_close_all(struct sup_approval *a)
{
	while (a->conns)
		conn_free(a, a->conns);
}

static void conn_watch(struct sup_approval *a, struct approval_conn *c)
{
	struct epoll_event ev = { .events = EPOLLIN | (c->out_len ? EPOLLOUT : 0),
				  .data.u64 = (uint64_t)(uintptr_t)c };
	epoll_ctl(a->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Write what is queued. false: the peer is gone. */
static bool conn_flush(struct approval_conn *c)
{
	size_t off = 0;
	while (off < c->out_len) {
		ssize_t n = send(c->fd, c->out + off, c->out_len - off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			return false;
		}
		off += (size_t)n;
	}
	memmove(c->out, c->out + off, c->out_len - off);
	c->out_len -= off;
	return true;
}

/* Queue one reply line; takes ownership of reply. */
static void conn_reply(struct approval_conn *c, cJSON *reply)
{
	char *text = reply ? cJSON_PrintUnformatted(reply) : NULL;
	cJSON_Delete(reply);
	if (!text) {
		c->closing = true;
		return;
	}
	size_t len = strlen(text);
	if (c->out_len + len + 1 > MAX_OUT) {
		free(text);
		c->closing = true;
		return;
	}
	if (c->out_len + len + 1 > c->out_cap) {
		size_t cap = (c->out_len + len + 1) * 2;
		char *p = realloc(c->out, cap);
		if (!p) {
			free(text);
			c->closing = true;
			return;
		}
		c->out = p;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, text, len);
	c->out[c->out_len + len] = '\n';
	c->out_len += len + 1;
	free(text);
}

static cJSON *error_reply(const char *code, const char *message)
{
	cJSON *r = cJSON_CreateObject();
	cJSON_AddBoolToObject(r, "ok", false);
	cJSON_AddStringToObject(r, "error", code);
	cJSON_AddStringToObject(r, "message", message);
	return r;
}

static cJSON *errno_reply(int rc)
{
	switch (rc) {
	case -ENOENT: return error_reply("no_such_id", "no held call with this id");
	case -EBUSY: return error_reply("busy", "every approver slot of this call is taken");
	case -EALREADY: return error_reply("already_answered",
					   "you have already answered this call");
	case -ENOMEM: return error_reply("internal", "out of memory");
	default: return error_reply("bad_request", "invalid request");
	}
}

static cJSON *ok_reply(void)
{
	cJSON *r = cJSON_CreateObject();
	cJSON_AddBoolToObject(r, "ok", true);
	return r;
}

static bool get_id(const cJSON *req, unsigned *ret_id)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(req, "id");
	double v;
	if (cJSON_IsNumber(id))
		v = id->valuedouble;
	else if (cJSON_IsString(id) && id->valuestring[0] && strlen(id->valuestring) < 12)
		v = strtod(id->valuestring, NULL);
	else
		return false;
	if (!(v >= 1 && v <= 4294967295.0) || v != (double)(unsigned)v)
		return false;
	*ret_id = (unsigned)v;
	return true;
}

static cJSON *op_pending(struct sup_approval *a, struct approval_conn *c)
{
	cJSON *r = ok_reply();
	cJSON_AddStringToObject(r, "identity", c->identity);
	cJSON *arr = cJSON_AddArrayToObject(r, "pending");
	for (struct approval_item *it = a->items; arr && it; it = it->next)
		cJSON_AddItemToArray(arr, sup_approval_item_json(a, it->id, c->identity));
	return r;
}

static cJSON *op_begin(struct sup_approval *a, struct approval_conn *c, unsigned id)
{
	size_t part;
	int rc = sup_approval_begin(a, id, c->identity, &part);
	if (rc < 0)
		return errno_reply(rc);
	cJSON *r = ok_reply();
	cJSON_AddStringToObject(r, "identity", c->identity);
	cJSON_AddItemToObject(r, "item", sup_approval_item_json(a, id, c->identity));
	return r;
}

static cJSON *op_answer(struct sup_approval *a, struct approval_conn *c, unsigned id,
			const cJSON *req)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(req, "answers");
	const cJSON *scope = cJSON_GetObjectItemCaseSensitive(req, "scope");
	const char *answers[POL_CHALLENGE_MAX_QUESTIONS];
	size_t n = 0;
	const cJSON *el;
	double wait = 0;
	char msg[160];

	if (!cJSON_IsArray(arr))
		return error_reply("bad_request", "'answers' must be an array of strings");
	cJSON_ArrayForEach(el, arr) {
		if (!cJSON_IsString(el) || n >= POL_CHALLENGE_MAX_QUESTIONS)
			return error_reply("bad_request", "'answers' must be an array of strings");
		answers[n++] = el->valuestring;
	}
	bool session = cJSON_IsString(scope) && !strcmp(scope->valuestring, "session");
	if (scope && !(cJSON_IsString(scope) && (session || !strcmp(scope->valuestring, "once"))))
		return error_reply("bad_request", "'scope' must be \"once\" or \"session\"");
	int rc = sup_approval_submit(a, id, c->identity, answers, n, session, &wait);
	if (rc < 0) {
		if (rc == -EINVAL)
			return error_reply("bad_request", "wrong number of answers, or an answer "
					   "that is too long");
		return errno_reply(rc);
	}
	if (rc == SUP_SUBMIT_TOO_EARLY) {
		snprintf(msg, sizeof msg, "too early: review the action for %.1f more seconds", wait);
		cJSON *r = error_reply("too_early", msg);
		cJSON_AddNumberToObject(r, "review_seconds_left", wait);
		return r;
	}
	if (rc == SUP_SUBMIT_NOT_AN_OPTION) {
		snprintf(msg, sizeof msg, "the answer to question %.0f is not one of its options "
			 "(nothing was recorded)", wait + 1);
		cJSON *r = error_reply("not_an_option", msg);
		cJSON_AddNumberToObject(r, "index", wait);
		return r;
	}
	cJSON *r = ok_reply();
	cJSON_AddStringToObject(r, "result", rc == SUP_SUBMIT_APPROVED ? "approved"
					     : rc == SUP_SUBMIT_DENIED ? "denied" : "waiting");
	return r;
}

/* {"op":"answer_one","id":N,"index":I,"answer":"..."}: one question at a
 * time (docs/approvals.md); "result" is "next", "passed" (send
 * "conclude") or "denied". */
static cJSON *op_answer_one(struct sup_approval *a, struct approval_conn *c, unsigned id,
			    const cJSON *req)
{
	const cJSON *index = cJSON_GetObjectItemCaseSensitive(req, "index");
	const cJSON *answer = cJSON_GetObjectItemCaseSensitive(req, "answer");
	double wait = 0;
	char msg[160];

	if (!cJSON_IsNumber(index) || index->valuedouble < 0 ||
	    index->valuedouble >= POL_CHALLENGE_MAX_QUESTIONS ||
	    index->valuedouble != (double)(int)index->valuedouble || !cJSON_IsString(answer))
		return error_reply("bad_request", "'index' must be a question number and "
				   "'answer' a string");
	int rc = sup_approval_answer(a, id, c->identity, (size_t)index->valuedouble,
				     answer->valuestring, &wait);
	if (rc == -EINVAL)
		return error_reply("bad_request", "not the next question, or a bad answer");
	if (rc == -E2BIG)
		return error_reply("bad_request", "answer too long");
	if (rc < 0)
		return errno_reply(rc);
	if (rc == SUP_ANSWER_TOO_EARLY) {
		snprintf(msg, sizeof msg, "too early: review the action for %.1f more seconds", wait);
		cJSON *r = error_reply("too_early", msg);
		cJSON_AddNumberToObject(r, "review_seconds_left", wait);
		return r;
	}
	if (rc == SUP_ANSWER_NOT_AN_OPTION)
		return error_reply("not_an_option", "not one of the options (nothing was recorded)");
	cJSON *r = ok_reply();
	cJSON_AddStringToObject(r, "result", rc == SUP_ANSWER_NEXT ? "next"
					     : rc == SUP_ANSWER_PASSED ? "passed" : "denied");
	return r;
}

/* {"op":"conclude","id":N,"scope":"once"|"session"} after "passed". */
static cJSON *op_conclude(struct sup_approval *a, struct approval_conn *c, unsigned id,
			  const cJSON *req)
{
	const cJSON *scope = cJSON_GetObjectItemCaseSensitive(req, "scope");
	bool session = cJSON_IsString(scope) && !strcmp(scope->valuestring, "session");
	if (scope && !(cJSON_IsString(scope) && (session || !strcmp(scope->valuestring, "once"))))
		return error_reply("bad_request", "'scope' must be \"once\" or \"session\"");
	int rc = sup_approval_conclude(a, id, c->identity, session);
	if (rc == -EINVAL)
		return error_reply("not_passed", "your part has not passed: nothing to conclude");
	if (rc < 0)
		return errno_reply(rc);
	cJSON *r = ok_reply();
	cJSON_AddStringToObject(r, "result", rc == SUP_SUBMIT_APPROVED ? "approved" : "waiting");
	return r;
}

static void handle_line(struct sup_approval *a, struct approval_conn *c, const char *line,
			size_t len)
{
	cJSON *req = cJSON_ParseWithLength(line, len);
	const cJSON *op = cJSON_GetObjectItemCaseSensitive(req, "op");
	unsigned id = 0;
	cJSON *reply;

	if (!cJSON_IsObject(req) || !cJSON_IsString(op)) {
		reply = error_reply("bad_request", "expected a JSON object with \"op\"");
	} else if (!strcmp(op->valuestring, "pending")) {
		reply = op_pending(a, c);
	} else if (!strcmp(op->valuestring, "whoami")) {
		reply = ok_reply();
		cJSON_AddStringToObject(reply, "identity", c->identity);
	} else if (!get_id(req, &id)) {
		reply = error_reply("bad_request", "missing or invalid \"id\"");
	} else if (!strcmp(op->valuestring, "begin")) {
		reply = op_begin(a, c, id);
	} else if (!strcmp(op->valuestring, "answer")) {
		reply = op_answer(a, c, id, req);
	} else if (!strcmp(op->valuestring, "answer_one")) {
		reply = op_answer_one(a, c, id, req);
	} else if (!strcmp(op->valuestring, "conclude")) {
		reply = op_conclude(a, c, id, req);
	} else if (!strcmp(op->valuestring, "deny")) {
		const cJSON *why = cJSON_GetObjectItemCaseSensitive(req, "reason");
		int rc = sup_approval_deny(a, id, c->identity,
					   cJSON_IsString(why) ? why->valuestring : NULL);
		if (rc < 0) {
			reply = errno_reply(rc);
		} else {
			reply = ok_reply();
			cJSON_AddStringToObject(reply, "result", "denied");
		}
	} else {
		reply = error_reply("bad_request", "unknown op");
	}
	cJSON_Delete(req);
	conn_reply(c, reply);
}

void approval_sock_accept(struct sup_approval *a)
{
	for (;;) {
		int fd = accept4(a->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			return; /* EAGAIN, or a peer that left already */
		struct ucred cred;
		socklen_t len = sizeof cred;
		char why[200];
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
		    a->n_conns >= MAX_CONNS) {
			close(fd);
			continue;
		}
		if (sup_approval_peer_sandboxed(cred.pid, a->supervisor_pid, why, sizeof why)) {
			/* SECURITY: the agent must never answer its own challenge. */
			char line[400];
			int n = snprintf(line, sizeof line,
					 "{\"ok\":false,\"error\":\"sandboxed\",\"message\":"
					 "\"refused: approvers cannot run inside the sandbox\"}\n");
			if (n > 0)
				(void)!send(fd, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
			fprintf(stderr, "attesta-run: refused approval connection: %s\n", why);
			close(fd);
			continue;
		}
		struct approval_conn *c = calloc(1, sizeof *c);
		if (!c || !(c->in = malloc(POL_APPROVAL_MAX_LINE + 1))) {
			if (c)
				free(c);
			close(fd);
			continue;
		}
		c->fd = fd;
		c->uid = cred.uid;
		c->pid = cred.pid;
		sup_approval_uid_name(cred.uid, c->identity, sizeof c->identity);
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = (uint64_t)(uintptr_t)c };
		if (epoll_ctl(a->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			free(c->in);
			free(c);
			close(fd);
			continue;
		}
		c->next = a->conns;
		a->conns = c;
		a->n_conns++;
	}
}

void approval_sock_event(struct sup_approval *a, struct approval_conn *c, uint32_t events)
{
	bool gone = false;
	if (events & EPOLLIN) {
		for (;;) {
			if (c->in_len >= POL_APPROVAL_MAX_LINE) {
				conn_reply(c, error_reply("too_long", "request line too long"));
				c->closing = true;
				break;
			}
			ssize_t n = recv(c->fd, c->in + c->in_len, POL_APPROVAL_MAX_LINE - c->in_len,
					 0);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno == EAGAIN)
				break;
			if (n <= 0) {
				gone = true;
				break;
			}
			c->in_len += (size_t)n;
			/* Serve every complete line. */
			char *start = c->in, *nl;
			while (!c->closing &&
			       (nl = memchr(start, '\n', c->in_len - (size_t)(start - c->in)))) {
				handle_line(a, c, start, (size_t)(nl - start));
				start = nl + 1;
			}
			size_t rest = c->in_len - (size_t)(start - c->in);
			memmove(c->in, start, rest);
			c->in_len = rest;
		}
	} else if (events & (EPOLLHUP | EPOLLERR)) {
		gone = true;
	}
	if (!conn_flush(c) || (gone && !c->out_len) || (c->closing && !c->out_len)) {
		conn_free(a, c);
		return;
	}
	if (gone) {
		/* half-closed: flush what is left, then close */
		c->closing = true;
	}
	conn_watch(a, c);
}
