/*
 * `attesta score`'s syscall actions (score_action.h). They must be the
 * actions the gate's decoders would build for the same call in the same
 * directory (supervisor/run/decode.c, decode_fs.c, decode_net.c), or the
 * dry run and the gate disagree: an exec is named by the program that
 * really runs (symlinks followed: `python3` runs `python3.11`), a "#!"
 * script records its interpreter (followed as binfmt_script does), a
 * removed path is named from its parent with symlinks followed. Nothing
 * here runs, removes or connects anything; files are only read.
 */
#include "score_action.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "policy/pol_limits.h"

extern char **environ;

#define SHEBANG_BUF 256 /* the kernel's binfmt_script limits (docs/decode.md) */
#define SHEBANG_DEPTH 4

static char *absolute(const char *cwd, const char *path)
{
	size_t n = strlen(cwd) + strlen(path) + 2;
	char *out;

	if (path[0] == '/')
		return strdup(path);
	out = malloc(n);
	if (out)
		snprintf(out, n, "%s/%s", cwd, path);
	return out;
}

/* PATH lookup as execvp does it; NULL if not found. */
static char *resolve_program(const char *cwd, const char *prog)
{
	const char *path = getenv("PATH");
	char candidate[POL_TARGET_MAX_PATH];

	if (strchr(prog, '/'))
		return absolute(cwd, prog);
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");
		int k;

		if (n == 0)
			k = snprintf(candidate, sizeof(candidate), "%s/%s", cwd, prog);
		else
			k = snprintf(candidate, sizeof(candidate), "%.*s/%s", (int)n, path, prog);
		if (k > 0 && (size_t)k < sizeof(candidate) && access(candidate, X_OK) == 0) {
			struct stat st;

			if (stat(candidate, &st) == 0 && S_ISREG(st.st_mode))
				return n == 0 ? strdup(candidate) : absolute(cwd, candidate);
		}
		path += n;
		if (*path == ':')
			path++;
	}
	return NULL;
}

/* The interpreter and its one optional argument named by a "#!" line of
 * file (both "" if none), parsed as binfmt_script parses it (the gate's
 * supervisor/run/decode_exec.c). */
static int read_shebang(const char *file, char *interp, size_t isize, char *arg, size_t asize)
{
	char line[SHEBANG_BUF + 1];
	int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	ssize_t n;
	size_t len;
	char *p;

	interp[0] = arg[0] = '\0';
	if (fd < 0)
		return errno == EACCES || errno == EPERM ? -EACCES : 0;
	n = pread(fd, line, SHEBANG_BUF, 0);
	close(fd);
	if (n < 3 || line[0] != '#' || line[1] != '!')
		return 0;
	line[n] = '\0';
	p = line + 2;
	p[strcspn(p, "\n")] = '\0';
	p += strspn(p, " \t");
	len = strcspn(p, " \t");
	if (len >= isize)
		return -ENAMETOOLONG;
	memcpy(interp, p, len);
	interp[len] = '\0';
	p += len;
	p += strspn(p, " \t");
	len = strlen(p);
	while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
		len--;
	if (len >= asize)
		return -ENAMETOOLONG;
	memcpy(arg, p, len);
	arg[len] = '\0';
	return 0;
}

/* Follow the "#!" chain from the resolved program as the kernel does:
 * a->interpreter is the program that really runs (symlinks followed) and
 * a->interp_argv the words put before the script, outermost first. */
static int follow_shebangs(const char *cwd, const char *program, struct pol_action *a)
{
	char interp[SHEBANG_BUF], arg[SHEBANG_BUF], current[PATH_MAX];

	snprintf(current, sizeof current, "%s", program);
	for (int depth = 0;; depth++) {
		struct pol_strv level = { 0 };
		int r = read_shebang(current, interp, sizeof interp, arg, sizeof arg);
		char *abs, *real;

		if (r < 0)
			return r;
		if (!interp[0])
			return 0;
		if (depth == SHEBANG_DEPTH)
			return -ELOOP;
		/* a relative interpreter is found from the caller's cwd */
		abs = absolute(cwd, interp);
		real = abs ? realpath(abs, NULL) : NULL;
		free(abs);
		if (!real)
			return errno == ENOMEM ? -ENOMEM : -ENOENT;
		snprintf(current, sizeof current, "%s", real);
		free(real);
		r = pol_action_set(&a->interpreter, current);
		if (r == 0)
			r = pol_strv_push(&level, interp, strlen(interp));
		if (r == 0 && arg[0])
			r = pol_strv_push(&level, arg, strlen(arg));
		for (size_t i = 0; r == 0 && i < a->interp_argv.count; i++)
			r = pol_strv_push(&level, a->interp_argv.items[i], strlen(a->interp_argv.items[i]));
		pol_strv_release(&a->interp_argv);
		a->interp_argv = level;
		if (r < 0)
			return r;
	}
}

