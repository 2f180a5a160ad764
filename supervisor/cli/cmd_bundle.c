/*
 * `attesta bundle keygen|pack|verify` (docs/fleet.md, docs/fleet.md): make an
 * Ed25519 signing key pair, pack a config and profiles into a signed
 * bundle, and verify a bundle (signature, every sha256, and that its
 * config and profiles load). Trusts its arguments no more than any user
 * input; inputs are read bounded, and pack refuses a config that does not
 * load, so a signed bundle never carries a config nodes would reject.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli_args.h"
#include "commands.h"
#include "fleet_common.h"
#include "policy/atomic_file.h"
#include "policy/bundle.h"
#include "policy/domain.h"
#include "policy/file_read.h"
#include "policy/pol_limits.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: attesta bundle COMMAND\n"
		"\n"
		"  keygen --out DIR                         write DIR/bundle.key (0600) and DIR/bundle.pub\n"
		"  pack --key PRIV --name N --version V [--enrollment-ref REF] --out FILE\n"
		"       CONFIG [PROFILE.yaml...]            sign CONFIG (stored as attesta.yaml) and\n"
		"                                           profiles (stored as profiles/BASENAME)\n"
		"  verify --pubkey PUB FILE                 check signature, digests, config and profiles\n"
		"  push [--pubkey PUB] FILE                 verify, then store in the fleet database as\n"
		"                                           NAME@VERSION (history kept)\n"
		"  pull [--pubkey PUB] NAME[@VERSION] FILE  fetch (NAME: the newest pushed), verify, write\n"
		"\n"
		"push and pull: -c FILE, --database CONNINFO (else fleet.database); the key is\n"
		"--pubkey, else $ATTESTA_BUNDLE_PUBKEY, else attestation.pubkey.\n"
		"pack honours SOURCE_DATE_EPOCH for created_at (reproducible bundles).\n"
		"exit status: 0 ok, 1 invalid input (bad key, bad bundle, bad config), 2 usage\n");
}

static int keygen(const char *dir)
{
	struct pol_bundle_key *key = NULL;
	struct pol_diag diag = { 0 };
	char fingerprint[65];
	int r;

	r = pol_bundle_key_generate(&key);
	if (r < 0) {
		fprintf(stderr, "attesta: cannot generate an Ed25519 key: %s\n", strerror(-r));
		return CLI_EXIT_INVALID;
	}
	r = pol_bundle_key_save(key, dir, &diag);
	if (r == 0)
		r = pol_bundle_key_fingerprint(key, fingerprint);
	pol_bundle_key_free(key);
	if (r < 0) {
		fleet_print_diag(&diag, dir, r);
		return CLI_EXIT_INVALID;
	}
	printf("private key: %s/%s (keep it secret)\npublic key:  %s/%s\nfingerprint: sha256:%s\n",
	       dir, POL_BUNDLE_KEY_PRIVATE, dir, POL_BUNDLE_KEY_PUBLIC, fingerprint);
	return CLI_EXIT_OK;
}

static time_t created_at(void)
{
	const char *epoch = getenv("SOURCE_DATE_EPOCH");
	char *end;
	long long v;

	if (epoch && *epoch) {
		errno = 0;
		v = strtoll(epoch, &end, 10);
		if (!errno && !*end && v > 0)
			return (time_t)v;
	}
	return time(NULL);
}

/* Read and check one input: the config must load, profiles must load. */
static int read_input(const char *path, bool is_config, struct pol_bundle_input *in,
		      char **ret_name)
{
	struct pol_diag diag = { 0 };
	const char *base = strrchr(path, '/');
	char *buf = NULL, *name = NULL;
	size_t len = 0, name_len;
	int r;

	r = pol_file_read(path, POL_BUNDLE_MAX_FILE_BYTES, 0, &buf, &len);
	if (r < 0) {
		fprintf(stderr, "attesta: cannot read '%s': %s\n", path, pol_file_read_strerror(r));
		return CLI_EXIT_INVALID;
	}
	if (is_config) {
		struct pol_config *config = NULL;
		r = pol_config_load_buffer(path, buf, len, &config, &diag);
		pol_config_free(config);
		name = strdup(POL_BUNDLE_CONFIG);
	} else {
		struct pol_domain_profile *profile = NULL;
		r = pol_domain_load_buffer(path, buf, len, &profile, &diag);
		pol_domain_free(profile);
		base = base ? base + 1 : path;
		name_len = strlen(POL_BUNDLE_PROFILE_DIR) + strlen(base) + 1;
		name = malloc(name_len);
		if (name)
			snprintf(name, name_len, "%s%s", POL_BUNDLE_PROFILE_DIR, base);
	}
	if (r < 0 || !name) {
		fleet_print_diag(&diag, path, r < 0 ? r : -ENOMEM);
		free(buf);
		free(name);
		return CLI_EXIT_INVALID;
	}
	in->name = name;
	in->data = buf;
	in->len = len;
	*ret_name = name;
	return 0;
}

