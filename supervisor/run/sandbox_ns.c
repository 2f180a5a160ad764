/*
 * PROG's child keeps the gate's state files out of the agent's reach
 * (sandbox_ns.h, docs/SECURITY.md "The gate's own files"): a private
 * mount namespace where each state path is a read-only bind mount of
 * itself and every directory above it is a mount point (so nothing on
 * the way can be renamed), a Landlock domain, the --user account, and no
 * capabilities left from the user namespace. Runs in the forked child
 * before NO_NEW_PRIVS and the filter; trusts the parent's plan only.
 */
#include "supervisor/run/sandbox_ns.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/landlock.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

int sup_sandbox_landlock_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	return abi > 0 ? (int)abi : 0;
}

static int fail_step(char *step, size_t size, const char *what, const char *path, int err)
{
	snprintf(step, size, "%s%s%s", what, path ? " " : "", path ? path : "");
	return -err;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, text, strlen(text));
	int err = n < 0 ? errno : 0;
	close(fd);
	if (n < 0)
		return -err;
	return (size_t)n == strlen(text) ? 0 : -EIO;
}

/* The identity map: our uid and gid mean themselves inside (files keep
 * their owners; unmapped owners such as root show as the overflow id). */
static int map_identity(const struct sup_sandbox *sb)
{
	char line[64];
	int r;

	snprintf(line, sizeof line, "%u %u 1\n", (unsigned)sb->map_uid, (unsigned)sb->map_uid);
	if ((r = write_file("/proc/self/uid_map", line)) < 0)
		return r;
	if ((r = write_file("/proc/self/setgroups", "deny")) < 0)
		return r;
	snprintf(line, sizeof line, "%u %u 1\n", (unsigned)sb->map_gid, (unsigned)sb->map_gid);
	return write_file("/proc/self/gid_map", line);
}

/* The flags a remount must keep: in a user namespace the kernel locks
 * nosuid/nodev/noexec/atime of mounts it copied, and refuses to clear them. */
static unsigned long kept_flags(const char *path)
{
	struct statvfs s;
	unsigned long f = MS_NOSUID | MS_NODEV;

	if (statvfs(path, &s) < 0)
		return f;
	if (s.f_flag & ST_NOEXEC)
		f |= MS_NOEXEC;
	if (s.f_flag & ST_NOATIME)
		f |= MS_NOATIME;
	if (s.f_flag & ST_NODIRATIME)
		f |= MS_NODIRATIME;
	if (s.f_flag & ST_RELATIME)
		f |= MS_RELATIME;
	return f;
}

static int bind_paths(const struct sup_sandbox *sb, char *step, size_t step_size)
{
	for (size_t i = 0; i < sb->n_paths; i++) {
		const struct sup_sandbox_path *p = &sb->paths[i];

		/* MS_REC: in a user namespace a bind that would uncover what
		 * a copied (locked) mount hides is refused. */
		if (mount(p->path, p->path, NULL, MS_BIND | MS_REC, NULL) < 0)
			return fail_step(step, step_size, "bind mount", p->path, errno);
		if (!p->readonly)
			continue;
		unsigned long f = MS_REMOUNT | MS_BIND | MS_RDONLY | kept_flags(p->path);
		if (mount(NULL, p->path, NULL, f, NULL) < 0)
			return fail_step(step, step_size, "read-only remount", p->path, errno);
	}
	return 0;
}

/* SECURITY: fail closed unless each state path, as the agent will resolve
 * it, is the file the parent planned and is read-only, and each pinned
 * directory is still a directory (a swap by another process between the
 * plan and the mounts would otherwise protect the wrong file). */
static int verify_paths(const struct sup_sandbox *sb, char *step, size_t step_size)
{
	for (size_t i = 0; i < sb->n_paths; i++) {
		const struct sup_sandbox_path *p = &sb->paths[i];
		struct statvfs sv;
		struct stat st;
		int fd = open(p->path, O_PATH | O_NOFOLLOW | O_CLOEXEC);

		if (fd < 0)
			return fail_step(step, step_size, "cannot reopen", p->path, errno);
		int r = fstat(fd, &st) < 0 || fstatvfs(fd, &sv) < 0 ? -errno : 0;
		close(fd);
		if (r < 0)
			return fail_step(step, step_size, "cannot check", p->path, -r);
		if (!p->readonly && !S_ISDIR(st.st_mode))
			return fail_step(step, step_size, "not a directory any more:", p->path,
					 ENOTDIR);
		if (p->readonly && (st.st_dev != p->dev || st.st_ino != p->ino))
			return fail_step(step, step_size, "replaced since start-up:", p->path,
					 ESTALE);
		if (p->readonly && !(sv.f_flag & ST_RDONLY))
			return fail_step(step, step_size, "still writable:", p->path, EROFS);
	}
	return 0;
}

