/*
 * The reading subcommands of `attesta audit`: export (jsonl, json, csv),
 * stats, get, inspect and rubber-stamps, with the shared filters. Entries
 * come from pol_audit_read(), so lines that are not JSON objects are
 * skipped here (verify reports them). Strings are printed as the bytes
 * they stand for (surrogate escapes turned back into the original bytes)
 * except in JSON output, which repeats the stored line.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "canonjson.h"
#include "cmd_audit.h"
#include "commands.h"

/* A string member as bytes in a static scratch buffer ("" if absent). */
static const char *member_bytes(const struct pol_json *entry, const char *key,
				struct pol_jbuf *buf)
{
	const struct pol_json *v = pol_json_get(entry, key);

	buf->len = 0;
	if (!v || v->kind != POL_JSON_STRING || pol_json_string_to_bytes(v, buf) < 0)
		return "";
	return buf->data;
}

/* The same for a terminal table. SECURITY: the log may be hostile; its
 * control characters (escape sequences) are not sent to the terminal. */
static const char *shown(const struct pol_json *entry, const char *key, struct pol_jbuf *buf)
{
	const char *s = member_bytes(entry, key, buf);

	for (size_t i = 0; *s && i < buf->len; i++)
		if ((unsigned char)buf->data[i] < 0x20 || buf->data[i] == 0x7F)
			buf->data[i] = '?';
	return s;
}

/* What ran, for the inspect table: the argv joined by spaces (an exec
 * named only by its basename hides `rm -rf /`), else the action name;
 * control characters replaced as in shown(). */
static const char *shown_command(const struct pol_json *entry, struct pol_jbuf *buf)
{
	const struct pol_json *argv = pol_json_get(entry, "argv");
	struct pol_jbuf word = { 0 };
	bool ok = true;

	if (!argv || argv->kind != POL_JSON_ARRAY || !argv->first)
		return shown(entry, "action_name", buf);
	buf->len = 0;
	for (const struct pol_json *w = argv->first; ok && w; w = w->next) {
		if (w->kind != POL_JSON_STRING || pol_json_string_to_bytes(w, &word) < 0)
			continue;
		ok = (w == argv->first || pol_jbuf_append(buf, " ", 1) == 0) &&
		     pol_jbuf_append(buf, word.data, word.len) == 0;
	}
	pol_jbuf_release(&word);
	if (!ok)
		return "?";
	if (!buf->len)
		return shown(entry, "action_name", buf);
	for (size_t i = 0; i < buf->len; i++)
		if ((unsigned char)buf->data[i] < 0x20 || buf->data[i] == 0x7F)
			buf->data[i] = '?';
	return buf->data;
}

static int level_rank(const char *name)
{
	static const char *const levels[] = { "low", "medium", "high", "critical" };

	for (int i = 0; i < 4; i++)
		if (!strcasecmp(name, levels[i]))
			return i;
	return -1;
}

static bool matches(const struct audit_cli *cli, const struct pol_json *e)
{
	struct pol_jbuf b = { 0 };
	bool ok = true;

	if (ok && cli->action)
		ok = !strcmp(member_bytes(e, "action_name", &b), cli->action) ||
		     !strcmp(member_bytes(e, "action_class", &b), cli->action);
	if (ok && cli->verdict)
		ok = !strcmp(member_bytes(e, "verdict", &b), cli->verdict);
	if (ok && cli->agent)
		ok = !strcmp(member_bytes(e, "agent_id", &b), cli->agent);
	if (ok && (cli->since || cli->until)) {
		/* ISO-8601 timestamps of one writer compare as strings; an entry
		 * without one is left out of a date-filtered listing, as the
		 * reference's query() does */
		const char *at = member_bytes(e, "intercepted_at", &b);

		ok = *at && (!cli->since || strcmp(at, cli->since) >= 0) &&
		     (!cli->until || strcmp(at, cli->until) <= 0);
	}
	if (ok && cli->reason_prefix)
		ok = !strncmp(member_bytes(e, "reason", &b), cli->reason_prefix,
			      strlen(cli->reason_prefix));
	pol_jbuf_release(&b);
	return ok;
}

