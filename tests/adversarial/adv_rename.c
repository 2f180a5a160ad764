/*
 * Renames as an agent that knows about the gate would make them: raw
 * rename / renameat / renameat2 system calls (the shim never sees them),
 * through dirfds and /proc/self/fd/N, with RENAME_EXCHANGE and
 * RENAME_WHITEOUT, flags with junk in the high 32 bits, and the two-step
 * escapes (move a guarded name away, then unlink it under the new name).
 *
 *   adv_rename MODE ARGS...
 *     rename OLD NEW                 rename(2)
 *     renameat OLDDIR OLD NEWDIR NEW renameat(2) with O_PATH dirfds
 *     renameat-procfd OLDDIR OLD NEW renameat(AT_FDCWD, "/proc/self/fd/N/OLD", ...)
 *     renameat2 OLD NEW FLAGS        FLAGS: 0, noreplace, exchange, whiteout, hi
 *                                    (hi: bit 32 only, the kernel reads an int)
 *     move-unlink OLD NEW            rename, then unlink NEW
 *     move-rmtree OLD NEW            rename a directory, then remove it and
 *                                    its files (rm -rf in raw calls)
 *
 * Prints RESULT lines and exits as adv.h says (0 = every call succeeded).
 * Attacker code: trusts nothing, needs nothing but libc.
 */
#include "adv.h"

#include <dirent.h>

static long raw_rename(const char *a, const char *b) { return syscall(SYS_rename, a, b); }

static long raw_renameat2(long od, const char *a, long nd, const char *b, long flags)
{
	return syscall(SYS_renameat2, od, a, nd, b, flags);
}

static int open_dir(const char *dir)
{
	int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		adv_die(dir);
	return fd;
}

static long parse_flags(const char *s)
{
	if (!strcmp(s, "0"))
		return 0;
	if (!strcmp(s, "noreplace"))
		return RENAME_NOREPLACE;
	if (!strcmp(s, "exchange"))
		return RENAME_EXCHANGE;
	if (!strcmp(s, "whiteout"))
		return RENAME_WHITEOUT;
	if (!strcmp(s, "hi"))
		return 1L << 32;
	adv_say("SETUP bad flags '%s'\n", s);
	_exit(ADV_SETUP);
}

/* rm -rf DIR with raw unlinkat calls; the first failure is the result. */
static long remove_tree(const char *dir, int *err)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[4096];

	if (!d) {
		*err = errno;
		return -1;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		long rc = de->d_type == DT_DIR ? remove_tree(path, err) : adv_unlinkat(AT_FDCWD, path, 0);
		if (rc < 0) {
			if (de->d_type != DT_DIR)
				*err = errno;
			closedir(d);
			return rc;
		}
	}
	closedir(d);
	long rc = adv_unlinkat(AT_FDCWD, dir, AT_REMOVEDIR);
	if (rc < 0)
		*err = errno;
	return rc;
}

int main(int argc, char **argv)
{
	char buf[4096];
	long rc;
	int err;

	if (argc < 4) {
		fprintf(stderr, "usage: adv_rename MODE ARGS...\n");
		return ADV_SETUP;
	}
	const char *mode = argv[1];
	if (!strcmp(mode, "rename")) {
		rc = raw_rename(argv[2], argv[3]);
	} else if (!strcmp(mode, "renameat") && argc >= 6) {
		rc = syscall(SYS_renameat, open_dir(argv[2]), argv[3], open_dir(argv[4]), argv[5]);
	} else if (!strcmp(mode, "renameat-procfd") && argc >= 5) {
		snprintf(buf, sizeof buf, "/proc/self/fd/%d/%s", open_dir(argv[2]), argv[3]);
		rc = syscall(SYS_renameat, AT_FDCWD, buf, AT_FDCWD, argv[4]);
	} else if (!strcmp(mode, "renameat2") && argc >= 5) {
		rc = raw_renameat2(AT_FDCWD, argv[2], AT_FDCWD, argv[3], parse_flags(argv[4]));
	} else if (!strcmp(mode, "move-unlink")) {
		rc = raw_rename(argv[2], argv[3]);
		err = errno;
		adv_result("move", rc, err);
		if (rc < 0)
			return adv_code(rc, err);
		rc = adv_unlink(argv[3]);
	} else if (!strcmp(mode, "move-rmtree")) {
		rc = raw_rename(argv[2], argv[3]);
		err = errno;
		adv_result("move", rc, err);
		if (rc < 0)
			return adv_code(rc, err);
		err = 0;
		rc = remove_tree(argv[3], &err);
		errno = err;
	} else {
		adv_say("SETUP unknown mode '%s'\n", mode);
		return ADV_SETUP;
	}
	return adv_result(mode, rc, errno);
}
