/*
 * Shared between the registry front end (registry.c) and its backends
 * (registry_file.c, registry_pg.c): the backend table and the one change
 * record every mutation goes through. Not a public header.
 */
#ifndef ATTESTA_REGISTRY_INTERNAL_H
#define ATTESTA_REGISTRY_INTERNAL_H

#include "registry.h"

enum registry_change_kind { REGISTRY_ENROLL, REGISTRY_REVOKE, REGISTRY_ROLLOUT };

struct registry_change {
	enum registry_change_kind kind;
	const char *node_id;
	const char *enrollment_ref;         /* REGISTRY_ENROLL */
	enum pol_rollout_state rollout;     /* REGISTRY_ROLLOUT */
	double now;
};

struct registry_ops {
	int (*lookup)(struct pol_registry *registry, const char *node_id,
		      struct pol_enrollment *ret_row, struct pol_diag *diag);
	/* Apply one change atomically; -ENOENT when revoke/rollout names a
	 * node that is not enrolled. */
	int (*change)(struct pol_registry *registry, const struct registry_change *change,
		      struct pol_diag *diag);
	void (*free)(struct pol_registry *registry);
};

struct pol_registry {
	const struct registry_ops *ops;
	char *description;   /* "file:PATH" or "postgres" */
	char *path;          /* file backend */
	void *conn;          /* postgres backend: PGconn */
};

/* Apply change to row in place (row is the existing one for revoke and
 * rollout; for enroll it may be a zeroed new row). -ENOMEM. */
int registry_apply(struct pol_enrollment *row, const struct registry_change *change);

int registry_file_open(struct pol_registry *registry, const char *path);
int registry_pg_open(struct pol_registry *registry, const char *conninfo,
		     struct pol_diag *diag);

#endif
