/*
 * A stand-alone shim-only supervisor for testing the fallback without
 * attesta-run's loop, policy or audit: `run_shimgate -o LOG [-d TEXT]
 * [-x] -- PROG ARGS` runs PROG with libattesta-preload.so in gate mode
 * ($ATTESTA_PRELOAD_LIB or next to this binary) and the annotation
 * socket, serves every GATE_REQUEST through the real receive path
 * (shimgate.c: peer check, parse; decode.c on a synthetic notification;
 * shimrecv.c: annotations and host verification), writes one line per
 * request to LOG, and answers allow, or deny (EPERM) when the action's
 * description contains TEXT; a decoder's "fails anyway" result is
 * answered with its errno. -x exits 3 if any request was garbage or
 * refused. Exits with PROG's status. A test tool, not a sandbox.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "policy/action.h"
#include "supervisor/run/decode.h"
#include "supervisor/run/shimgate.h"
#include "supervisor/run/shimrecv.h"

extern char **environ;

#define MAX_CONNS 64

struct conn {
	int fd;
};

static FILE *log_file;
static const char *deny_text;
static uint64_t next_id = 1;

static void serve(struct sup_shimgate *g, struct sup_shimrecv *r, struct conn *c)
{
	struct shim_gate_request req;
	struct seccomp_notif notif;
	struct sup_decode_opts opts = { .supervisor_pid = getpid() };
	struct pol_action *act = NULL;
	char reason[256] = "", *desc = NULL;
	int rc, allow = 0, err = EPERM;

	rc = sup_shimgate_read(g, c->fd, &req);
	if (rc == -EAGAIN)
		return;
	if (rc == -EPERM) {
		fprintf(log_file, "refused\n");
		goto done;
	}
	if (rc < 0) {
		fprintf(log_file, "garbage error=%d\n", -rc);
		sup_shimgate_note_garbage(g);
		goto done;
	}
	/* Annotations queued before this request (a RESOLVE before a
	 * connect) must be in the table before it is decoded. */
	sup_shimrecv_drain(r, sup_shimrecv_now_ms());
	sup_shimgate_to_notif(&req, next_id++, &notif);
	rc = sup_decode(-1, &notif, &opts, &act, reason, sizeof(reason));
	if (sup_decode_fails_errno(rc)) {
		err = sup_decode_fails_errno(rc);
		fprintf(log_file, "request entry=%s nr=%d fails errno=%d\n", sup_shim_entry_name(req.entry),
			req.nr, err);
		goto answer;
	}
	if (rc < 0) {
		fprintf(log_file, "request entry=%s nr=%d decode-error=%d reason=%s verdict=deny\n",
			sup_shim_entry_name(req.entry), req.nr, -rc, reason);
		goto answer;
	}
	if (rc == SUP_DECODE_NO_DESTINATION) {
		allow = 1;
		goto answer;
	}
	sup_shimrecv_annotate(r, act, req.nr, req.hdr.tid, sup_shimrecv_now_ms());
	pol_action_set(&act->libc_entry, sup_shim_entry_name(req.entry));
	if (req.entry == SHIM_ENTRY_SYSTEM || req.entry == SHIM_ENTRY_POPEN)
		pol_action_set(&act->libc_command, req.text);
	desc = pol_action_describe(act);
	allow = !(deny_text != NULL && desc != NULL && strstr(desc, deny_text) != NULL);
	fprintf(log_file, "request entry=%s nr=%d class=%s desc=%s host=%s verified=%d command=%s verdict=%s\n",
		sup_shim_entry_name(req.entry), req.nr, pol_action_class_name(act->action_class),
		desc ? desc : "?", act->host ? act->host : "-", act->host_verified ? 1 : 0,
		act->libc_command ? act->libc_command : "-", allow ? "allow" : "deny");
answer:
	fflush(log_file);
	sup_shimgate_answer(c->fd, &req, allow, err);
done:
	free(desc);
	pol_action_free(act);
	close(c->fd);
	c->fd = -1;
}

