/*
 * Unit tests for signed bundles (policy/bundle*.c): pack -> parse -> check
 * round trip; a tampered member, a tampered manifest, a wrong key, a
 * missing key and an unlisted member are caught by pol_bundle_check(); the
 * strict ustar reader rejects path traversal, absolute names, symlinks and
 * other non-regular members, oversized members, duplicates, bad checksums,
 * truncation and trailing data, each with its message; key files (modes,
 * never overwritten, wrong type).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "policy/bundle.h"
#include "policy/bundle_tar.h"
#include "policy/pol_limits.h"

static const char config_yaml[] = "policy:\n  fail_mode: deny\n";
static const char profile_yaml[] = "name: ops\nbase_risk_floor: 0.2\n";

struct fixture {
	struct pol_bundle_key *key;
	struct pol_bundle_key *other;
	char *archive;
	size_t len;
	char dir[64];
};

static int pack(struct fixture *fx, const char *ref)
{
	struct pol_bundle_input in[] = {
		{ "attesta.yaml", config_yaml, sizeof(config_yaml) - 1 },
		{ "profiles/ops.yaml", profile_yaml, sizeof(profile_yaml) - 1 },
	};
	struct pol_bundle_meta meta = { "web", "1.0", ref, 1700000000 };
	struct pol_diag diag = { 0 };

	free(fx->archive);
	fx->archive = NULL;
	return pol_bundle_pack(fx->key, &meta, in, 2, &fx->archive, &fx->len, &diag);
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	assert_int_equal(pol_bundle_key_generate(&fx->key), 0);
	assert_int_equal(pol_bundle_key_generate(&fx->other), 0);
	assert_int_equal(pack(fx, "ref-1"), 0);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/attesta-test-bundle-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	static const char *const names[] = { POL_BUNDLE_KEY_PRIVATE, POL_BUNDLE_KEY_PUBLIC };
	char keys[128], p[160];

	snprintf(keys, sizeof(keys), "%s/keys", fx->dir);
	for (size_t i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "%s/%s", keys, names[i]);
		unlink(p);
	}
	rmdir(keys);
	rmdir(fx->dir);
	pol_bundle_key_free(fx->key);
	pol_bundle_key_free(fx->other);
	free(fx->archive);
	free(fx);
	return 0;
}

static enum pol_bundle_sig check_buf(const char *buf, size_t len, const struct pol_bundle_key *key,
				     struct pol_diag *diag)
{
	struct pol_bundle *b = NULL;
	enum pol_bundle_sig sig;

	if (pol_bundle_parse("t.tar", buf, len, &b, diag) < 0)
		return POL_BUNDLE_SIG_MALFORMED;
	sig = pol_bundle_check(b, key, diag);
	pol_bundle_free(b);
	return sig;
}

/* Offset of a member's data in an archive we packed. */
static size_t member_offset(const char *archive, size_t len, const char *name)
{
	for (size_t off = 0; off + 512 <= len;) {
		unsigned long long size = strtoull(archive + off + 124, NULL, 8);
		if (!strcmp(archive + off, name))
			return off + 512;
		off += 512 + (size + 511) / 512 * 512;
	}
	fail_msg("no member '%s'", name);
	return 0;
}

static void test_pol_bundle_pack_round_trip(void **state)
{
	struct fixture *fx = *state;
	struct pol_diag diag = { 0 };
	struct pol_bundle *b = NULL;
	const struct pol_bundle_manifest *m;
	const char *data;
	size_t len;

	assert_int_equal(fx->len % 512, 0);
	assert_int_equal(pol_bundle_parse("t.tar", fx->archive, fx->len, &b, &diag), 0);
	m = pol_bundle_manifest(b);
	assert_string_equal(m->schema_version, "1.2");
	assert_string_equal(m->name, "web");
	assert_string_equal(m->version, "1.0");
	assert_string_equal(m->created_at, "2023-11-14T22:13:20Z");
	assert_string_equal(m->enrollment_ref, "ref-1");
	assert_int_equal(m->n_files, 2);
	assert_string_equal(m->files[0].name, "attesta.yaml");
	assert_string_equal(m->files[1].name, "profiles/ops.yaml");
	assert_int_equal(pol_bundle_member(b, "attesta.yaml", &data, &len), 0);
	assert_memory_equal(data, config_yaml, len);
	assert_int_equal(pol_bundle_member(b, "nope.yaml", &data, &len), -ENOENT);
	assert_int_equal(pol_bundle_check(b, fx->key, &diag), POL_BUNDLE_SIG_OK);
	assert_int_equal(pol_bundle_check_content(b, &diag), 0);
	pol_bundle_free(b);
}

