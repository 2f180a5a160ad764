/*
 * Approval scopes, the pure part (see scope.h). Lexical only: a symlink
 * under an approved directory is judged by the path the agent used, and
 * the removal itself is still scored and, if riskier than what was
 * approved, asked again (supervisor/run/scope.c).
 */
#include "supervisor/common/scope.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int sup_scope_normalize(const char *path, const char *cwd, char *buf, size_t size)
{
	size_t o = 0;
	const char *parts[2];
	size_t n_parts = 0;

	if (!path || size < 2)
		return -EINVAL;
	if (path[0] != '/') {
		if (!cwd || cwd[0] != '/')
			return -EINVAL;
		parts[n_parts++] = cwd;
	}
	parts[n_parts++] = path;
	buf[o++] = '/';
	for (size_t k = 0; k < n_parts; k++) {
		const char *p = parts[k];
		while (*p) {
			while (*p == '/')
				p++;
			if (!*p)
				break;
			const char *end = strchr(p, '/');
			size_t len = end ? (size_t)(end - p) : strlen(p);
			if (len == 1 && p[0] == '.') {
				/* nothing */
			} else if (len == 2 && p[0] == '.' && p[1] == '.') {
				while (o > 1 && buf[o - 1] != '/')
					o--;
				if (o > 1)
					o--; /* the slash before the dropped name */
			} else {
				if (o > 1) {
					if (o + 1 >= size)
						return -ENAMETOOLONG;
					buf[o++] = '/';
				}
				if (o + len >= size)
					return -ENAMETOOLONG;
				memcpy(buf + o, p, len);
				o += len;
			}
			p += len;
		}
	}
	buf[o] = '\0';
	return 0;
}

bool sup_scope_path_under(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);
	if (!strcmp(prefix, "/"))
		return path[0] == '/';
	return !strncmp(path, prefix, n) && (path[n] == '\0' || path[n] == '/');
}

int sup_scope_argv_paths(const struct pol_strv *args, const char *cwd, struct pol_strv *ret_paths)
{
	bool options = true;
	char buf[4096 + 1];
	for (size_t i = 0; i < args->count; i++) {
		const char *a = args->items[i];
		if (options && !strcmp(a, "--")) {
			options = false;
			continue;
		}
		if (!*a || (options && a[0] == '-'))
			continue;
		if (sup_scope_normalize(a, cwd, buf, sizeof buf) < 0)
			continue;
		if (pol_strv_push(ret_paths, buf, strlen(buf)) < 0)
			return -ENOMEM;
	}
	return 0;
}

char *sup_scope_action_key(const struct pol_action *act)
{
	size_t len = 64;
	const char *cls = pol_action_class_name(act->action_class);
	const char *head[3] = { cls, act->action_class == POL_ACTION_EXEC ? act->path : NULL,
				act->action_class == POL_ACTION_EXEC ? act->cwd : NULL };
	for (size_t i = 0; i < 3; i++)
		len += (head[i] ? strlen(head[i]) : 0) + 1;
	for (size_t i = 0; i < act->args.count; i++)
		len += strlen(act->args.items[i]) + 1;
	char *key = malloc(len), *p = key;
	if (!key)
		return NULL;
	for (size_t i = 0; i < 3; i++) {
		size_t l = head[i] ? strlen(head[i]) : 0;
		memcpy(p, head[i] ? head[i] : "", l);
		p += l;
		*p++ = '\x1f';
	}
	for (size_t i = 0; i < act->args.count; i++) {
		size_t l = strlen(act->args.items[i]);
		memcpy(p, act->args.items[i], l);
		p += l;
		*p++ = '\x1f';
	}
	*p = '\0';
	return key;
}
