/*
 * attesta-run's fleet set-up (attest.h): where the attestation mode, node
 * id, bundle and trusted key come from (docs/fleet.md, "Where things come
 * from"), the bundle's signature check, and the bundle's config and
 * profiles becoming the policy with only the node-local keys of the local
 * config applied (policy/config_local.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/config_local.h"
#include "policy/fleet_db.h"
#include "supervisor/run/attest_internal.h"
#include "supervisor/run/statepaths.h"

static int fail(char *reason, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(char *reason, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, size, fmt, ap);
	va_end(ap);
	return -1;
}

static int parse_mode(const char *s, enum pol_attestation_mode *ret)
{
	if (!strcmp(s, "off"))
		*ret = POL_ATTEST_OFF;
	else if (!strcmp(s, "advisory"))
		*ret = POL_ATTEST_ADVISORY;
	else if (!strcmp(s, "enforce"))
		*ret = POL_ATTEST_ENFORCE;
	else
		return -EINVAL;
	return 0;
}

static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

static int dup_opt(char **dst, const char *src)
{
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -ENOMEM;
}

/* Read the bundle and check it with the node's key; a->sig and a->sig_why
 * say what was found. The key that was looked for is always named. */
static void check_bundle(struct sup_attest *a, const char *key_from)
{
	struct pol_bundle_key *key = NULL;
	struct pol_diag diag;
	char line[600];
	int r;

	a->sig = POL_BUNDLE_SIG_MALFORMED;
	memset(&diag, 0, sizeof diag);
	/* a file, or NAME[@VERSION] pulled from the fleet database */
	r = pol_fleet_bundle_load(a->bundle_path, a->conninfo, &a->bundle, a->bundle_label,
				  sizeof a->bundle_label, &diag);
	if (r < 0) {
		pol_diag_format(&diag, line, sizeof line);
		snprintf(a->sig_why, sizeof a->sig_why, "cannot read bundle '%.200s': %.400s",
			 a->bundle_path, diag.message[0] ? line : strerror(-r));
		a->bundle = NULL;
		return;
	}
	a->first_bundle = a->bundle;
	a->manifest = pol_bundle_manifest(a->bundle);
	if (!a->pubkey_path) {
		snprintf(a->sig_why, sizeof a->sig_why, "no bundle public key: looked for "
			 "$ATTESTA_BUNDLE_PUBKEY and attestation.pubkey, neither is set");
		a->sig = POL_BUNDLE_SIG_NO_KEY;
		return;
	}
	memset(&diag, 0, sizeof diag);
	r = pol_bundle_key_load(a->pubkey_path, false, &key, &diag);
	if (r < 0) {
		pol_diag_format(&diag, line, sizeof line);
		snprintf(a->sig_why, sizeof a->sig_why, "cannot load the bundle public key '%.200s' "
			 "(from %s): %.400s", a->pubkey_path, key_from,
			 diag.message[0] ? line : strerror(-r));
		a->sig = POL_BUNDLE_SIG_NO_KEY;
		return;
	}
	memset(&diag, 0, sizeof diag);
	a->key = key; /* kept: a newer bundle is checked with it (attest_reload.c) */
	a->sig = pol_bundle_check(a->bundle, key, &diag);
	if (a->sig != POL_BUNDLE_SIG_OK) {
		pol_diag_format(&diag, line, sizeof line);
		snprintf(a->sig_why, sizeof a->sig_why, "bundle '%.200s' fails its signature "
			 "check with key '%.200s' (from %s): %s: %.400s", a->bundle_path, a->pubkey_path,
			 key_from, pol_bundle_sig_name(a->sig), diag.message[0] ? line : "");
	}
}

/* The verified bundle's config is the policy; the local config adds its
 * node-local keys (set). */
static int bundle_policy(struct sup_attest *a, struct pol_config **config, unsigned set,
			 char *reason, size_t size)
{
	struct pol_config *policy = NULL;
	struct pol_diag diag;
	const char *data;
	size_t len;
	char name[600], line[700];
	int r;

	if (pol_bundle_member(a->bundle, POL_BUNDLE_CONFIG, &data, &len) < 0)
		return fail(reason, size, "bundle '%s' has no %s", a->bundle_path,
			    POL_BUNDLE_CONFIG);
	snprintf(name, sizeof name, "%s:%s", a->bundle_path, POL_BUNDLE_CONFIG);
	memset(&diag, 0, sizeof diag);
	r = pol_config_load_buffer(name, data, len, &policy, &diag);
	if (r < 0) {
		pol_diag_format(&diag, line, sizeof line);
		return fail(reason, size, "%s", diag.message[0] ? line : strerror(-r));
	}
	if (pol_config_take_local(policy, *config, set) < 0) {
		pol_config_free(policy);
		return fail(reason, size, "out of memory");
	}
	/* the file that holds the policy: the gate protects it like a config
	 * file (state_protect.h) */
	char *source = strdup(a->bundle_label);
	if (!source) {
		pol_config_free(policy);
		return fail(reason, size, "out of memory");
	}
	free(policy->source);
	policy->source = source;
	policy->profile_bundle = a->bundle;
	/* the local config is kept: a reloaded bundle gets the same keys */
	a->local = *config;
	a->local_set = set;
	*config = policy;
	return 0;
}