/* SECURITY: a directory descriptor PROG would inherit (one the user's
 * shell left open, without close-on-exec) still names the mount beneath
 * the binds, in the namespace outside: openat(fd, "audit.jsonl") would
 * reach the writable file. Refuse rather than close what the user
 * passed on purpose. */
static int check_inherited_dirs(char *step, size_t step_size)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int r = 0;

	if (!d)
		return fail_step(step, step_size, "cannot list descriptors", NULL, errno);
	while (r == 0 && (e = readdir(d))) {
		struct stat st;
		char name[32];
		int fd = atoi(e->d_name);
		int flags;

		if (e->d_name[0] == '.' || fd == dirfd(d))
			continue;
		flags = fcntl(fd, F_GETFD);
		if (flags < 0 || (flags & FD_CLOEXEC) || fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		snprintf(name, sizeof name, "%d", fd);
		r = fail_step(step, step_size, "PROG would inherit a directory descriptor "
			      "(it reaches around the protection; close it):", name, EBADF);
	}
	closedir(d);
	return r;
}

/* SECURITY: /proc/PID/root/... of a process outside the namespace leads
 * to the state through that process's mounts. Unprivileged, the user
 * namespace already stops it (ptrace access to a process in another user
 * namespace needs CAP_SYS_PTRACE there); a root agent without
 * CAP_SYS_PTRACE still reaches every root process whose capabilities are
 * a subset of its own. A Landlock domain may not ptrace (nor open
 * /proc/PID/root, cwd, fd, mem of) a process outside it, whatever the
 * uids. The ruleset itself only forbids making device nodes. Needs
 * NO_NEW_PRIVS, which launch.c sets anyway.
 *
 * Any Landlock file-system ruleset also refuses, by default, to link or
 * rename a file into another directory (EXDEV, "refer"): that would break
 * `mv a/x b/`, git's object files and test suites (found by
 * `make thirdparty`). Where the kernel knows the right (ABI >= 2) the
 * ruleset handles it and grants it below "/", so only the device-node
 * rule is left. */
static int join_landlock(void)
{
	struct landlock_ruleset_attr attr = {
		.handled_access_fs = LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_BLOCK,
	};
	bool refer = sup_sandbox_landlock_abi() >= 2;
	if (refer)
		attr.handled_access_fs |= LANDLOCK_ACCESS_FS_REFER;
	int fd = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
	if (fd < 0)
		return -errno;
	int r = 0;
	if (refer) {
		struct landlock_path_beneath_attr below_root = {
			.allowed_access = LANDLOCK_ACCESS_FS_REFER,
			.parent_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC),
		};
		if (below_root.parent_fd < 0 ||
		    syscall(SYS_landlock_add_rule, fd, LANDLOCK_RULE_PATH_BENEATH, &below_root, 0) < 0)
			r = -errno;
		if (below_root.parent_fd >= 0)
			close(below_root.parent_fd);
	}
	if (r == 0 && (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		       syscall(SYS_landlock_restrict_self, fd, 0) < 0))
		r = -errno;
	close(fd);
	return r;
}

static int switch_user(const struct sup_sandbox *sb)
{
	if (setgroups(sb->n_groups, sb->groups) < 0)
		return -errno;
	if (setresgid(sb->gid, sb->gid, sb->gid) < 0)
		return -errno;
	if (setresuid(sb->uid, sb->uid, sb->uid) < 0)
		return -errno;
	/* SECURITY: no way back (setuid from root to a user clears every
	 * capability unless keep-caps is set, which it is not). */
	if (setuid(0) == 0)
		return -EPERM;
	return 0;
}

/* SECURITY: the user namespace gave the child every capability in it;
 * with them it could unmount the protection. Bounding and ambient sets
 * first (they need CAP_SETPCAP), then the rest. Its uid is not 0 in the
 * namespace, so no exec gives them back. */
