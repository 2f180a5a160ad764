/*
 * Shared inside the bundle module (bundle.c, bundle_key.c): raw Ed25519
 * signing and verification and SHA-256 hex digests. Not a public header.
 */
#ifndef ATTESTA_BUNDLE_INTERNAL_H
#define ATTESTA_BUNDLE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "bundle.h"
#include "bundle_tar.h"

#define BUNDLE_SIG_BYTES 64

/* Sign msg with key's private half. -EINVAL if key has none, -EIO. */
int bundle_key_sign(const struct pol_bundle_key *key, const void *msg, size_t len,
		    unsigned char ret_sig[BUNDLE_SIG_BYTES]);
/* true only if sig is a valid signature of msg under key. */
bool bundle_key_verify(const struct pol_bundle_key *key, const void *msg, size_t len,
		       const unsigned char sig[BUNDLE_SIG_BYTES]);
/* Lowercase hex SHA-256 of data. 0 or -EIO. */
int bundle_sha256_hex(const void *data, size_t len, char ret_hex[65]);

#endif
