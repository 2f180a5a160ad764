/*
 * The fleet database side of `attesta audit` (docs/audit.md "Shipping to
 * PostgreSQL"): `audit ship` copies local logs (finished runs, rotated and
 * gzip-compressed files) into the database from their stored cursors;
 * `audit verify --db` runs the file verifier (policy/audit_verify.c) over
 * each node's stored lines, in seq order, and adds what only the database
 * can say (entries missing before the first stored one, prune records);
 * `inspect|export|stats|get|rubber-stamps --db` run the file readers
 * (cmd_audit_query.c) over the whole fleet's lines. Stored lines are
 * untrusted input, exactly like a log file: they are written, unchanged,
 * into an anonymous memory file that the same code reads.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "audit.h"
#include "audit_ship.h"
#include "cli_args.h"
#include "cmd_audit.h"
#include "commands.h"
#include "fleet_common.h"

/* ---- audit ship ------------------------------------------------------------ */

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}


static void ship_usage(FILE *out)
{
	fprintf(out,
		"usage: attesta audit ship [-c FILE] [--node-id ID] [--batch N] [--json] [LOG...]\n"
		"\n"
		"Copy the entries of local audit logs (default: audit.path of the config) into\n"
		"the fleet database, from each log's stored cursor: finished runs, rotated and\n"
		"gzip-compressed files. Idempotent; resumes where the last run stopped. The\n"
		"node id: --node-id, else $ATTESTA_NODE_ID, else attestation.node_id. The\n"
		"database: fleet.database of the config, else libpq's environment (PGHOST...).\n"
		"--batch N: entries per round trip (1-%u, default audit.ship_batch).\n"
		"exit status: 0 ok, 1 a log or the database failed, 2 usage\n",
		POL_SHIP_BATCH_MAX);
}

int audit_cli_ship(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "node-id", required_argument, NULL, 'n' },
		{ "batch", required_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct fleet_opts opts = { 0 };
	struct pol_config *config = NULL;
	struct pol_ship_conn *conn = NULL;
	struct pol_diag diag = { 0 };
	unsigned long batch = 0;
	const char *node;
	int c, r, rc = CLI_EXIT_OK;
	char *end;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:h", longopts, NULL)) != -1) {
		if (c == 'b') {
			batch = strtoul(optarg, &end, 10);
			if (*end || end == optarg || batch < 1 || batch > POL_SHIP_BATCH_MAX) {
				fprintf(stderr, "attesta: --batch must be 1-%u\n", POL_SHIP_BATCH_MAX);
				return CLI_EXIT_USAGE;
			}
			continue;
		}
		if (fleet_opts_take(&opts, c, optarg))
			continue;
		if (c == 'h') {
			ship_usage(stdout);
			return CLI_EXIT_OK;
		}
		return cli_option_error(c, argv, ship_usage);
	}
	if (fleet_load_config(&opts, &config))
		return CLI_EXIT_INVALID;
	if (!(node = fleet_require_node_id(&opts, config, "audit", "ship"))) {
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if (!batch)
		batch = config->audit_ship_batch;
	r = pol_ship_connect(config->fleet_database, node, &conn, &diag);
	if (r < 0) {
		fleet_print_diag(&diag, "audit ship", r);
		rc = r == -EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_INVALID;
		goto out;
	}
	if (opts.json) {
		printf("{\"node_id\": ");
		json_str(node);
		printf(", \"logs\": [");
	}
	for (int i = optind; i < argc || i == optind; i++) {
		const char *path = i < argc ? argv[i] : config->audit_path;
		struct pol_ship_stats st;

		memset(&diag, 0, sizeof(diag));
		r = pol_ship_file(conn, path, (unsigned)batch, &st, &diag);
		if (opts.json) {
			printf("%s{\"log\": ", i > optind ? ", " : "");
			json_str(path);
			printf(", \"ok\": %s, \"sent\": %" PRIu64 ", \"inserted\": %" PRIu64
			       ", \"batches\": %" PRIu64 ", \"offset\": %" PRIu64 ", \"size\": %"
			       PRIu64 "}", r < 0 ? "false" : "true", st.sent, st.inserted, st.batches,
			       st.offset, st.size);
		} else {
			printf("%s: %" PRIu64 " entries sent (%" PRIu64 " new) in %" PRIu64
			       " batches; shipped up to byte %" PRIu64 " of %" PRIu64 "\n", path,
			       st.sent, st.inserted, st.batches, st.offset, st.size);
		}
		if (r < 0) {
			fleet_print_diag(&diag, path, r);
			rc = CLI_EXIT_INVALID;
			if (!pol_ship_ok(conn))
				break;
		}
		if (i >= argc)
			break;
	}
	if (opts.json)
		printf("]}\n");
out:
	pol_ship_close(conn);
	pol_config_free(config);
	return rc;
}

