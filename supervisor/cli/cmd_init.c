/*
 * `attesta init [-c FILE | FILE] [--force]`: write a commented
 * attesta.yaml template with every section and every key at its default,
 * so a user edits values instead of guessing key names. The template is
 * loaded through the real loader before anything is written (a template
 * that does not load is a bug, reported rather than written). An existing
 * file is never replaced without --force, and with --force it is replaced
 * atomically (write a temporary file in the same directory, rename).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_args.h"
#include "commands.h"
#include "policy/atomic_file.h"
#include "policy/config.h"

#define DEFAULT_CONFIG POL_CONFIG_DEFAULT_PATH

static const char template_text[] =
	"# attesta.yaml: policy for `attesta-run` (see docs/config.md).\n"
	"# Every key is shown with its default. Unknown keys are errors, so a\n"
	"# misspelling never silently switches a protection off. Check edits with\n"
	"#   attesta config check attesta.yaml\n"
	"\n"
	"policy:\n"
	"  fail_mode: deny               # deny | allow | escalate: when no human answers in time\n"
	"  minimum_review_seconds:       # a human must look this long before approving\n"
	"    low: 0\n"
	"    medium: 3\n"
	"    high: 10\n"
	"    critical: 30\n"
	"  require_multi_party:          # approvers needed per level (levels left out: 0)\n"
	"    critical: 2\n"
	"  timeout_seconds: 300          # wait for an answer this long, then apply fail_mode\n"
	"  critical_always_verify: true  # trust never lowers a CRITICAL action\n"
	"  challenge_map: {}             # level -> auto_approve|confirm|quiz|teach_back|multi_party\n"
	"  mode: enforce                 # enforce | shadow (always allow, log verdict) | audit_only\n"
	"  quiz_pass_threshold: 0.8      # share of quiz questions to answer right, 0..1\n"
	"  teach_back_min_words: 10      # words a teach-back answer needs\n"
	"\n"
	"risk:\n"
	"  overrides: {}                 # exact program/function name -> low|medium|high|critical\n"
	"  amplifiers: []                # - {pattern: REGEX, target: name|args|any|path|host, boost: 0..1}\n"
	"\n"
	"trust:\n"
	"  initial_score: 0.3            # trust of an agent with no history, 0..1\n"
	"  ceiling: 0.9                  # trust never exceeds this, 0..1\n"
	"  decay_rate: 0.01              # trust lost per idle day, 0..1\n"
	"  influence: 0.3                # how far trust can lower a risk score, 0..1\n"
	"  incident_penalty: 0.7         # trust is multiplied by this per incident, 0..1\n"
	"  path: .attesta/trust.json     # trust store\n"
	"\n"
	"audit:\n"
	"  backend: legacy               # legacy | trailproof (same hash-chained JSONL)\n"
	"  path: .attesta/audit.jsonl    # the audit log\n"
	"  sync: tiered                  # tiered (fsync risky entries at once) | always | off\n"
	"  sync_window_ms: 10            # tiered: low-risk entries are synced within this window\n"
	"  hmac_key_file: null           # file holding an HMAC key to MAC each entry (never the key itself)\n"
	"  tenant_id: default            # tenant recorded in each entry\n"
	"  ship: false                   # attesta-run ships entries to the fleet database (needs a node id)\n"
	"  ship_batch: 1000              # entries per round trip when shipping\n"
	"  ship_interval_ms: 1000        # how often the shipper looks at the log\n"
	"\n"
	"domain: []                      # domain profiles to merge (one name or a list)\n"
	"domain_strict: true             # an unknown profile name is an error\n"
	"domain_paths: []                # directories searched for NAME.yaml profiles\n"
	"\n"
	"gate:\n"
	"  intercept: [exec, unlink, connect]  # syscall classes held for a decision\n"
	"  workspace: null               # project directory (null: where attesta-run starts)\n"
	"  environment: development      # production | staging | ci | development (risk multiplier)\n"
	"  agent_id: default             # who the agent is, for trust and the audit log\n"
	"  renderer: auto                # auto | tty | socket | none: how a human is asked\n"
	"  approval_socket: null         # null: $XDG_RUNTIME_DIR/attesta/approve.sock\n"
	"  deny_errno: EPERM             # EPERM | EACCES | a number: the error a denied call gets\n"
	"  allow_io_uring: false         # io_uring bypasses the gate, so it is refused unless true\n"
	"  allow_socket_families: []     # raw, packet, sctp, vsock ...: sockets decided at creation (default deny)\n"
	"  builtin_agent_profile: true   # the built-in agent profile (rm -rf, curl | sh, ...)\n"
	"  env_vars: []                  # environment variables shown with an exec\n"
	"  escalation_command: null      # program run when fail_mode is escalate\n"
	"  user: null                    # as root: run the agent as this user (attesta-run --user)\n"
	"\n"
	"attestation:\n"
	"  mode: off                     # off | advisory | enforce (fleet attestation)\n"
	"  node_id: null                 # this node's enrolled id\n"
	"  bundle: null                  # signed policy bundle\n"
	"  registry: null                # node registry: a file path or postgres\n"
	"\n"
	"fleet:\n"
	"  database: null                # libpq connection string for the fleet registry\n"
	"\n"
	"approvals:\n"
	"  backend: local                # local | postgres (also answered with attesta approve --db)\n";

static void init_usage(FILE *out)
{
	fprintf(out,
		"usage: attesta init [-c FILE | FILE] [--force]\n"
		"\n"
		"Write a commented attesta.yaml with every key at its default\n"
		"(./" DEFAULT_CONFIG " unless FILE is given).\n"
		"\n"
		"  -c, --config FILE  where to write\n"
		"  --force            replace an existing file\n"
		"  -h, --help         this help\n"
		"\n"
		"exit status: 0 written, 1 file exists or cannot be written, 2 usage\n");
}

int cmd_init(int argc, char **argv)
{
	static const struct cli_file_operand operand = {
		.noun = "file", .verb = "written", .dashdash = false, .usage = init_usage,
	};
	const char *path = NULL;
	bool force = false;
	struct pol_config *config = NULL;
	struct pol_diag diag = { .line = 0 };
	struct stat st;
	char line[1200];
	int r;

	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		int rc;

		if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
			init_usage(stdout);
			return CLI_EXIT_OK;
		} else if (!strcmp(arg, "--force") || !strcmp(arg, "-f")) {
			force = true;
		} else if ((rc = cli_file_operand_take(&operand, argc, argv, &i, &path))) {
			return rc;
		}
	}
	if (!path)
		path = DEFAULT_CONFIG;

	r = pol_config_load_buffer("<template>", template_text, sizeof(template_text) - 1,
				   &config, &diag);
	if (r < 0) {
		pol_diag_format(&diag, line, sizeof(line));
		fprintf(stderr, "attesta: internal error: template does not load: %s\n", line);
		return CLI_EXIT_INVALID;
	}
	pol_config_free(config);

	if (!force && lstat(path, &st) == 0) {
		fprintf(stderr, "attesta: '%s' already exists (use --force to replace it)\n", path);
		return CLI_EXIT_INVALID;
	}
	/* temporary file in the same directory (O_EXCL: never through a
	 * planted link), then rename over path; without --force, link()
	 * instead of rename() so an existing file is never replaced even if
	 * it appeared meanwhile */
	r = pol_file_write_atomic(path, template_text, sizeof(template_text) - 1, 0644,
				  POL_FILE_UMASK | POL_FILE_NO_DIR_SYNC |
					  (force ? 0 : POL_FILE_NO_REPLACE),
				  NULL, NULL);
	if (r == -EEXIST) {
		fprintf(stderr, "attesta: '%s' already exists (use --force to replace it)\n", path);
		return CLI_EXIT_INVALID;
	}
	if (r < 0) {
		fprintf(stderr, "attesta: cannot write '%s': %s\n", path, strerror(-r));
		return CLI_EXIT_INVALID;
	}
	printf("wrote %s\n", path);
	return CLI_EXIT_OK;
}
