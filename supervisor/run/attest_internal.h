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
	struct pol_bundle *bundle;     /* NULL if it could not be read */
	enum pol_bundle_sig sig;
	char sig_why[1024];             /* what the signature check found */
	const struct pol_bundle_manifest *manifest; /* of bundle, NULL without one */

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

	/* loop thread's view */
	unsigned seen_gen;
	enum pol_attest_result cur;
	char cur_detail[400];
};

/* attest_watch.c: evaluate once now and publish (any thread that owns
 * a->registry). */
void sup_attest_evaluate(struct sup_attest *a);
double sup_attest_monotonic(void);

#endif
