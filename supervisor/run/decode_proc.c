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
#include <linux/securebits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "policy/pol_limits.h"
#include "supervisor/common/pidfd_compat.h"
#include "supervisor/run/decode_cache.h"

/* Parse up to want unsigned numbers (base) from p to the end of the line. */
static int line_nums(const char *p, int base, uint64_t *v, unsigned want)
{
	for (unsigned i = 0; i < want; i++) {
		char *e;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\n' || *p == '\0')
			return -EIO;
		errno = 0;
		v[i] = strtoull(p, &e, base);
		if (errno || e == p)
			return -EIO;
		p = e;
	}
	return 0;
}

static bool is_key(const char *line, size_t n, const char *key, size_t key_len)
{
	return n == key_len && memcmp(line, key, key_len) == 0;
}
#define KEY(line, n, lit) is_key(line, n, lit, sizeof(lit) - 1)

/* Name: is escaped by the kernel: only '\n' (as "\n") and '\\' (as "\\\\").
 * The kernel writes "Name:\t" and then the name: one tab is the
 * separator, whatever follows (spaces, tabs) is the name's own, as
 * /proc/TID/comm shows it (credential epochs read that instead). */
static int parse_name(const char *p, const char *eol, struct sup_proc_status *ret)
{
	size_t n = 0;

	if (*p == '\t')
		p++;
	while (p < eol) {
		char c = *p++;

		if (c == '\\' && p < eol) {
			c = *p == 'n' ? '\n' : *p;
			p++;
		}
		if (n + 1 >= sizeof(ret->name))
			return -EIO;
		ret->name[n++] = c;
	}
	ret->name[n] = '\0';
	ret->name_len = n;
	return 0;
}

static int parse_groups(const char *g, struct sup_proc_status *ret)
{
	ret->ngroups = 0;
	for (;;) {
		char *e;
		unsigned long long x;

		while (*g == ' ' || *g == '\t')
			g++;
		if (*g == '\n' || *g == '\0')
			return 0;
		if (ret->ngroups >= SUP_PROC_MAX_GROUPS)
			return -E2BIG;
		errno = 0;
		x = strtoull(g, &e, 10);
		if (errno || e == g)
			return -EIO;
		ret->groups[ret->ngroups++] = (gid_t)x;
		g = e;
	}
}

int sup_proc_status_parse(const char *buf, size_t len, struct sup_proc_status *ret)
{
	enum { F_NAME = 1, F_TGID = 2, F_PPID = 4, F_UID = 8, F_GID = 16, F_CAP = 32, F_GROUPS = 64,
	       F_ALL = 127 };
	const char *p = buf, *end = buf + len;
	unsigned seen = 0;
	uint64_t v[4];
	int r;

	while (p < end && seen != F_ALL) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *colon;
		size_t klen;

		if (!eol)
			eol = end;
		colon = memchr(p, ':', (size_t)(eol - p));
		if (colon) {
			klen = (size_t)(colon - p);
			r = 0;
			if (KEY(p, klen, "Name")) {
				r = parse_name(colon + 1, eol, ret);
				seen |= F_NAME;
			} else if (KEY(p, klen, "Tgid")) {
				r = line_nums(colon + 1, 10, v, 1);
				ret->tgid = (pid_t)v[0];
				seen |= F_TGID;
			} else if (KEY(p, klen, "PPid")) {
				r = line_nums(colon + 1, 10, v, 1);
				ret->ppid = (pid_t)v[0];
				seen |= F_PPID;
			} else if (KEY(p, klen, "Uid")) {
				r = line_nums(colon + 1, 10, v, 4);
				ret->euid = (uid_t)v[1];
				ret->fsuid = (uid_t)v[3];
				seen |= F_UID;
			} else if (KEY(p, klen, "Gid")) {
				r = line_nums(colon + 1, 10, v, 4);
				ret->egid = (gid_t)v[1];
				ret->fsgid = (gid_t)v[3];
				seen |= F_GID;
			} else if (KEY(p, klen, "CapEff")) {
				r = line_nums(colon + 1, 16, v, 1);
				ret->cap_eff = v[0];
				seen |= F_CAP;
			} else if (KEY(p, klen, "Groups")) {
				r = parse_groups(colon + 1, ret);
				seen |= F_GROUPS;
			}
			if (r < 0)
				return r;
		}
		p = eol + 1;
	}
	return seen == F_ALL ? 0 : -EIO;
}

