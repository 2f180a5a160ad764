/*
 * attesta.yaml: the whole schema of docs/config.md as one plain, read-only
 * struct. The loader (config.c, libyaml) validates the file completely
 * before it builds anything: unknown keys, wrong types, out-of-range
 * numbers, invalid regexes, unknown levels, duplicate keys, aliases and
 * oversized files are rejected with file:line:column, and the caller gets
 * either a whole config or nothing (never a half-applied one).
 *
 * The config is plain data: after load it is never modified, so any
 * number of threads may read it. Regexes are compiled once at load.
 */
#ifndef ATTESTA_CONFIG_H
#define ATTESTA_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "action.h"
#include "diag.h"

enum pol_level {
	POL_LEVEL_LOW = 0,
	POL_LEVEL_MEDIUM,
	POL_LEVEL_HIGH,
	POL_LEVEL_CRITICAL,
	POL_LEVEL_COUNT
};
/* "low", "medium", "high", "critical". */
const char *pol_level_name(enum pol_level level);
/* Case-insensitive; -EINVAL for anything else. */
int pol_level_parse(const char *name, enum pol_level *ret_level);
/* Reference thresholds: LOW < 0.3 <= MEDIUM < 0.6 <= HIGH < 0.8 <= CRITICAL. */
enum pol_level pol_level_from_score(double score);

enum pol_challenge {
	POL_CHALLENGE_AUTO_APPROVE = 0,
	POL_CHALLENGE_CONFIRM,
	POL_CHALLENGE_QUIZ,
	POL_CHALLENGE_TEACH_BACK,
	POL_CHALLENGE_MULTI_PARTY,
	POL_CHALLENGE_COUNT
};
/* "auto_approve", "confirm", "quiz", "teach_back", "multi_party". */
const char *pol_challenge_name(enum pol_challenge challenge);
/* Accepts snake_case and kebab-case as the reference does. */
int pol_challenge_parse(const char *name, enum pol_challenge *ret_challenge);

enum pol_fail_mode { POL_FAIL_DENY = 0, POL_FAIL_ALLOW, POL_FAIL_ESCALATE };
enum pol_policy_mode { POL_MODE_ENFORCE = 0, POL_MODE_SHADOW, POL_MODE_AUDIT_ONLY };
enum pol_audit_sync { POL_SYNC_TIERED = 0, POL_SYNC_ALWAYS, POL_SYNC_OFF };
enum pol_attestation_mode { POL_ATTEST_OFF = 0, POL_ATTEST_ADVISORY, POL_ATTEST_ENFORCE };
enum pol_renderer { POL_RENDERER_AUTO = 0, POL_RENDERER_TTY, POL_RENDERER_SOCKET, POL_RENDERER_NONE };
enum pol_trust_backend { POL_TRUST_BACKEND_FILE = 0, POL_TRUST_BACKEND_POSTGRES };
/* approvals.backend (docs/approvals.md): where held calls are answered. */
enum pol_approvals_backend { POL_APPROVALS_LOCAL = 0, POL_APPROVALS_POSTGRES };

/* What an amplifier's pattern is matched against. */
enum pol_target {
	POL_TARGET_NAME = 0, /* function name (reference default) */
	POL_TARGET_ARGS,     /* joined, stringified arguments */
	POL_TARGET_ANY,      /* name, then args, then doc */
	POL_TARGET_PATH,     /* absolute path of exec / unlink / rmdir */
	POL_TARGET_HOST,     /* host name (verified or claimed) and address of connect */
};
const char *pol_target_name(enum pol_target target);

struct pol_regex; /* compiled PCRE2 pattern, see regex.h */
struct pol_bundle; /* a signed policy bundle, see bundle.h */

struct pol_amplifier {
	char *pattern;
	struct pol_regex *regex;
	enum pol_target target;
	double boost;
	unsigned line; /* where it was defined, for factor descriptions */
};

struct pol_override {
	char *function_name; /* exact match */
	enum pol_level level;
};

struct pol_config {
	char *source;                 /* file it was loaded from, or "<default>" */

	/* policy: */
	enum pol_fail_mode fail_mode;                     /* deny */
	double minimum_review_seconds[POL_LEVEL_COUNT];   /* 0, 3, 10, 30 */
	unsigned require_multi_party[POL_LEVEL_COUNT];    /* critical: 2, else 0 */
	double timeout_seconds;                           /* 300, > 0 */
	bool critical_always_verify;                      /* true */
	enum pol_challenge challenge_map[POL_LEVEL_COUNT];/* auto, confirm, quiz, teach_back */
	bool challenge_map_set[POL_LEVEL_COUNT];          /* level named in policy.challenge_map */
	enum pol_policy_mode mode;                        /* enforce */
	double quiz_pass_threshold;                       /* policy.quiz_pass_threshold, 0.8 */
	unsigned teach_back_min_words;                    /* policy.teach_back_min_words, 10 */

