/*
 * Approval prompt text (see approval_text.h). Pure formatting over a
 * cJSON item; every string that may come from the agent goes through
 * sup_term_safe() so it cannot act on the approver's terminal.
 */
#include "supervisor/common/approval_text.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/common/termsafe.h"

/* A shown string: long argv entries are cut, not the prompt. */
#define SHOWN_MAX 1024

static const char *str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double num(const cJSON *o, const char *key, double dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

static void put_safe(FILE *f, const char *s)
{
	char buf[SHOWN_MAX];
	fputs(sup_term_safe(s ? s : "", buf, sizeof buf), f);
}

static void put_list(FILE *f, const cJSON *arr, const char *sep, bool quote)
{
	const cJSON *el;
	bool first = true;
	cJSON_ArrayForEach(el, arr) {
		if (!cJSON_IsString(el))
			continue;
		if (!first)
			fputs(sep, f);
		first = false;
		bool q = quote && (!*el->valuestring || strpbrk(el->valuestring, " \t'\"\\$`"));
		if (q)
			fputc('\'', f);
		put_safe(f, el->valuestring);
		if (q)
			fputc('\'', f);
	}
}

/* open_memstream() sets the buffer pointer at fclose, so take its address. */
static char *finish(FILE *f, char **buf)
{
	if (fclose(f) != 0) {
		free(*buf);
		return NULL;
	}
	return *buf;
}

/* SECURITY: the reply may come from a forged socket; a level is printed
 * only if it is one of the four names, never as the bytes received. */
static const char *known_level(const cJSON *item)
{
	static const char *const names[] = { "low", "medium", "high", "critical" };
	const char *level = str(item, "level");
	for (size_t i = 0; level && i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(level, names[i]))
			return names[i];
	return "?";
}

/* "1.5 MB" (decimal units: a size, not an allocation). */
static void put_bytes(FILE *f, double bytes)
{
	static const char *const units[] = { "bytes", "kB", "MB", "GB", "TB", "PB" };
	size_t u = 0;
	while (bytes >= 1000 && u + 1 < sizeof units / sizeof units[0]) {
		bytes /= 1000;
		u++;
	}
	if (u == 0)
		fprintf(f, "%.0f bytes", bytes);
	else
		fprintf(f, "%.1f %s", bytes, units[u]);
}

/* The measured scale of a removal (docs/challenges.md "Scale of a
 * removal"): "removes: 1200 files, 31 directories, 4.1 MB", prefixed
 * "at least" when the walk was cut short. */
static void put_scale(FILE *f, const cJSON *scale)
{
	if (!cJSON_IsObject(scale))
		return;
	bool complete = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(scale, "complete"));
	double files = num(scale, "files", 0), dirs = num(scale, "dirs", 0);
	fprintf(f, "  removes:     %s%.0f file%s, %.0f director%s, ", complete ? "" : "at least ",
		files, files == 1 ? "" : "s", dirs, dirs == 1 ? "y" : "ies");
	put_bytes(f, num(scale, "bytes", 0));
	if (complete)
		fprintf(f, " (measured in %.0f ms)\n", num(scale, "elapsed_ms", 0));
	else
		fprintf(f, " (measuring stopped after %.0f ms: there may be more)\n",
			num(scale, "elapsed_ms", 0));
}

