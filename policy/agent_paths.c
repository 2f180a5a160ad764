/*
 * Where a path argument points (agent.h): lexical normalization against
 * the caller's cwd, home and workspace, then classification by tables of
 * prefixes and names. The text comes from the sandboxed program, so it is
 * bounded to POL_TARGET_MAX_PATH and never used to touch the file system;
 * a word whose value we cannot know ($VAR, $(cmd), `cmd`) is Z_OTHER, not
 * the workspace, so hiding a target behind an expansion never lowers risk.
 */
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "pol_limits.h"

static const double sev_contribution[SEV_COUNT] = {
	[SEV_NONE] = 0.0, [SEV_SAFE] = 0.0, [SEV_NOTE] = 0.15, [SEV_MEDIUM] = 0.30,
	[SEV_HIGH] = 0.70, [SEV_SEVERE] = 0.85, [SEV_CRITICAL] = 0.95,
};

static const char *const sev_names[SEV_COUNT] = {
	"none", "safe", "note", "medium", "high", "severe", "critical",
};

static const char *const zone_names[Z_COUNT] = {
	[Z_PSEUDO] = "pseudo device", [Z_TEMP] = "temporary", [Z_WORKSPACE] = "workspace",
	[Z_WS_ROOT] = "whole workspace", [Z_OTHER] = "other", [Z_HOME] = "home",
	[Z_SECRET] = "secret file", [Z_SYSTEM] = "system", [Z_HOME_ROOT] = "whole home",
	[Z_CREDENTIAL] = "credentials", [Z_SYS_CRITICAL] = "critical system file",
	[Z_DEVICE] = "block device", [Z_ROOT] = "root file system",
};

double agent_sev_contribution(enum agent_sev sev)
{
	return (unsigned)sev < SEV_COUNT ? sev_contribution[sev] : 0.0;
}

const char *agent_sev_name(enum agent_sev sev)
{
	return (unsigned)sev < SEV_COUNT ? sev_names[sev] : "?";
}

const char *agent_zone_name(enum agent_zone zone)
{
	return (unsigned)zone < Z_COUNT ? zone_names[zone] : "?";
}

#define N SEV_NONE
#define S SEV_SAFE
#define M SEV_MEDIUM
#define H SEV_HIGH
#define V SEV_SEVERE
#define C SEV_CRITICAL

/* Severity of doing effect to a path in zone. Columns follow enum
 * agent_zone: PSEUDO TEMP WS WS_ROOT OTHER HOME SECRET SYSTEM HOME_ROOT
 * CREDENTIAL SYS_CRITICAL DEVICE ROOT. */
static const unsigned char effect_table[E_COUNT][Z_COUNT] = {
	[E_NONE]     = { N, N, N, N, N, N, N, N, N, N, N, N, N },
	[E_READ]     = { N, N, N, N, N, N, M, N, N, H, N, N, N },
	[E_DELETE]   = { H, S, S, H, M, M, H, V, C, C, C, V, C },
	[E_RDELETE]  = { H, M, H, V, H, V, H, C, C, C, C, C, C },
	[E_WRITE]    = { N, N, N, N, N, N, M, V, N, V, C, C, V },
	[E_DEVWRITE] = { N, N, N, N, N, N, N, V, N, V, C, C, C },
	[E_PERM]     = { N, N, N, N, N, M, M, C, V, V, C, V, C },
};

#undef N
#undef S
#undef M
#undef H
#undef V
#undef C

enum agent_sev agent_effect_sev(enum agent_effect effect, enum agent_zone zone)
{
	if ((unsigned)effect >= E_COUNT || (unsigned)zone >= Z_COUNT)
		return SEV_NONE;
	return (enum agent_sev)effect_table[effect][zone];
}

/* Absolute paths (and what is below them) by zone; first match wins. */
struct zone_prefix {
	const char *path;
	enum agent_zone zone;
	bool tree;            /* also everything below */
};

