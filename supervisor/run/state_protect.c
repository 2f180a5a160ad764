/*
 * The plan that keeps the gate's own files out of the agent's reach
 * (state_protect.h; docs/SECURITY.md, "The gate's own files"):
 * canonical paths for the state, read-only bind mounts of whole
 * directories where they hold only gate state (.attesta/, the approval
 * socket's directory), of single files elsewhere, every directory above
 * them pinned, files created before the agent could plant them, hard
 * links refused, and the mode (another uid, a mount namespace, none).
 * Runs in the supervisor before the fork; trusts the user's config.
 */
#include "supervisor/run/state_protect.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/audit.h"
#include "policy/config.h"
#include "policy/trust.h"
#include "supervisor/run/shimrecv.h"
#include "supervisor/run/statepaths.h"

extern char **environ;

#define GUARD_MAX 64

static struct { dev_t dev; ino_t ino; } guard[GUARD_MAX];
static size_t n_guard;

bool sup_state_is_protected(dev_t dev, ino_t ino)
{
	for (size_t i = 0; i < n_guard; i++)
		if (guard[i].dev == dev && guard[i].ino == ino)
			return true;
	return false;
}

/* dirfd is a protected directory (.attesta/, the profiles). */
static bool dir_protected(int dirfd)
{
	struct stat st;

	return n_guard && dirfd >= 0 && fstat(dirfd, &st) == 0 &&
	       sup_state_is_protected(st.st_dev, st.st_ino);
}

/* The name in dirfd (or path itself when dirfd < 0), not followed: a
 * protected file, or (with paths) a state path or a directory above one;
 * or (unless dir_checked) dirfd is a protected directory. */
static bool refused_at(int dirfd, const char *name, bool paths, bool dir_checked)
{
	struct stat st;

	if (dirfd >= 0 ? fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0
		       : lstat(name, &st) < 0)
		return false;
	if ((paths && sup_state_paths_is_state(st.st_dev, st.st_ino)) ||
	    sup_state_is_protected(st.st_dev, st.st_ino))
		return true;
	return !dir_checked && dir_protected(dirfd);
}

bool sup_state_is_protected_entry(int dirfd, const struct pol_file_info *file,
				  const char *path)
{
	const char *name = strrchr(path, '/');

	if (!n_guard)
		return false;
	if (dirfd >= 0 && file->known)
		return sup_state_is_protected(file->dev, file->ino) || dir_protected(dirfd);
	return refused_at(dirfd, dirfd >= 0 && name && name[1] ? name + 1 : path, false, false);
}

bool sup_state_refuses_at(int dirfd, const char *name, bool dir_checked)
{
	return refused_at(dirfd, name, true, dir_checked);
}

static int mkdir_p(const char *dir)
{
	char buf[PATH_MAX];

	if (snprintf(buf, sizeof buf, "%s", dir) >= (int)sizeof buf)
		return -ENAMETOOLONG;
	for (char *p = buf + 1;; p++) {
		if (*p != '/' && *p)
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(buf, 0700) < 0 && errno != EEXIST)
			return -errno;
		if (!c)
			return 0;
		*p = c;
	}
}

/* Canonical absolute path of a file that may not exist yet (its directory
 * is created when make_dir). *ret is malloc'd. */
static int canon(const char *cwd, const char *path, bool make_dir, char **ret)
{
	char abs[PATH_MAX], real[PATH_MAX], out[PATH_MAX];

	if (snprintf(abs, sizeof abs, "%s%s%s", path[0] == '/' ? "" : cwd,
		     path[0] == '/' ? "" : "/", path) >= (int)sizeof abs)
		return -ENAMETOOLONG;
	if (realpath(abs, real)) {
		*ret = strdup(real);
		return *ret ? 0 : -ENOMEM;
	}
	if (errno != ENOENT)
		return -errno;
	char *slash = strrchr(abs, '/');
	const char *base = slash + 1;
	if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
		return -EINVAL;
	*slash = '\0';
	const char *dir = abs[0] ? abs : "/";
	int r;
	if (make_dir && (r = mkdir_p(dir)) < 0)
		return r;
	if (!realpath(dir, real))
		return -errno;
	if (snprintf(out, sizeof out, "%s/%s", strcmp(real, "/") ? real : "", base) >=
	    (int)sizeof out)
		return -ENAMETOOLONG;
	*ret = strdup(out);
	return *ret ? 0 : -ENOMEM;
}

static char *absolute(const char *cwd, const char *path)
{
	char *out = NULL;
	if (asprintf(&out, "%s%s%s", path[0] == '/' ? "" : cwd, path[0] == '/' ? "" : "/",
		     path) < 0)
		return NULL;
	return out;
}

