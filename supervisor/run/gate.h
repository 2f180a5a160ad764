/*
 * The gate (docs/ARCHITECTURE.md, "The supervisor's core"): the state
 * every decision is made against — the policy (config and engine, which
 * a newer attested bundle may replace, attest.h), the audit log, trust,
 * the exec check, attestation, the approval table with its scopes and
 * repeats, the approval socket's identity, who and where the agent is,
 * what the decoders are told, and the record stage's arena. One object,
 * owned by main.c and given to the loop (loop->gate); the decide stage
 * reads only this and the held call (decide.h), the record stage
 * (record.h, verdict_entry.h) and the attestation gate (attest.h) only
 * this.
 */
#ifndef ATTESTA_SUP_GATE_H
#define ATTESTA_SUP_GATE_H

#include <stdbool.h>
#include <sys/types.h>

#include "supervisor/run/decode.h"

struct pol_config;
struct pol_engine;
struct pol_audit_log;
struct pol_trust_store;
struct sup_execcheck;
struct sup_attest;
struct sup_approval;
struct sup_scope_table;
struct sup_repeat;
struct sup_exec_chains;
struct sup_trust_pg;
struct pol_json_arena;

/* A file's identity; known false: none. */
struct sup_file_id {
	bool known;
	dev_t dev;
	ino_t ino;
};

struct sup_gate {
	const struct pol_config *config;
	struct pol_engine *engine;
	struct pol_audit_log *audit;
	struct pol_trust_store *trust;    /* may be NULL: neutral trust 0.5 */
	struct sup_trust_pg *trust_pg;    /* trust.backend postgres (trust_watch.h): read instead */
	struct sup_execcheck *execcheck;  /* may be NULL: exec not verified */
	struct sup_attest *attest;        /* NULL: attestation off (attest.h); not owned */
	struct sup_approval *approval;    /* NULL: renderer none (fail_mode at once) */
	struct sup_scope_table *scopes;   /* NULL: no approval scopes */
	struct sup_repeat *repeats;       /* calls a human refused just now */
	struct sup_exec_chains *chains;   /* wrapper chains (exec_chain.h); made on first use */
	/* The approval socket (human.c), the one copy: the hard rule
	 * (decide.c, by the fact human.c gathers) and the emulation's own
	 * check (emulate.h: sup_emulate_forbid_socket) both read it. */
	struct sup_file_id approval_sock;
	const char *agent_id;
	const char *environment;
	char session_id[40];
	struct sup_decode_opts decode_opts; /* what the decoders are told (decode.h) */
	bool shim_mode;                   /* calls are held by the shim, not seccomp (shimloop.h) */
	struct pol_json_arena *entry_arena; /* the record stage builds entries here (verdict_entry.h) */
};

#endif
