/*
 * /proc readers and per-thread credential switching (see decode_proc.h).
 *
 * SECURITY: an emulated call is made by the supervisor, which may be root
 * while the sandboxed process is not. Without switching, an unlink the
 * target may not do would succeed, and a unix socket peer would see root
 * in SO_PEERCRED. So the emulating thread takes the target's effective
 * ids, groups and capabilities for the duration of the call. The raw
 * syscalls are per-thread; glibc's setresuid()/setgroups() are not (they
 * broadcast to every thread of the supervisor).
 */
#include "supervisor/run/decode_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "policy/pol_limits.h"

static int read_small(const char *path, char *buf, size_t size, size_t *ret_len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), r = 0;
	size_t have = 0;

	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	while (have < size - 1) {
		ssize_t n = read(fd, buf + have, size - 1 - have);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = errno == ESRCH ? -ESRCH : -EIO;
			goto out;
		}
		if (n == 0)
			break;
		have += (size_t)n;
	}
	if (have == size - 1) {
		r = -E2BIG;
		goto out;
	}
	buf[have] = '\0';
	*ret_len = have;
out:
	close(fd);
	return r;
}

static const char *field(const char *buf, const char *name)
{
	size_t n = strlen(name);
	const char *p = buf;

	while (p && *p) {
		if (strncmp(p, name, n) == 0 && p[n] == ':')
			return p + n + 1;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

/* Read the nth (0-based) unsigned number of a status line. */
static int field_num(const char *buf, const char *name, unsigned idx, int base, uint64_t *ret)
{
	const char *p = field(buf, name);
	char *e;

	if (!p)
		return -EIO;
	for (unsigned i = 0;; i++) {
		uint64_t v;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\n' || *p == '\0')
			return -EIO;
		errno = 0;
		v = strtoull(p, &e, base);
		if (errno || e == p)
			return -EIO;
		if (i == idx) {
			*ret = v;
			return 0;
		}
		p = e;
	}
}

int sup_proc_status_read(pid_t pid, struct sup_proc_status *ret)
{
	char path[64];
	char *buf;
	size_t len;
	uint64_t v[8];
	const char *g;
	int r;

	buf = malloc(64 * 1024);
	if (!buf)
		return -ENOMEM;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	r = read_small(path, buf, 64 * 1024, &len);
	if (r < 0)
		goto out;
	if ((r = field_num(buf, "Tgid", 0, 10, &v[0])) < 0 ||
	    (r = field_num(buf, "PPid", 0, 10, &v[1])) < 0 ||
	    (r = field_num(buf, "Uid", 1, 10, &v[2])) < 0 ||
	    (r = field_num(buf, "Uid", 3, 10, &v[3])) < 0 ||
	    (r = field_num(buf, "Gid", 1, 10, &v[4])) < 0 ||
	    (r = field_num(buf, "Gid", 3, 10, &v[5])) < 0 ||
	    (r = field_num(buf, "CapEff", 0, 16, &v[6])) < 0)
		goto out;
	ret->tgid = (pid_t)v[0];
	ret->ppid = (pid_t)v[1];
	ret->euid = (uid_t)v[2];
	ret->fsuid = (uid_t)v[3];
	ret->egid = (gid_t)v[4];
	ret->fsgid = (gid_t)v[5];
	ret->cap_eff = v[6];
	ret->ngroups = 0;
	g = field(buf, "Groups");
	if (!g) {
		r = -EIO;
		goto out;
	}
	for (;;) {
		char *e;
		unsigned long long x;

		while (*g == ' ' || *g == '\t')
			g++;
		if (*g == '\n' || *g == '\0')
			break;
		if (ret->ngroups >= SUP_PROC_MAX_GROUPS) {
			r = -E2BIG;
			goto out;
		}
		errno = 0;
		x = strtoull(g, &e, 10);
		if (errno || e == g) {
			r = -EIO;
			goto out;
		}
		ret->groups[ret->ngroups++] = (gid_t)x;
		g = e;
	}
	r = 0;
out:
	free(buf);
	return r;
}

int sup_proc_chain(pid_t pid, pid_t stop_pid, struct pol_strv *chain)
{
	for (unsigned depth = 0; depth < POL_CHAIN_MAX_DEPTH && pid > 1 && pid != stop_pid;
	     depth++) {
		struct sup_proc_status st;
		char path[64], comm[64];
		size_t len;
		int r;

		snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
		if (read_small(path, comm, sizeof(comm), &len) < 0)
			break;
		while (len > 0 && comm[len - 1] == '\n')
			len--;
		r = pol_strv_push(chain, comm, len);
		if (r < 0)
			return r;
		if (sup_proc_status_read(pid, &st) < 0)
			break;
		pid = st.ppid;
	}
	return 0;
}

int sup_proc_readlink(pid_t pid, const char *name, char **ret)
{
	char path[64], buf[POL_TARGET_MAX_PATH + 32];
	ssize_t n;
	char *s;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	if ((size_t)n >= sizeof(buf) - 1)
		return -ENAMETOOLONG;
	s = strndup(buf, (size_t)n);
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}

static int raw_capget(uint32_t eff[2], uint32_t prm[2], uint32_t inh[2])
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data) < 0)
		return -errno;
	for (int i = 0; i < 2; i++) {
		eff[i] = data[i].effective;
		prm[i] = data[i].permitted;
		inh[i] = data[i].inheritable;
	}
	return 0;
}