/* SECURITY: a symlink on the way to a state path, in a directory the
 * agent can write, is the agent's to re-point: this run uses the resolved
 * (protected) path, but the next run would follow the link to wherever
 * the agent planted its own audit log, trust store or config. */
static int check_symlinks(const char *path, uid_t agent, char *why, size_t why_size)
{
	char prefix[PATH_MAX];
	size_t n = strlen(path);

	if (n >= sizeof prefix)
		return 0;
	for (size_t i = 1; i <= n; i++) {
		if (path[i] != '/' && path[i])
			continue;
		struct stat st, dir;
		memcpy(prefix, path, i);
		prefix[i] = '\0';
		if (lstat(prefix, &st) < 0)
			return 0;
		if (!S_ISLNK(st.st_mode))
			continue;
		char *parent = strrchr(prefix, '/');
		*parent = '\0';
		if (stat(prefix[0] ? prefix : "/", &dir) < 0)
			return -errno;
		bool writable = (dir.st_mode & 0002) ||
				(dir.st_uid == agent && (dir.st_mode & 0200));
		*parent = '/';
		if (!writable)
			continue;
		snprintf(why, why_size, "cannot protect '%s': it goes through the symlink '%s' in "
			 "a directory the agent can write (it could re-point it for the next run); "
			 "name the real path", path, prefix);
		return -ELOOP;
	}
	return 0;
}

static bool is_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (!strcmp(dir, "/"))
		return true;
	return !strncmp(path, dir, n) && (path[n] == '/' || !path[n]);
}

static char *dir_of(const char *path)
{
	char *d = strdup(path);
	if (!d)
		return NULL;
	char *slash = strrchr(d, '/');
	if (slash == d)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	return d;
}

/* A directory that holds gate state only and whose read-only bind does
 * not take the agent's own workspace with it. */
static bool whole_dir_ok(const struct sup_state_plan *plan, const char *dir, bool named_ok)
{
	const char *base = strrchr(dir, '/');
	bool state_name = base && (!strcmp(base + 1, ".attesta") || named_ok);

	return state_name && !is_under(plan->cwd, dir) && !is_under(plan->workspace, dir);
}

int sup_state_plan_paths(struct sup_state_plan *plan, struct pol_config *config,
			 const char *audit_override, bool unprotected_ok, char *why,
			 size_t why_size)
{
	char cwd[PATH_MAX];
	const char *audit = audit_override ? audit_override : config->audit_path;
	const char *trust = config->trust_path;
	int r;

	plan->unprotected_ok = unprotected_ok;
	if (!getcwd(cwd, sizeof cwd))
		return snprintf(why, why_size, "cannot get the working directory: %m"), -errno;
	plan->cwd = strdup(cwd);
	if (!plan->cwd)
		return -ENOMEM;
	if ((r = canon(cwd, config->workspace ? config->workspace : ".", false,
		       &plan->workspace)) < 0) {
		snprintf(why, why_size, "workspace '%s': %s", config->workspace, strerror(-r));
		return r;
	}
	if ((r = canon(cwd, audit && *audit ? audit : ".attesta/audit.jsonl", true,
		       &plan->audit_path)) < 0) {
		snprintf(why, why_size, "audit log '%s': %s", audit, strerror(-r));
		return r;
	}
	if ((r = canon(cwd, trust && *trust ? trust : ".attesta/trust.json", true,
		       &plan->trust_path)) < 0) {
		snprintf(why, why_size, "trust store '%s': %s", trust, strerror(-r));
		return r;
	}
	const char *spelled[4] = { audit && *audit ? audit : ".attesta/audit.jsonl",
				   trust && *trust ? trust : ".attesta/trust.json",
				   config->audit_hmac_key_file,
				   /* "<default>", "<fleet database: NAME@VERSION>": no file */
				   config->source && config->source[0] != '<' ? config->source : NULL };
	for (size_t i = 0; i < 4; i++)
		if (spelled[i] && !(plan->spelled[i] = absolute(cwd, spelled[i])))
			return -ENOMEM;
	/* the supervisor itself uses the canonical path from now on */
	char *t = strdup(plan->trust_path);
	if (!t)
		return -ENOMEM;
	free(config->trust_path);
	config->trust_path = t;
	/* a missing key or config is the audit log's or loader's error */
	if (config->audit_hmac_key_file)
		canon(cwd, config->audit_hmac_key_file, false, &plan->key_path);
	if (config->source && config->source[0] != '<')
		canon(cwd, config->source, false, &plan->config_path);
	/* a signed bundle's profiles are read from the bundle (docs/fleet.md) */
	if (config->domains.count == 0 || config->profile_bundle)
		return 0;
	size_t n = config->domain_paths.count + 2;
	plan->profile_dirs = calloc(n, sizeof *plan->profile_dirs);
	if (!plan->profile_dirs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const char *d = i < config->domain_paths.count ? config->domain_paths.items[i]
			       : i == n - 2 ? "profiles" : ".attesta/profiles";
		char *c = NULL;
		struct stat st;
		if (canon(cwd, d, false, &c) == 0 && stat(c, &st) == 0 && S_ISDIR(st.st_mode))
			plan->profile_dirs[plan->n_profile_dirs++] = c;
		else
			free(c);
	}
	return 0;
}

