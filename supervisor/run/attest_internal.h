/*
 * Private to attest_setup.c, attest_watch.c and attest_gate.c: the state
 * of the attestation gate (attest.h). Fields above "published" are set
 * once before the watcher thread starts and only read afterwards; the
 * published result is written by the watcher under lock and announced by
 * gen; the loop thread keeps its own copy (cur, seen_gen).
 */
#ifndef ATTESTA_SUP_ATTEST_INTERNAL_H
#define ATTESTA_SUP_ATTEST_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/stat.h>

#include "policy/attest.h"
#include "policy/bundle.h"
#include "policy/registry.h"
#include "supervisor/run/attest.h"

struct sup_attest {
	enum pol_attestation_mode mode;
	char *node_id;                 /* NULL: none given (not_enrolled) */
	char *bundle_path;             /* --bundle FILE|REF; NULL: no bundle (signature) */
	char bundle_label[600];        /* the file, or "<fleet database: NAME@VERSION>" */
	char *registry_spec;           /* file path or "postgres" */
	char *conninfo;                /* fleet.database, may be NULL */
	char *pubkey_path;             /* NULL: none configured */
	double grace_seconds;
	struct pol_bundle *bundle;     /* the current one; NULL if it could not be read */
	struct pol_bundle *first_bundle; /* the one read at start-up (owned) */
	enum pol_bundle_sig sig;
	char sig_why[1024];             /* what the signature check found */
	const struct pol_bundle_manifest *manifest; /* of bundle, NULL without one */
	struct pol_bundle_key *key;    /* the node's key; NULL if none could be loaded */

	/* reloads (attest_reload.c): set up before the thread starts, then
	 * the watcher's */
	bool follow;                   /* a newer bundle is the policy: a file, or NAME */
	struct pol_config *local;      /* the local config (owned); NULL: no reloads */
	unsigned local_set;            /* its node-local keys (config_local.h) */
	const struct pol_config *running; /* the policy the loop runs or is about to */
	struct stat bundle_st;
	bool bundle_st_valid;
	char last_warning[400];
	struct sup_attest_owned *owned; /* configs, engines, bundles made by reloads */

	/* watcher thread */
	pthread_t thread;
	bool thread_running;
	int stop_fd;                   /* eventfd: stop the thread */
	int inotify_fd;                /* -1: none (postgres, or no directory) */
	struct pol_registry *registry; /* the thread's own handle (own libpq connection) */
	struct stat reg_st;            /* file registry, as last read */
	bool reg_st_valid;
	bool last_failed;              /* the last lookup could not read the registry */
	bool have_ok;                  /* a lookup succeeded once */
	double last_ok_at;             /* when (CLOCK_MONOTONIC seconds) */
	enum pol_attest_result last_ok_result;
	unsigned backoff;              /* postgres: seconds to wait before reconnecting */
	double next_try_at;

	/* published */
	pthread_mutex_t lock;
	atomic_uint gen;
	enum pol_attest_result result;
	char detail[400];
	enum pol_bundle_sig pub_sig;
	char pub_bundle[600];          /* "NAME@VERSION" of the policy bundle, "" */
	struct pol_config *pending_config; /* a reloaded policy for the loop to take */
	struct pol_engine *pending_engine;

	/* loop thread's view */
	unsigned seen_gen;
	enum pol_attest_result cur;
	char cur_detail[400];
	enum pol_bundle_sig cur_sig;
	char cur_bundle[600];
};

struct sup_attest_owned {
	struct pol_config *config;
	struct pol_engine *engine;
	struct pol_bundle *bundle;
	struct sup_attest_owned *next;
};

/* attest_watch.c: evaluate once now and publish (any thread that owns
 * a->registry). */
void sup_attest_evaluate(struct sup_attest *a);
double sup_attest_monotonic(void);

/* attest_reload.c (watcher thread): if the bundle changed, verify it and
 * publish its policy for the loop thread (or fail closed). */
void sup_attest_check_bundle(struct sup_attest *a);
/* The bundle file changed on disk since last seen? (file bundles only) */
bool sup_attest_bundle_file_changed(struct sup_attest *a);
/* Loop thread: take a published policy (gate->config, engine, approval). */
void sup_attest_take_policy(struct sup_gate *gate, struct sup_attest *a);
void sup_attest_owned_free(struct sup_attest *a);
/* "NAME@VERSION" of a bundle's manifest into buf. */
void sup_attest_bundle_name(const struct pol_bundle *b, char *buf, size_t size);

#endif