static const struct zone_prefix system_paths[] = {
	{ "/etc/shadow", Z_CREDENTIAL, true }, { "/etc/gshadow", Z_CREDENTIAL, true },
	{ "/etc/ssh", Z_CREDENTIAL, true }, { "/root/.ssh", Z_CREDENTIAL, true },
	{ "/etc/passwd", Z_SYS_CRITICAL, true }, { "/etc/group", Z_SYS_CRITICAL, true },
	{ "/etc/sudoers", Z_SYS_CRITICAL, true }, { "/etc/sudoers.d", Z_SYS_CRITICAL, true },
	{ "/etc/fstab", Z_SYS_CRITICAL, true }, { "/etc/pam.d", Z_SYS_CRITICAL, true },
	{ "/etc/ld.so.preload", Z_SYS_CRITICAL, true }, { "/boot", Z_SYS_CRITICAL, true },
	{ "/etc", Z_SYS_CRITICAL, false }, { "/usr", Z_SYS_CRITICAL, false },
	{ "/dev/null", Z_PSEUDO, false }, { "/dev/zero", Z_PSEUDO, false },
	{ "/dev/full", Z_PSEUDO, false }, { "/dev/random", Z_PSEUDO, false },
	{ "/dev/urandom", Z_PSEUDO, false }, { "/dev/tty", Z_PSEUDO, false },
	{ "/dev/stdin", Z_PSEUDO, false }, { "/dev/stdout", Z_PSEUDO, false },
	{ "/dev/stderr", Z_PSEUDO, false }, { "/dev/fd", Z_PSEUDO, true },
	{ "/dev/pts", Z_PSEUDO, true }, { "/dev/shm", Z_SYSTEM, false },
	{ "/dev/shm", Z_TEMP, true }, { "/tmp", Z_SYSTEM, false }, { "/tmp", Z_TEMP, true },
	{ "/var/tmp", Z_SYSTEM, false }, { "/var/tmp", Z_TEMP, true },
	{ "/etc", Z_SYSTEM, true }, { "/usr", Z_SYSTEM, true }, { "/bin", Z_SYSTEM, true },
	{ "/sbin", Z_SYSTEM, true }, { "/lib", Z_SYSTEM, true }, { "/lib32", Z_SYSTEM, true },
	{ "/lib64", Z_SYSTEM, true }, { "/libx32", Z_SYSTEM, true }, { "/opt", Z_SYSTEM, true },
	{ "/var", Z_SYSTEM, true }, { "/srv", Z_SYSTEM, true }, { "/root", Z_SYSTEM, true },
	{ "/proc", Z_SYSTEM, true }, { "/sys", Z_SYSTEM, true }, { "/run", Z_SYSTEM, true },
	{ "/snap", Z_SYSTEM, true }, { "/mnt", Z_SYSTEM, true }, { "/media", Z_SYSTEM, true },
	{ "/home", Z_SYSTEM, false },
};

/* Block devices by glob. */
static const char *const device_globs[] = {
	"/dev/sd*", "/dev/hd*", "/dev/vd*", "/dev/xvd*", "/dev/nvme*", "/dev/mmcblk*",
	"/dev/disk/*", "/dev/mapper/*", "/dev/dm-*", "/dev/md*", "/dev/loop*", "/dev/sr*",
	"/dev/mem", "/dev/kmem", "/dev/port",
};

/* Below $HOME: credential stores. */
static const char *const home_credentials[] = {
	".ssh", ".aws", ".gnupg", ".kube", ".docker/config.json", ".config/gcloud", ".azure",
	".netrc", ".git-credentials", ".pgpass", ".npmrc", ".pypirc", ".vault-token",
	".config/gh/hosts.yml", ".password-store", ".local/share/keyrings",
};

/* Anywhere: file names that hold secrets. */
static const char *const secret_names[] = {
	".env", ".env.*", "*.pem", "*.key", "*.p12", "*.pfx", "id_rsa*", "id_ed25519*",
	"id_ecdsa*", "id_dsa*", "credentials.json", "secrets.*", "*.kdbx",
};

static bool under(const char *path, const char *dir, bool tree)
{
	size_t n = strlen(dir);

	if (strncmp(path, dir, n))
		return false;
	if (path[n] == '\0')
		return true;
	if (!tree)
		return false;
	return path[n] == '/' || (n == 1 && dir[0] == '/');
}

/* Collapse //, /./ and /../ in an absolute path, in place. */
static void normalize(char *path)
{
	char *out = path, *p = path;

	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		char *seg = p;
		size_t len;

		while (*p && *p != '/')
			p++;
		len = (size_t)(p - seg);
		if (len == 1 && seg[0] == '.')
			continue;
		if (len == 2 && seg[0] == '.' && seg[1] == '.') {
			while (out > path && *--out != '/')
				;
			continue;
		}
		*out++ = '/';
		memmove(out, seg, len);
		out += len;
	}
	if (out == path)
		*out++ = '/';
	*out = '\0';
}

/* Expand ~, ~/, $HOME, ${HOME}, $PWD, ${PWD} at the start of word.
 * Returns false if any other expansion remains (value unknowable). */