/* The configured variables (gate.env_vars) from this environment, as the
 * gate copies them from the exec's envp. */
static int pick_env(const struct pol_config *config, struct pol_action *a)
{
	for (size_t i = 0; i < config->env_vars.count; i++) {
		size_t n = strlen(config->env_vars.items[i]);

		for (char **e = environ; e && *e; e++)
			if (!strncmp(*e, config->env_vars.items[i], n) && (*e)[n] == '=') {
				int r = pol_strv_push(&a->env, *e, strlen(*e));

				if (r < 0)
					return r;
				break;
			}
	}
	return 0;
}

/* Could the caller (standing in for the agent) change what p names:
 * replace an entry of the directory p, or write the file p? As the
 * gate's pinning rule (supervisor/run/decode_pin.c): for root, anything
 * not root's alone (owned by another user, or writable by group or
 * others); for anyone else, anything they own or may write. */
static bool changeable(const char *p, const struct stat *st)
{
	/* a sticky directory root owns (/tmp): others cannot rename or remove
	 * root's entries in it, and every entry below is checked itself */
	if (S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX) && st->st_uid == 0)
		return false;
	if (geteuid() == 0)
		return st->st_uid != 0 || (st->st_mode & (S_IWGRP | S_IWOTH));
	return st->st_uid == geteuid() || faccessat(AT_FDCWD, p, W_OK, AT_EACCESS) == 0;
}

/* Is the exec "pinned" (docs/scoring.md, "Overrides and the name the user
 * types"): the absolute typed path reaches a regular file through
 * directories, symlinks and a file the caller cannot change? Only then
 * may a lowering override written for the typed name apply. The gate
 * also refuses, for a root agent, files changed since its session
 * started; a dry run has no session. Any error: not pinned. */
static bool score_pinned(const char *typed)
{
	char cur[PATH_MAX] = "/", rest[PATH_MAX], link[PATH_MAX], next[PATH_MAX];
	struct stat st;
	int links = 0;

	if (typed[0] != '/' || strlen(typed) >= sizeof(rest))
		return false;
	snprintf(rest, sizeof(rest), "%s", typed);
	if (lstat("/", &st) < 0 || changeable("/", &st))
		return false;
	for (;;) {
		char *p = rest, *comp, *tail;

		while (*p == '/')
			p++;
		if (!*p)
			return false; /* ends in a directory */
		comp = p;
		tail = strchr(p, '/');
		if (tail)
			*tail++ = '\0';
		if (!strcmp(comp, ".") || !strcmp(comp, "..")) {
			if (!strcmp(comp, "..") && strrchr(cur, '/') != cur)
				*strrchr(cur, '/') = '\0';
			else if (!strcmp(comp, ".."))
				snprintf(cur, sizeof(cur), "/");
			memmove(rest, tail ? tail : "", strlen(tail ? tail : "") + 1);
			continue;
		}
		if (snprintf(next, sizeof(next), "%s%s%s", cur, strcmp(cur, "/") ? "/" : "", comp) >=
			    (int)sizeof(next) ||
		    lstat(next, &st) < 0)
			return false;
		if (S_ISLNK(st.st_mode)) {
			/* the link cannot change while its directory cannot */
			ssize_t n = readlink(next, link, sizeof(link) - 1);

			if (n <= 0 || ++links > 40)
				return false;
			link[n] = '\0';
			if (snprintf(next, sizeof(next), "%s/%s", link, tail ? tail : "") >=
			    (int)sizeof(next))
				return false;
			memcpy(rest, next, strlen(next) + 1);
			if (link[0] == '/')
				snprintf(cur, sizeof(cur), "/");
			continue;
		}
		if (changeable(next, &st))
			return false;
		if (!tail || !*tail)
			return S_ISREG(st.st_mode);
		if (!S_ISDIR(st.st_mode))
			return false;
		memcpy(cur, next, strlen(next) + 1);
		memmove(rest, tail, strlen(tail) + 1);
	}
}