static void test_pol_bundle_pack_without_ref(void **state)
{
	struct fixture *fx = *state;
	struct pol_diag diag = { 0 };
	struct pol_bundle *b = NULL;

	assert_int_equal(pack(fx, NULL), 0);
	assert_int_equal(pol_bundle_parse("t.tar", fx->archive, fx->len, &b, &diag), 0);
	assert_null(pol_bundle_manifest(b)->enrollment_ref);
	assert_int_equal(pol_bundle_check(b, fx->key, &diag), POL_BUNDLE_SIG_OK);
	pol_bundle_free(b);
	assert_int_equal(pack(fx, "ref-1"), 0);
}

static void test_pol_bundle_check_tampered_member(void **state)
{
	struct fixture *fx = *state;
	struct pol_diag diag = { 0 };
	size_t off = member_offset(fx->archive, fx->len, "attesta.yaml");

	char saved = fx->archive[off + 21];

	assert_int_equal(saved, 'd');
	fx->archive[off + 21] = 'a'; /* "deny" -> "aeny" */
	assert_int_equal(check_buf(fx->archive, fx->len, fx->key, &diag), POL_BUNDLE_SIG_DIGEST);
	assert_string_equal(diag.message, "member 'attesta.yaml' does not match its sha256");
	fx->archive[off + 21] = saved;
	assert_int_equal(check_buf(fx->archive, fx->len, fx->key, &diag), POL_BUNDLE_SIG_OK);
}

static void test_pol_bundle_check_tampered_manifest(void **state)
{
	struct fixture *fx = *state;
	struct pol_diag diag = { 0 };
	size_t off = member_offset(fx->archive, fx->len, "manifest.json");
	char *ref = memmem(fx->archive + off, 512, "ref-1", 5);

	assert_non_null(ref);
	ref[4] = '2'; /* claim another enrollment */
	assert_int_equal(check_buf(fx->archive, fx->len, fx->key, &diag), POL_BUNDLE_SIG_BAD);
	assert_string_equal(diag.message, "signature does not verify with the public key");
	ref[4] = '1';
}

static void test_pol_bundle_check_wrong_or_no_key(void **state)
{
	struct fixture *fx = *state;
	struct pol_diag diag = { 0 };

	assert_int_equal(check_buf(fx->archive, fx->len, fx->other, &diag), POL_BUNDLE_SIG_BAD);
	assert_int_equal(check_buf(fx->archive, fx->len, NULL, &diag), POL_BUNDLE_SIG_NO_KEY);
}

/* A member the manifest does not list is unsigned content. */
static void test_pol_bundle_check_unlisted_member(void **state)
{
	struct fixture *fx = *state;
	struct pol_diag diag = { 0 };
	struct bundle_buf buf = { 0 };

	assert_int_equal(bundle_buf_append(&buf, fx->archive, fx->len - 1024), 0);
	assert_int_equal(bundle_tar_add(&buf, "profiles/extra.yaml", "name: x\n", 8, 0), 0);
	assert_int_equal(bundle_tar_finish(&buf), 0);
	assert_int_equal(check_buf(buf.data, buf.len, fx->key, &diag), POL_BUNDLE_SIG_DIGEST);
	assert_string_equal(diag.message, "member 'profiles/extra.yaml' is not in the signed manifest");
	bundle_buf_release(&buf);
}

/* Hostile archives: the valid prefix of our bundle plus one bad member. */
static void expect_rejected(struct fixture *fx, const char *name, char type, const char *link,
			    unsigned long long size, const char *data, size_t len,
			    const char *message)
{
	struct pol_diag diag = { 0 };
	struct pol_bundle *b = NULL;
	struct bundle_buf buf = { 0 };

	assert_int_equal(bundle_buf_append(&buf, fx->archive, fx->len - 1024), 0);
	assert_int_equal(bundle_tar_add_raw(&buf, name, type, link, size, data, len), 0);
	assert_int_equal(bundle_tar_finish(&buf), 0);
	assert_int_equal(pol_bundle_parse("t.tar", buf.data, buf.len, &b, &diag), -EINVAL);
	assert_null(b);
	assert_string_equal(diag.file, "t.tar");
	if (strcmp(diag.message, message))
		fail_msg("'%s': got '%s', want '%s'", name, diag.message, message);
	bundle_buf_release(&buf);
}

