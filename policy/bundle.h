/*
 * Signed policy bundles (docs/fleet.md). A bundle is a ustar archive of
 *
 *   manifest.json   {schema_version, name, version, created_at,
 *                    provenance: {enrollment_ref}, files: {NAME: sha256}}
 *   manifest.sig    Ed25519 signature over the exact bytes of
 *                   manifest.json, as 128 lowercase hex digits and "\n"
 *   attesta.yaml    the config
 *   profiles/NAME.yaml  domain profiles (optional)
 *
 * Only our own bounded subset of ustar is read (bundle_tar.c): regular
 * files only, no links or devices, relative names of [A-Za-z0-9._-/]
 * without "." or ".." components, no duplicates, caps from pol_limits.h.
 * Anything else rejects the whole bundle.
 *
 * Trust: a bundle is untrusted until pol_bundle_check() returns
 * POL_BUNDLE_SIG_OK for a public key the operator trusts; before that only
 * its structure has been validated. The manifest is parsed (strictly,
 * bounded) before the signature is checked so that a bad bundle can be
 * reported precisely; nothing in it is acted on until the check passes.
 *
 * Ownership: a struct pol_bundle owns its entries and manifest strings;
 * pointers returned by accessors live as long as the bundle. Keys wrap an
 * OpenSSL EVP_PKEY. Nothing here is shared between threads.
 */
#ifndef ATTESTA_BUNDLE_H
#define ATTESTA_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "diag.h"

/* Archive names of the fixed members. */
#define POL_BUNDLE_MANIFEST "manifest.json"
#define POL_BUNDLE_SIGNATURE "manifest.sig"
#define POL_BUNDLE_CONFIG "attesta.yaml"
#define POL_BUNDLE_PROFILE_DIR "profiles/"
/* Manifest schema written by pack; 1.0 .. 1.2 are read. */
#define POL_BUNDLE_SCHEMA_VERSION "1.2"

/* What pol_bundle_check() found, in the order it is checked. Everything
 * but OK means the bundle's content must not be trusted (the attestation
 * predicate maps all of them to "attestation: signature"). */
enum pol_bundle_sig {
	POL_BUNDLE_SIG_OK = 0,     /* signed by the key, every digest matches */
	POL_BUNDLE_SIG_MALFORMED,  /* the bundle could not be read at all */
	POL_BUNDLE_SIG_NO_KEY,     /* no trusted public key to check with */
	POL_BUNDLE_SIG_BAD,        /* signature does not verify with the key */
	POL_BUNDLE_SIG_DIGEST,     /* a file is missing, unlisted or altered */
};
/* "ok", "malformed", "no_key", "bad_signature", "digest_mismatch". */
const char *pol_bundle_sig_name(enum pol_bundle_sig sig);

struct pol_bundle_digest {
	char *name;        /* archive name, e.g. "profiles/infra.yaml" */
	char sha256[65];   /* lowercase hex */
};

struct pol_bundle_manifest {
	char *schema_version;
	char *name;
	char *version;
	char *created_at;          /* RFC 3339 UTC, as written by pack */
	char *enrollment_ref;      /* provenance.enrollment_ref; NULL: not declared */
	struct pol_bundle_digest *files;
	size_t n_files;
};

struct pol_bundle;

/* Parse a bundle held in memory; source names it in diagnostics. -EINVAL
 * (diag says which entry and why), -EFBIG (over POL_BUNDLE_MAX_BYTES),
 * -ENOMEM. Structure only: call pol_bundle_check() before trusting it. */
int pol_bundle_parse(const char *source, const void *buf, size_t len,
		     struct pol_bundle **ret_bundle, struct pol_diag *diag);
/* The same, reading the file at path (bounded). */
int pol_bundle_read(const char *path, struct pol_bundle **ret_bundle, struct pol_diag *diag);
void pol_bundle_free(struct pol_bundle *bundle);

const struct pol_bundle_manifest *pol_bundle_manifest(const struct pol_bundle *bundle);
/* The raw bytes of one archive member; -ENOENT if absent. */
int pol_bundle_member(const struct pol_bundle *bundle, const char *name,
		      const char **ret_data, size_t *ret_len);

/* --- keys (bundle_key.c) --- */

struct pol_bundle_key;

/* A fresh Ed25519 key pair. 0 or -ENOMEM/-EIO. */
int pol_bundle_key_generate(struct pol_bundle_key **ret_key);
/* Write DIR/bundle.key (PKCS#8 PEM, 0600) and DIR/bundle.pub (SPKI PEM,
 * 0644). Creates DIR (0700) if needed; never overwrites (-EEXIST). */
#define POL_BUNDLE_KEY_PRIVATE "bundle.key"
#define POL_BUNDLE_KEY_PUBLIC "bundle.pub"
int pol_bundle_key_save(const struct pol_bundle_key *key, const char *dir,
			struct pol_diag *diag);
/* Load a PEM key: a private key (must not be readable by group or others:
 * -EPERM) or a public key. Anything but Ed25519 is -EINVAL. */
int pol_bundle_key_load(const char *path, bool private_key, struct pol_bundle_key **ret_key,
			struct pol_diag *diag);
void pol_bundle_key_free(struct pol_bundle_key *key);
/* sha256 hex of the raw 32-byte public key. */
int pol_bundle_key_fingerprint(const struct pol_bundle_key *key, char ret_hex[65]);

/* --- signing and checking (bundle.c) --- */

struct pol_bundle_input {
	const char *name;   /* archive name: "attesta.yaml" or "profiles/NAME.yaml" */
	const char *data;
	size_t len;
};
struct pol_bundle_meta {
	const char *name;
	const char *version;
	const char *enrollment_ref;  /* NULL: none declared */
	time_t created_at;
};

/* Build a signed bundle in memory: manifest.json, manifest.sig, then the
 * inputs in order. The inputs must include "attesta.yaml". On success
 * *ret_buf (malloc'd, the caller owns it) holds the archive. -EINVAL with
 * diag for bad names, sizes or metadata; -ENOMEM; -EIO (signing failed). */
int pol_bundle_pack(const struct pol_bundle_key *key, const struct pol_bundle_meta *meta,
		    const struct pol_bundle_input *inputs, size_t n_inputs,
		    char **ret_buf, size_t *ret_len, struct pol_diag *diag);

/* Check the signature with key (NULL: no trusted key) and every digest.
 * diag (if not NULL) says what failed. */
enum pol_bundle_sig pol_bundle_check(const struct pol_bundle *bundle,
				     const struct pol_bundle_key *key, struct pol_diag *diag);

/* Load the bundle's attesta.yaml with pol_config_load_buffer and every
 * profile with pol_domain_load_buffer. 0, or the first error (diag names
 * "BUNDLE:MEMBER:line:column"). */
int pol_bundle_check_content(const struct pol_bundle *bundle, struct pol_diag *diag);

#endif