int sup_state_plan_user(struct sup_state_plan *plan, const char *name, char ***env_io,
			char *why, size_t why_size)
{
	struct passwd *pw;
	int n = 64;

	if (geteuid() != 0)
		return snprintf(why, why_size, "--user '%s' needs attesta-run to be started as root",
				name), -EPERM;
	if (!pol_config_user_name_ok(name))
		return snprintf(why, why_size, "invalid user name '%s'", name), -EINVAL;
	errno = 0;
	if (!(pw = getpwnam(name)))
		return snprintf(why, why_size, "unknown user '%s'", name), errno ? -errno : -ENOENT;
	if (pw->pw_uid == 0)
		return snprintf(why, why_size, "--user '%s' is root: name an unprivileged account",
				name), -EINVAL;
	plan->sb.groups = calloc((size_t)n, sizeof(gid_t));
	if (!plan->sb.groups)
		return -ENOMEM;
	if (getgrouplist(name, pw->pw_gid, plan->sb.groups, &n) < 0)
		return snprintf(why, why_size, "user '%s' is in too many groups", name), -E2BIG;
	plan->sb.n_groups = (size_t)n;
	plan->sb.switch_user = true;
	plan->sb.uid = pw->pw_uid;
	plan->sb.gid = pw->pw_gid;

	/* PROG's environment: HOME, USER and LOGNAME of the account. */
	char **base = *env_io ? *env_io : environ;
	size_t count = 0;
	while (base[count])
		count++;
	char **env = calloc(count + 4, sizeof *env);
	if (!env)
		return -ENOMEM;
	size_t k = 0;
	int rc = 0;
	for (size_t i = 0; i < count && rc == 0; i++) {
		if (!strncmp(base[i], "HOME=", 5) || !strncmp(base[i], "USER=", 5) ||
		    !strncmp(base[i], "LOGNAME=", 8))
			continue;
		if (!(env[k++] = strdup(base[i])))
			rc = -ENOMEM;
	}
	if (rc == 0 && (asprintf(&env[k++], "HOME=%s", pw->pw_dir) < 0 ||
			asprintf(&env[k++], "USER=%s", name) < 0 ||
			asprintf(&env[k++], "LOGNAME=%s", name) < 0))
		rc = -ENOMEM;
	if (rc < 0) {
		sup_shimrecv_env_free(env);
		return rc;
	}
	sup_shimrecv_env_free(*env_io);
	*env_io = env;
	return 0;
}

/* ---- the list of paths ---------------------------------------------------- */

struct list {
	char **items;
	size_t n;
};

static int list_add(struct list *l, const char *path)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->items[i], path))
			return 0;
	char **grown = realloc(l->items, (l->n + 1) * sizeof *grown);
	if (!grown)
		return -ENOMEM;
	l->items = grown;
	if (!(l->items[l->n] = strdup(path)))
		return -ENOMEM;
	l->n++;
	return 0;
}

static void list_free(struct list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i]);
	free(l->items);
}

static size_t depth(const char *p)
{
	size_t d = 0;
	for (; *p; p++)
		d += *p == '/';
	return d;
}

static int by_depth(const void *a, const void *b)
{
	const struct sup_sandbox_path *x = a, *y = b;
	if (x->readonly != y->readonly)
		return x->readonly ? 1 : -1;
	size_t dx = depth(x->path), dy = depth(y->path);
	return dx < dy ? -1 : dx > dy ? 1 : strcmp(x->path, y->path);
}

/* ro: the read-only paths. Drop those inside another read-only
 * directory, pin every directory above the rest, sort. */