static int report_read_error(const struct audit_cli *cli, int r)
{
	if (r >= 0)
		return CLI_EXIT_OK;
	fprintf(stderr, "attesta: cannot read audit log '%s': %s\n", audit_cli_name(cli),
		strerror(-r));
	return 2;
}

/* --- export ---------------------------------------------------------------- */

static const char *const csv_columns[] = {
	"entry_id", "intercepted_at", "action_name", "risk_score", "risk_level",
	"challenge_type", "verdict", "agent_id", "review_duration_seconds", "chain_hash", NULL
};

static void csv_field(const char *s, size_t n)
{
	bool quote = false;

	for (size_t i = 0; i < n; i++)
		if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r')
			quote = true;
	if (!quote) {
		fwrite(s, 1, n, stdout);
		return;
	}
	putchar('"');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			putchar('"');
		putchar(s[i]);
	}
	putchar('"');
}

/* One CSV cell as Python's str() would print the value. */
static void csv_value(const struct pol_json *v)
{
	struct pol_jbuf b = { 0 };
	char num[40];
	size_t n;

	if (!v || v->kind == POL_JSON_NULL)
		return;
	switch (v->kind) {
	case POL_JSON_TRUE: fputs("True", stdout); break;
	case POL_JSON_FALSE: fputs("False", stdout); break;
	case POL_JSON_INT: fwrite(v->text, 1, v->len, stdout); break;
	case POL_JSON_FLOAT:
		n = pol_json_float_repr(v->number, v->text, v->text ? v->len : 0, num, sizeof(num));
		fwrite(num, 1, n, stdout);
		break;
	case POL_JSON_STRING:
		if (pol_json_string_to_bytes(v, &b) == 0)
			csv_field(b.data, b.len);
		break;
	default:
		if (pol_json_canon(v, NULL, &b) == 0)
			csv_field(b.data, b.len);
		break;
	}
	pol_jbuf_release(&b);
}

struct export_ctx {
	const struct audit_cli *cli;
	uint64_t n;
};

static int export_one(void *ctx, uint64_t line, const struct pol_json *e, const char *raw,
		      size_t len)
{
	struct export_ctx *x = ctx;

	(void)line;
	if (!matches(x->cli, e))
		return 0;
	if (!strcmp(x->cli->format, "csv")) {
		for (int i = 0; csv_columns[i]; i++) {
			if (i)
				putchar(',');
			csv_value(pol_json_get(e, csv_columns[i]));
		}
		fputs("\r\n", stdout);
	} else {
		if (!strcmp(x->cli->format, "json"))
			fputs(x->n ? ",\n" : "\n", stdout);
		fwrite(raw, 1, len, stdout);
		if (strcmp(x->cli->format, "json"))
			putchar('\n');
	}
	x->n++;
	return 0;
}

int audit_cli_export(struct audit_cli *cli)
{
	struct export_ctx x = { .cli = cli };
	int r;

	if (!strcmp(cli->format, "csv")) {
		for (int i = 0; csv_columns[i]; i++)
			printf("%s%s", i ? "," : "", csv_columns[i]);
		fputs("\r\n", stdout);
	} else if (!strcmp(cli->format, "json")) {
		putchar('[');
	}
	r = pol_audit_read(cli->log_path, export_one, &x);
	if (!strcmp(cli->format, "json"))
		fputs(x.n ? "\n]\n" : "]\n", stdout);
	return report_read_error(cli, r);
}

/* --- get / inspect / rubber-stamps --------------------------------------- */

struct list_ctx {
	const struct audit_cli *cli;
	uint64_t n;
	int mode; /* 0 get, 1 inspect, 2 rubber-stamps */
};

static bool is_rubber_stamp(const struct audit_cli *cli, const struct pol_json *e)
{
	struct pol_jbuf b = { 0 };
	double seconds = 0;
	int rank;
	bool yes;

	yes = !strcmp(member_bytes(e, "verdict", &b), "approved");
	rank = level_rank(member_bytes(e, "risk_level", &b));
	/* Only a human can rubber-stamp: attesta's automatic approvals
	 * (decision_source policy, session:/scope: grants, fail_mode) took no
	 * review time by design. An entry without decision_source (the
	 * reference's log) counts, as in the reference (docs/audit.md). */
	if (yes && pol_json_get(e, "decision_source"))
		yes = !strcmp(member_bytes(e, "decision_source", &b), "human");
	pol_jbuf_release(&b);
	if (!yes || rank < cli->min_risk)
		return false;
	/* the reference's default review time is 0.0 */
	pol_json_get_number(e, "review_duration_seconds", &seconds);
	return seconds <= cli->max_seconds;
}

