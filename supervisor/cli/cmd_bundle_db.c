/*
 * `attesta bundle push FILE` and `attesta bundle pull NAME[@VERSION] FILE`
 * (docs/fleet.md, "Bundles in the fleet database"): a bundle is verified
 * with the operator's key before it is stored, and again after it is
 * fetched, before it is written; a bundle that does not verify is never
 * stored or written. Exit 0 ok, 1 any failure, 2 usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "fleet_common.h"
#include "policy/atomic_file.h"
#include "policy/bundle.h"
#include "policy/file_read.h"
#include "policy/fleet_db.h"
#include "policy/pol_limits.h"

struct ctx {
	struct pol_config *config;
	const char *conninfo;
	struct pol_bundle_key *key;
};

static int setup(struct ctx *c, const char *config_path, const char *database,
		 const char *pubkey)
{
	struct fleet_opts opts = { .config_path = config_path };
	struct pol_diag diag = { 0 };
	const char *env = getenv("ATTESTA_BUNDLE_PUBKEY");
	int r;

	if (fleet_load_config(&opts, &c->config))
		return CLI_EXIT_INVALID;
	c->conninfo = database ? database : c->config->fleet_database;
	if (!pubkey)
		pubkey = env && *env ? env : c->config->attestation_pubkey;
	if (!pubkey) {
		fprintf(stderr, "attesta: no bundle public key: looked for --pubkey, "
			"$ATTESTA_BUNDLE_PUBKEY and attestation.pubkey, none is set\n");
		return CLI_EXIT_INVALID;
	}
	r = pol_bundle_key_load(pubkey, false, &c->key, &diag);
	if (r < 0) {
		fleet_print_diag(&diag, pubkey, r);
		return CLI_EXIT_INVALID;
	}
	return 0;
}

static void release(struct ctx *c)
{
	pol_bundle_key_free(c->key);
	pol_config_free(c->config);
}

/* Signature, digests, config and profiles; prints why on failure. */
static int verified(const struct ctx *c, const struct pol_bundle *b, const char *label)
{
	struct pol_diag diag = { 0 };

	if (pol_bundle_check(b, c->key, &diag) != POL_BUNDLE_SIG_OK ||
	    pol_bundle_check_content(b, &diag) < 0) {
		fleet_print_diag(&diag, label, -EINVAL);
		return CLI_EXIT_INVALID;
	}
	return 0;
}

int bundle_push(const char *config_path, const char *database, const char *pubkey,
		const char *path)
{
	struct ctx c = { 0 };
	struct pol_bundle *b = NULL;
	struct pol_diag diag = { 0 };
	char *data = NULL;
	size_t len = 0;
	int r, rc;

	if ((rc = setup(&c, config_path, database, pubkey)))
		goto out;
	rc = CLI_EXIT_INVALID;
	r = pol_file_read(path, POL_BUNDLE_MAX_BYTES, 0, &data, &len);
	if (r < 0) {
		fprintf(stderr, "attesta: cannot read '%s': %s\n", path, pol_file_read_strerror(r));
		goto out;
	}
	r = pol_bundle_parse(path, data, len, &b, &diag);
	if (r < 0) {
		fleet_print_diag(&diag, path, r);
		goto out;
	}
	if (verified(&c, b, path))
		goto out;
	const struct pol_bundle_manifest *m = pol_bundle_manifest(b);
	r = pol_fleet_bundle_push(c.conninfo, m->name, m->version, data, len, &diag);
	if (r < 0) {
		fleet_print_diag(&diag, "push", r);
		goto out;
	}
	printf("bundle %s@%s: pushed\n", m->name, m->version);
	rc = CLI_EXIT_OK;
out:
	pol_bundle_free(b);
	free(data);
	release(&c);
	return rc;
}

int bundle_pull(const char *config_path, const char *database, const char *pubkey,
		const char *ref, const char *out)
{
	struct ctx c = { 0 };
	struct pol_bundle *b = NULL;
	struct pol_diag diag = { 0 };
	char resolved[2 * POL_BUNDLE_MAX_STRING + 2];
	char *data = NULL;
	size_t len = 0;
	int r, rc;

	if ((rc = setup(&c, config_path, database, pubkey)))
		goto out;
	rc = CLI_EXIT_INVALID;
	r = pol_fleet_bundle_pull(c.conninfo, ref, &data, &len, resolved, sizeof resolved, &diag);
	if (r < 0) {
		fleet_print_diag(&diag, ref, r);
		goto out;
	}
	r = pol_bundle_parse(resolved, data, len, &b, &diag);
	if (r < 0) {
		fleet_print_diag(&diag, resolved, r);
		goto out;
	}
	if (verified(&c, b, resolved))
		goto out;
	r = pol_file_write_atomic(out, data, len, 0644, 0, "bundle", &diag);
	if (r < 0) {
		fleet_print_diag(&diag, out, r);
		goto out;
	}
	printf("bundle %s -> %s\n", resolved, out);
	rc = CLI_EXIT_OK;
out:
	pol_bundle_free(b);
	free(data);
	release(&c);
	return rc;
}