static int pack(const char *key_path, const struct pol_bundle_meta *meta, const char *out_path,
		char **paths, int n_paths)
{
	struct pol_bundle_input inputs[POL_BUNDLE_MAX_FILES];
	char *names[POL_BUNDLE_MAX_FILES];
	struct pol_bundle_key *key = NULL;
	struct pol_diag diag = { 0 };
	char *archive = NULL;
	size_t archive_len = 0;
	int n = 0, r, rc = CLI_EXIT_INVALID;

	if (n_paths > POL_BUNDLE_MAX_FILES - 2) {
		fprintf(stderr, "attesta: a bundle holds at most %d files\n", POL_BUNDLE_MAX_FILES - 2);
		return CLI_EXIT_USAGE;
	}
	r = pol_bundle_key_load(key_path, true, &key, &diag);
	if (r < 0) {
		fleet_print_diag(&diag, key_path, r);
		return CLI_EXIT_INVALID;
	}
	for (; n < n_paths; n++) {
		if (read_input(paths[n], n == 0, &inputs[n], &names[n]))
			goto out;
	}
	r = pol_bundle_pack(key, meta, inputs, (size_t)n, &archive, &archive_len, &diag);
	if (r < 0) {
		fleet_print_diag(&diag, "bundle", r);
		goto out;
	}
	/* temp file beside it, fsync, rename: never a half-written bundle */
	r = pol_file_write_atomic(out_path, archive, archive_len, 0644, POL_FILE_NO_DIR_SYNC, NULL,
				  NULL);
	if (r < 0) {
		fprintf(stderr, "attesta: cannot write '%s': %s\n", out_path, strerror(-r));
		goto out;
	}
	printf("bundle '%s' version '%s': %d file%s signed -> %s\n", meta->name, meta->version, n,
	       n == 1 ? "" : "s", out_path);
	rc = CLI_EXIT_OK;
out:
	for (int i = 0; i < n; i++) {
		free(names[i]);
		free((char *)inputs[i].data);
	}
	free(archive);
	pol_bundle_key_free(key);
	return rc;
}