	/* risk: */
	struct pol_override *overrides;  /* in file order; last match wins */
	size_t n_overrides;
	struct pol_amplifier *amplifiers;
	size_t n_amplifiers;

	/* trust: */
	double trust_initial_score;      /* 0.3 */
	double trust_ceiling;            /* 0.9 */
	double trust_decay_rate;         /* 0.01 per day */
	double trust_influence;          /* 0.3 */
	double trust_incident_penalty;   /* 0.7 (multiplicative) */
	char *trust_path;                /* trust.path, ".attesta/trust.json" */
	enum pol_trust_backend trust_backend; /* trust.backend: file (default) | postgres */
	double trust_max_age_seconds;    /* trust.max_age_seconds: staleness bound of the postgres cache, 60 */

	/* audit: */
	char *audit_backend;             /* "legacy" | "trailproof" (accepted, same format) */
	char *audit_path;                /* ".attesta/audit.jsonl" */
	enum pol_audit_sync audit_sync;  /* tiered */
	unsigned audit_sync_window_ms;   /* 10 */
	char *audit_hmac_key_file;       /* NULL: no MAC */
	char *audit_tenant_id;           /* "default" */
	bool audit_ship;                 /* audit.ship: attesta-run ships to the fleet database; false */
	unsigned audit_ship_batch;       /* audit.ship_batch: entries per round trip, 1000 */
	unsigned audit_ship_interval_ms; /* audit.ship_interval_ms: how often the shipper looks, 1000 */

	/* domain: one name or a list, merged in order. The built-in "agent"
	 * profile is active unless gate.builtin_agent_profile is false. */
	struct pol_strv domains;
	struct pol_strv domain_paths;    /* domain_paths: directories searched for NAME.yaml */
	bool domain_strict;              /* true: unknown profile is an error */

	/* gate: */
	bool intercept_exec, intercept_unlink, intercept_connect; /* all true */
	char *workspace;                 /* NULL: cwd of attesta-run */
	char *environment;               /* "development" */
	char *agent_id;                  /* "default" */
	enum pol_renderer renderer;      /* auto */
	char *approval_socket;           /* NULL: $XDG_RUNTIME_DIR/attesta/approve.sock or /tmp/attesta-UID/ */
	int deny_errno;                  /* EPERM */
	bool allow_io_uring;             /* false */
	struct pol_strv allow_socket_families; /* empty: every gated socket kind denied (sockfam.h) */
	bool builtin_agent_profile;      /* true */
	struct pol_strv env_vars;        /* env var names copied into exec contexts */
	char *escalation_command;        /* NULL */
	char *approval_group;            /* NULL: approval socket owner-only; else group may approve */
	char *run_user;                  /* gate.user: run PROG as this account (root only); NULL */

	/* attestation: */
	enum pol_attestation_mode attestation_mode;  /* off */
	char *node_id;
	char *bundle;
	char *registry;                  /* file path or "postgres" */
	char *attestation_pubkey;        /* attestation.pubkey: the bundle key file this node trusts */
	double attestation_grace_seconds;/* attestation.grace_seconds: last known state kept, 0 */

	/* fleet: */
	char *fleet_database;            /* libpq connection string */

	/* approvals: */
	enum pol_approvals_backend approvals_backend; /* local */

	/* Not from YAML: set by attesta-run when a verified signed bundle is
	 * the policy (docs/fleet.md, "Fleet mode in attesta-run"). Profiles
	 * are then read only from this bundle, never from the file system
	 * (pol_domain_find). Not owned; must outlive every engine built from
	 * this config. */
	const struct pol_bundle *profile_bundle;
};

/* gate.user / --user: [a-z_][a-z0-9_-]*, at most 32 characters. */
bool pol_config_user_name_ok(const char *name);

/* A config with every default filled in. NULL on ENOMEM. */
struct pol_config *pol_config_new_default(void);

/* Load and validate a file. On success *ret_config owns a new config; on
 * failure nothing is returned, diag says file:line:column and why, and the
 * result is -EINVAL (bad content), -ENOENT/-EACCES/... (cannot read) or
 * -EFBIG (over POL_CONFIG_MAX_BYTES). */
int pol_config_load(const char *path, struct pol_config **ret_config,
		    struct pol_diag *diag);

/* Same, from memory; name is used in diagnostics. */
int pol_config_load_buffer(const char *name, const char *buf, size_t len,
			   struct pol_config **ret_config, struct pol_diag *diag);

/* What every command does with `-c`: path != NULL loads that file (a
 * missing file is an error); path == NULL loads ./attesta.yaml
 * (POL_CONFIG_DEFAULT_PATH) and, only if it does not exist, returns the
 * defaults (source "<default>"). Errors as pol_config_load. */
#define POL_CONFIG_DEFAULT_PATH "attesta.yaml"
int pol_config_load_or_default(const char *path, struct pol_config **ret_config,
			       struct pol_diag *diag);

void pol_config_free(struct pol_config *config);

#endif
