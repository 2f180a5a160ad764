/*
 * glibc rtld's option loop (elf/rtld.c, dl_main) as a pure parser (see
 * ldso_args.h). Options are exact words; those taking a value take the
 * next word; the first word not starting with "--" is the program; "--"
 * ends the options. rtld treats an option missing its value, and any
 * other "--" word, as a usage error: here both are -EINVAL.
 */
#include "supervisor/common/ldso_args.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const with_value[] = {
	"--library-path", "--inhibit-rpath", "--audit", "--preload", "--argv0",
	"--glibc-hwcaps-prepend", "--glibc-hwcaps-mask", NULL,
};
static const char *const flags[] = {
	"--list", "--verify", "--inhibit-cache", "--list-tunables", "--list-diagnostics",
	"--help", "--version", NULL,
};

static bool in(const char *const *list, const char *w)
{
	for (; *list; list++)
		if (!strcmp(*list, w))
			return true;
	return false;
}

int sup_ldso_parse(char *const *argv, size_t argc, struct sup_ldso_args *ret, char *why,
		   size_t why_size)
{
	memset(ret, 0, sizeof *ret);
	for (size_t i = 1; i < argc; i++) {
		const char *w = argv[i];
		if (strcmp(w, "--") == 0) {
			if (i + 1 < argc)
				ret->prog = i + 1;
			return 0;
		}
		if (in(flags, w)) {
			if (strcmp(w, "--list") && strcmp(w, "--verify") && strcmp(w, "--inhibit-cache"))
				ret->exits = true;
			continue;
		}
		if (in(with_value, w)) {
			if (i + 1 >= argc) {
				snprintf(why, why_size, "loader option '%s' without its value", w);
				return -EINVAL;
			}
			const char *v = argv[++i];
			if (!strcmp(w, "--argv0"))
				ret->argv0 = v;
			else if (!strcmp(w, "--library-path"))
				ret->library_path = true;
			else if (!strcmp(w, "--preload") || !strcmp(w, "--audit")) {
				bool pre = !strcmp(w, "--preload");
				size_t *n = pre ? &ret->n_preload : &ret->n_audit;
				if (*n == 8) {
					snprintf(why, why_size, "more than 8 '%s' options", w);
					return -EINVAL;
				}
				(pre ? ret->preload : ret->audit)[(*n)++] = v;
			}
			continue;
		}
		if (w[0] == '-' && w[1] == '-') {
			snprintf(why, why_size, "unknown loader option '%.100s'", w);
			return -EINVAL;
		}
		ret->prog = i;
		return 0;
	}
	return 0;
}