/* ---- the fleet's lines as a log file ---------------------------------------- */

struct sink {
	int fd;
	FILE *f;
	uint64_t *seqs;          /* per line, for verify's messages */
	size_t n, cap;
	char *node;              /* current node (row order: node, seq) */
};

static int sink_row(void *ctx, const char *node_id, uint64_t seq, const char *line, size_t len)
{
	struct sink *s = ctx;

	(void)node_id;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4096;
		uint64_t *grown = realloc(s->seqs, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		s->seqs = grown;
		s->cap = cap;
	}
	s->seqs[s->n++] = seq;
	/* the stored line as it is: a line with a newline inside reads as
	 * two lines here, and the verifier reports both */
	if (fwrite(line, 1, len, s->f) != len || putc('\n', s->f) == EOF)
		return -EIO;
	return 0;
}

/* A memory file holding the lines of node (NULL: every node). The path
 * "/proc/self/fd/N" reads it. 0 or an exit code (message printed). */
static int sink_fill(struct sink *s, const char *conninfo, const char *node, char *path,
		     size_t size)
{
	struct pol_diag diag = { 0 };
	int r;

	memset(s, 0, sizeof(*s));
	s->fd = memfd_create("attesta-audit-db", MFD_CLOEXEC);
	if (s->fd < 0 || !(s->f = fdopen(dup(s->fd), "w"))) {
		fprintf(stderr, "attesta: cannot create a memory file: %m\n");
		return AUDIT_EXIT_UNREADABLE;
	}
	r = pol_ship_rows(conninfo, node, sink_row, s, &diag);
	if (fclose(s->f) != 0 && r == 0)
		r = -EIO;
	s->f = NULL;
	if (r < 0) {
		fleet_print_diag(&diag, "audit --db", r);
		return AUDIT_EXIT_UNREADABLE;
	}
	snprintf(path, size, "/proc/self/fd/%d", s->fd);
	return 0;
}

static void sink_free(struct sink *s)
{
	if (s->f)
		fclose(s->f);
	if (s->fd >= 0)
		close(s->fd);
	free(s->seqs);
}

/* ---- verify --db ------------------------------------------------------------ */

struct node_problems {
	const struct sink *sink;
	const char *node;
	bool json;
	unsigned shown;
	uint64_t count;
};

static void on_problem(void *ctx, uint64_t line, enum pol_audit_problem p, const char *detail)
{
	struct node_problems *np = ctx;
	char where[64] = "";

	np->count++;
	if (np->shown++ >= 20)
		return;
	if (line != UINT64_MAX && line < np->sink->n)
		snprintf(where, sizeof(where), "seq %" PRIu64, np->sink->seqs[line]);
	if (np->json) {
		printf("%s{\"seq\": %s, \"problem\": \"%s\", \"detail\": ", np->shown > 1 ? ", " : "",
		       where[0] ? where + 4 : "null", pol_audit_problem_name(p));
		json_str(detail);
		putchar('}');
	} else {
		printf("  %s%s%s: %s\n", where, where[0] ? ": " : "", pol_audit_problem_name(p),
		       detail);
	}
}