static int verify(const char *pubkey_path, const char *path)
{
	struct pol_bundle *bundle = NULL;
	struct pol_bundle_key *key = NULL;
	struct pol_diag diag = { 0 };
	const struct pol_bundle_manifest *m;
	enum pol_bundle_sig sig;
	char fingerprint[65];
	int r, rc = CLI_EXIT_INVALID;

	r = pol_bundle_key_load(pubkey_path, false, &key, &diag);
	if (r < 0) {
		fleet_print_diag(&diag, pubkey_path, r);
		return CLI_EXIT_INVALID;
	}
	r = pol_bundle_read(path, &bundle, &diag);
	if (r < 0) {
		fleet_print_diag(&diag, path, r);
		goto out;
	}
	sig = pol_bundle_check(bundle, key, &diag);
	if (sig != POL_BUNDLE_SIG_OK) {
		fleet_print_diag(&diag, path, -EINVAL);
		goto out;
	}
	r = pol_bundle_check_content(bundle, &diag);
	if (r < 0) {
		fleet_print_diag(&diag, path, r);
		goto out;
	}
	m = pol_bundle_manifest(bundle);
	if (pol_bundle_key_fingerprint(key, fingerprint) < 0)
		snprintf(fingerprint, sizeof(fingerprint), "?");
	printf("bundle '%s' version '%s' (created %s, schema %s): ok\n", m->name, m->version,
	       m->created_at, m->schema_version);
	printf("  signed by sha256:%s\n", fingerprint);
	printf("  enrollment_ref: %s\n", m->enrollment_ref ? m->enrollment_ref : "<none>");
	for (size_t i = 0; i < m->n_files; i++)
		printf("  %s  %s\n", m->files[i].sha256, m->files[i].name);
	rc = CLI_EXIT_OK;
out:
	pol_bundle_free(bundle);
	pol_bundle_key_free(key);
	return rc;
}

int cmd_bundle(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "key", required_argument, NULL, 'k' },
		{ "pubkey", required_argument, NULL, 'p' },
		{ "name", required_argument, NULL, 'N' },
		{ "version", required_argument, NULL, 'V' },
		{ "enrollment-ref", required_argument, NULL, 'e' },
		{ "config", required_argument, NULL, 'c' },
		{ "database", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pol_bundle_meta meta = { 0 };
	const char *out = NULL, *key = NULL, *pubkey = NULL, *verb, *config = NULL, *database = NULL;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'k': key = optarg; break;
		case 'p': pubkey = optarg; break;
		case 'N': meta.name = optarg; break;
		case 'V': meta.version = optarg; break;
		case 'e': meta.enrollment_ref = optarg; break;
		case 'c': config = optarg; break; /* push / pull only */
		case 'D': database = fleet_cli_database(optarg); break;
		case 'h': usage(stdout); return CLI_EXIT_OK;
		default: return cli_option_error(c, argv, usage);
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	verb = argv[optind++];
	if (!strcmp(verb, "keygen")) {
		if (!out || optind != argc || key || pubkey || meta.name || meta.version) {
			fprintf(stderr, "attesta: usage: attesta bundle keygen --out DIR\n");
			return CLI_EXIT_USAGE;
		}
		return keygen(out);
	}
	if (!strcmp(verb, "pack")) {
		if (!out || !key || !meta.name || !meta.version || optind >= argc || pubkey) {
			fprintf(stderr, "attesta: usage: attesta bundle pack --key PRIV --name N --version V "
					"[--enrollment-ref REF] --out FILE CONFIG [PROFILE...]\n");
			return CLI_EXIT_USAGE;
		}
		meta.created_at = created_at();
		return pack(key, &meta, out, argv + optind, argc - optind);
	}
	if (!strcmp(verb, "verify")) {
		if (!pubkey || optind != argc - 1 || key || out || meta.name || meta.version) {
			fprintf(stderr, "attesta: usage: attesta bundle verify --pubkey PUB FILE\n");
			return CLI_EXIT_USAGE;
		}
		return verify(pubkey, argv[optind]);
	}
	if (!strcmp(verb, "push") || !strcmp(verb, "pull")) {
		bool push = !strcmp(verb, "push");
		if (optind != argc - (push ? 1 : 2) || key || out || meta.name || meta.version) {
			fprintf(stderr, "attesta: usage: attesta bundle %s\n",
				push ? "push [--pubkey PUB] FILE" : "pull [--pubkey PUB] NAME[@VERSION] FILE");
			return CLI_EXIT_USAGE;
		}
		return push ? bundle_push(config, database, pubkey, argv[optind])
			    : bundle_pull(config, database, pubkey, argv[optind], argv[optind + 1]);
	}
	fprintf(stderr, "attesta: unknown bundle command '%s'\n", verb);
	usage(stderr);
	return CLI_EXIT_USAGE;
}
