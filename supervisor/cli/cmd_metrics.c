/*
 * `attesta metrics`: Prometheus metrics from the audit log and the trust
 * store, in the text exposition format node_exporter's textfile collector
 * reads (docs/audit.md "Metrics"). `--out FILE` replaces FILE atomically
 * (the collector must never read half a file). The log and the store are
 * untrusted: label values are bounded, escaped and limited to printable
 * ASCII, and each metric has at most MAX_SERIES label sets (the rest are
 * counted under "other"), so a hostile log cannot blow up a scrape.
 * The log is read, not verified (`attesta audit verify` does that).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "policy/atomic_file.h"
#include "policy/audit.h"
#include "policy/canonjson.h"
#include "policy/config.h"
#include "policy/trust.h"

#define MAX_SERIES 256
#define MAX_LABEL 64
#define N_BUCKETS 9

static const double buckets[N_BUCKETS] = { 0.5, 1, 2, 5, 10, 30, 60, 300, 1800 };

struct series {
	char labels[3][MAX_LABEL + 1];
	double count, sum;
	double bucket[N_BUCKETS];
};

struct metric {
	struct series s[MAX_SERIES + 1]; /* the last one is "other" */
	size_t n;
};

struct metrics_ctx {
	struct metric decisions;  /* verdict, risk_level, environment */
	struct metric denials;    /* reason (decision_source) */
	struct metric review;     /* risk_level */
	double entries;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: attesta metrics [-c FILE] [--log PATH | LOG] [--store PATH] [--out FILE]\n"
		"\n"
		"Print Prometheus metrics (text format, for node_exporter's textfile\n"
		"collector) from the audit log and the trust store:\n"
		"  attesta_approvals_total{verdict,risk_level,environment}  decisions\n"
		"  attesta_denials_total{reason}          denials by decision_source\n"
		"  attesta_review_duration_seconds{risk_level}  human review times (histogram)\n"
		"  attesta_trust_score{agent_id}          trust of each stored agent\n"
		"  attesta_trust_revoked{agent_id}        1 if revoked\n"
		"--out FILE replaces FILE atomically (mode 0644).\n"
		"exit status: 0 ok, 1 unreadable log or store, 2 usage\n");
}

/* A label value: printable ASCII, at most MAX_LABEL bytes. */
static void label_of(const struct pol_json *e, const char *key, char *out)
{
	const struct pol_json *v = pol_json_get(e, key);
	struct pol_jbuf b = { 0 };
	size_t n = 0;

	if (v && v->kind == POL_JSON_STRING && pol_json_string_to_bytes(v, &b) == 0)
		for (size_t i = 0; i < b.len && n < MAX_LABEL; i++)
			out[n++] = b.data[i] >= 0x20 && b.data[i] < 0x7f ? b.data[i] : '?';
	out[n] = '\0';
	pol_jbuf_release(&b);
}

static struct series *find_series(struct metric *m, const char *const labels[3])
{
	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->s[i].labels[0], labels[0]) && !strcmp(m->s[i].labels[1], labels[1]) &&
		    !strcmp(m->s[i].labels[2], labels[2]))
			return &m->s[i];
	if (m->n == MAX_SERIES) {
		struct series *other = &m->s[MAX_SERIES];

		for (int k = 0; k < 3; k++)
			snprintf(other->labels[k], sizeof(other->labels[k]), "%s", labels[k][0] ? "other" : "");
		return other;
	}
	for (int k = 0; k < 3; k++)
		snprintf(m->s[m->n].labels[k], sizeof(m->s[m->n].labels[k]), "%s", labels[k]);
	return &m->s[m->n++];
}