static void test_bundle_tar_read_rejects_hostile_members(void **state)
{
	struct fixture *fx = *state;
	const char *bad_name = "has an invalid name (relative, [A-Za-z0-9._-/], no '.' or '..')";
	char msg[256];

	snprintf(msg, sizeof(msg), "member '../evil.yaml' %s", bad_name);
	expect_rejected(fx, "../evil.yaml", '0', NULL, 1, "x", 1, msg);
	snprintf(msg, sizeof(msg), "member 'profiles/../../etc/passwd' %s", bad_name);
	expect_rejected(fx, "profiles/../../etc/passwd", '0', NULL, 1, "x", 1, msg);
	snprintf(msg, sizeof(msg), "member '/etc/passwd' %s", bad_name);
	expect_rejected(fx, "/etc/passwd", '0', NULL, 1, "x", 1, msg);
	snprintf(msg, sizeof(msg), "member 'profiles//x.yaml' %s", bad_name);
	expect_rejected(fx, "profiles//x.yaml", '0', NULL, 1, "x", 1, msg);
	snprintf(msg, sizeof(msg), "member './attesta.yaml' %s", bad_name);
	expect_rejected(fx, "./attesta.yaml", '0', NULL, 1, "x", 1, msg);
	expect_rejected(fx, "profiles/link.yaml", '2', "/etc/shadow", 0, NULL, 0,
			"member 'profiles/link.yaml' is not a regular file (type '2')");
	expect_rejected(fx, "profiles/hard.yaml", '1', "attesta.yaml", 0, NULL, 0,
			"member 'profiles/hard.yaml' is not a regular file (type '1')");
	expect_rejected(fx, "profiles", '5', NULL, 0, NULL, 0,
			"member 'profiles' is not a regular file (type '5')");
	expect_rejected(fx, "PaxHeaders/x", 'x', NULL, 0, NULL, 0,
			"member 'PaxHeaders/x' is not a regular file (type 'x')");
	snprintf(msg, sizeof(msg), "member 'profiles/big.yaml' is larger than %d bytes",
		 POL_BUNDLE_MAX_FILE_BYTES);
	expect_rejected(fx, "profiles/big.yaml", '0', NULL, POL_BUNDLE_MAX_FILE_BYTES + 1ULL, "x", 1,
			msg);
	expect_rejected(fx, "profiles/short.yaml", '0', NULL, 4096, "x", 1,
			"member 'profiles/short.yaml' is truncated");
	expect_rejected(fx, "attesta.yaml", '0', NULL, 1, "x", 1,
			"member 'attesta.yaml' appears twice");
	expect_rejected(fx, "notes.txt", '0', NULL, 1, "x", 1,
			"member 'notes.txt' is not allowed in a bundle (attesta.yaml, profiles/NAME.yaml)");
}

static void test_bundle_tar_read_rejects_broken_archives(void **state)
{
	struct fixture *fx = *state;
	struct pol_diag diag = { 0 };
	struct pol_bundle *b = NULL;
	char *copy = malloc(fx->len + 512);

	assert_non_null(copy);
	/* header checksum */
	memcpy(copy, fx->archive, fx->len);
	copy[0] = 'M';
	assert_int_equal(pol_bundle_parse("t.tar", copy, fx->len, &b, &diag), -EINVAL);
	assert_string_equal(diag.message, "not a bundle: bad header checksum at offset 0");
	/* no end marker */
	assert_int_equal(pol_bundle_parse("t.tar", fx->archive, fx->len - 1024, &b, &diag), -EINVAL);
	assert_string_equal(diag.message, "not a bundle: no end-of-archive marker (truncated)");
	/* data after the end marker */
	memcpy(copy, fx->archive, fx->len);
	memset(copy + fx->len, 0, 512);
	copy[fx->len + 100] = 'x';
	assert_int_equal(pol_bundle_parse("t.tar", copy, fx->len + 512, &b, &diag), -EINVAL);
	assert_string_equal(diag.message, "not a bundle: data after the end-of-archive marker");
	/* not a multiple of 512 */
	assert_int_equal(pol_bundle_parse("t.tar", fx->archive, fx->len - 1, &b, &diag), -EINVAL);
	/* not ustar at all */
	memset(copy, 'A', 1024);
	assert_int_equal(pol_bundle_parse("t.tar", copy, 1024, &b, &diag), -EINVAL);
	assert_string_equal(diag.message, "not a bundle: member at offset 0 is not a ustar header");
	/* over the whole-bundle cap */
	assert_int_equal(pol_bundle_parse("t.tar", copy, POL_BUNDLE_MAX_BYTES + 1ULL, &b, &diag),
			 -EFBIG);
	assert_null(b);
	free(copy);
}

