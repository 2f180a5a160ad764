/*
 * adv_state: the agent attacks the gate's own files (audit log, head,
 * HMAC key, trust store, config, profiles) and what attesta-run opens on
 * its behalf, with raw system calls. Used by state_files.sh and
 * state_reach.sh (docs/SECURITY.md, "The gate's own files").
 *
 *   adv_state ATTACK PATH...   one attack on each PATH, one RESULT line each
 *
 * ATTACK: append, truncate, write, otrunc (open O_TRUNC), rename (away),
 * renameover (a new file renamed onto it), unlink, chmod, linkwrite (hard
 * link, then append through the link), symlinkswap (a symlink renamed onto
 * it), plant (create PATH, which must not exist), procroot (append to
 * PATH through /proc/PID/root of the parent process: another mount
 * namespace), procroot-outside (the same through the parent's parent), handle (name_to_handle_at + open_by_handle_at, then append),
 * ancestor (rename PATH, a directory above the state, away and back),
 * fdat (append through an inherited descriptor 3 of PATH's directory).
 * Exit 0 when every attempt succeeded (the native control), 1 when none did.
 */
#include "adv.h"

#include <sys/stat.h>

static long sys_open(const char *path, int flags)
{
	return syscall(SYS_openat, AT_FDCWD, path, flags | O_CLOEXEC, 0600);
}

static long append_to(const char *path)
{
	long fd = sys_open(path, O_WRONLY | O_APPEND);
	if (fd < 0)
		return -1;
	long rc = syscall(SYS_write, (int)fd, "EVIL\n", 5);
	int err = errno;
	close((int)fd);
	errno = err;
	return rc;
}

static long attack(const char *what, const char *path)
{
	char other[4200];
	long rc, fd;

	snprintf(other, sizeof other, "%s.adv", path);
	if (!strcmp(what, "append"))
		return append_to(path);
	if (!strcmp(what, "truncate"))
		return syscall(SYS_truncate, path, 0);
	if (!strcmp(what, "write") || !strcmp(what, "otrunc")) {
		fd = sys_open(path, O_WRONLY | (!strcmp(what, "otrunc") ? O_TRUNC : 0));
		if (fd < 0)
			return -1;
		rc = syscall(SYS_pwrite64, (int)fd, "X", 1, 0);
		int err = errno;
		close((int)fd);
		errno = err;
		return rc;
	}
	if (!strcmp(what, "rename"))
		return syscall(SYS_rename, path, other);
	if (!strcmp(what, "renameover") || !strcmp(what, "symlinkswap")) {
		if (!strcmp(what, "renameover")) {
			fd = sys_open(other, O_WRONLY | O_CREAT | O_TRUNC);
			if (fd >= 0)
				close((int)fd);
		} else {
			syscall(SYS_unlink, other);
			syscall(SYS_symlink, "/tmp/adv-state-elsewhere", other);
		}
		rc = syscall(SYS_rename, other, path);
		int err = errno;
		if (rc < 0)
			syscall(SYS_unlink, other);
		errno = err;
		return rc;
	}
	if (!strcmp(what, "unlink"))
		return syscall(SYS_unlink, path);
	if (!strcmp(what, "chmod"))
		return syscall(SYS_chmod, path, 0666);
	if (!strcmp(what, "linkwrite")) {
		syscall(SYS_unlink, other);
		if (syscall(SYS_link, path, other) < 0)
			return -1;
		return append_to(other);
	}
	if (!strcmp(what, "plant")) {
		fd = sys_open(path, O_WRONLY | O_CREAT | O_EXCL);
		if (fd < 0)
			return -1;
		rc = syscall(SYS_write, (int)fd, "{}\n", 3);
		close((int)fd);
		return rc;
	}
	if (!strcmp(what, "procroot") || !strcmp(what, "procroot-outside")) {
		/* A process outside sees the same path in its own mount
		 * namespace, where no bind mount protects the file: the parent
		 * (the supervisor, non-dumpable) or its parent (an ordinary
		 * process of the same uid). */
		pid_t pid = getppid();
		if (!strcmp(what, "procroot-outside")) {
			char stat[512];
			snprintf(other, sizeof other, "/proc/%d/stat", (int)pid);
			long sfd = sys_open(other, O_RDONLY);
			long n = sfd < 0 ? -1 : syscall(SYS_read, (int)sfd, stat, sizeof stat - 1);
			if (n <= 0)
				return -1;
			stat[n] = '\0';
			const char *p = strrchr(stat, ')');
			int gp = 0;
			if (!p || sscanf(p + 2, "%*c %d", &gp) != 1)
				return -1;
			pid = gp;
		}
		snprintf(other, sizeof other, "/proc/%d/root%s", (int)pid, path);
		return append_to(other);
	}
	if (!strcmp(what, "handle")) {
		struct { struct file_handle fh; unsigned char buf[128]; } h;
		int mount_id;
		h.fh.handle_bytes = sizeof h.buf;
		if (syscall(SYS_name_to_handle_at, AT_FDCWD, path, &h.fh, &mount_id, 0) < 0)
			return -1;
		/* any descriptor on the same file system will do: "/" */
		long mfd = sys_open("/", O_RDONLY | O_DIRECTORY);
		fd = syscall(SYS_open_by_handle_at, (int)mfd, &h.fh, O_WRONLY | O_APPEND);
		if (fd < 0)
			return -1;
		rc = syscall(SYS_write, (int)fd, "EVIL\n", 5);
		close((int)fd);
		return rc;
	}
	if (!strcmp(what, "fdat")) {
		/* through an inherited descriptor 3 of PATH's directory */
		const char *base = strrchr(path, '/');
		fd = syscall(SYS_openat, 3, base ? base + 1 : path, O_WRONLY | O_APPEND | O_CLOEXEC);
		if (fd < 0)
			return -1;
		rc = syscall(SYS_write, (int)fd, "EVIL\n", 5);
		close((int)fd);
		return rc;
	}
	if (!strcmp(what, "ancestor")) {
		rc = syscall(SYS_rename, path, other);
		if (rc == 0)
			syscall(SYS_rename, other, path);
		return rc;
	}
	errno = EINVAL;
	return -1;
}

int main(int argc, char **argv)
{
	int ok = 0, failed = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: adv_state ATTACK PATH...\n");
		return ADV_SETUP;
	}
	for (int i = 2; i < argc; i++) {
		char what[4300];
		const char *base = strrchr(argv[i], '/');
		errno = 0;
		long rc = attack(argv[1], argv[i]);
		int err = errno;
		snprintf(what, sizeof what, "%s:%s", argv[1], base ? base + 1 : argv[i]);
		adv_result(what, rc < 0 ? -1 : 0, err);
		if (rc < 0)
			failed++;
		else
			ok++;
	}
	return failed == 0 ? 0 : ok == 0 ? 1 : 2;
}
