/*
 * Every hard limit attesta applies to untrusted input, in one place, each
 * with the reason for its value. Anything read from a file an attacker may
 * edit, from a sandboxed process's memory, or from a socket a sandboxed
 * process can write to is bounded by one of these before it is parsed.
 */
#ifndef ATTESTA_LIMITS_H
#define ATTESTA_LIMITS_H

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

/* Target memory read by the supervisor. PATH_MAX for paths; argv and envp
 * are capped in count and total bytes (ARG_MAX is 2 MiB by default, we
 * read at most this much and deny when the real argv is larger). */
#define POL_TARGET_MAX_PATH 4096
#define POL_TARGET_MAX_ARGC 4096
#define POL_TARGET_MAX_ARGV_BYTES (256 * 1024)
#define POL_TARGET_MAX_ENVC 4096
#define POL_TARGET_MAX_ENV_BYTES (256 * 1024)

/* Process chain depth shown to approvers and written to the audit log. */
#define POL_CHAIN_MAX_DEPTH 16

/* One audit line: an entry with a full argv fits well below this; a longer
 * line in a log is reported as broken rather than read without bound. */
#define POL_AUDIT_MAX_LINE (1024 * 1024)

/* How far back from the end of the log start-up looks for the last entry:
 * one maximal line plus slack. Start-up never reads more than this. */
#define POL_AUDIT_TAIL_BYTES (POL_AUDIT_MAX_LINE + 4096)

/* Trust store file: per-agent summaries, never history without bound. */
#define POL_TRUST_MAX_BYTES (4 * 1024 * 1024)
#define POL_TRUST_MAX_AGENTS 10000

/* Shim annotations: fixed-layout messages; anything larger is garbage. */
#define POL_SHIM_MAX_MSG 1024
#define POL_SHIM_MAX_HOST 255

/* Approval socket: one JSON line from an approver. */
#define POL_APPROVAL_MAX_LINE (64 * 1024)

#endif