int sup_attest_setup(const struct sup_attest_opts *o, struct pol_config **config,
		     struct sup_attest **ret, char *reason, size_t size)
{
	struct pol_config *c = *config;
	enum pol_attestation_mode mode = c->attestation_mode;
	const char *m = o->mode ? o->mode : env("ATTESTA_ATTESTATION_MODE");
	const char *bundle = o->bundle ? o->bundle : c->bundle;
	const char *node = o->node_id ? o->node_id : env("ATTESTA_NODE_ID") ? env("ATTESTA_NODE_ID")
							   : c->node_id;
	const char *key_from = env("ATTESTA_BUNDLE_PUBKEY") ? "$ATTESTA_BUNDLE_PUBKEY"
							    : "attestation.pubkey";
	const char *pubkey = env("ATTESTA_BUNDLE_PUBKEY") ? env("ATTESTA_BUNDLE_PUBKEY")
							  : c->attestation_pubkey;
	struct sup_attest *a;
	unsigned set = 0;

	*ret = NULL;
	if (m && parse_mode(m, &mode) < 0)
		return fail(reason, size, "invalid %s '%s' (off, advisory or enforce)",
			    o->mode ? "--attestation" : "ATTESTA_ATTESTATION_MODE", m);
	if (node && !pol_registry_name_valid(node))
		return fail(reason, size, "invalid node id '%.64s' (1-256 bytes of "
			    "A-Z a-z 0-9 . _ : @ / + = -)", node);
	if (mode == POL_ATTEST_OFF && !bundle)
		return 0;
	if (bundle) {
		/* SECURITY: a local config next to a bundle may not change the
		 * signed policy (docs/fleet.md): refuse any other key. */
		const char *local = o->config_path;
		struct stat st;

		if (!local && stat(POL_CONFIG_DEFAULT_PATH, &st) == 0)
			local = POL_CONFIG_DEFAULT_PATH;
		if (local) {
			struct pol_diag diag;
			char line[1200];
			int r;

			memset(&diag, 0, sizeof diag);
			r = pol_config_check_local(local, &set, &diag);
			if (r < 0) {
				pol_diag_format(&diag, line, sizeof line);
				return fail(reason, size, "%s", diag.message[0] ? line : strerror(-r));
			}
		}
	}
	a = calloc(1, sizeof *a);
	if (!a)
		return fail(reason, size, "out of memory");
	a->mode = mode;
	a->stop_fd = a->inotify_fd = -1;
	a->grace_seconds = c->attestation_grace_seconds;
	pthread_mutex_init(&a->lock, NULL);
	if (dup_opt(&a->node_id, node) < 0 || dup_opt(&a->bundle_path, bundle) < 0 ||
	    dup_opt(&a->registry_spec, c->registry ? c->registry : POL_REGISTRY_DEFAULT_PATH) < 0 ||
	    dup_opt(&a->conninfo, c->fleet_database) < 0 || dup_opt(&a->pubkey_path, pubkey) < 0) {
		sup_attest_free(a);
		return fail(reason, size, "out of memory");
	}
	a->sig = POL_BUNDLE_SIG_MALFORMED;
	snprintf(a->sig_why, sizeof a->sig_why, "no bundle (--bundle, attestation.bundle)");
	if (bundle) {
		check_bundle(a, key_from);
		if (a->sig == POL_BUNDLE_SIG_OK && bundle_policy(a, config, set, reason, size) < 0) {
			sup_attest_free(a);
			return -1;
		} else if (mode == POL_ATTEST_OFF) {
			/* no gate to fail closed in: refuse to run on it */
			fail(reason, size, "%s", a->sig_why);
			sup_attest_free(a);
			return -1;
		}
	}
	/* a file, or NAME without a version: a newer bundle becomes the
	 * policy of the running gate (docs/fleet.md) */
	a->follow = a->local && (a->bundle_label[0] != '<' || !strchr(a->bundle_path, '@'));
	a->pub_sig = a->sig;
	if (a->sig == POL_BUNDLE_SIG_OK)
		sup_attest_bundle_name(a->bundle, a->pub_bundle, sizeof a->pub_bundle);
	/* mode off with a verified bundle: it is the policy, no predicate */
	*ret = a;
	return 0;
}

int sup_attest_protect(const struct sup_attest *a)
{
	int rc = 0;

	if (!a)
		return 0;
	if (a->bundle_label[0] != '<') /* pulled bundles are in memory only */
		rc = rc ?: sup_state_paths_add(a->bundle_path, "policy bundle");
	rc = rc ?: sup_state_paths_add(a->pubkey_path, "bundle public key");
	if (a->mode != POL_ATTEST_OFF && strcmp(a->registry_spec, POL_REGISTRY_POSTGRES))
		rc = rc ?: sup_state_paths_add(a->registry_spec, "enrollment registry");
	return rc;
}

bool sup_attest_active(const struct sup_attest *a)
{
	return a && a->mode != POL_ATTEST_OFF;
}
