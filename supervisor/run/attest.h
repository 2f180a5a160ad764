/*
 * Fleet mode in attesta-run (docs/fleet.md, "Fleet mode in attesta-run"):
 * the attestation gate of docs/score.md step 7 and a signed bundle as the
 * policy.
 *
 * attest_setup.c resolves the mode, node id, bundle and trusted key, checks
 * the bundle's signature first and, when it verifies, makes the bundle's
 * attesta.yaml and profiles the policy (a local -c may set only the
 * node-local keys of policy/config_local.h). attest_reload.c makes a newer
 * verified bundle the running policy. attest_watch.c evaluates the
 * predicate at start-up and on a helper thread whenever the registry
 * changes (inotify on the registry file's directory plus a 1 s check; a
 * 1 s query for PostgreSQL), and publishes the result. attest_gate.c is
 * what the verdict path calls: the cached result is read with one atomic
 * load per gated call; with mode off there is no state at all (gate->attest
 * is NULL) and the verdict path pays one pointer test.
 *
 * Trust: the bundle is untrusted until its signature verifies with the
 * node's key; nothing in it (config, profiles, enrollment ref) is used
 * before that. Every error fails closed: an unreadable registry is
 * "attestation: not_enrolled" (after attestation.grace_seconds of last
 * known state, 0 by default), a bad bundle "attestation: signature".
 */
#ifndef ATTESTA_SUP_ATTEST_H
#define ATTESTA_SUP_ATTEST_H

#include <stdbool.h>
#include <stddef.h>

#include "policy/config.h"
#include "supervisor/run/loop.h"

struct sup_attest;

/* What attesta-run's command line says (NULL: not given). */
struct sup_attest_opts {
	const char *config_path;  /* -c FILE, NULL: ./attesta.yaml if it exists */
	const char *mode;         /* --attestation */
	const char *node_id;      /* --node-id */
	const char *bundle;       /* --bundle */
};

/* Before the engine is built. Resolves mode (--attestation >
 * $ATTESTA_ATTESTATION_MODE > attestation.mode), node id and bundle; with
 * a bundle, checks the local config sets only local keys, reads the
 * bundle and checks its signature and, if it verifies, replaces *config by
 * the bundle's config with the local keys applied (profiles come from the
 * bundle). *ret is NULL when the mode is off and no bundle is named.
 * Returns 0, or -1 after writing why in reason (attesta-run exits 125):
 * bad values, a local key that is not allowed, or a bundle that does not
 * verify with mode off (there is no gate to fail closed in). */
int sup_attest_setup(const struct sup_attest_opts *o, struct pol_config **config,
		     struct sup_attest **ret, char *reason, size_t size);

/* true when the predicate runs (mode advisory or enforce): only then is
 * the state given to the loop (loop->gate->attest). */
bool sup_attest_active(const struct sup_attest *a);

/* The files the sandbox must not rename or remove (statepaths.h): the
 * bundle, the key, the registry file. */
int sup_attest_protect(const struct sup_attest *a);

/* The first evaluation (synchronous) and the watcher thread. Call with all
 * signals blocked in the caller (the thread inherits the mask), after
 * PROG was forked; config is the policy the loop starts with. 0 or
 * -errno. Mode off: nothing. */
int sup_attest_start(struct sup_attest *a, const struct pol_config *config);

/* Loop thread: take a newly published result (if any), write its
 * attestation audit entry and say it once on stderr. 0 or -errno (the
 * entry could not be written: callers deny). */
int sup_attest_sync(struct sup_gate *gate);

/* Verdict path, enforce: true (and the reason) when every gated call must
 * be denied now. */
bool sup_attest_denies(struct sup_gate *gate, const char **ret_reason);

/* Verdict path, advisory: after the policy-layer entry entry_id was
 * written for a call, write its would-deny shadow if the predicate fails.
 * 0, or -errno when the shadow could not be written (the caller denies). */
struct sup_verdict_extra;
int sup_attest_shadow(struct sup_gate *gate, const struct sup_held *held,
		      const struct sup_verdict_extra *x, const char *entry_id);

/* Stop the thread and free everything (NULL is fine). */
void sup_attest_free(struct sup_attest *a);

#endif