static int build_paths(struct sup_state_plan *plan, const struct list *ro, char *why,
		       size_t why_size)
{
	struct list keep = { 0 }, pins = { 0 };
	int r = 0;

	for (size_t i = 0; i < ro->n && r == 0; i++) {
		bool inside = false;
		for (size_t j = 0; j < ro->n; j++)
			if (j != i && strcmp(ro->items[i], ro->items[j]) &&
			    is_under(ro->items[i], ro->items[j]))
				inside = true;
		if (!inside)
			r = list_add(&keep, ro->items[i]);
	}
	for (size_t i = 0; i < keep.n && r == 0; i++) {
		char *d = dir_of(keep.items[i]);
		while (r == 0 && d && strcmp(d, "/")) {
			r = list_add(&pins, d);
			char *up = dir_of(d);
			free(d);
			d = up;
		}
		if (!d)
			r = -ENOMEM;
		free(d);
	}
	size_t n = keep.n + pins.n;
	struct sup_sandbox_path *paths = r == 0 ? calloc(n ? n : 1, sizeof *paths) : NULL;
	if (!paths && r == 0)
		r = -ENOMEM;
	for (size_t i = 0; r == 0 && i < n; i++) {
		struct sup_sandbox_path *p = &paths[i];
		struct stat st;

		p->readonly = i < keep.n;
		p->path = strdup(p->readonly ? keep.items[i] : pins.items[i - keep.n]);
		if (!p->path) {
			r = -ENOMEM;
			break;
		}
		if (!p->readonly)
			continue;
		if (lstat(p->path, &st) < 0 || S_ISLNK(st.st_mode)) {
			r = S_ISLNK(st.st_mode) ? -ELOOP : -errno;
			snprintf(why, why_size, "cannot protect '%s': %s", p->path, strerror(-r));
			break;
		}
		p->dev = st.st_dev;
		p->ino = st.st_ino;
		if (n_guard < GUARD_MAX) {
			guard[n_guard].dev = st.st_dev;
			guard[n_guard++].ino = st.st_ino;
		}
	}
	if (paths && r < 0) {
		/* entries after the failing one are not filled: not sortable */
		for (size_t i = 0; i < n; i++)
			free(paths[i].path);
		free(paths);
		paths = NULL;
	}
	if (paths) {
		qsort(paths, n, sizeof *paths, by_depth);
		plan->sb.paths = paths;
		plan->sb.n_paths = n;
	}
	list_free(&keep);
	list_free(&pins);
	return r;
}

/* SECURITY: a second name of a state file, made before the run, is a
 * writable way to it that no bind mount of the first name covers. */