int sup_proc_comm_parse(const char *buf, size_t len, char *name, size_t name_size,
			size_t *ret_len)
{
	/* comm_show() prints the name raw (it may hold '\n' itself) and
	 * then one '\n': only the last byte is the kernel's. */
	if (len == 0 || buf[len - 1] != '\n' || len > name_size)
		return -EIO;
	memcpy(name, buf, len - 1);
	name[len - 1] = '\0';
	*ret_len = len - 1;
	return 0;
}

int sup_pidfd_open_thread(pid_t tid)
{
	long fd = syscall(SYS_pidfd_open, tid, PIDFD_THREAD);

	if (fd < 0)
		return -errno;
	return (int)fd; /* pidfds are always close-on-exec */
}

int sup_pidfd_facts_read(int pidfd, struct sup_pidfd_facts *ret)
{
	struct sup_pidfd_info info;

	memset(&info, 0, sizeof(info));
	info.mask = SUP_PIDFD_INFO_CREDS;
	if (ioctl(pidfd, SUP_PIDFD_GET_INFO, &info) < 0)
		return -errno;
	if (!(info.mask & SUP_PIDFD_INFO_CREDS) || !(info.mask & SUP_PIDFD_INFO_PID))
		return -EOPNOTSUPP;
	ret->tgid = (pid_t)info.tgid;
	ret->ppid = (pid_t)info.ppid;
	ret->euid = (uid_t)info.euid;
	ret->fsuid = (uid_t)info.fsuid;
	ret->egid = (gid_t)info.egid;
	ret->fsgid = (gid_t)info.fsgid;
	return 0;
}

static bool pidfd_facts_ok;

static void pidfd_facts_probe(void)
{
	struct sup_pidfd_facts pf;
	int fd = sup_pidfd_open_thread((pid_t)syscall(SYS_gettid));

	if (fd < 0)
		return;
	pidfd_facts_ok = sup_pidfd_facts_read(fd, &pf) == 0 && pf.tgid == getpid() &&
			 pf.euid == geteuid() && pf.egid == getegid();
	close(fd);
}

bool sup_pidfd_facts_supported(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, pidfd_facts_probe);
	return pidfd_facts_ok;
}

static bool same_ids(const struct sup_pidfd_facts *pf, const struct sup_proc_status *st)
{
	return pf->tgid == st->tgid && pf->euid == st->euid && pf->fsuid == st->fsuid &&
	       pf->egid == st->egid && pf->fsgid == st->fsgid;
}

bool sup_proc_epoch_matches(int pidfd, const struct sup_proc_status *st)
{
	struct sup_pidfd_facts pf;

	return sup_pidfd_facts_read(pidfd, &pf) == 0 && same_ids(&pf, st) && pf.ppid == st->ppid;
}