/* One node: 0 intact, 1 broken, 2 unreadable. */
static int verify_node(const struct audit_cli *cli, const char *node, bool first)
{
	struct pol_audit_verify_result res;
	struct pol_diag diag = { 0 };
	struct sink s;
	struct node_problems np = { .sink = &s, .node = node, .json = cli->json };
	uint64_t pruned = 0, first_seq, last_seq;
	int64_t shipped_last = -1;
	char path[64], when[160];
	int r, rc;

	if ((r = pol_ship_pruned(cli->database, node, &pruned, when, sizeof(when), &shipped_last,
				 &diag)) < 0) {
		fleet_print_diag(&diag, "audit verify --db", r);
		return AUDIT_EXIT_UNREADABLE;
	}
	if ((rc = sink_fill(&s, cli->database, node, path, sizeof(path))) != 0) {
		sink_free(&s);
		return rc;
	}
	first_seq = s.n ? s.seqs[0] : 0;
	last_seq = s.n ? s.seqs[s.n - 1] : 0;
	if (cli->json) {
		printf("%s{\"node_id\": ", first ? "" : ", ");
		json_str(node);
		printf(", \"problems\": [");
	} else {
		printf("node %s:\n", node);
	}
	r = pol_audit_verify(path, cli->key, cli->key_len,
			     POL_AUDIT_VERIFY_NO_HEAD | POL_AUDIT_VERIFY_NO_SESSIONS |
			     POL_AUDIT_VERIFY_THREADS, on_problem, &np, &res);
	if (r < 0) {
		fprintf(stderr, "attesta: audit verify --db: node %s: %s\n", node, strerror(-r));
		sink_free(&s);
		return AUDIT_EXIT_UNREADABLE;
	}
	/* what only the database knows: the start of the chain */
	if (s.n && first_seq > pruned) {
		char detail[200];

		snprintf(detail, sizeof(detail), "entries seq %" PRIu64 "..%" PRIu64 " are not in the "
			 "database (not shipped yet, or deleted; pruning removed none of them)",
			 pruned, first_seq - 1);
		on_problem(&np, 0, POL_AUDIT_P_SEQ_GAP, detail);
		res.broken++;
	}
	/* ... and its end: what the shipping cursors say was shipped */
	if (shipped_last >= 0 && (uint64_t)shipped_last >= pruned &&
	    (!s.n || last_seq < (uint64_t)shipped_last)) {
		char detail[200];
		uint64_t from = s.n ? last_seq + 1 : pruned;

		snprintf(detail, sizeof(detail), "entries seq %" PRIu64 "..%" PRId64 " were shipped "
			 "(the shipping cursor says so) but are not in the database (deleted?)",
			 from, shipped_last);
		on_problem(&np, UINT64_MAX, POL_AUDIT_P_TRUNCATED, detail);
	}
	if (cli->json) {
		printf("], \"entries\": %" PRIu64 ", \"first_seq\": %s%" PRIu64 ", \"last_seq\": %s%"
		       PRIu64 ", \"pruned_before_seq\": %" PRIu64 ", \"verdict\": \"%s\"}",
		       res.entries, "", first_seq, "", last_seq, pruned,
		       np.count ? "broken" : "intact");
	} else {
		if (np.shown > 20)
			printf("  ... %u more problems\n", np.shown - 20);
		if (pruned && s.n && first_seq == pruned)
			printf("  starts after pruning: entries before seq %" PRIu64 " were pruned "
			       "(--before %s)\n", pruned, when);
		else if (pruned && !s.n)
			printf("  every entry before seq %" PRIu64 " was pruned (--before %s)\n",
			       pruned, when);
		printf("  %s: %" PRIu64 " entries", np.count ? "BROKEN" : "intact", res.entries);
		if (s.n)
			printf(", seq %" PRIu64 "..%" PRIu64, first_seq, last_seq);
		if (res.macs_unchecked)
			printf(", %" PRIu64 " macs not checked (no key)", res.macs_unchecked);
		printf("\n");
	}
	sink_free(&s);
	return np.count ? AUDIT_EXIT_BROKEN : 0;
}

static int verify_db(const struct audit_cli *cli)
{
	struct pol_diag diag = { 0 };
	char **nodes = NULL;
	int r, rc = 0, broken = 0, n = 0;

	if ((r = pol_ship_nodes(cli->database, cli->node_id, &nodes, &diag)) < 0) {
		fleet_print_diag(&diag, "audit verify --db", r);
		return AUDIT_EXIT_UNREADABLE;
	}
	if (cli->json)
		printf("{\"nodes\": [");
	for (char **p = nodes; *p; p++, n++) {
		r = verify_node(cli, *p, p == nodes);
		broken += r == AUDIT_EXIT_BROKEN;
		if (r > rc)
			rc = r;
	}
	if (cli->json)
		printf("], \"broken_nodes\": %d, \"verdict\": \"%s\"}\n", broken,
		       rc ? "broken" : n ? "intact" : "empty");
	else if (!n && cli->node_id)
		printf("no shipped entries for node %s\n", cli->node_id);
	else
		printf("%d node%s, %d broken\n", n, n == 1 ? "" : "s", broken);
	pol_ship_strv_free(nodes);
	/* a node asked for and absent is not "intact" */
	return rc ? rc : (!n && cli->node_id) ? AUDIT_EXIT_BROKEN : 0;
}

int audit_cli_db(const char *sub, struct audit_cli *cli)
{
	struct sink s;
	char path[64];
	int rc;

	if (!strcmp(sub, "verify"))
		return verify_db(cli);
	if ((rc = sink_fill(&s, cli->database, cli->node_id, path, sizeof(path))) != 0) {
		sink_free(&s);
		return rc;
	}
	cli->log_path = path;
	cli->log_label = cli->node_id ? "fleet database, one node" : "fleet database";
	if (!strcmp(sub, "export"))
		rc = audit_cli_export(cli);
	else if (!strcmp(sub, "stats"))
		rc = audit_cli_stats(cli);
	else if (!strcmp(sub, "get"))
		rc = audit_cli_get(cli);
	else if (!strcmp(sub, "inspect"))
		rc = audit_cli_inspect(cli);
	else
		rc = audit_cli_rubber_stamps(cli);
	sink_free(&s);
	return rc;
}