char *sup_approval_text_describe(const cJSON *item)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	const char *cls = str(item, "class");
	char level[16];
	snprintf(level, sizeof level, "%s", known_level(item));
	for (char *p = level; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');

	fprintf(f, "held call #%.0f: ", num(item, "id", 0));
	put_safe(f, str(item, "action"));
	fputc('\n', f);
	if (cls && !strcmp(cls, "exec")) {
		fputs("  program:     ", f);
		put_safe(f, str(item, "path"));
		fputs("\n  argv:        ", f);
		put_list(f, cJSON_GetObjectItemCaseSensitive(item, "argv"), " ", true);
		fputc('\n', f);
	} else if (cls && (!strcmp(cls, "unlink") || !strcmp(cls, "rmdir"))) {
		fprintf(f, "  %s:%s", cls, !strcmp(cls, "rmdir") ? "       " : "      ");
		put_safe(f, str(item, "path"));
		if (str(item, "file_type")) {
			fputs(" (", f);
			put_safe(f, str(item, "file_type"));
			fputc(')', f);
		}
		fputc('\n', f);
	} else if (cls) {
		fputs("  address:     ", f);
		put_safe(f, str(item, "address"));
		if (str(item, "host")) {
			fputs(" (", f);
			put_safe(f, str(item, "host"));
			const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, "host_verified");
			fputs(cJSON_IsTrue(v) ? ", verified)" : ", NOT verified: claimed by the agent)", f);
		}
		fputc('\n', f);
	}
	put_scale(f, cJSON_GetObjectItemCaseSensitive(item, "scale"));
	fputs("  cwd:         ", f);
	put_safe(f, str(item, "cwd"));
	fputs("\n  chain:       ", f);
	put_list(f, cJSON_GetObjectItemCaseSensitive(item, "chain"), " <- ", false);
	fprintf(f, " (pid %.0f)\n", num(item, "pid", 0));
	fprintf(f, "  risk:        %.2f %s\n", num(item, "score", 0), level);
	const cJSON *factors = cJSON_GetObjectItemCaseSensitive(item, "factors"), *fa;
	cJSON_ArrayForEach(fa, factors) {
		fprintf(f, "     %+.2f  ", num(fa, "contribution", 0));
		put_safe(f, str(fa, "name"));
		if (str(fa, "description")) {
			fputs(": ", f);
			put_safe(f, str(fa, "description"));
		}
		fputc('\n', f);
	}
	if (str(item, "reason")) {
		fputs("  why:         ", f);
		put_safe(f, str(item, "reason"));
		fputc('\n', f);
	}
	fputs("  agent:       ", f);
	put_safe(f, str(item, "agent_id"));
	fputs(" (", f);
	put_safe(f, str(item, "environment"));
	fputs(")\n", f);
	fputs("  challenge:   ", f);
	put_safe(f, str(item, "challenge"));
	double req = num(item, "approvers_required", 1);
	if (req > 1)
	{
		fprintf(f, " (%.0f distinct approvers, %.0f passed; yours: ", req,
			num(item, "approvers_passed", 0));
		put_safe(f, str(item, "part_challenge") ? str(item, "part_challenge") : "none");
		fputc(')', f);
	}
	fprintf(f, ", minimum review %.0f s\n", num(item, "minimum_review_seconds", 0));
	fprintf(f, "  time left:   %.0f s\n", num(item, "seconds_left", 0));
	return finish(f, &buf);
}

char *sup_approval_text_question(const cJSON *q, size_t number)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	fprintf(f, "Q%zu. ", number);
	put_safe(f, str(q, "text"));
	fputc('\n', f);
	const cJSON *opts = cJSON_GetObjectItemCaseSensitive(q, "options"), *o;
	unsigned option = 0;
	cJSON_ArrayForEach(o, opts) {
		if (!cJSON_IsString(o))
			continue;
		if (option < 26)
			fprintf(f, "    %c) ", 'A' + option);
		else
			fprintf(f, "    %u) ", option + 1);
		option++;
		put_safe(f, o->valuestring);
		fputc('\n', f);
	}
	return finish(f, &buf);
}

char *sup_approval_text_line(const cJSON *item)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	fprintf(f, "#%-4.0f %-8s ", num(item, "id", 0), known_level(item));
	put_safe(f, str(item, "challenge"));
	fprintf(f, "  %4.0fs  ", num(item, "seconds_left", 0));
	put_safe(f, str(item, "action"));
	fputc('\n', f);
	return finish(f, &buf);
}
