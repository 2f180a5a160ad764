/*
 * Who may answer a challenge: never a process inside the sandbox
 * (docs/challenges.md). The sandbox is every descendant of the supervisor: PROG is
 * its child, and since the supervisor is a child subreaper, orphaned
 * descendants (double forks, setsid daemons) are re-parented to it, so
 * walking PPid up from the peer always reaches the supervisor for a
 * sandboxed process. Two more signs are checked on the way up: a
 * TracerPid equal to the supervisor (exec verification traces the whole
 * sandbox) and, for the peer itself, more seccomp filters than the
 * supervisor has (our filter stacks on whatever the supervisor runs
 * under). What cannot be read (the peer exited, pid 0 from another pid
 * namespace) counts as inside: refusing a human costs a retry, accepting
 * the agent costs the whole gate.
 *
 * SECURITY: the attacker is the sandboxed agent; it controls its own
 * process tree and names, not the kernel's PPid/TracerPid/Seccomp
 * fields. It cannot leave the tree except through another daemon that
 * acts for it (systemd-run, at, an ssh to localhost, tmux send-keys into
 * a human's terminal); docs/approvals.md lists these as out of reach.
 */
#include "supervisor/run/approval_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Ancestry deeper than this is treated as inside (a loop, or abuse). */
#define MAX_ANCESTRY 4096

struct proc_status {
	pid_t ppid;
	pid_t tracer;
	long seccomp_filters; /* -1: field absent (old kernel) */
};

static long field_long(const char *buf, const char *name)
{
	size_t len = strlen(name);
	for (const char *p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (!strncmp(p, name, len) && p[len] == ':')
			return strtol(p + len + 1, NULL, 10);
	}
	return -1;
}

static int read_status(pid_t pid, struct proc_status *ret)
{
	char path[64], buf[4096];
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	int e = errno;
	close(fd);
	if (n <= 0)
		return n < 0 ? -e : -EIO;
	buf[n] = '\0';
	long ppid = field_long(buf, "PPid");
	long tracer = field_long(buf, "TracerPid");
	if (ppid < 0)
		return -EIO;
	ret->ppid = (pid_t)ppid;
	ret->tracer = tracer < 0 ? 0 : (pid_t)tracer;
	ret->seccomp_filters = field_long(buf, "Seccomp_filters");
	return 0;
}

bool sup_approval_peer_sandboxed(pid_t pid, pid_t supervisor_pid, char *why, size_t why_size)
{
	struct proc_status st, self;
	if (pid <= 0) {
		snprintf(why, why_size, "peer process unknown (another pid namespace)");
		return true;
	}
	if (pid == supervisor_pid)
		return false; /* the supervisor itself (its own renderers, tests) */
	if (read_status(pid, &st) < 0) {
		snprintf(why, why_size, "peer process %d cannot be inspected", (int)pid);
		return true;
	}
	if (read_status(supervisor_pid, &self) == 0 && self.seccomp_filters >= 0 &&
	    st.seccomp_filters > self.seccomp_filters) {
		snprintf(why, why_size, "peer process %d runs under more seccomp filters (%ld) "
			 "than the supervisor (%ld)", (int)pid, st.seccomp_filters,
			 self.seccomp_filters);
		return true;
	}
	for (int depth = 0; depth < MAX_ANCESTRY; depth++) {
		if (st.tracer == supervisor_pid) {
			snprintf(why, why_size, "peer process %d is traced by the supervisor",
				 (int)pid);
			return true;
		}
		if (st.ppid == supervisor_pid) {
			snprintf(why, why_size, "peer process %d descends from the supervisor",
				 (int)pid);
			return true;
		}
		if (st.ppid <= 1)
			return false;
		if (read_status(st.ppid, &st) < 0) {
			/* An ancestor vanished mid-walk: the peer was re-parented
			 * (possibly to us). Walk again from the peer, once. */
			if (read_status(pid, &st) < 0 || depth > MAX_ANCESTRY / 2) {
				snprintf(why, why_size, "ancestry of peer process %d cannot be read",
					 (int)pid);
				return true;
			}
			depth = MAX_ANCESTRY / 2;
		}
	}
	snprintf(why, why_size, "ancestry of peer process %d too deep", (int)pid);
	return true;
}