static int list_one(void *ctx, uint64_t line, const struct pol_json *e, const char *raw,
		    size_t len)
{
	struct list_ctx *x = ctx;
	struct pol_jbuf a = { 0 }, b = { 0 }, c = { 0 }, d = { 0 }, f = { 0 };
	double seconds = 0;

	if (x->mode == 0) {
		const struct pol_json *id = pol_json_get(e, "entry_id");

		if (!id || id->kind != POL_JSON_STRING || id->len != strlen(x->cli->id) ||
		    memcmp(id->text, x->cli->id, id->len))
			return 0;
	} else if (!matches(x->cli, e) || (x->mode == 2 && !is_rubber_stamp(x->cli, e))) {
		return 0;
	}
	if (x->cli->json || x->mode == 0) {
		if (x->cli->json)
			fputs(x->n ? ",\n" : "\n", stdout);
		fwrite(raw, 1, len, stdout);
		if (!x->cli->json)
			putchar('\n');
	} else {
		pol_json_get_number(e, "review_duration_seconds", &seconds);
		printf("%-6llu %-32s %-9s %-8s %6.1fs %-20s %s\n", (unsigned long long)line,
		       shown(e, "entry_id", &a), shown(e, "verdict", &b), shown(e, "risk_level", &c),
		       seconds, x->mode == 1 ? shown_command(e, &d) : shown(e, "action_name", &d),
		       x->mode == 1 ? shown(e, "reason", &f) : shown(e, "agent_id", &f));
	}
	pol_jbuf_release(&a);
	pol_jbuf_release(&b);
	pol_jbuf_release(&c);
	pol_jbuf_release(&d);
	pol_jbuf_release(&f);
	x->n++;
	return 0;
}

static int run_list(struct audit_cli *cli, int mode)
{
	struct list_ctx x = { .cli = cli, .mode = mode };
	int r;

	if (cli->json)
		putchar('[');
	else if (mode != 0)
		printf("%-6s %-32s %-9s %-8s %7s %-20s %s\n", "line", "entry_id", "verdict", "risk",
		       "review", "action", mode == 1 ? "reason" : "agent");
	r = pol_audit_read(cli->log_path, list_one, &x);
	if (cli->json)
		fputs(x.n ? "\n]\n" : "]\n", stdout);
	if (r < 0)
		return report_read_error(cli, r);
	if (!cli->json && mode == 2)
		printf("%llu rubber stamp(s): approved at risk >= %s within %.1fs\n",
		       (unsigned long long)x.n,
		       (const char *[]){ "low", "medium", "high", "critical" }[cli->min_risk],
		       cli->max_seconds);
	if (mode == 0 && x.n == 0) {
		fprintf(stderr, "attesta: no entry '%s' in '%s'\n", cli->id, audit_cli_name(cli));
		return 1;
	}
	return CLI_EXIT_OK;
}

int audit_cli_get(struct audit_cli *cli)
{
	return run_list(cli, 0);
}

int audit_cli_inspect(struct audit_cli *cli)
{
	return run_list(cli, 1);
}

int audit_cli_rubber_stamps(struct audit_cli *cli)
{
	return run_list(cli, 2);
}

/* --- stats ----------------------------------------------------------------- */

#define STAT_SLOTS 64

struct counter {
	char name[48];
	uint64_t n;
};

struct stats_ctx {
	const struct audit_cli *cli;
	uint64_t total, stamps, approved;
	double review_sum;
	uint64_t reviewed;
	struct counter verdicts[STAT_SLOTS], levels[STAT_SLOTS], actions[STAT_SLOTS];
	char first[64], last[64];
};

static void count(struct counter *c, const char *name)
{
	int i;

	if (!*name)
		name = "(none)";
	/* the last slot collects everything past STAT_SLOTS - 1 names */
	for (i = 0; i < STAT_SLOTS - 1 && c[i].name[0]; i++)
		if (!strncmp(c[i].name, name, sizeof(c[i].name) - 1))
			break;
	if (!c[i].name[0])
		snprintf(c[i].name, sizeof(c[i].name), "%s", i == STAT_SLOTS - 1 ? "(other)" : name);
	c[i].n++;
}