static int raw_capset_eff(const uint32_t eff[2])
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];
	uint32_t e[2], p[2], in[2];
	int r = raw_capget(e, p, in);

	if (r < 0)
		return r;
	for (int i = 0; i < 2; i++) {
		data[i].effective = eff[i] & p[i];
		data[i].permitted = p[i];
		data[i].inheritable = in[i];
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		return -errno;
	return 0;
}

static bool same_groups(const struct sup_proc_status *t, const gid_t *g, size_t n)
{
	if (t->ngroups != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (t->groups[i] != g[i])
			return false;
	return true;
}

int sup_creds_assume(const struct sup_proc_status *target, struct sup_creds_saved *saved)
{
	uint32_t p[2], in[2];
	int n, r;

	memset(saved, 0, sizeof(*saved));
	saved->euid = geteuid();
	saved->egid = getegid();
	n = getgroups(SUP_PROC_MAX_GROUPS, saved->groups);
	if (n < 0)
		return -errno;
	saved->ngroups = (size_t)n;
	r = raw_capget(saved->cap_eff, p, in);
	if (r < 0)
		return r;
	saved->active = 1;

	if (!same_groups(target, saved->groups, saved->ngroups) &&
	    syscall(SYS_setgroups, target->ngroups, target->groups) < 0)
		return -errno;
	if (target->egid != saved->egid &&
	    syscall(SYS_setresgid, (gid_t)-1, target->egid, (gid_t)-1) < 0)
		return -errno;
	if (target->euid != saved->euid &&
	    syscall(SYS_setresuid, (uid_t)-1, target->euid, (uid_t)-1) < 0)
		return -errno;
	/* fsuid/fsgid follow the effective ids; a different fsuid in the
	 * target (set with setfsuid) is honoured too. */
	if (target->fsgid != target->egid)
		syscall(SYS_setfsgid, target->fsgid);
	if (target->fsuid != target->euid)
		syscall(SYS_setfsuid, target->fsuid);
	/* A root target may have dropped capabilities: never exceed them. */
	{
		uint32_t eff[2] = { (uint32_t)target->cap_eff, (uint32_t)(target->cap_eff >> 32) };
		uint32_t cur[2];

		r = raw_capget(cur, p, in);
		if (r < 0)
			return r;
		if ((cur[0] & ~eff[0]) || (cur[1] & ~eff[1])) {
			eff[0] &= cur[0];
			eff[1] &= cur[1];
			r = raw_capset_eff(eff);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

void sup_creds_restore(struct sup_creds_saved *saved)
{
	if (!saved->active)
		return;
	/* Order matters: regain euid 0 first (restores capabilities from the
	 * permitted set), then the rest. Failures here cannot be reported to
	 * anyone useful; a supervisor thread stuck with the target's ids is
	 * harmless to the sandbox but would break later emulations, so abort. */
	if (syscall(SYS_setresuid, (uid_t)-1, saved->euid, (uid_t)-1) < 0 ||
	    syscall(SYS_setresgid, (gid_t)-1, saved->egid, (gid_t)-1) < 0)
		abort();
	syscall(SYS_setfsuid, saved->euid);
	syscall(SYS_setfsgid, saved->egid);
	if (syscall(SYS_setgroups, saved->ngroups, saved->groups) < 0 && errno != EPERM)
		abort();
	if (raw_capset_eff(saved->cap_eff) < 0)
		abort();
	saved->active = 0;
}