int main(int argc, char **argv)
{
	struct sup_shimgate *g = NULL;
	struct sup_shimrecv *r = NULL;
	struct conn conns[MAX_CONNS];
	char **env = NULL, *preload = NULL;
	const char *log_path = NULL;
	int opt, strict = 0, status = 0, code = 125;
	pid_t child;
	bool exited = false;

	while ((opt = getopt(argc, argv, "+o:d:x")) != -1) {
		switch (opt) {
		case 'o': log_path = optarg; break;
		case 'd': deny_text = optarg; break;
		case 'x': strict = 1; break;
		default: return 125;
		}
	}
	if (optind >= argc || log_path == NULL) {
		fprintf(stderr, "usage: run_shimgate -o LOG [-d TEXT] [-x] -- PROG [ARG...]\n");
		return 125;
	}
	log_file = fopen(log_path, "we");
	if (log_file == NULL)
		return 125;
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	if (sup_shimgate_new(&g) < 0 || sup_shimrecv_new(NULL, NULL, &r) < 0 ||
	    sup_shimrecv_find_preload(&preload) < 0 ||
	    sup_shimrecv_child_env(r, environ, preload, sup_shimgate_env(g, 60), &env) < 0) {
		fprintf(stderr, "run_shimgate: setup failed\n");
		return 125;
	}
	child = fork();
	if (child < 0)
		return 125;
	if (child == 0) {
		sup_shimrecv_child_prepare(r);
		execvpe(argv[optind], argv + optind, env);
		_exit(127);
	}
	sup_shimrecv_parent_after_fork(r);
	for (int i = 0; i < MAX_CONNS; i++)
		conns[i].fd = -1;
	while (!exited) {
		struct pollfd pfd[2 + MAX_CONNS];
		int map[2 + MAX_CONNS], n = 0;

		pfd[n].fd = sup_shimgate_fd(g);
		pfd[n].events = POLLIN;
		map[n++] = -1;
		pfd[n].fd = sup_shimrecv_fd(r);
		pfd[n].events = POLLIN;
		map[n++] = -2;
		for (int i = 0; i < MAX_CONNS; i++) {
			if (conns[i].fd < 0)
				continue;
			pfd[n].fd = conns[i].fd;
			pfd[n].events = POLLIN;
			map[n++] = i;
		}
		if (poll(pfd, (nfds_t)n, 50) < 0 && errno != EINTR)
			break;
		for (int k = 0; k < n; k++) {
			if (!(pfd[k].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (map[k] == -2) {
				sup_shimrecv_drain(r, sup_shimrecv_now_ms());
			} else if (map[k] == -1) {
				for (;;) {
					int slot = -1, fd;

					for (int i = 0; i < MAX_CONNS && slot < 0; i++)
						if (conns[i].fd < 0)
							slot = i;
					if (slot < 0)
						break;
					int rc = sup_shimgate_accept(g, &fd);

					if (rc < 0)
						break;
					conns[slot].fd = fd;
					serve(g, r, &conns[slot]);
				}
			} else if (conns[map[k]].fd >= 0) {
				serve(g, r, &conns[map[k]]);
			}
		}
		for (;;) {
			int st;
			pid_t w = waitpid(-1, &st, WNOHANG);

			if (w <= 0)
				break;
			if (w == child) {
				status = st;
				exited = true;
			}
		}
	}
	code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	{
		struct sup_shimgate_stats gs;
		struct sup_shimrecv_stats rs;

		sup_shimgate_stats(g, &gs);
		sup_shimrecv_stats(r, &rs);
		fprintf(log_file, "stats accepted=%llu refused=%llu garbage=%llu annotations=%llu "
			"annotation_garbage=%llu verified=%llu unverified=%llu\n",
			(unsigned long long)gs.accepted, (unsigned long long)gs.refused,
			(unsigned long long)gs.garbage, (unsigned long long)rs.table.accepted,
			(unsigned long long)rs.table.garbage, (unsigned long long)rs.names_verified,
			(unsigned long long)rs.names_unverified);
		if (strict && (gs.refused || gs.garbage || rs.table.garbage))
			code = 3;
	}
	fclose(log_file);
	sup_shimrecv_env_free(env);
	free(preload);
	sup_shimrecv_free(r);
	sup_shimgate_free(g);
	return code;
}