static int build_exec(struct pol_action *a, int argc, char **argv, const char *cwd,
		      const struct pol_config *config)
{
	char *path = resolve_program(cwd, argv[1]);
	char *real = path ? realpath(path, NULL) : NULL;
	const char *base = strrchr(argv[1], '/') ? strrchr(argv[1], '/') + 1 : argv[1];
	int r;

	if (!path)
		fprintf(stderr, "attesta: warning: '%s' not found in PATH; scored by name\n", argv[1]);
	/* the typed name (policy/exec_names.h): the path the shell would
	 * pass to execve, relative when the user typed a relative one */
	if (path && pol_action_set(&a->typed_path, strchr(argv[1], '/') ? argv[1] : path) < 0)
		return -ENOMEM;
	a->exec_unpinned = !path || !score_pinned(a->typed_path ? a->typed_path : "");
	if (real) {
		free(path);
		path = real;
		r = follow_shebangs(cwd, path, a);
		if (r < 0)
			fprintf(stderr, "attesta: warning: cannot follow the '#!' line of '%s': %s "
				"(the gate would deny it)\n", path, strerror(-r));
	}
	if (path)
		base = strrchr(path, '/') + 1;
	a->path = path;
	if (pol_action_set(&a->function_name, base) || pol_action_set(&a->argv0, argv[1]))
		return -ENOMEM;
	for (int i = 2; i < argc; i++)
		if (pol_strv_push(&a->args, argv[i], strlen(argv[i])) < 0)
			return -ENOMEM;
	return pick_env(config, a);
}

/* A removed (or renamed) path named as the gate names it: its parent
 * with symlinks followed, then the last component. NULL on -ENOMEM. */
static char *canonical(const char *cwd, const char *path)
{
	char *abs = absolute(cwd, path), *slash, *parent_real, *out = NULL;
	const char *name;

	if (!abs)
		return NULL;
	for (size_t n = strlen(abs); n > 1 && abs[n - 1] == '/'; n--)
		abs[n - 1] = '\0';
	slash = strrchr(abs, '/');
	name = slash + 1;
	*slash = '\0';
	parent_real = realpath(abs[0] ? abs : "/", NULL);
	if (parent_real && strcmp(name, ".") && strcmp(name, "..")) {
		size_t n = strlen(parent_real) + strlen(name) + 2;

		out = malloc(n);
		if (out)
			snprintf(out, n, "%s%s%s", parent_real, strcmp(parent_real, "/") ? "/" : "", name);
	} else {
		*slash = '/';
		out = strdup(abs);
	}
	free(parent_real);
	free(abs);
	return out;
}

/* What the file is, as the decoder records it (decode_fs.c). */
static void file_info(const char *path, struct pol_file_info *info)
{
	struct stat st;
	const char *type;

	if (lstat(path, &st) < 0)
		return;
	type = S_ISDIR(st.st_mode) ? "dir" : S_ISLNK(st.st_mode) ? "symlink" : S_ISSOCK(st.st_mode) ? "socket"
	       : S_ISFIFO(st.st_mode) ? "fifo" : S_ISCHR(st.st_mode) ? "char" : S_ISBLK(st.st_mode) ? "block"
	       : "file";
	info->known = true;
	snprintf(info->type, sizeof(info->type), "%s", type);
	info->size = (uint64_t)st.st_size;
	info->owner = st.st_uid;
}

static int build_remove(struct pol_action *a, const char *word, const char *path, const char *cwd)
{
	a->path = canonical(cwd, path);
	if (!a->path)
		return -ENOMEM;
	file_info(a->path, &a->file);
	if (!a->file.known)
		fprintf(stderr, "attesta: warning: '%s' does not exist; the gate would not be asked "
			"(the call fails with ENOENT)\n", a->path);
	if (pol_action_set(&a->function_name, word) || pol_strv_push(&a->args, a->path, strlen(a->path)) < 0)
		return -ENOMEM;
	return 0;
}

/* rename SRC DST: scored as the removals it makes (docs/decode.md);
 * whether DST exists (is replaced) is read from disk, as the decoder
 * reads it. */
static int build_rename(struct pol_action *a, const char *src, const char *dst, const char *cwd)
{
	a->path = canonical(cwd, src);
	a->dest_path = canonical(cwd, dst);
	if (!a->path || !a->dest_path || pol_action_set(&a->function_name, "rename") ||
	    pol_strv_push(&a->args, a->path, strlen(a->path)) < 0 ||
	    pol_strv_push(&a->args, a->dest_path, strlen(a->dest_path)) < 0)
		return -ENOMEM;
	file_info(a->path, &a->file);
	file_info(a->dest_path, &a->dest_file);
	a->rename_replaces = a->dest_file.known;
	return 0;
}

/* HOST:PORT, [V6]:PORT or unix:PATH into the action. Names are resolved
 * here like the gate's own resolution: the first address is the peer and
 * the name counts as verified. */
