/*
 * The cryptographic and small-file pieces of the audit log: the chain hash
 * (OpenSSL EVP SHA-256), the entry MAC (HMAC-SHA256), entry ids, the HMAC
 * key file and the head file. The key file is trusted only if it is a
 * private regular file; the head file is untrusted input (bounded by
 * POL_AUDIT_HEAD_MAX_BYTES, checked by its MAC when a key is set).
 */
#include <stdlib.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "atomic_file.h"
#include "audit.h"
#include "audit_internal.h"
#include "file_read.h"
#include "pol_limits.h"
#include "warm.h"

const char *const audit_unhashed_keys[] = { "chain_hash", "mac", NULL };

static const char hexdig[] = "0123456789abcdef";

static void to_hex(const unsigned char *bytes, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hexdig[bytes[i] >> 4];
		out[2 * i + 1] = hexdig[bytes[i] & 0xF];
	}
	out[2 * n] = '\0';
}


/* SHA-256, fetched once: an implicit fetch per digest costs more than
 * the hash. NULL if OpenSSL has none. */
static EVP_MD *sha256_md(void)
{
	static EVP_MD *sha256;

	if (!__atomic_load_n(&sha256, __ATOMIC_ACQUIRE)) {
		EVP_MD *m = EVP_MD_fetch(NULL, "SHA256", NULL), *expect = NULL;

		if (!m)
			return NULL;
		if (!__atomic_compare_exchange_n(&sha256, &expect, m, false, __ATOMIC_ACQ_REL,
						 __ATOMIC_ACQUIRE))
			EVP_MD_free(m);
	}
	return __atomic_load_n(&sha256, __ATOMIC_ACQUIRE);
}

void pol_audit_warm(void)
{
	(void)sha256_md();
	tzset(); /* localtime_r() of the entries' timestamps */
	audit_proc_identity_warm(); /* the session-start entry (audit_session.c) */
}

int audit_chain_hash(struct evp_md_ctx_st *md, const char *prev, const char *canonical,
		     size_t canonical_len, char out[AUDIT_HASH_HEX + 1])
{
	EVP_MD_CTX *ctx = md ? (EVP_MD_CTX *)md : EVP_MD_CTX_new();
	unsigned char digest[32];
	unsigned int n = 0;
	EVP_MD *sha256;
	int r = -EIO;

	if (!ctx)
		return -ENOMEM;
	if (!(sha256 = sha256_md()))
		goto out;
	if (EVP_DigestInit_ex2(ctx, sha256, NULL) != 1 ||
	    EVP_DigestUpdate(ctx, prev, strlen(prev)) != 1 ||
	    EVP_DigestUpdate(ctx, canonical, canonical_len) != 1 ||
	    EVP_DigestFinal_ex(ctx, digest, &n) != 1 || n != 32)
		goto out;
	to_hex(digest, 32, out);
	r = 0;
out:
	if (!md)
		EVP_MD_CTX_free(ctx);
	return r;
}

int audit_mac_hex(const unsigned char *key, size_t key_len, const char *msg, size_t msg_len,
		  char out[AUDIT_HASH_HEX + 1])
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (!HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)msg, msg_len, digest,
		  &n) || n != 32)
		return -EIO;
	to_hex(digest, 32, out);
	return 0;
}

bool audit_hex_equal(const char *a, const char *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

bool audit_is_hash_hex(const char *s, size_t len)
{
	unsigned bad = 0;

	if (len != AUDIT_HASH_HEX)
		return false;
	/* branch-free: verify runs this twice per line */
	for (size_t i = 0; i < AUDIT_HASH_HEX; i++) {
		unsigned char c = (unsigned char)s[i];

		bad |= !((unsigned char)(c - '0') < 10u || (unsigned char)(c - 'a') < 6u);
	}
	return !bad;
}

int audit_random(unsigned char *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = getrandom(buf + got, len - got, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)n;
	}
	return 0;
}

void audit_entry_id_format(const unsigned char random16[16], char out[33])
{
	unsigned char b[16];

	memcpy(b, random16, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0F) | 0x40); /* version 4, as uuid4().hex */
	b[8] = (unsigned char)((b[8] & 0x3F) | 0x80); /* RFC 4122 variant */
	to_hex(b, sizeof(b), out);
}