static int count_entry(void *ctx, uint64_t line, const struct pol_json *e, const char *raw, size_t len)
{
	struct metrics_ctx *x = ctx;
	char verdict[MAX_LABEL + 1], level[MAX_LABEL + 1], env[MAX_LABEL + 1];
	char source[MAX_LABEL + 1], cls[MAX_LABEL + 1];
	const char *labels[3];
	double seconds = 0;

	(void)line;
	(void)raw;
	(void)len;
	label_of(e, "action_class", cls);
	label_of(e, "verdict", verdict);
	/* decisions only: not session records nor repair records */
	if (!strcmp(cls, "session") || !verdict[0] || !strcmp(verdict, "repaired"))
		return 0;
	x->entries++;
	label_of(e, "risk_level", level);
	label_of(e, "environment", env);
	label_of(e, "decision_source", source);
	labels[0] = verdict;
	labels[1] = level;
	labels[2] = env;
	find_series(&x->decisions, labels)->count++;
	if (strcmp(verdict, "approved")) {
		/* session:ID / scope:ID grants are one reason each, not one per id */
		char *colon = strchr(source, ':');

		if (colon)
			*colon = '\0';
		labels[0] = source[0] ? source : "unknown";
		labels[1] = labels[2] = "";
		find_series(&x->denials, labels)->count++;
	}
	/* review times are humans' (an entry without decision_source is the
	 * reference's, whose decisions are all reviews) */
	if (!pol_json_get(e, "decision_source") || !strcmp(source, "human")) {
		struct series *s;

		pol_json_get_number(e, "review_duration_seconds", &seconds);
		if (!(seconds >= 0))
			seconds = 0;
		labels[0] = level;
		labels[1] = labels[2] = "";
		s = find_series(&x->review, labels);
		s->count++;
		s->sum += seconds;
		for (int b = 0; b < N_BUCKETS; b++)
			if (seconds <= buckets[b])
				s->bucket[b]++;
	}
	return 0;
}

/* A label value as the text format wants it: \ and " escaped; control
 * bytes and bytes outside ASCII (agent ids may hold any) replaced. */
static void put_value(FILE *out, const char *v)
{
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (*p == '\\' || *p == '"')
			fputc('\\', out);
		fputc(*p >= 0x20 && *p < 0x7f ? *p : '?', out);
	}
}

static void print_labels(FILE *out, const char *const names[3], const struct series *s, const char *extra)
{
	bool first = true;

	fputc('{', out);
	for (int k = 0; k < 3 && names[k]; k++) {
		fprintf(out, "%s%s=\"", first ? "" : ",", names[k]);
		put_value(out, s->labels[k]);
		fputc('"', out);
		first = false;
	}
	if (extra)
		fprintf(out, "%s%s", first ? "" : ",", extra);
	fputc('}', out);
}

