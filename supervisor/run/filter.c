/*
 * Builds attesta-run's seccomp filter with libseccomp, exports it as BPF
 * into a memfd, reads it back and prepends a guard against x32 system
 * call numbers (libseccomp's x86_64 program lets numbers with the x32 bit
 * fall through to its default action, which is ALLOW here), then lets the
 * child load it with the raw seccomp(2) syscall so it can ask for
 * SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV. Trusts the validated config
 * only; see filter.h for what the filter decides.
 */
#include "supervisor/run/filter.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <linux/sockios.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "config.h"
#include "supervisor/common/seccomp_compat.h"
#include "supervisor/common/sockgate.h"
#include "supervisor/run/watcher.h"

#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif

/* The BPF program may be at most BPF_MAXINSNS instructions; ours is ~100. */
#define FILTER_MAX_BYTES (BPF_MAXINSNS * sizeof(struct sock_filter))

#define X32_SYSCALL_BIT 0x40000000u

static const int gated_exec[] = { SCMP_SYS(execve), SCMP_SYS(execveat) };
/* A rename removes names too (docs/decode.md): gated with the removals. */
static const int gated_unlink[] = { SCMP_SYS(unlink), SCMP_SYS(unlinkat), SCMP_SYS(rmdir),
				    SCMP_SYS(rename), SCMP_SYS(renameat), SCMP_SYS(renameat2) };
static const int gated_connect[] = { SCMP_SYS(connect), SCMP_SYS(sendmsg), SCMP_SYS(sendmmsg) };
/* Seen, not decided (decode_cache.h, credential epochs). x86_64 only: the
 * 16-bit setuid16 family exists for i386 (killed) and x32 reuses these
 * numbers with the x32 bit (killed, prepend_x32_guard). */
static const int creds_calls[] = {
	SCMP_SYS(setuid), SCMP_SYS(setgid), SCMP_SYS(setreuid), SCMP_SYS(setregid),
	SCMP_SYS(setresuid), SCMP_SYS(setresgid), SCMP_SYS(setfsuid), SCMP_SYS(setfsgid),
	SCMP_SYS(setgroups), SCMP_SYS(capset),
};

/* The calls the sandbox may not make at all (signals, tracing and memory
 * access aimed at the supervisor, io_uring, a nested listener,
 * namespaces, chroot, mounts) are not refused in BPF but sent to the
 * supervisor, which answers EPERM without a policy decision and audits
 * the attempt (sup_filter_refusal). */
#define REFUSE SCMP_ACT_NOTIFY

bool sup_filter_is_gated(int nr)
{
	switch (nr) {
	case SYS_execve: case SYS_execveat:
	case SYS_unlink: case SYS_unlinkat: case SYS_rmdir:
	case SYS_rename: case SYS_renameat: case SYS_renameat2:
	case SYS_connect: case SYS_sendto: case SYS_sendmsg: case SYS_sendmmsg:
	case SYS_socket: case SYS_socketpair: /* decided at creation (filter_socket.h) */
		return true;
	default:
		return false;
	}
}

bool sup_filter_is_creds_call(int nr)
{
	switch (nr) {
	case SYS_setuid: case SYS_setgid: case SYS_setreuid: case SYS_setregid:
	case SYS_setresuid: case SYS_setresgid: case SYS_setfsuid: case SYS_setfsgid:
	case SYS_setgroups: case SYS_capset:
		return true;
	default:
		return false;
	}
}

