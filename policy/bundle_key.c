/*
 * Ed25519 keys for bundle signing, through OpenSSL's EVP interface: key
 * generation, PEM files (PKCS#8 private key written 0600 and never
 * overwritten, SPKI public key), signing and verification, and SHA-256
 * digests. Trust: key files are read bounded (POL_BUNDLE_KEY_MAX_BYTES)
 * and must hold an Ed25519 key; a private key readable by group or others
 * is refused, as ssh does, because a signing key that leaked is worse than
 * one that is briefly unusable.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "atomic_file.h"
#include "bundle_internal.h"
#include "file_read.h"
#include "pol_limits.h"

struct pol_bundle_key {
	EVP_PKEY *pkey;
	bool has_private;
};

int pol_bundle_key_generate(struct pol_bundle_key **ret_key)
{
	struct pol_bundle_key *key = calloc(1, sizeof(*key));

	if (!key)
		return -ENOMEM;
	key->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (!key->pkey) {
		free(key);
		return -EIO;
	}
	key->has_private = true;
	*ret_key = key;
	return 0;
}

void pol_bundle_key_free(struct pol_bundle_key *key)
{
	if (!key)
		return;
	EVP_PKEY_free(key->pkey);
	free(key);
}

static int write_pem(const char *dir, const char *name, mode_t mode, const char *pem, size_t len,
		     struct pol_diag *diag)
{
	char path[4200];
	int fd, r = 0;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return pol_diag_set(diag, dir, 0, 0, "key directory path is too long");
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0) {
		r = -errno;
		pol_diag_set(diag, path, 0, 0, "cannot create key file: %s", strerror(-r));
		return r;
	}
	if (fchmod(fd, mode) < 0)
		r = -errno;
	if (!r)
		r = pol_file_write_all(fd, pem, len);
	if (!r && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && !r)
		r = -errno;
	if (r < 0) {
		pol_diag_set(diag, path, 0, 0, "cannot write key file: %s", strerror(-r));
		unlink(path);
	}
	return r;
}

/* PEM text of the private (or public) half, via a memory BIO. */
static int key_pem(const struct pol_bundle_key *key, bool private_key, char **ret_pem,
		   size_t *ret_len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL, *copy;
	long len;
	int ok;

	if (!bio)
		return -ENOMEM;
	ok = private_key ? PEM_write_bio_PrivateKey(bio, key->pkey, NULL, NULL, 0, NULL, NULL)
			 : PEM_write_bio_PUBKEY(bio, key->pkey);
	len = BIO_get_mem_data(bio, &data);
	if (!ok || len <= 0 || !(copy = malloc((size_t)len))) {
		BIO_free(bio);
		return ok ? -ENOMEM : -EIO;
	}
	memcpy(copy, data, (size_t)len);
	BIO_free(bio);
	*ret_pem = copy;
	*ret_len = (size_t)len;
	return 0;
}

int pol_bundle_key_save(const struct pol_bundle_key *key, const char *dir,
			struct pol_diag *diag)
{
	char *priv = NULL, *pub = NULL;
	size_t priv_len = 0, pub_len = 0;
	char path[4200];
	int r;

	if (!key->has_private)
		return pol_diag_set(diag, dir, 0, 0, "no private key to save");
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		r = -errno;
		pol_diag_set(diag, dir, 0, 0, "cannot create key directory: %s", strerror(-r));
		return r;
	}
	r = key_pem(key, true, &priv, &priv_len);
	if (r == 0)
		r = key_pem(key, false, &pub, &pub_len);
	if (r < 0) {
		pol_diag_set(diag, dir, 0, 0, "cannot encode key: %s", strerror(-r));
		goto out;
	}
	/* Public first: if the private key then fails, nothing secret was
	 * left half-written, and the stray public key is removed. */
	r = write_pem(dir, POL_BUNDLE_KEY_PUBLIC, 0644, pub, pub_len, diag);
	if (r < 0)
		goto out;
	r = write_pem(dir, POL_BUNDLE_KEY_PRIVATE, 0600, priv, priv_len, diag);
	if (r < 0) {
		snprintf(path, sizeof(path), "%s/%s", dir, POL_BUNDLE_KEY_PUBLIC);
		unlink(path);
	}
