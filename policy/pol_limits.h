/*
 * Every hard limit attesta applies to untrusted input, in one place, each
 * with the reason for its value. Anything read from a file an attacker may
 * edit, from a sandboxed process's memory, or from a socket a sandboxed
 * process can write to is bounded by one of these before it is parsed.
 */
#ifndef ATTESTA_POL_LIMITS_H
#define ATTESTA_POL_LIMITS_H

/* attesta.yaml and profile files: real configs are a few KiB; 1 MiB leaves
 * room for large override tables while keeping a hostile file cheap. */
#define POL_CONFIG_MAX_BYTES (1024 * 1024)

/* YAML nesting depth: the schema is at most 5 deep; 32 rejects recursion
 * bombs long before the parser's own stack matters. */
#define POL_CONFIG_MAX_DEPTH 32

/* YAML aliases are never needed by the schema; each one is a potential
 * billion-laughs expansion, so a config may use at most this many. */
#define POL_CONFIG_MAX_ALIASES 0

/* Scalars in a config (paths, patterns, names). */
#define POL_CONFIG_MAX_SCALAR 4096

/* Number of overrides, amplifiers, profile patterns, list items. */
#define POL_CONFIG_MAX_ITEMS 4096

/* Regexes from configs and profiles: pattern length, and the PCRE2 match
 * and depth limits that bound catastrophic backtracking per match. */
#define POL_REGEX_MAX_PATTERN 1024
#define POL_REGEX_MATCH_LIMIT 100000
#define POL_REGEX_DEPTH_LIMIT 10000

/* Bytes of scorer input text (joined arguments): longer text is truncated
 * before matching so a huge argv cannot make scoring slow. */
#define POL_SCORE_MAX_TEXT (64 * 1024)

/* `attesta score --context` input (a reference ActionContext as JSON):
 * real contexts are a few KiB; 1 MiB bounds a hostile file. Nesting depth
 * and items per array/object stop recursion bombs and keep the duplicate
 * key check cheap; integer digits are Python's own int-from-string cap
 * (json.loads rejects longer literals too). */
#define POL_CONTEXT_MAX_BYTES (1024 * 1024)
#define POL_CONTEXT_MAX_DEPTH 64
#define POL_CONTEXT_MAX_ITEMS 4096
#define POL_CONTEXT_MAX_INT_DIGITS 4300

/* Target memory read by the supervisor. PATH_MAX for paths; argv and envp
 * are capped in count and total bytes (ARG_MAX is 2 MiB by default, we
 * read at most this much and deny when the real argv is larger). */
#define POL_TARGET_MAX_PATH 4096
#define POL_TARGET_MAX_ARGC 4096
#define POL_TARGET_MAX_ARGV_BYTES (256 * 1024)
#define POL_TARGET_MAX_ENVC 4096
#define POL_TARGET_MAX_ENV_BYTES (256 * 1024)
/* Wrapper chains (supervisor/run/exec_chain.h): the head's argv kept per
 * chain; a longer one opens no chain (its hops are asked on their own). */
#define POL_EXEC_CHAIN_MAX_ARGV_BYTES (32 * 1024)

/* Payload of an emulated sendto/sendmsg/sendmmsg, copied from the target
 * by the supervisor (docs/SECURITY.md). A larger send is refused (denied with a
 * reason) rather than shortened: a short count is legal for stream sockets
 * but would silently truncate a datagram. 1 MiB covers any datagram
 * (64 KiB) and typical stream writes; the iovec count is capped at UIO_MAXIOV. */
#define POL_TARGET_MAX_SEND_BYTES (1024 * 1024)
#define POL_TARGET_MAX_IOV 1024
/* Messages in one emulated sendmmsg (the kernel's own cap is UIO_MAXIOV). */
#define POL_TARGET_MAX_MMSG 1024
/* Control data (msg_control) of one emulated message, copied from the
 * target once (docs/decode.md, "Control data"). The kernel copies it into
 * a buffer bounded by net.core.optmem_max (128 KiB by default since Linux
 * 6.9) and answers ENOBUFS above it; so do we above this cap. 253
 * descriptors (SCM_MAX_FD) take about 1 KiB. */
#define POL_TARGET_MAX_CONTROL (128 * 1024)

/* Finding the name a case-insensitive file system stores for a path
 * (docs/decode.md, "Case-insensitive file systems"): at most this many
 * entries are read from one directory, and at most this many candidates
 * (same inode number, or equal under ASCII case folding) are stat'ed; a
 * larger directory or more candidates deny the removal with a reason
 * rather than let a spelling decide. */
#define POL_FOLD_MAX_DIR_ENTRIES 100000
#define POL_FOLD_MAX_CANDIDATES 64

/* Process chain depth shown to approvers and written to the audit log. */
#define POL_CHAIN_MAX_DEPTH 16