const char *sup_filter_refusal(int nr)
{
	if (sup_filter_is_creds_call(nr))
		return NULL;
	switch (nr) {
	case SYS_kill: case SYS_tkill: case SYS_tgkill: case SYS_rt_sigqueueinfo:
	case SYS_rt_tgsigqueueinfo: case SYS_pidfd_send_signal: case SYS_pidfd_open:
	case SYS_ptrace: case SYS_process_vm_readv: case SYS_process_vm_writev:
	case SYS_prlimit64: case SYS_fcntl: case SYS_ioctl:
		return "refused: aimed at the supervisor (signal, trace, memory, limits or "
		       "signal-driven I/O)";
	case SYS_io_uring_setup: case SYS_io_uring_enter: case SYS_io_uring_register:
		return "refused: io_uring can act without a gated system call "
		       "(gate.allow_io_uring is off)";
	case SYS_seccomp:
		return "refused: a seccomp filter with its own listener inside the sandbox";
	case SYS_unshare: case SYS_setns: case SYS_chroot: case SYS_pivot_root: case SYS_mount:
	case SYS_umount2: case SYS_open_tree: case SYS_move_mount: case SYS_fsopen:
	case SYS_fsconfig: case SYS_fsmount: case SYS_fspick: case SYS_mount_setattr:
	case SYS_clone:
		return "refused: namespaces, chroot and mounts change what a path means";
	case SYS_setsockopt:
		return "refused: IP source routing options and IPv6 routing headers send to "
		       "another host than the judged destination";
	case SYS_open_by_handle_at: case SYS_name_to_handle_at:
		return "refused: a file handle opens a file around the mounts that protect the "
		       "gate's state";
	default:
		return sup_filter_is_gated(nr) ? NULL : "refused: not a call the gate knows";
	}
}

const char *sup_filter_syscall_name(int nr)
{
	static const struct { int nr; const char *name; } names[] = {
		{ SYS_execve, "execve" }, { SYS_execveat, "execveat" }, { SYS_unlink, "unlink" },
		{ SYS_unlinkat, "unlinkat" }, { SYS_rmdir, "rmdir" }, { SYS_connect, "connect" },
		{ SYS_rename, "rename" }, { SYS_renameat, "renameat" },
		{ SYS_renameat2, "renameat2" },
		{ SYS_sendto, "sendto" }, { SYS_sendmsg, "sendmsg" }, { SYS_sendmmsg, "sendmmsg" },
		{ SYS_kill, "kill" }, { SYS_tkill, "tkill" }, { SYS_tgkill, "tgkill" },
		{ SYS_rt_sigqueueinfo, "rt_sigqueueinfo" },
		{ SYS_rt_tgsigqueueinfo, "rt_tgsigqueueinfo" },
		{ SYS_pidfd_send_signal, "pidfd_send_signal" }, { SYS_pidfd_open, "pidfd_open" },
		{ SYS_ptrace, "ptrace" }, { SYS_process_vm_readv, "process_vm_readv" },
		{ SYS_process_vm_writev, "process_vm_writev" }, { SYS_prlimit64, "prlimit64" },
		{ SYS_fcntl, "fcntl" }, { SYS_ioctl, "ioctl" },
		{ SYS_io_uring_setup, "io_uring_setup" }, { SYS_io_uring_enter, "io_uring_enter" },
		{ SYS_io_uring_register, "io_uring_register" }, { SYS_seccomp, "seccomp" },
		{ SYS_unshare, "unshare" }, { SYS_setns, "setns" }, { SYS_chroot, "chroot" },
		{ SYS_pivot_root, "pivot_root" }, { SYS_mount, "mount" }, { SYS_umount2, "umount2" },
		{ SYS_open_tree, "open_tree" }, { SYS_move_mount, "move_mount" },
		{ SYS_fsopen, "fsopen" }, { SYS_fsconfig, "fsconfig" }, { SYS_fsmount, "fsmount" },
		{ SYS_fspick, "fspick" }, { SYS_mount_setattr, "mount_setattr" },
		{ SYS_clone, "clone" }, { SYS_socket, "socket" }, { SYS_socketpair, "socketpair" },
		{ SYS_setsockopt, "setsockopt" }, { SYS_open_by_handle_at, "open_by_handle_at" },
		{ SYS_name_to_handle_at, "name_to_handle_at" },
		{ SYS_setuid, "setuid" }, { SYS_setgid, "setgid" }, { SYS_setreuid, "setreuid" },
		{ SYS_setregid, "setregid" }, { SYS_setresuid, "setresuid" },
		{ SYS_setresgid, "setresgid" }, { SYS_setfsuid, "setfsuid" },
		{ SYS_setfsgid, "setfsgid" }, { SYS_setgroups, "setgroups" }, { SYS_capset, "capset" },
	};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i].nr == nr)
			return names[i].name;
	return "unknown";
}