int pol_audit_key_load(const char *path, unsigned char **ret_key, size_t *ret_len,
		       struct pol_diag *diag)
{
	unsigned char *key = NULL;
	char *buf = NULL;
	struct stat st;
	size_t got = 0;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = -errno;
		pol_diag_set(diag, path, 0, 0, "cannot read audit hmac key '%s': %s", path,
			     strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	/* SECURITY: a key others can read lets them forge MACs; a key others
	 * can write lets them choose it. Refuse rather than downgrade. */
	if (!S_ISREG(st.st_mode) || (st.st_mode & 0077)) {
		r = -EPERM;
		pol_diag_set(diag, path, 0, 0,
			     "audit hmac key '%s' must be a regular file readable only by its owner (mode %04o)",
			     path, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	if (st.st_size == 0) {
		r = -ENODATA;
		pol_diag_set(diag, path, 0, 0, "audit hmac key '%s' is empty", path);
		goto out;
	}
	if (st.st_size > POL_AUDIT_KEY_MAX_BYTES) {
		r = -EFBIG;
		pol_diag_set(diag, path, 0, 0, "audit hmac key '%s' is larger than %d bytes", path,
			     POL_AUDIT_KEY_MAX_BYTES);
		goto out;
	}
	r = pol_file_read_fd(fd, POL_AUDIT_KEY_MAX_BYTES, 0, &buf, &got);
	if (r < 0)
		goto out;
	key = (unsigned char *)buf;
	buf = NULL;
	*ret_key = key;
	*ret_len = got;
	key = NULL;
	r = 0;
out:
	if (r < 0 && diag && !diag->message[0])
		pol_diag_set(diag, path, 0, 0, "cannot read audit hmac key '%s': %s", path,
			     strerror(-r));
	if (buf) {
		OPENSSL_cleanse(buf, got);
		free(buf);
	}
	close(fd);
	return r;
}

char *pol_audit_head_path(const char *path)
{
	size_t n = strlen(path);
	char *head = malloc(n + sizeof(".head"));

	if (head) {
		memcpy(head, path, n);
		memcpy(head + n, ".head", sizeof(".head"));
	}
	return head;
}

/* The head's canonical body (without mac): {"count":N,"last_hash":"..."}. */
static int head_body(const struct audit_head *head, char *buf, size_t size)
{
	int n = snprintf(buf, size, "{\"count\":%llu,\"last_hash\":\"%s\"}",
			 (unsigned long long)head->count, head->last_hash);

	return n < 0 || (size_t)n >= size ? -ENOSPC : n;
}

int audit_head_read(const char *head_path, const unsigned char *key, size_t key_len,
		    struct audit_head *ret_head)
{
	char *buf = NULL, body[256], mac[AUDIT_HASH_HEX + 1];
	struct pol_json_arena *arena = NULL;
	const struct pol_json *count, *hash, *mac_node;
	struct pol_json *v;
	struct audit_head head;
	size_t got = 0;
	int r, n;

	r = pol_file_read(head_path, POL_AUDIT_HEAD_MAX_BYTES, 0, &buf, &got);
	if (r < 0)
		return r == -EFBIG || r == -EINVAL ? -EBADMSG : r;
	arena = pol_json_arena_new();
	r = arena ? -EBADMSG : -ENOMEM;
	if (!arena)
		goto out;
	if (pol_json_parse(arena, buf, got, &v, NULL) < 0)
		goto out;
	count = pol_json_get(v, "count");
	hash = pol_json_get(v, "last_hash");
	mac_node = pol_json_get(v, "mac");
	if (!count || count->kind != POL_JSON_INT || count->len > 19 || count->text[0] == '-' ||
	    !hash || hash->kind != POL_JSON_STRING || !audit_is_hash_hex(hash->text, hash->len))
		goto out;
	memcpy(head.last_hash, hash->text, AUDIT_HASH_HEX);
	head.last_hash[AUDIT_HASH_HEX] = '\0';
	head.count = strtoull(count->text, NULL, 10);
	if (key) {
		if (!mac_node || mac_node->kind != POL_JSON_STRING || mac_node->len != AUDIT_HASH_HEX)
			goto out;
		if ((n = head_body(&head, body, sizeof(body))) < 0 ||
		    audit_mac_hex(key, key_len, body, (size_t)n, mac) < 0 ||
		    !audit_hex_equal(mac, mac_node->text, AUDIT_HASH_HEX))
			goto out;
	}
	*ret_head = head;
	r = 0;
out:
	pol_json_arena_free(arena);
	free(buf);
	return r;
}

int audit_head_write(const char *head_path, const unsigned char *key, size_t key_len,
		     const struct audit_head *head)
{
	char body[256], text[512], mac[AUDIT_HASH_HEX + 1];
	int n, len, r;

	if ((n = head_body(head, body, sizeof(body))) < 0)
		return n;
	if (key) {
		if ((r = audit_mac_hex(key, key_len, body, (size_t)n, mac)) < 0)
			return r;
		/* body without its closing brace, then the mac: keys stay sorted */
		len = snprintf(text, sizeof(text), "%.*s,\"mac\":\"%s\"}\n", n - 1, body, mac);
	} else {
		len = snprintf(text, sizeof(text), "%s\n", body);
	}
	if (len < 0 || (size_t)len >= sizeof(text))
		return -ENOSPC;
	/* replaced whole, so a reader never sees half a head; no directory
	 * fsync: the writer rewrites the head about once a second and it
	 * trails the log by design */
	return pol_file_write_atomic(head_path, text, (size_t)len, 0600,
				     POL_FILE_DATASYNC | POL_FILE_NO_DIR_SYNC | POL_FILE_UMASK, NULL,
				     NULL);
}