static bool expand(const struct agent_env *env, const char *word, char *out, size_t size)
{
	static const struct { const char *name; int which; } vars[] = {
		{ "${HOME}", 0 }, { "$HOME", 0 }, { "${PWD}", 1 }, { "$PWD", 1 }, { "~", 0 },
	};
	const char *rest = word, *base = NULL;
	int n;

	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		size_t l = strlen(vars[i].name);

		if (strncmp(word, vars[i].name, l) || (word[l] && word[l] != '/'))
			continue;
		base = vars[i].which ? env->cwd : env->home;
		if (!base)
			return false;
		rest = word + l;
		break;
	}
	if (strchr(rest, '$') || strchr(rest, '`'))
		return false;
	if (base)
		n = snprintf(out, size, "%s/%s", base, rest);
	else if (rest[0] == '/')
		n = snprintf(out, size, "%s", rest);
	else
		n = snprintf(out, size, "%s/%s", env->cwd ? env->cwd : "/", rest);
	return n > 0 && (size_t)n < size;
}

static enum agent_zone classify(const struct agent_env *env, const char *path)
{
	const char *ws = env->workspace ? env->workspace : env->cwd;
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	if (!strcmp(path, "/"))
		return Z_ROOT;
	if (env->home && strcmp(env->home, "/")) {
		if (!strcmp(path, env->home))
			return Z_HOME_ROOT;
		size_t h = strlen(env->home);

		/* under(path, "$HOME/<credential>", true), the name not built:
		 * this runs for every path of every decision */
		if (!strncmp(path, env->home, h) && path[h] == '/')
			for (size_t i = 0; i < sizeof(home_credentials) / sizeof(home_credentials[0]); i++)
				if (under(path + h + 1, home_credentials[i], true))
					return Z_CREDENTIAL;
	}
	for (size_t i = 0; i < sizeof(device_globs) / sizeof(device_globs[0]); i++)
		if (!fnmatch(device_globs[i], path, FNM_PATHNAME))
			return Z_DEVICE;
	for (size_t i = 0; i < sizeof(secret_names) / sizeof(secret_names[0]); i++)
		if (!fnmatch(secret_names[i], base, FNM_PERIOD))
			return Z_SECRET;
	if (ws && strcmp(ws, "/")) {
		if (!strcmp(path, ws))
			return Z_WS_ROOT;
		if (under(path, ws, true))
			return Z_WORKSPACE;
	}
	if (env->home && strcmp(env->home, "/") && under(path, env->home, true))
		return Z_HOME;
	for (size_t i = 0; i < sizeof(system_paths) / sizeof(system_paths[0]); i++)
		if (under(path, system_paths[i].path, system_paths[i].tree))
			return system_paths[i].zone;
	if (!strncmp(path, "/dev/", 5))
		return Z_SYSTEM;
	if (!strncmp(path, "/home/", 6))
		return strchr(path + 6, '/') ? Z_HOME : Z_HOME_ROOT;
	return Z_OTHER;
}

enum agent_zone agent_path_zone(const struct agent_env *env, const char *word,
				char *norm, size_t norm_size)
{
	char path[POL_TARGET_MAX_PATH + 64];
	enum agent_zone zone;
	char *slash;

	if (norm && norm_size)
		snprintf(norm, norm_size, "%s", word);
	if (strnlen(word, POL_TARGET_MAX_PATH + 1) > POL_TARGET_MAX_PATH)
		return Z_OTHER;
	if (!expand(env, word, path, sizeof(path)))
		return Z_OTHER;
	normalize(path);
	if (norm && norm_size)
		snprintf(norm, norm_size, "%s", path);
	/* A glob in the last component means "everything in the parent". */
	slash = strrchr(path, '/');
	if (slash && strpbrk(slash + 1, "*?[")) {
		enum agent_zone parent;

		if (slash == path)
			return Z_ROOT;
		*slash = '\0';
		parent = classify(env, path);
		if (parent == Z_WORKSPACE || parent == Z_TEMP)
			return parent;
		return parent;
	}
	if (strpbrk(path, "*?["))
		return Z_OTHER;
	zone = classify(env, path);
	return zone;
}

void agent_add(struct agent_result *res, const char *rule, enum agent_sev sev,
	       const char *fmt, ...)
{
	struct agent_finding *f;
	va_list ap;

	if (sev == SEV_NONE)
		return;
	if (res->n < AGENT_MAX_FINDINGS) {
		f = &res->items[res->n++];
	} else {
		/* Keep the strongest: replace the weakest if weaker. */
		f = &res->items[0];
		for (size_t i = 1; i < res->n; i++)
			if (res->items[i].sev < f->sev)
				f = &res->items[i];
		if (f->sev >= sev)
			return;
	}
	snprintf(f->rule, sizeof(f->rule), "%s", rule);
	f->sev = sev;
	va_start(ap, fmt);
	vsnprintf(f->evidence, sizeof(f->evidence), fmt, ap);
	va_end(ap);
}

enum agent_sev agent_max_sev(const struct agent_result *res)
{
	enum agent_sev max = SEV_NONE;

	for (size_t i = 0; i < res->n; i++)
		if (res->items[i].sev > max)
			max = res->items[i].sev;
	return max;
}