static int add_list(scmp_filter_ctx ctx, const int *nrs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nrs[i], 0);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* SECURITY: the sandbox (attacker: the agent, any uid, maybe root) must
 * not signal, trace, read or write the supervisor. Non-dumpable stops
 * unprivileged ptrace/process_vm_*; these rules also stop an agent
 * running as root. The same rules protect the watcher, the supervisor's
 * parent (watcher.h), by its pid and its process group. */
static int add_protect_pid(scmp_filter_ctx ctx, pid_t target)
{
	const uint64_t pid = (uint32_t)target;
	const uint64_t neg_pgid = (uint32_t)-getpgid(target);
	const scmp_datum_t lo = 0xffffffffu;
	int rc = 0;

	rc = rc ?: seccomp_rule_add(ctx, REFUSE, SCMP_SYS(kill), 1,
				    SCMP_A0(SCMP_CMP_MASKED_EQ, lo, pid));
	rc = rc ?: seccomp_rule_add(ctx, REFUSE, SCMP_SYS(tkill), 1,
				    SCMP_A0(SCMP_CMP_MASKED_EQ, lo, pid));
	rc = rc ?: seccomp_rule_add(ctx, REFUSE, SCMP_SYS(tgkill), 1,
				    SCMP_A0(SCMP_CMP_MASKED_EQ, lo, pid));
	rc = rc ?: seccomp_rule_add(ctx, REFUSE, SCMP_SYS(ptrace), 1,
				    SCMP_A1(SCMP_CMP_MASKED_EQ, lo, pid));
	rc = rc ?: seccomp_rule_add(ctx, REFUSE, SCMP_SYS(process_vm_readv), 1,
				    SCMP_A0(SCMP_CMP_MASKED_EQ, lo, pid));
	rc = rc ?: seccomp_rule_add(ctx, REFUSE, SCMP_SYS(process_vm_writev), 1,
				    SCMP_A0(SCMP_CMP_MASKED_EQ, lo, pid));
	rc = rc ?: seccomp_rule_add(ctx, REFUSE, SCMP_SYS(pidfd_open), 1,
				    SCMP_A0(SCMP_CMP_MASKED_EQ, lo, pid));
	/* kill(-pgid) of its process group (the sandbox runs in a session
	 * of its own, so it cannot join that group either). */
	rc = rc ?: seccomp_rule_add(ctx, REFUSE, SCMP_SYS(kill), 1,
				    SCMP_A0(SCMP_CMP_MASKED_EQ, lo, neg_pgid));
	rc = rc ?: seccomp_rule_add(ctx, REFUSE, SCMP_SYS(rt_sigqueueinfo), 1,
				    SCMP_A0(SCMP_CMP_MASKED_EQ, lo, pid));
	rc = rc ?: seccomp_rule_add(ctx, REFUSE, SCMP_SYS(rt_tgsigqueueinfo), 1,
				    SCMP_A0(SCMP_CMP_MASKED_EQ, lo, pid));
	/* prlimit64 on it: RLIMIT_NOFILE 0 starves it of descriptors,
	 * RLIMIT_FSIZE 0 kills it at its next audit write. */
	rc = rc ?: seccomp_rule_add(ctx, REFUSE, SCMP_SYS(prlimit64), 1,
				    SCMP_A0(SCMP_CMP_MASKED_EQ, lo, pid));
	/* Signal-driven I/O aimed at it (F_SETOWN + F_SETSIG SIGKILL +
	 * O_ASYNC): owner given as pid or as -pgid. fcntl's cmd is an
	 * unsigned int to the kernel: compare the low 32 bits, or
	 * F_SETOWN | 1 << 32 would pass as another command. */
	rc = rc ?: seccomp_rule_add(ctx, REFUSE, SCMP_SYS(fcntl), 2,
				    SCMP_A1(SCMP_CMP_MASKED_EQ, lo, F_SETOWN),
				    SCMP_A2(SCMP_CMP_MASKED_EQ, lo, pid));
	rc = rc ?: seccomp_rule_add(ctx, REFUSE, SCMP_SYS(fcntl), 2,
				    SCMP_A1(SCMP_CMP_MASKED_EQ, lo, F_SETOWN),
				    SCMP_A2(SCMP_CMP_MASKED_EQ, lo, neg_pgid));
	return rc;
}

