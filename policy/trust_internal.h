/*
 * Private to the trust engine (trust.c: the model and in-memory events;
 * trust_store.c: the file format, locking and atomic writes). Not
 * exported from the library's public headers.
 */
#ifndef ATTESTA_TRUST_INTERNAL_H
#define ATTESTA_TRUST_INTERNAL_H

#include "trust.h"

/* Agents sorted by id (binary search, deterministic output). */
struct trust_table {
	struct pol_trust_agent *agents;
	size_t count;
	size_t capacity;
};

enum trust_op_kind {
	TRUST_OP_DECISION = 0,
	TRUST_OP_INCIDENT,
	TRUST_OP_REVOKE,
	TRUST_OP_REINSTATE,
};

/* One event recorded since the last save, replayed on top of the file's
 * current content at save time. */
struct trust_op {
	enum trust_op_kind kind;
	char *agent_id;
	char *domain;
	enum pol_trust_event event;
	enum pol_trust_severity severity;
	char *action;
	double now;
};

struct pol_trust_store {
	char *path;                     /* NULL: parsed from memory */
	struct pol_trust_params params;
	struct trust_table table;
	struct trust_op *pending;
	size_t n_pending;
	size_t cap_pending;
};

/* Apply one event to a table. 0 or -errno (table unchanged on error,
 * except that a new empty agent may remain). */
int trust_table_apply(struct trust_table *table, const struct trust_op *op);
void trust_table_release(struct trust_table *table);

/* Find or create; created agents start with no domains. NULL with *err. */
struct pol_trust_agent *trust_table_agent(struct trust_table *table, const char *id,
					  bool create, int *err);
/* Same for a domain of an agent; created domains are zeroed with
 * first_seen = last_activity = now. */
struct pol_trust_domain *trust_agent_domain(struct pol_trust_agent *agent, const char *name,
					    bool create, double now, int *err);

/* A valid agent id or domain name: 1..POL_TRUST_MAX_NAME bytes, no
 * control characters. */
bool trust_name_valid(const char *name);

/* Drop the unsaved events (after they were saved). */
void trust_store_pending_release(struct pol_trust_store *store);

/* File format (trust_store.c). */
int trust_table_parse(const char *name, const char *buf, size_t len,
		      struct trust_table *ret_table, struct pol_diag *diag);
/* Malloc'd JSON text, NULL on ENOMEM. */
char *trust_table_serialize(const struct trust_table *table);

#endif