static int drop_all_caps(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	for (int cap = 0; cap < 64; cap++) {
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0)
			continue;
		if (errno != EINVAL)
			return -errno;
		break; /* past the kernel's last capability */
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return -errno;
	memset(data, 0, sizeof data);
	if (syscall(SYS_capset, &hdr, data) < 0)
		return -errno;
	return 0;
}

/* A devpts instance of the sandbox's own on /dev/pts (and /dev/ptmx bound
 * to its ptmx): the user's terminals (/dev/pts/N, same uid) are not there
 * to be opened by path, to write text beside a prompt or read keys
 * (docs/attesta-run.md, "The gate's own files"). Terminals PROG inherits
 * as descriptors keep working, and new ones come from this instance
 * (PROG's own terminal too: tty.h, sup_tty_child_own_pty). Best effort:
 * without it nothing else is weakened. true when it is in place. */
static bool private_devpts(void)
{
	struct stat st;

	if (stat("/dev/pts/ptmx", &st) < 0 || stat("/dev/ptmx", &st) < 0)
		return false;
	if (mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
		  "newinstance,ptmxmode=0666,mode=0620") < 0)
		return false;
	if (mount("/dev/pts/ptmx", "/dev/ptmx", NULL, MS_BIND, NULL) < 0) {
		umount2("/dev/pts", MNT_DETACH);
		return false;
	}
	return true;
}

static int enter_mounts(const struct sup_sandbox *sb, bool *in_userns, bool *own_devpts,
			char *step, size_t step_size)
{
	int r;

	if (unshare(sb->user_ns ? CLONE_NEWUSER | CLONE_NEWNS : CLONE_NEWNS) < 0)
		return fail_step(step, step_size, sb->user_ns ? "unshare(CLONE_NEWUSER|CLONE_NEWNS)"
							      : "unshare(CLONE_NEWNS)", NULL, errno);
	*in_userns = sb->user_ns;
	if (sb->user_ns && (r = map_identity(sb)) < 0)
		return fail_step(step, step_size, "user namespace identity map", NULL, -r);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return fail_step(step, step_size, "private mounts", NULL, errno);
	if ((r = bind_paths(sb, step, step_size)) < 0)
		return r;
	*own_devpts = private_devpts();
	/* SECURITY: the working directory still names the mount beneath the
	 * new binds; "audit.jsonl" relative to it would reach the writable
	 * file. Enter it again by name, through the binds, and check that it
	 * is the same directory. */
	char cwd[4096];
	struct stat before, after;
	if (!getcwd(cwd, sizeof cwd) || stat(".", &before) < 0)
		return fail_step(step, step_size, "working directory", NULL, errno);
	if (chdir(cwd) < 0 || stat(".", &after) < 0)
		return fail_step(step, step_size, "enter the working directory again", cwd, errno);
	if (before.st_dev != after.st_dev || before.st_ino != after.st_ino)
		return fail_step(step, step_size, "working directory replaced:", cwd, ESTALE);
	if ((r = verify_paths(sb, step, step_size)) < 0)
		return r;
	return check_inherited_dirs(step, step_size);
}

int sup_sandbox_enter(const struct sup_sandbox *sb, bool *ret_own_devpts, char *step,
		      size_t step_size)
{
	bool in_userns = false;
	int r = 0, unprotected = 0;

	step[0] = '\0';
	*ret_own_devpts = false;
	if (sb->mount_ns) {
		r = enter_mounts(sb, &in_userns, ret_own_devpts, step, step_size);
		if (r == 0 && sb->landlock && (r = join_landlock()) < 0)
			r = fail_step(step, step_size, "Landlock domain", NULL, -r);
		if (r < 0 && !sb->optional)
			return r;
		/* --unprotected-state: go on without; a half-made namespace
		 * protects less but never weakens anything else. */
		unprotected = r < 0;
		if (unprotected) {
			size_t n = strlen(step);
			snprintf(step + n, step_size - n, ": %s", strerror(-r));
		}
	}
	if (sb->switch_user && (r = switch_user(sb)) < 0)
		return fail_step(step, step_size, "switch to the --user account", NULL, -r);
	if (in_userns && (r = drop_all_caps()) < 0)
		return fail_step(step, step_size, "drop capabilities", NULL, -r);
	/* A change of credentials resets it; the parent must trace PROG. */
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	return unprotected;
}