static int add_protect_supervisor(scmp_filter_ctx ctx, pid_t sup)
{
	int rc = add_protect_pid(ctx, sup);
	pid_t watcher = sup_watcher_pid();

	if (watcher > 1)
		rc = rc ?: add_protect_pid(ctx, watcher);
	/* kill(-1) would reach the supervisor too. */
	rc = rc ?: seccomp_rule_add(ctx, REFUSE, SCMP_SYS(kill), 1,
				    SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffu, 0xffffffffu));
	/* tkill is obsolete (glibc uses tgkill) and names a thread without
	 * its process: the supervisor's worker threads cannot be listed
	 * here, so refuse it altogether. */
	rc = rc ?: seccomp_rule_add(ctx, REFUSE, SCMP_SYS(tkill), 0);
	/* A pidfd can also come from open("/proc/PID", O_DIRECTORY), which
	 * the filter cannot tell apart: no pidfd signals from the sandbox. */
	rc = rc ?: seccomp_rule_add(ctx, REFUSE, SCMP_SYS(pidfd_send_signal), 0);
	/* F_SETOWN_EX and the FIOSETOWN / SIOCSPGRP ioctls take a pointer
	 * the filter cannot read: refused. */
	rc = rc ?: seccomp_rule_add(ctx, REFUSE, SCMP_SYS(fcntl), 1,
				    SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, F_SETOWN_EX));
	rc = rc ?: seccomp_rule_add(ctx, REFUSE, SCMP_SYS(ioctl), 1,
				    SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, FIOSETOWN));
	rc = rc ?: seccomp_rule_add(ctx, REFUSE, SCMP_SYS(ioctl), 1,
				    SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, SIOCSPGRP));
	/* Terminal injection and takeover (filter_tty.c). */
	rc = rc ?: sup_filter_add_tty(ctx);
	return rc;
}

/* SECURITY: a new mount, user or pid namespace, a chroot or a mount
 * changes what a path means to the agent while the supervisor judges and
 * acts in the agent's root and cwd: `unshare -Ur; chroot PROTECTED.d;
 * unlink /victim` would be judged as "/victim". The sandbox may not
 * create namespaces, join them, chroot or mount. clone3 passes its flags
 * in memory the filter cannot read: ENOSYS makes glibc fall back to
 * clone, whose flags it can. */
static int add_no_namespaces(scmp_filter_ctx ctx)
{
	static const int refused[] = {
		SCMP_SYS(unshare), SCMP_SYS(setns), SCMP_SYS(chroot), SCMP_SYS(pivot_root),
		SCMP_SYS(mount), SCMP_SYS(umount2), SCMP_SYS(open_tree), SCMP_SYS(move_mount),
		SCMP_SYS(fsopen), SCMP_SYS(fsconfig), SCMP_SYS(fsmount), SCMP_SYS(fspick),
		SCMP_SYS(mount_setattr),
		/* SECURITY: with CAP_DAC_READ_SEARCH (a root agent) a handle
		 * opens the inode under a read-only bind through any writable
		 * mount of the same file system (docs/SECURITY.md, "The gate's
		 * own files"). Refused for everyone: handles are rare outside
		 * file servers. */
		SCMP_SYS(open_by_handle_at), SCMP_SYS(name_to_handle_at),
	};
	const uint64_t new_ns = CLONE_NEWNS | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET |
				CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP;
	int rc = 0;
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
		rc = rc ?: seccomp_rule_add(ctx, REFUSE, refused[i], 0);
	for (unsigned bit = 0; bit < 64; bit++) {
		if (!(new_ns & (1ULL << bit)))
			continue;
		rc = rc ?: seccomp_rule_add(ctx, REFUSE, SCMP_SYS(clone), 1,
					    SCMP_A0(SCMP_CMP_MASKED_EQ, 1ULL << bit, 1ULL << bit));
	}
	rc = rc ?: seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	return rc;
}