static int check_links(const char *path, char *why, size_t why_size)
{
	struct stat st;

	if (!path || lstat(path, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink <= 1)
		return 0;
	snprintf(why, why_size, "cannot protect '%s': it has %lu hard links (another name "
		 "would stay writable); remove the others", path, (unsigned long)st.st_nlink);
	return -EMLINK;
}

int sup_state_plan_finish(struct sup_state_plan *plan, struct pol_audit_log *audit,
			  struct pol_trust_store *trust, const char *approval_socket,
			  bool shim_mode, char *why, size_t why_size)
{
	struct list ro = { 0 };
	struct pol_diag diag;
	const char *head = pol_audit_head_file(audit);
	char *audit_dir = dir_of(plan->audit_path), *trust_dir = dir_of(plan->trust_path);
	char *sock_dir = approval_socket ? dir_of(approval_socket) : NULL;
	struct stat st;
	int r = 0;

	if (!audit_dir || !trust_dir || (approval_socket && !sock_dir)) {
		r = -ENOMEM;
		goto out;
	}
	if (whole_dir_ok(plan, audit_dir, false)) {
		r = list_add(&ro, audit_dir);
	} else {
		/* Bound by file: the head must exist, and must not be replaced
		 * (a rename would detach the agent's bind) until the end. */
		if (stat(head, &st) < 0 && (r = pol_audit_write_head(audit)) < 0) {
			snprintf(why, why_size, "cannot create the audit head file '%s': %s", head,
				 strerror(-r));
			goto out;
		}
		pol_audit_defer_head(audit, true);
		r = list_add(&ro, plan->audit_path);
		r = r ?: list_add(&ro, head);
	}
	if (r == 0 && whole_dir_ok(plan, trust_dir, false)) {
		r = list_add(&ro, trust_dir);
	} else if (r == 0) {
		/* the same for the trust store, which would otherwise be
		 * missing and the agent's to create for the next run */
		memset(&diag, 0, sizeof diag);
		if (trust && stat(plan->trust_path, &st) < 0 &&
		    (r = pol_trust_store_save(trust, &diag)) < 0) {
			snprintf(why, why_size, "cannot create the trust store '%s': %s",
				 plan->trust_path, diag.message[0] ? diag.message : strerror(-r));
			goto out;
		}
		plan->defer_trust = true;
		r = list_add(&ro, plan->trust_path);
	}
	if (r == 0 && plan->key_path)
		r = list_add(&ro, plan->key_path);
	if (r == 0 && plan->config_path)
		r = list_add(&ro, plan->config_path);
	for (size_t i = 0; r == 0 && i < plan->n_profile_dirs; i++)
		if (!is_under(plan->cwd, plan->profile_dirs[i]) &&
		    !is_under(plan->workspace, plan->profile_dirs[i]))
			r = list_add(&ro, plan->profile_dirs[i]);
	if (r == 0 && sock_dir)
		r = whole_dir_ok(plan, sock_dir, true) ? list_add(&ro, sock_dir)
						      : list_add(&ro, approval_socket);
	if (r < 0)
		goto out;
	uid_t agent = plan->sb.switch_user ? plan->sb.uid : geteuid();
	for (size_t i = 0; i < 4; i++)
		if (plan->spelled[i] && (r = check_symlinks(plan->spelled[i], agent, why,
							    why_size)) < 0 && !plan->unprotected_ok)
			goto out;
	r = 0;
	const char *linked[] = { plan->audit_path, head, plan->trust_path, plan->key_path,
				 plan->config_path };
	for (size_t i = 0; i < sizeof linked / sizeof linked[0]; i++)
		if ((r = check_links(linked[i], why, why_size)) < 0)
			goto out;
	if ((r = build_paths(plan, &ro, why, why_size)) < 0)
		goto out;

	bool root = geteuid() == 0;
	plan->sb.mount_ns = true;
	plan->sb.user_ns = !root;
	plan->sb.map_uid = getuid();
	plan->sb.map_gid = getgid();
	plan->sb.landlock = sup_sandbox_landlock_abi() > 0;
	plan->sb.optional = plan->unprotected_ok;
	const char *impossible = NULL;
	/* Unprivileged, the user namespace already keeps the agent from
	 * /proc/PID/root of processes outside (ptrace access needs
	 * CAP_SYS_PTRACE in their namespace); a root agent reaches any root
	 * process whose capabilities are a subset of its own. */
	if (!plan->sb.landlock && root && !plan->sb.switch_user)
		impossible = "Landlock is unavailable, so a root agent could write them through "
			     "/proc/PID/root of another root process";
	/* Shim-only mode (docs/shim.md) refuses no system call: a root
	 * agent there could unmount the binds on purpose, as it could do
	 * anything else; its warning says it is not a sandbox. */
	(void)shim_mode;
	if (impossible && !plan->unprotected_ok) {
		snprintf(why, why_size, "cannot keep the gate's state files out of the agent's "
			 "reach: %s (run with --user, or accept it with --unprotected-state)",
			 impossible);
		r = -EPERM;
		goto out;
	}
	plan->mode = impossible ? "none"
		   : plan->sb.switch_user ? "another uid and a mount namespace"
		   : root ? "a mount namespace (the agent runs as root)"
			  : "a mount namespace in a user namespace";
out:
	free(audit_dir);
	free(trust_dir);
	free(sock_dir);
	list_free(&ro);
	return r;
}

void sup_state_plan_warn(const struct sup_state_plan *plan, bool applied)
{
	if (geteuid() == 0 && !plan->sb.switch_user)
		fputs("attesta-run: WARNING: the agent runs as root: outside the gated calls it "
		      "can do anything root can (raw disks, kernel settings, every file); run it "
		      "as another account with --user NAME\n", stderr);
	if (!applied || !strcmp(plan->mode, "none"))
		fputs("attesta-run: WARNING: --unprotected-state: the agent can WRITE the audit "
		      "log, its head, the key, the trust store, the config and the profiles "
		      "(rewrite its trust, change the next run's policy)\n", stderr);
}

void sup_state_plan_release(struct sup_state_plan *plan)
{
	for (size_t i = 0; i < plan->sb.n_paths; i++)
		free(plan->sb.paths[i].path);
	free(plan->sb.paths);
	free(plan->sb.groups);
	free(plan->audit_path);
	free(plan->trust_path);
	free(plan->key_path);
	free(plan->config_path);
	for (size_t i = 0; i < plan->n_profile_dirs; i++)
		free(plan->profile_dirs[i]);
	free(plan->profile_dirs);
	free(plan->cwd);
	free(plan->workspace);
	for (size_t i = 0; i < 4; i++)
		free(plan->spelled[i]);
	memset(plan, 0, sizeof *plan);
}