static int stats_one(void *ctx, uint64_t line, const struct pol_json *e, const char *raw,
		     size_t len)
{
	struct stats_ctx *s = ctx;
	struct pol_jbuf b = { 0 };
	const char *action;
	double seconds = 0;

	(void)line;
	(void)raw;
	(void)len;
	if (!matches(s->cli, e))
		return 0;
	s->total++;
	count(s->verdicts, member_bytes(e, "verdict", &b));
	if (!strcmp(b.len ? b.data : "", "approved"))
		s->approved++;
	count(s->levels, member_bytes(e, "risk_level", &b));
	action = member_bytes(e, "action_class", &b);
	if (!*action)
		action = member_bytes(e, "action_name", &b);
	count(s->actions, action);
	if (pol_json_get_number(e, "review_duration_seconds", &seconds) && seconds > 0) {
		s->review_sum += seconds;
		s->reviewed++;
	}
	if (is_rubber_stamp(s->cli, e))
		s->stamps++;
	member_bytes(e, "intercepted_at", &b);
	if (b.len) {
		if (!s->first[0])
			snprintf(s->first, sizeof(s->first), "%s", b.data);
		snprintf(s->last, sizeof(s->last), "%s", b.data);
	}
	pol_jbuf_release(&b);
	return 0;
}

static void print_counters(const char *title, const struct counter *c, bool json)
{
	if (json)
		printf(",\"%s\":{", title);
	else
		printf("%s:\n", title);
	for (int i = 0; i < STAT_SLOTS && c[i].name[0]; i++) {
		if (json)
			printf("%s\"%s\":%llu", i ? "," : "", c[i].name, (unsigned long long)c[i].n);
		else
			printf("  %-20s %llu\n", c[i].name, (unsigned long long)c[i].n);
	}
	if (json)
		putchar('}');
}

/* Names and times from the log go into JSON strings and a terminal: keep
 * them printable ASCII. */
static void sanitize_str(char *s)
{
	for (char *p = s; *p; p++)
		if (*p < 0x20 || *p > 0x7E || *p == '"' || *p == '\\')
			*p = '?';
}

static void sanitize(struct counter *c)
{
	for (int i = 0; i < STAT_SLOTS && c[i].name[0]; i++)
		sanitize_str(c[i].name);
}

int audit_cli_stats(struct audit_cli *cli)
{
	struct stats_ctx *s = calloc(1, sizeof(*s));
	double avg;
	int r;

	if (!s)
		return 2;
	s->cli = cli;
	r = pol_audit_read(cli->log_path, stats_one, s);
	if (r < 0) {
		free(s);
		return report_read_error(cli, r);
	}
	sanitize(s->verdicts);
	sanitize(s->levels);
	sanitize(s->actions);
	sanitize_str(s->first);
	sanitize_str(s->last);
	avg = s->reviewed ? s->review_sum / (double)s->reviewed : 0.0;
	if (cli->json) {
		printf("{\"total\":%llu,\"approved\":%llu,\"rubber_stamps\":%llu,"
		       "\"avg_review_seconds\":%.3f,\"first\":\"%s\",\"last\":\"%s\"",
		       (unsigned long long)s->total, (unsigned long long)s->approved,
		       (unsigned long long)s->stamps, avg, s->first, s->last);
		print_counters("verdicts", s->verdicts, true);
		print_counters("risk_levels", s->levels, true);
		print_counters("actions", s->actions, true);
		printf("}\n");
	} else {
		printf("audit log '%s'\n  entries              %llu\n  first                %s\n"
		       "  last                 %s\n  avg review time      %.1fs\n"
		       "  rubber stamps        %llu (%.1f%% of approvals)\n",
		       audit_cli_name(cli), (unsigned long long)s->total, s->first, s->last, avg,
		       (unsigned long long)s->stamps,
		       s->approved ? 100.0 * (double)s->stamps / (double)s->approved : 0.0);
		print_counters("verdicts", s->verdicts, false);
		print_counters("risk levels", s->levels, false);
		print_counters("actions", s->actions, false);
	}
	free(s);
	return CLI_EXIT_OK;
}