static int parse_endpoint(struct pol_action *a, const char *text)
{
	char host[256], port_text[16], buf[INET6_ADDRSTRLEN + 8];
	const char *colon;
	unsigned long port;
	char *end;
	struct in6_addr a6;
	struct in_addr a4;

	if (!strncmp(text, "unix:", 5)) {
		a->family = AF_UNIX;
		a->socktype = SOCK_STREAM;
		if (!text[5])
			return -EINVAL;
		return pol_action_set(&a->address, text + 5) ?: pol_strv_push(&a->args, text + 5, strlen(text + 5));
	}
	if (text[0] == '[') {
		const char *close = strchr(text, ']');

		if (!close || close[1] != ':' || (size_t)(close - text - 1) >= sizeof(host))
			return -EINVAL;
		snprintf(host, sizeof(host), "%.*s", (int)(close - text - 1), text + 1);
		colon = close + 1;
	} else {
		colon = strrchr(text, ':');
		if (!colon || (size_t)(colon - text) >= sizeof(host) || colon == text)
			return -EINVAL;
		snprintf(host, sizeof(host), "%.*s", (int)(colon - text), text);
	}
	snprintf(port_text, sizeof(port_text), "%s", colon + 1);
	port = strtoul(port_text, &end, 10);
	if (!port_text[0] || *end || port > 65535)
		return -EINVAL;
	a->port = (uint16_t)port;
	a->socktype = a->action_class == POL_ACTION_SENDTO ? SOCK_DGRAM : SOCK_STREAM;
	if (inet_pton(AF_INET, host, &a4) == 1) {
		a->family = AF_INET;
		if (pol_action_set(&a->address, host))
			return -ENOMEM;
	} else if (inet_pton(AF_INET6, host, &a6) == 1) {
		a->family = AF_INET6;
		/* the gate prints the address from its bytes: canonical form */
		if (!inet_ntop(AF_INET6, &a6, buf, sizeof(buf)) || pol_action_set(&a->address, buf))
			return -ENOMEM;
	} else {
		struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;

		if (getaddrinfo(host, NULL, &hints, &res) != 0 || !res)
			return -EHOSTUNREACH;
		a->family = res->ai_family;
		if (res->ai_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)res->ai_addr)->sin_addr, buf, sizeof(buf));
		else
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)res->ai_addr)->sin6_addr, buf, sizeof(buf));
		freeaddrinfo(res);
		if (pol_action_set(&a->address, buf) || pol_action_set(&a->host, host))
			return -ENOMEM;
		a->host_verified = true;
	}
	if (a->family == AF_INET6)
		snprintf(buf, sizeof(buf), "[%s]:%lu", a->address, port);
	else
		snprintf(buf, sizeof(buf), "%s:%lu", a->address, port);
	return pol_strv_push(&a->args, buf, strlen(buf));
}

int score_build_action(int argc, char **argv, const char *cwd, const struct pol_config *config,
		       struct pol_action **ret)
{
	enum pol_action_class cls;
	struct pol_action *a;
	int r = -ENOMEM;

	if (pol_action_class_parse(argv[0], &cls) < 0 || cls == POL_ACTION_GENERIC ||
	    cls == POL_ACTION_SOCKET) {
		fprintf(stderr, "attesta: unknown action '%s' (exec, unlink, rmdir, rename, connect, sendto)\n", argv[0]);
		return -EDOM;
	}
	if (cls == POL_ACTION_RENAME && argc != 3) {
		fprintf(stderr, "attesta: 'rename' takes SOURCE DESTINATION\n");
		return -EDOM;
	}
	if (argc < 2 || (cls != POL_ACTION_EXEC && cls != POL_ACTION_RENAME && argc != 2)) {
		fprintf(stderr, "attesta: '%s' takes %s\n", argv[0],
			cls == POL_ACTION_EXEC ? "PROG [ARG...]" : cls >= POL_ACTION_CONNECT ? "one HOST:PORT" : "one PATH");
		return -EDOM;
	}
	a = pol_action_new(cls);
	if (!a)
		return -ENOMEM;
	if (pol_action_set(&a->cwd, cwd))
		goto out;
	a->intercepted_at = (double)time(NULL);
	if (cls == POL_ACTION_EXEC) {
		r = build_exec(a, argc, argv, cwd, config);
	} else if (cls == POL_ACTION_RENAME) {
		r = build_rename(a, argv[1], argv[2], cwd);
	} else if (cls == POL_ACTION_UNLINK || cls == POL_ACTION_RMDIR) {
		r = build_remove(a, argv[0], argv[1], cwd);
	} else {
		r = -ENOMEM;
		if (pol_action_set(&a->function_name, argv[0]))
			goto out;
		r = parse_endpoint(a, argv[1]);
		if (r < 0) {
			fprintf(stderr, "attesta: %s '%s': %s\n", r == -EHOSTUNREACH ? "cannot resolve" : "invalid address",
				argv[1], r == -EHOSTUNREACH ? "no address" : "expected HOST:PORT, [V6]:PORT or unix:PATH");
			r = -EINVAL;
		}
	}
	if (r < 0)
		goto out;
	*ret = a;
	a = NULL;
out:
	pol_action_free(a);
	return r;
}