/* SECURITY: an IPv4 loose/strict source route (IP_OPTIONS) or an IPv6
 * routing header (IPV6_RTHDR, and the RFC 2292 IPV6_2292RTHDR and
 * IPV6_2292PKTOPTIONS) sends every later packet of the socket to the
 * route's first hop, also sends that are never held (send() on a
 * connected socket, write()): the gate judged another destination
 * (docs/decode.md, "Canonical addresses"). The option buffer is memory
 * the filter cannot read, so these options are refused whole (the same
 * options as ancillary data are refused by the decoder). */
static int add_no_source_route(scmp_filter_ctx ctx)
{
	static const struct { int level, name; } opts[] = {
		{ IPPROTO_IP, IP_OPTIONS }, { IPPROTO_IPV6, IPV6_RTHDR },
		{ IPPROTO_IPV6, IPV6_2292RTHDR }, { IPPROTO_IPV6, IPV6_2292PKTOPTIONS },
	};
	int rc = 0;
	/* the kernel reads level and optname as ints */
	for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
		rc = rc ?: seccomp_rule_add(ctx, REFUSE, SCMP_SYS(setsockopt), 2,
					    SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, (uint32_t)opts[i].level),
					    SCMP_A2(SCMP_CMP_MASKED_EQ, 0xffffffffu, (uint32_t)opts[i].name));
	return rc;
}

/* Prepend: on x86_64, a syscall number with the x32 bit (other than -1,
 * which the kernel uses for a syscall a tracer skipped) kills the process. */
static int prepend_x32_guard(struct sock_fprog *prog)
{
	static const struct sock_filter guard[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 4),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT, 0, 2),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0xffffffffu, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	};
	const size_t ng = sizeof guard / sizeof guard[0];
	if (prog->len + ng > BPF_MAXINSNS)
		return -E2BIG;
	struct sock_filter *f = calloc(prog->len + ng, sizeof *f);
	if (!f)
		return -ENOMEM;
	memcpy(f, guard, sizeof guard);
	memcpy(f + ng, prog->filter, prog->len * sizeof *f);
	free(prog->filter);
	prog->filter = f;
	prog->len = (unsigned short)(prog->len + ng);
	return 0;
}