static void test_bundle_tar_name_valid_cases(void **state)
{
	(void)state;
	assert_true(bundle_tar_name_valid("attesta.yaml"));
	assert_true(bundle_tar_name_valid("profiles/a-b_c.1.yaml"));
	assert_true(bundle_tar_name_valid("..hidden"));
	assert_false(bundle_tar_name_valid(""));
	assert_false(bundle_tar_name_valid(".."));
	assert_false(bundle_tar_name_valid("a/../b"));
	assert_false(bundle_tar_name_valid("a/"));
	assert_false(bundle_tar_name_valid("a b"));
	assert_false(bundle_tar_name_valid("a\\b"));
	assert_false(bundle_tar_name_valid("caf\xc3\xa9"));
}

static void test_pol_bundle_pack_rejects_bad_input(void **state)
{
	struct fixture *fx = *state;
	struct pol_diag diag = { 0 };
	struct pol_bundle_input no_config[] = { { "profiles/ops.yaml", "x", 1 } };
	struct pol_bundle_input bad_name[] = { { "attesta.yaml", "x", 1 }, { "../x.yaml", "x", 1 } };
	struct pol_bundle_meta meta = { "web", "1.0", NULL, 1700000000 };
	struct pol_bundle_meta bad_ref = { "web", "1.0", "has space", 1700000000 };
	char *out = NULL;
	size_t len = 0;

	assert_int_equal(pol_bundle_pack(fx->key, &meta, no_config, 1, &out, &len, &diag), -EINVAL);
	assert_string_equal(diag.message, "a bundle needs an attesta.yaml");
	assert_int_equal(pol_bundle_pack(fx->key, &meta, bad_name, 2, &out, &len, &diag), -EINVAL);
	assert_int_equal(pol_bundle_pack(fx->key, &bad_ref, bad_name, 1, &out, &len, &diag), -EINVAL);
	/* a public-only key cannot sign */
	assert_null(out);
}

static void test_pol_bundle_key_save_and_load(void **state)
{
	struct fixture *fx = *state;
	struct pol_diag diag = { 0 };
	struct pol_bundle_key *priv = NULL, *pub = NULL;
	char dir[128], path[160], fp1[65], fp2[65];
	struct stat st;

	snprintf(dir, sizeof(dir), "%s/keys", fx->dir);
	assert_int_equal(pol_bundle_key_save(fx->key, dir, &diag), 0);
	snprintf(path, sizeof(path), "%s/%s", dir, POL_BUNDLE_KEY_PRIVATE);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	/* never overwritten */
	assert_int_equal(pol_bundle_key_save(fx->other, dir, &diag), -EEXIST);
	assert_int_equal(pol_bundle_key_load(path, true, &priv, &diag), 0);
	/* a public key file is not a private key, and vice versa */
	assert_int_equal(pol_bundle_key_load(path, false, &pub, &diag), -EINVAL);
	/* a private key readable by others is refused */
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(pol_bundle_key_load(path, true, &pub, &diag), -EPERM);
	assert_null(pub);
	snprintf(path, sizeof(path), "%s/%s", dir, POL_BUNDLE_KEY_PUBLIC);
	assert_int_equal(pol_bundle_key_load(path, false, &pub, &diag), 0);
	assert_int_equal(pol_bundle_key_fingerprint(priv, fp1), 0);
	assert_int_equal(pol_bundle_key_fingerprint(pub, fp2), 0);
	assert_string_equal(fp1, fp2);
	/* the loaded public key checks what the generated private key signed */
	assert_int_equal(check_buf(fx->archive, fx->len, pub, &diag), POL_BUNDLE_SIG_OK);
	pol_bundle_key_free(priv);
	pol_bundle_key_free(pub);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pol_bundle_pack_round_trip),
		cmocka_unit_test(test_pol_bundle_pack_without_ref),
		cmocka_unit_test(test_pol_bundle_check_tampered_member),
		cmocka_unit_test(test_pol_bundle_check_tampered_manifest),
		cmocka_unit_test(test_pol_bundle_check_wrong_or_no_key),
		cmocka_unit_test(test_pol_bundle_check_unlisted_member),
		cmocka_unit_test(test_bundle_tar_read_rejects_hostile_members),
		cmocka_unit_test(test_bundle_tar_read_rejects_broken_archives),
		cmocka_unit_test(test_bundle_tar_name_valid_cases),
		cmocka_unit_test(test_pol_bundle_pack_rejects_bad_input),
		cmocka_unit_test(test_pol_bundle_key_save_and_load),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