int sup_proc_epoch_refresh(int pidfd, int commfd, struct sup_proc_status *st)
{
	struct sup_pidfd_facts pf;
	char buf[sizeof(st->name) + 1];
	ssize_t n;
	int r = sup_pidfd_facts_read(pidfd, &pf);

	if (r < 0)
		return r;
	/* SECURITY: a change of credentials this module was not told of
	 * (which the design says cannot happen) is read, never served */
	if (!same_ids(&pf, st))
		return -ESTALE;
	do
		n = pread(commfd, buf, sizeof(buf), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == ESRCH || errno == ENOENT ? -ESRCH : -EIO;
	if (n == 0)
		return -ESRCH;
	r = sup_proc_comm_parse(buf, (size_t)n, st->name, sizeof(st->name), &st->name_len);
	if (r < 0)
		return r;
	st->ppid = pf.ppid;
	return 0;
}

int sup_proc_chain_from(const char *comm, size_t comm_len, pid_t ppid, pid_t stop_pid,
			struct pol_strv *chain)
{
	pid_t pid = ppid;
	int r = pol_strv_push(chain, comm, comm_len);

	if (r < 0)
		return r;
	/* Ancestors: one pread of a cached /proc/PID/stat each (the comm of
	 * the process and the next one up; the status, which also formats
	 * credentials and memory counters, costs twice as much). */
	for (unsigned depth = 1; depth < POL_CHAIN_MAX_DEPTH && pid > 1 && pid != stop_pid;
	     depth++) {
		char name[64];
		size_t len;
		pid_t up;

		if (sup_tcache_read_ancestor(pid, name, sizeof(name), &len, &up) < 0)
			break;
		r = pol_strv_push(chain, name, len);
		if (r < 0)
			return r;
		pid = up;
	}
	return 0;
}

int sup_proc_chain(pid_t pid, pid_t stop_pid, struct pol_strv *chain)
{
	struct sup_proc_status st;

	if (POL_CHAIN_MAX_DEPTH < 1 || pid <= 1 || pid == stop_pid)
		return 0;
	if (sup_tcache_read_ancestor(pid, st.name, sizeof(st.name), &st.name_len, &st.ppid) < 0)
		return 0;
	return sup_proc_chain_from(st.name, st.name_len, st.ppid, stop_pid, chain);
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

/* The supervisor's own credentials, read once. SECURITY: they change only
 * inside sup_creds_assume()/sup_creds_restore() on the emulating thread,
 * which always restores them (or aborts), and they are read here before
 * the first switch; the permitted and inheritable sets are never changed
 * by the supervisor after start-up. */
struct self_creds {
	struct sup_proc_status st;  /* euid, egid, fsuid, fsgid, groups, cap_eff */
	uint32_t eff[2], prm[2], inh[2];
};

static int self_creds(const struct self_creds **ret)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static struct self_creds self;
	static bool have;
	int r = 0, n;

	pthread_mutex_lock(&lock);
	if (!have) {
		memset(&self, 0, sizeof(self));
		self.st.euid = geteuid();
		self.st.fsuid = self.st.euid;
		self.st.egid = getegid();
		self.st.fsgid = self.st.egid;
		n = getgroups(SUP_PROC_MAX_GROUPS, self.st.groups);
		if (n < 0)
			r = -errno;
		else
			self.st.ngroups = (size_t)n;
		if (r == 0)
			r = raw_capget(self.eff, self.prm, self.inh);
		self.st.cap_eff = (uint64_t)self.eff[1] << 32 | self.eff[0];
		/* /proc lists groups sorted; getgroups need not */
		for (size_t i = 1; r == 0 && i < self.st.ngroups; i++)
			for (size_t j = i; j > 0 && self.st.groups[j - 1] > self.st.groups[j]; j--) {
				gid_t t = self.st.groups[j];

				self.st.groups[j] = self.st.groups[j - 1];
				self.st.groups[j - 1] = t;
			}
		have = r == 0;
	}
	pthread_mutex_unlock(&lock);
	if (r == 0)
		*ret = &self;
	return r;
}

static int capset_eff_known(const uint32_t eff[2], const struct self_creds *self)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	for (int i = 0; i < 2; i++) {
		data[i].effective = eff[i] & self->prm[i];
		data[i].permitted = self->prm[i];
		data[i].inheritable = self->inh[i];
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		return -errno;
	return 0;
}

int sup_creds_assume(const struct sup_proc_status *target, struct sup_creds_saved *saved)
{
	const struct self_creds *self;
	uint32_t p[2], in[2];
	int n, r;

	memset(saved, 0, sizeof(*saved));
	r = self_creds(&self);
	if (r < 0)
		return r;
	/* SECURITY: the fast paths below switch exactly what the full path
	 * would switch given the same inputs. Ids and groups equal ours and
	 * fsuid/fsgid follow them: setgroups/setres*id/setfs*id would all be
	 * skipped, only the effective capabilities can differ. The result
	 * never exceeds the target's capabilities nor ours (eff & ours). */
	if (target->euid == self->st.euid && target->fsuid == self->st.euid &&
	    target->egid == self->st.egid && target->fsgid == self->st.egid &&
	    same_groups(target, self->st.groups, self->st.ngroups) &&
	    self->st.fsuid == self->st.euid && self->st.fsgid == self->st.egid) {
		uint32_t eff[2] = { (uint32_t)target->cap_eff & self->eff[0],
				    (uint32_t)(target->cap_eff >> 32) & self->eff[1] };
		/* SECURITY: CAP_SYS_PTRACE (which the launcher takes from
		 * every sandboxed process) is never consulted by what runs
		 * between assume and restore: unlinkat/rmdir of one name in a
		 * directory already opened, connect/send on a socket already
		 * copied (an AF_UNIX path through our own /proc/self/fd). So
		 * a target lacking only it needs no switch: two capset calls
		 * saved per decision. Callers must keep it that way. */
		const uint32_t idx = CAP_TO_INDEX(CAP_SYS_PTRACE), bit = CAP_TO_MASK(CAP_SYS_PTRACE);
		uint32_t same[2] = { eff[0], eff[1] };

		same[idx] |= self->eff[idx] & bit;
		if (same[0] == self->eff[0] && same[1] == self->eff[1])
			return 0; /* nothing to switch that the call could notice */
		saved->cap_eff[0] = self->eff[0];
		saved->cap_eff[1] = self->eff[1];
		r = capset_eff_known(eff, self);
		if (r < 0)
			return r;
		saved->active = 2;
		return 0;
	}

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

	/* A target with a non-zero euid that holds capabilities (it set
	 * SECBIT_NO_SETUID_FIXUP, or kept them across setuid and raised
	 * them): our own setresuid to its euid would clear ours (the
	 * kernel's setuid fixup), and the call would be refused where the
	 * kernel lets the target make it. Keep them for the switch; the
	 * capability block below then takes them down to the target's. */
	if (target->euid != 0 && target->cap_eff != 0 && saved->euid == 0) {
		int bits = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);

		if (bits < 0)
			return -errno;
		saved->secbits = bits;
		if (!(bits & SECBIT_NO_SETUID_FIXUP)) {
			if (prctl(PR_SET_SECUREBITS, bits | SECBIT_NO_SETUID_FIXUP, 0, 0, 0) < 0)
				return -errno;
			saved->nofixup = true;
		}
	}
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
	const struct self_creds *self;

	if (!saved->active)
		return;
	if (saved->active == 2) {
		/* capabilities only; self_creds() succeeded in assume */
		if (self_creds(&self) < 0 || capset_eff_known(saved->cap_eff, self) < 0)
			abort();
		saved->active = 0;
		return;
	}
	/* Order matters: regain euid 0 first (restores capabilities from the
	 * permitted set), then the rest. Failures here cannot be reported to
	 * anyone useful; a supervisor thread stuck with the target's ids is
	 * harmless to the sandbox but would break later emulations, so abort.
	 * Without the setuid fixup nothing comes back by itself: the
	 * effective set first (the permitted set was never touched). */
	if (saved->nofixup && raw_capset_eff(saved->cap_eff) < 0)
		abort();
	if (syscall(SYS_setresuid, (uid_t)-1, saved->euid, (uid_t)-1) < 0 ||
	    syscall(SYS_setresgid, (gid_t)-1, saved->egid, (gid_t)-1) < 0)
		abort();
	syscall(SYS_setfsuid, saved->euid);
	syscall(SYS_setfsgid, saved->egid);
	if (syscall(SYS_setgroups, saved->ngroups, saved->groups) < 0 && errno != EPERM)
		abort();
	if (raw_capset_eff(saved->cap_eff) < 0)
		abort();
	if (saved->nofixup && prctl(PR_SET_SECUREBITS, saved->secbits, 0, 0, 0) < 0)
		abort();
	saved->nofixup = false;
	saved->active = 0;
}