static int export_bpf(scmp_filter_ctx ctx, struct sock_fprog *ret_prog)
{
	struct sock_filter *buf = NULL;
	int rc;
	int fd = memfd_create("attesta-bpf", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	rc = seccomp_export_bpf(ctx, fd);
	if (rc < 0)
		goto out;
	off_t size = lseek(fd, 0, SEEK_END);
	if (size <= 0 || (size_t)size > FILTER_MAX_BYTES ||
	    size % (off_t)sizeof(struct sock_filter) != 0) {
		rc = -EINVAL;
		goto out;
	}
	buf = malloc((size_t)size);
	if (!buf) {
		rc = -ENOMEM;
		goto out;
	}
	ssize_t got = pread(fd, buf, (size_t)size, 0);
	if (got != size) {
		rc = got < 0 ? -errno : -EIO;
		goto out;
	}
	ret_prog->filter = buf;
	ret_prog->len = (unsigned short)(size / (off_t)sizeof(struct sock_filter));
	buf = NULL;
	rc = 0;
out:
	free(buf);
	close(fd);
	return rc;
}

int sup_filter_build(const struct pol_config *config, pid_t supervisor_pid,
		     struct sock_fprog *ret_prog)
{
	struct sock_fprog prog = { 0 };
	int rc;
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return -ENOMEM;

	/* SECURITY: i386 `int 0x80` from an x86_64 process is a foreign arch:
	 * the whole gated set has different numbers there, so kill. */
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	/* The child sets NO_NEW_PRIVS itself; libseccomp must not try. */
	rc = rc ?: seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (rc < 0)
		goto out;

	if (config->intercept_exec &&
	    (rc = add_list(ctx, gated_exec, sizeof gated_exec / sizeof gated_exec[0])) < 0)
		goto out;
	/* SECURITY: with exec gated (and so traced), every way a thread's
	 * credentials change is seen: these calls here, exec at
	 * PTRACE_EVENT_EXEC; main.c turns credential epochs on only then. */
	if (config->intercept_exec &&
	    (rc = add_list(ctx, creds_calls, sizeof creds_calls / sizeof creds_calls[0])) < 0)
		goto out;
	if (config->intercept_unlink &&
	    (rc = add_list(ctx, gated_unlink, sizeof gated_unlink / sizeof gated_unlink[0])) < 0)
		goto out;
	if (config->intercept_connect) {
		rc = add_list(ctx, gated_connect, sizeof gated_connect / sizeof gated_connect[0]);
		/* sendto without an address (arg 4 NULL) is a send on a
		 * connected socket, whose connect was gated: decide it here. */
		rc = rc ?: seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(sendto), 1,
					    SCMP_A4(SCMP_CMP_NE, 0));
		rc = rc ?: add_no_source_route(ctx);
		if (rc < 0)
			goto out;
	}

	/* SECURITY: io_uring performs unlinkat/connect/openat without any
	 * system call the filter could see. */
	if (!config->allow_io_uring) {
		rc = seccomp_rule_add(ctx, REFUSE, SCMP_SYS(io_uring_setup), 0);
		rc = rc ?: seccomp_rule_add(ctx, REFUSE, SCMP_SYS(io_uring_enter), 0);
		rc = rc ?: seccomp_rule_add(ctx, REFUSE, SCMP_SYS(io_uring_register), 0);
		if (rc < 0)
			goto out;
	}

	/* SECURITY: a nested listener inside the sandbox would let the agent
	 * answer its own notifications (the innermost listener decides
	 * first). Refuse seccomp(SET_MODE_FILTER, flags & NEW_LISTENER). */
	/* The kernel reads op and flags as 32-bit values: compare those. */
	rc = seccomp_rule_add(ctx, REFUSE, SCMP_SYS(seccomp), 2,
			      SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffu, SECCOMP_SET_MODE_FILTER),
			      SCMP_A1(SCMP_CMP_MASKED_EQ, SECCOMP_FILTER_FLAG_NEW_LISTENER,
				      SECCOMP_FILTER_FLAG_NEW_LISTENER));
	if (rc < 0)
		goto out;

	if ((rc = add_protect_supervisor(ctx, supervisor_pid)) < 0)
		goto out;
	if ((rc = add_no_namespaces(ctx)) < 0)
		goto out;

	if ((rc = export_bpf(ctx, &prog)) < 0)
		goto out;
	/* SECURITY: raw, packet and other sockets whose sends the
	 * connect/sendto decoder cannot judge are decided at creation
	 * (filter_socket.h, docs/decode.md). */
	if (config->intercept_connect && (rc = sup_filter_socket_prepend(&prog)) < 0)
		goto out;
	if ((rc = prepend_x32_guard(&prog)) < 0)
		goto out;
	*ret_prog = prog;
	prog.filter = NULL;
	rc = 0;
out:
	free(prog.filter);
	seccomp_release(ctx);
	return rc;
}

void sup_filter_release(struct sock_fprog *prog)
{
	if (!prog)
		return;
	free(prog->filter);
	prog->filter = NULL;
	prog->len = 0;
}

int sup_filter_load(const struct sock_fprog *prog, bool *ret_killable)
{
	unsigned long flags = SECCOMP_FILTER_FLAG_NEW_LISTENER |
			      SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
	long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, prog);
	bool killable = true;
	if (fd < 0 && errno == EINVAL) {
		/* Kernels before 5.19 lack WAIT_KILLABLE_RECV: a held call is
		 * then interrupted by signals and restarted (a fresh
		 * notification for the same call, which the loop handles). */
		killable = false;
		fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			     SECCOMP_FILTER_FLAG_NEW_LISTENER, prog);
	}
	if (fd < 0)
		return -errno;
	if (ret_killable)
		*ret_killable = killable;
	return (int)fd;
}
