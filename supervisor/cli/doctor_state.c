/*
 * The doctor's check of how attesta-run would keep the gate's own files
 * (audit log, head, key, trust store, config, profiles) out of the
 * agent's reach for this user and ./attesta.yaml (docs/doctor.md,
 * docs/SECURITY.md "The gate's own files"): another uid (root with
 * gate.user), a mount namespace (tried here: unshare, identity map, a
 * read-only bind mount, a Landlock domain), or none. Runs inside the
 * doctor's throw-away probe child, so the namespace dies with it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/landlock.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "policy/config.h"
#include "supervisor/cli/doctor_probe.h"

static int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, text, strlen(text));
	int err = errno;
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : n < 0 ? -err : -EIO;
}

/* What attesta-run's child does (supervisor/run/sandbox_ns.c), on this
 * program's own file. NULL when it works, else the failing step. */
static const char *try_mount_ns(bool root, int *ret_err)
{
	char self[PATH_MAX], line[64];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);

	*ret_err = 0;
	if (n <= 0)
		return *ret_err = errno, "readlink /proc/self/exe";
	self[n] = '\0';
	uid_t uid = getuid();
	gid_t gid = getgid();
	if (unshare(root ? CLONE_NEWNS : CLONE_NEWUSER | CLONE_NEWNS) < 0)
		return *ret_err = errno, root ? "unshare(CLONE_NEWNS)" : "unshare(CLONE_NEWUSER|CLONE_NEWNS)";
	if (!root) {
		int r;
		snprintf(line, sizeof line, "%u %u 1\n", (unsigned)uid, (unsigned)uid);
		if ((r = write_text("/proc/self/uid_map", line)) < 0 ||
		    (r = write_text("/proc/self/setgroups", "deny")) < 0)
			return *ret_err = -r, "uid map";
		snprintf(line, sizeof line, "%u %u 1\n", (unsigned)gid, (unsigned)gid);
		if ((r = write_text("/proc/self/gid_map", line)) < 0)
			return *ret_err = -r, "gid map";
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return *ret_err = errno, "private mounts";
	if (mount(self, self, NULL, MS_BIND | MS_REC, NULL) < 0)
		return *ret_err = errno, "bind mount";
	if (mount(NULL, self, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0)
		return *ret_err = errno, "read-only remount";
	/* unprivileged, the user namespace suffices (sandbox_ns.c) */
	if (root && syscall(SYS_landlock_create_ruleset, NULL, 0,
			    LANDLOCK_CREATE_RULESET_VERSION) <= 0)
		return *ret_err = errno, "Landlock";
	return NULL;
}

void doctor_probe_state(struct doctor_result *r)
{
	struct pol_config *config = NULL;
	struct pol_diag diag;
	bool root = geteuid() == 0;
	const char *user = NULL;
	int err;

	memset(&diag, 0, sizeof diag);
	if (pol_config_load_or_default(NULL, &config, &diag) == 0 && config->run_user)
		user = config->run_user;
	if (root && user && getpwnam(user)) {
		r->status = DOCTOR_OK;
		snprintf(r->detail, sizeof r->detail, "another uid: gate.user %s", user);
		snprintf(r->consequence, sizeof r->consequence,
			 "the agent runs as '%s' in a mount namespace: the gate's files are not "
			 "its to write", user);
		pol_config_free(config);
		return;
	}
	pol_config_free(config);
	const char *step = try_mount_ns(root, &err);
	if (!step) {
		r->status = DOCTOR_OK;
		snprintf(r->detail, sizeof r->detail, "%s",
			 root ? "mount namespace; the agent runs as root (use --user NAME)"
			      : "mount namespace in a user namespace");
		snprintf(r->consequence, sizeof r->consequence,
			 "the audit log, head, key, trust store, config and profiles are read-only "
			 "for the agent%s", root ? ", but a root agent keeps root's other powers" : "");
		return;
	}
	r->status = DOCTOR_MISSING;
	r->err = err;
	snprintf(r->detail, sizeof r->detail, "none: %s: %s", step, strerror(err));
	snprintf(r->consequence, sizeof r->consequence,
		 "attesta-run refuses to start unless --unprotected-state (then the agent can "
		 "write the audit log, trust store and config)%s",
		 root ? "; as root, --user NAME protects them" : "");
}