/* A directory moved by a rename takes every name under it along: the
 * decoder lists them (at most this many entries, this deep) and each is
 * scored as a removal (docs/decode.md). More is not judged name by name
 * and makes the rename at least HIGH (agent rule unjudged_tree); the cap
 * bounds the supervisor's work per call (one evaluation per entry). */
#define POL_RENAME_TREE_MAX_ENTRIES 1024
#define POL_RENAME_TREE_MAX_DEPTH 16

/* One audit line: an entry with a full argv fits well below this; a longer
 * line in a log is reported as broken rather than read without bound. */
#define POL_AUDIT_MAX_LINE (1024 * 1024)

/* How far back from the end of the log start-up looks for the last entry:
 * one maximal line plus slack. Start-up never reads more than this. */
#define POL_AUDIT_TAIL_BYTES (POL_AUDIT_MAX_LINE + 4096)

/* JSON read from audit lines (canonjson.c): nesting depth (entries are 4
 * deep; 64 stops recursion bombs) and integer digits (Python's own
 * int-from-string cap, so both sides reject the same lines). */
#define POL_JSON_MAX_DEPTH 64
#define POL_JSON_MAX_INT_DIGITS 4300

/* The audit head file (last hash + count, a few hundred bytes). */
#define POL_AUDIT_HEAD_MAX_BYTES 4096

/* HMAC key file for the audit log: keys are 32-64 bytes; anything larger
 * is not a key. */
#define POL_AUDIT_KEY_MAX_BYTES 4096

/* Trust store file: per-agent summaries, never history without bound. */
#define POL_TRUST_MAX_BYTES (4 * 1024 * 1024)
#define POL_TRUST_MAX_AGENTS 10000
/* Agent ids and domain names in the trust store: ids are config strings or
 * CLI arguments; 256 bytes is far beyond any real one. Domains per agent:
 * a handful of profiles or environments in practice. */
#define POL_TRUST_MAX_NAME 256
#define POL_TRUST_MAX_DOMAINS 64

/* Shim annotations: fixed-layout messages; anything larger is garbage. */
#define POL_SHIM_MAX_MSG 1024
#define POL_SHIM_MAX_HOST 255

/* Challenge answers and approver identities (uid-derived names): a
 * teach-back explanation is a few sentences; anything longer is refused
 * rather than stored in the audit entry. */
#define POL_CHALLENGE_MAX_ANSWER 4096
#define POL_CHALLENGE_MAX_IDENTITY 256

/* Approval socket: one JSON line from an approver. */
#define POL_APPROVAL_MAX_LINE (64 * 1024)

/* The built-in agent profile's analysis of an exec: wrapper and shell
 * nesting (sudo env sh -c "bash -c ..."), commands in one script, argv
 * entries followed, and script bytes parsed. Real commands stay far below;
 * anything beyond is itself a finding (fail closed), never skipped. */
#define POL_AGENT_MAX_DEPTH 8
#define POL_AGENT_MAX_COMMANDS 128
#define POL_AGENT_MAX_ARGS 1024
#define POL_AGENT_MAX_SCRIPT (64 * 1024)

/* Novelty counters kept per (agent, function name): a sandboxed program
 * can invent names without bound, so the table is capped; when full it is
 * cleared, which makes every name novel again (higher risk, never lower). */
#define POL_NOVELTY_MAX_ENTRIES 4096

/* Signed policy bundles (docs/fleet.md, policy/bundle.h). A bundle holds one
 * config and a few profiles, each itself capped at POL_CONFIG_MAX_BYTES;
 * 64 entries and 16 MiB in all bound a hostile archive long before memory
 * matters. Entry names fit the ustar name field (no prefix is used). The
 * manifest lists names and digests only, so 64 KiB is plenty; a key file
 * is one PEM block. */
#define POL_BUNDLE_MAX_BYTES (16 * 1024 * 1024)
#define POL_BUNDLE_MAX_FILES 64
#define POL_BUNDLE_MAX_FILE_BYTES POL_CONFIG_MAX_BYTES
#define POL_BUNDLE_MAX_NAME 99
#define POL_BUNDLE_MAX_MANIFEST (64 * 1024)
#define POL_BUNDLE_MAX_STRING 256
#define POL_BUNDLE_KEY_MAX_BYTES 4096

/* Enrollment registry file (policy/registry.h): one short row per node.
 * Node ids and enrollment refs are operator-typed identifiers; 256 bytes is
 * far beyond any real one, and 100,000 nodes in 16 MiB covers a large
 * fleet kept in a local file (real fleets use PostgreSQL). */
#define POL_REGISTRY_MAX_BYTES (16 * 1024 * 1024)
#define POL_REGISTRY_MAX_NODES 100000
#define POL_REGISTRY_MAX_NAME 256

#endif
