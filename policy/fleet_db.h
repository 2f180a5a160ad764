/*
 * The fleet database beyond the registry rows (docs/fleet.md): change
 * notifications for running gates (LISTEN/NOTIFY), the versioned schema
 * with its roles (`attesta db init`), and signed bundles stored under
 * name@version (`attesta bundle push|pull`). All through libpq; every
 * value is a parameter, never SQL text. Built only with libpq's header;
 * otherwise every function returns -ENOTSUP with a message.
 *
 * Trust: bundles read back from the database are untrusted bytes: the
 * caller parses them and checks the signature with its own key
 * (bundle.h); a stored bundle is never trusted because it was stored.
 */
#ifndef ATTESTA_FLEET_DB_H
#define ATTESTA_FLEET_DB_H

#include <stddef.h>

#include "diag.h"

/* Channels notified by the schema's triggers (payload: node id, or
 * name@version). */
#define POL_FLEET_CHANNEL_ENROLLMENT "attesta_enrollment"
#define POL_FLEET_CHANNEL_BUNDLE "attesta_bundle"
/* payload: agent id (docs/trust.md) */
#define POL_FLEET_CHANNEL_TRUST "attesta_trust"

/* --- LISTEN (fleet_listen.c) --- */

struct pol_fleet_listener;
/* Connect (own connection) and LISTEN on channel. -ECONNREFUSED with diag,
 * -ENOMEM. */
int pol_fleet_listen(const char *conninfo, const char *channel,
		     struct pol_fleet_listener **ret, struct pol_diag *diag);
/* LISTEN on one more channel too. 0 or -EIO with diag. */
int pol_fleet_listen_also(struct pol_fleet_listener *l, const char *channel,
			  struct pol_diag *diag);
/* The socket to poll for input. */
int pol_fleet_listener_fd(const struct pol_fleet_listener *l);
/* Read what arrived: the number of notifications (>= 0), or -EPIPE when
 * the connection is lost (diag says why). */
int pol_fleet_listener_drain(struct pol_fleet_listener *l, struct pol_diag *diag);
void pol_fleet_listener_free(struct pol_fleet_listener *l);

/* --- schema (fleet_schema.c) --- */

/* Apply the migrations not yet applied, in order, each in the same
 * transaction as its version row, under an advisory lock: idempotent.
 * *ret_from / *ret_to: the version before and after. 0 or -EIO with diag. */
int pol_fleet_db_init(const char *conninfo, int *ret_from, int *ret_to, struct pol_diag *diag);

/* --- bundles (fleet_bundle.c) --- */

/* Store a bundle (already verified by the caller) under name@version.
 * -EEXIST if that version exists with other content (history is kept,
 * never rewritten); 0 if stored or identical. -EIO with diag. */
int pol_fleet_bundle_push(const char *conninfo, const char *name, const char *version,
			  const void *data, size_t len, struct pol_diag *diag);
/* Fetch "name" (the newest pushed) or "name@version" (exact). *ret_data
 * is malloc'd. -ENOENT (no such bundle), -EINVAL (bad ref), -EIO. */
int pol_fleet_bundle_pull(const char *conninfo, const char *ref, char **ret_data,
			  size_t *ret_len, char *ret_resolved, size_t resolved_size,
			  struct pol_diag *diag);

/* A bundle named by FILE or by a fleet reference (attesta-run --bundle,
 * attestation eval --bundle): an existing file is read; otherwise a spec
 * without '/' is NAME[@VERSION] and is pulled from the database at
 * conninfo. ret_label (if not NULL) gets "FILE" or "<fleet database:
 * NAME@VERSION>". Structure only: check the signature before trusting it.
 * 0 or -errno with diag. */
struct pol_bundle;
int pol_fleet_bundle_load(const char *spec, const char *conninfo, struct pol_bundle **ret,
			  char *ret_label, size_t label_size, struct pol_diag *diag);

#endif