static void print_counter(FILE *out, const char *name, const char *help, const struct metric *m,
			  const char *const names[3])
{
	fprintf(out, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
	for (size_t i = 0; i <= MAX_SERIES; i++) {
		const struct series *s = &m->s[i];

		if (i >= m->n && i < MAX_SERIES)
			continue;
		if (!s->count)
			continue;
		fputs(name, out);
		print_labels(out, names, s, NULL);
		fprintf(out, " %.17g\n", s->count);
	}
}

static void print_histogram(FILE *out, const struct metric *m)
{
	static const char *const names[3] = { "risk_level", NULL, NULL };
	const char *name = "attesta_review_duration_seconds";

	fprintf(out, "# HELP %s Time humans spent reviewing a held call, by risk level.\n"
		"# TYPE %s histogram\n", name, name);
	for (size_t i = 0; i <= MAX_SERIES; i++) {
		const struct series *s = &m->s[i];
		char le[48];

		if ((i >= m->n && i < MAX_SERIES) || !s->count)
			continue;
		for (int b = 0; b < N_BUCKETS; b++) {
			snprintf(le, sizeof(le), "le=\"%g\"", buckets[b]);
			fprintf(out, "%s_bucket", name);
			print_labels(out, names, s, le);
			fprintf(out, " %.17g\n", s->bucket[b]);
		}
		fprintf(out, "%s_bucket", name);
		print_labels(out, names, s, "le=\"+Inf\"");
		fprintf(out, " %.17g\n%s_sum", s->count, name);
		print_labels(out, names, s, NULL);
		fprintf(out, " %.17g\n%s_count", s->sum, name);
		print_labels(out, names, s, NULL);
		fprintf(out, " %.17g\n", s->count);
	}
}

static void print_trust(FILE *out, const struct pol_trust_store *store)
{
	size_t n = store ? pol_trust_agent_count(store) : 0;
	double now = (double)time(NULL);

	fputs("# HELP attesta_trust_score Trust of each agent in the trust store (0 when revoked).\n"
	      "# TYPE attesta_trust_score gauge\n", out);
	for (size_t i = 0; i < n; i++) {
		const struct pol_trust_agent *a = pol_trust_agent_at(store, i);

		fputs("attesta_trust_score{agent_id=\"", out);
		put_value(out, a->id);
		fprintf(out, "\"} %.6g\n", pol_trust_score(store, a->id, NULL, now));
	}
	fputs("# HELP attesta_trust_revoked 1 if the agent's trust is revoked.\n"
	      "# TYPE attesta_trust_revoked gauge\n", out);
	for (size_t i = 0; i < n; i++) {
		const struct pol_trust_agent *a = pol_trust_agent_at(store, i);

		fputs("attesta_trust_revoked{agent_id=\"", out);
		put_value(out, a->id);
		fprintf(out, "\"} %d\n", a->revoked ? 1 : 0);
	}
}

int cmd_metrics(int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' }, { "log", required_argument, NULL, 'l' },
		{ "store", required_argument, NULL, 's' },  { "out", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },         { NULL, 0, NULL, 0 },
	};
	static const char *const decision_names[3] = { "verdict", "risk_level", "environment" };
	static const char *const denial_names[3] = { "reason", NULL, NULL };
	const char *config_path = NULL, *log = NULL, *store_path = NULL, *out_path = NULL;
	struct pol_config *config = NULL;
	struct pol_trust_store *store = NULL;
	struct metrics_ctx *x = NULL;
	struct pol_diag diag = { .line = 0 };
	char msg[1200], *text = NULL;
	size_t text_len = 0;
	FILE *out = NULL;
	int opt, r, status = CLI_EXIT_INVALID;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:h", options, NULL)) != -1) {
		switch (opt) {
		case 'c': config_path = optarg; break;
		case 'l': log = optarg; break;
		case 's': store_path = optarg; break;
		case 'o': out_path = optarg; break;
		case 'h': usage(stdout); return CLI_EXIT_OK;
		default: usage(stderr); return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		if (log || optind + 1 < argc) {
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
		log = argv[optind];
	}
	if (pol_config_load_or_default(config_path, &config, &diag) < 0) {
		pol_diag_format(&diag, msg, sizeof(msg));
		fprintf(stderr, "attesta: %s\n", msg);
		return CLI_EXIT_INVALID;
	}
	if (!log)
		log = config->audit_path ? config->audit_path : ".attesta/audit.jsonl";
	x = calloc(1, sizeof(*x));
	if (!x)
		goto out;
	r = pol_audit_read(log, count_entry, x);
	if (r == -ENOENT) {
		fprintf(stderr, "attesta: warning: no audit log '%s' yet: no decisions\n", log);
	} else if (r < 0) {
		fprintf(stderr, "attesta: cannot read audit log '%s': %s\n", log, strerror(-r));
		goto out;
	}
	if (pol_trust_store_load(store_path, config, &store, &diag) < 0) {
		pol_diag_format(&diag, msg, sizeof(msg));
		fprintf(stderr, "attesta: cannot load trust store: %s\n", msg);
		goto out;
	}
	out = open_memstream(&text, &text_len);
	if (!out)
		goto out;
	print_counter(out, "attesta_approvals_total",
		      "Decisions in the audit log by verdict, risk level and environment.",
		      &x->decisions, decision_names);
	print_counter(out, "attesta_denials_total",
		      "Decisions other than approved, by reason (the entry's decision_source).",
		      &x->denials, denial_names);
	print_histogram(out, &x->review);
	print_trust(out, store);
	fprintf(out, "# HELP attesta_audit_decisions Decision entries read from the audit log.\n"
		"# TYPE attesta_audit_decisions gauge\nattesta_audit_decisions %.17g\n", x->entries);
	if (fclose(out) != 0) {
		out = NULL;
		goto out;
	}
	out = NULL;
	if (out_path) {
		r = pol_file_write_atomic(out_path, text, text_len, 0644, 0, "metrics file", &diag);
		if (r < 0) {
			pol_diag_format(&diag, msg, sizeof(msg));
			fprintf(stderr, "attesta: %s\n", diag.message[0] ? msg : strerror(-r));
			goto out;
		}
	} else if (fwrite(text, 1, text_len, stdout) != text_len || fflush(stdout) != 0) {
		goto out;
	}
	status = CLI_EXIT_OK;
out:
	if (out)
		fclose(out);
	free(text);
	free(x);
	pol_trust_store_free(store);
	pol_config_free(config);
	return status;
}