out:
	if (priv)
		OPENSSL_cleanse(priv, priv_len);
	free(priv);
	free(pub);
	return r;
}

int pol_bundle_key_load(const char *path, bool private_key, struct pol_bundle_key **ret_key,
			struct pol_diag *diag)
{
	struct pol_bundle_key *key = NULL;
	char *buf = NULL;
	size_t len = 0;
	struct stat st;
	BIO *bio = NULL;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = -errno;
		pol_diag_set(diag, path, 0, 0, "cannot open key: %s", strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size >= POL_BUNDLE_KEY_MAX_BYTES) {
		r = pol_diag_set(diag, path, 0, 0, "not a key file (regular file under %d bytes)",
				 POL_BUNDLE_KEY_MAX_BYTES);
		goto out;
	}
	if (private_key && (st.st_mode & 077)) {
		r = -EPERM;
		pol_diag_set(diag, path, 0, 0,
			     "private key is accessible by group or others (mode %04o): chmod 600 it",
			     (unsigned)(st.st_mode & 07777));
		goto out;
	}
	r = pol_file_read_fd(fd, POL_BUNDLE_KEY_MAX_BYTES - 1, 0, &buf, &len);
	if (r < 0) {
		pol_diag_set(diag, path, 0, 0, "cannot read key: %s", pol_file_read_strerror(r));
		goto out;
	}
	key = calloc(1, sizeof(*key));
	bio = BIO_new_mem_buf(buf, (int)len);
	if (!key || !bio) {
		r = -ENOMEM;
		goto out;
	}
	key->pkey = private_key ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)
				: PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	if (!key->pkey || EVP_PKEY_get_id(key->pkey) != EVP_PKEY_ED25519) {
		r = pol_diag_set(diag, path, 0, 0, "not an Ed25519 %s key in PEM form",
				 private_key ? "private" : "public");
		goto out;
	}
	key->has_private = private_key;
	*ret_key = key;
	key = NULL;
out:
	if (buf)
		OPENSSL_cleanse(buf, len);
	free(buf);
	BIO_free(bio);
	pol_bundle_key_free(key);
	close(fd);
	return r;
}

int pol_bundle_key_fingerprint(const struct pol_bundle_key *key, char ret_hex[65])
{
	unsigned char raw[32];
	size_t len = sizeof(raw);

	if (EVP_PKEY_get_raw_public_key(key->pkey, raw, &len) != 1 || len != sizeof(raw))
		return -EIO;
	return bundle_sha256_hex(raw, len, ret_hex);
}

int bundle_key_sign(const struct pol_bundle_key *key, const void *msg, size_t len,
		    unsigned char ret_sig[BUNDLE_SIG_BYTES])
{
	EVP_MD_CTX *ctx;
	unsigned char sig[BUNDLE_SIG_BYTES];
	size_t sig_len = sizeof(sig);
	int r = -EIO;

	if (!key->has_private)
		return -EINVAL;
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return -ENOMEM;
	/* Ed25519 is a one-shot scheme: no digest (md NULL). */
	if (EVP_DigestSignInit(ctx, NULL, NULL, NULL, key->pkey) == 1 &&
	    EVP_DigestSign(ctx, sig, &sig_len, msg, len) == 1 && sig_len == sizeof(sig)) {
		memcpy(ret_sig, sig, sizeof(sig));
		r = 0;
	}
	EVP_MD_CTX_free(ctx);
	return r;
}

bool bundle_key_verify(const struct pol_bundle_key *key, const void *msg, size_t len,
		       const unsigned char sig[BUNDLE_SIG_BYTES])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok;

	if (!ctx)
		return false;
	ok = EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key->pkey) == 1 &&
	     EVP_DigestVerify(ctx, sig, BUNDLE_SIG_BYTES, msg, len) == 1;
	EVP_MD_CTX_free(ctx);
	return ok;
}

int bundle_sha256_hex(const void *data, size_t len, char ret_hex[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];
	unsigned int md_len = 0;

	if (EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL) != 1 || md_len != 32)
		return -EIO;
	for (unsigned i = 0; i < 32; i++) {
		ret_hex[2 * i] = hex[md[i] >> 4];
		ret_hex[2 * i + 1] = hex[md[i] & 15];
	}
	ret_hex[64] = '\0';
	return 0;
}
