/*
 * Signed policy bundles: the manifest (strict JSON, bounded), packing and
 * signing, and checking a bundle against a trusted public key (signature
 * over the manifest bytes, then the SHA-256 of every member). Trust: a
 * bundle is attacker-supplied until pol_bundle_check() says otherwise;
 * parsing only establishes that it is well formed (bundle_tar.c for the
 * archive, here for the manifest), and every member must be named in the
 * signed manifest, so nothing unsigned can ride along.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "bundle_internal.h"
#include "config.h"
#include "domain.h"
#include "file_read.h"
#include "pol_limits.h"
#include "registry.h"

struct pol_bundle {
	char *source;
	char *archive;                  /* owned copy; entries point into it */
	struct bundle_tar_entry *entries;
	size_t n_entries;
	struct pol_bundle_manifest manifest;
	const struct bundle_tar_entry *manifest_json;
	unsigned char sig[BUNDLE_SIG_BYTES];
};

static const char *const sig_names[] = { "ok", "malformed", "no_key", "bad_signature",
					  "digest_mismatch" };

const char *pol_bundle_sig_name(enum pol_bundle_sig sig)
{
	return (unsigned)sig < 5 ? sig_names[sig] : "?";
}

/* Names a bundle may hold besides the manifest and its signature. */
static bool content_name_ok(const char *name)
{
	const char *base, *dot;

	if (!strcmp(name, POL_BUNDLE_CONFIG))
		return true;
	if (strncmp(name, POL_BUNDLE_PROFILE_DIR, strlen(POL_BUNDLE_PROFILE_DIR)))
		return false;
	base = name + strlen(POL_BUNDLE_PROFILE_DIR);
	dot = strrchr(base, '.');
	return !strchr(base, '/') && dot && dot != base &&
	       (!strcmp(dot, ".yaml") || !strcmp(dot, ".yml"));
}

static bool printable(const char *s)
{
	size_t n = strnlen(s, POL_BUNDLE_MAX_STRING + 1);

	if (n == 0 || n > POL_BUNDLE_MAX_STRING)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

static bool lower_hex(const char *s, size_t want)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return i == want;
}

static bool unique_keys(const cJSON *object, const char *const *allowed, size_t n_allowed)
{
	for (const cJSON *a = object->child; a; a = a->next) {
		bool known = !allowed;
		for (size_t k = 0; allowed && k < n_allowed; k++)
			known |= !strcmp(a->string, allowed[k]);
		if (!known)
			return false;
		for (const cJSON *b = a->next; b; b = b->next)
			if (!strcmp(a->string, b->string))
				return false;
	}
	return true;
}

static void manifest_release(struct pol_bundle_manifest *m)
{
	free(m->schema_version);
	free(m->name);
	free(m->version);
	free(m->created_at);
	free(m->enrollment_ref);
	for (size_t i = 0; i < m->n_files; i++)
		free(m->files[i].name);
	free(m->files);
	memset(m, 0, sizeof(*m));
}

static int get_string(const cJSON *root, const char *key, char **ret)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, key);

	if (!cJSON_IsString(item) || !printable(item->valuestring))
		return -EINVAL;
	*ret = strdup(item->valuestring);
	return *ret ? 0 : -ENOMEM;
}

static int parse_manifest(const char *source, const struct bundle_tar_entry *e,
			  struct pol_bundle_manifest *m, struct pol_diag *diag)
{
	static const char *const top_keys[] = { "schema_version", "name",	"version",
						"created_at",	  "provenance", "files" };
	static const char *const prov_keys[] = { "enrollment_ref" };
	const cJSON *prov, *files, *ref, *f;
	const char *end = NULL, *what = "";
	cJSON *root;
	int r = -EINVAL;

	if (e->len > POL_BUNDLE_MAX_MANIFEST)
		return pol_diag_set(diag, source, 0, 0, "manifest is larger than %d bytes",
				    POL_BUNDLE_MAX_MANIFEST);
	root = cJSON_ParseWithLengthOpts(e->data, e->len, &end, false);
	if (!root)
		return pol_diag_set(diag, source, 0, 0, "manifest.json is not valid JSON");
	for (; end < e->data + e->len; end++) {
		if (!strchr(" \t\r\n", *end)) {
			what = "has data after the JSON value";
			goto bad;
		}
	}
	if (!cJSON_IsObject(root) || !unique_keys(root, top_keys, 6)) {
		what = "must be an object of schema_version, name, version, created_at, provenance, files";
		goto bad;
	}
	if ((r = get_string(root, "schema_version", &m->schema_version)) < 0 ||
	    (strcmp(m->schema_version, "1.0") && strcmp(m->schema_version, "1.1") &&
	     strcmp(m->schema_version, "1.2"))) {
		what = "has a missing or unsupported schema_version (1.0 to 1.2)";
		goto bad;
	}
	if ((r = get_string(root, "name", &m->name)) < 0 ||
	    (r = get_string(root, "version", &m->version)) < 0 ||
	    (r = get_string(root, "created_at", &m->created_at)) < 0) {
		what = "has a missing or invalid name, version or created_at";
		goto bad;
	}
	prov = cJSON_GetObjectItemCaseSensitive(root, "provenance");
	if (!cJSON_IsObject(prov) || !unique_keys(prov, prov_keys, 1)) {
		what = "has a missing or invalid provenance";
		goto bad;
	}
	ref = cJSON_GetObjectItemCaseSensitive(prov, "enrollment_ref");
	if (ref && !cJSON_IsNull(ref)) {
		if (!cJSON_IsString(ref) || !pol_registry_name_valid(ref->valuestring)) {
			what = "has an invalid provenance.enrollment_ref";
			goto bad;
		}
		if (!(m->enrollment_ref = strdup(ref->valuestring))) {
			r = -ENOMEM;
			goto out;
		}
	}
	files = cJSON_GetObjectItemCaseSensitive(root, "files");
	if (!cJSON_IsObject(files) || !unique_keys(files, NULL, 0) ||
	    cJSON_GetArraySize(files) > POL_BUNDLE_MAX_FILES) {
		what = "has a missing or invalid files object";
		goto bad;
	}
	m->files = calloc((size_t)cJSON_GetArraySize(files) + 1, sizeof(*m->files));
	if (!m->files) {
		r = -ENOMEM;
		goto out;
	}
	cJSON_ArrayForEach(f, files) {
		struct pol_bundle_digest *d = &m->files[m->n_files];
		if (!bundle_tar_name_valid(f->string) || !content_name_ok(f->string) ||
		    !cJSON_IsString(f) || !lower_hex(f->valuestring, 64)) {
			r = pol_diag_set(diag, source, 0, 0,
					 "manifest.json: file '%.99s' has an invalid name or sha256",
					 f->string);
			goto out;
		}
		if (!(d->name = strdup(f->string))) {
			r = -ENOMEM;
			goto out;
		}
		memcpy(d->sha256, f->valuestring, 65);
		m->n_files++;
	}
	if (!cJSON_GetObjectItemCaseSensitive(files, POL_BUNDLE_CONFIG)) {
		what = "does not list attesta.yaml";
		goto bad;
	}
	r = 0;
	goto out;
bad:
	r = pol_diag_set(diag, source, 0, 0, "manifest.json %s", what);
out:
	cJSON_Delete(root);
	return r;
}

static int parse_signature(const char *source, const struct bundle_tar_entry *e,
			   unsigned char sig[BUNDLE_SIG_BYTES], struct pol_diag *diag)
{
	char hex[2 * BUNDLE_SIG_BYTES + 1];

	if ((e->len != 2 * BUNDLE_SIG_BYTES && e->len != 2 * BUNDLE_SIG_BYTES + 1) ||
	    (e->len == 2 * BUNDLE_SIG_BYTES + 1 && e->data[2 * BUNDLE_SIG_BYTES] != '\n'))
		goto bad;
	memcpy(hex, e->data, 2 * BUNDLE_SIG_BYTES);
	hex[2 * BUNDLE_SIG_BYTES] = '\0';
	if (!lower_hex(hex, 2 * BUNDLE_SIG_BYTES))
		goto bad;
	for (unsigned i = 0; i < BUNDLE_SIG_BYTES; i++) {
		unsigned hi = (unsigned)(hex[2 * i] <= '9' ? hex[2 * i] - '0' : hex[2 * i] - 'a' + 10);
		unsigned lo = (unsigned)(hex[2 * i + 1] <= '9' ? hex[2 * i + 1] - '0'
							      : hex[2 * i + 1] - 'a' + 10);
		sig[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
bad:
	return pol_diag_set(diag, source, 0, 0, "manifest.sig is not 128 lowercase hex digits");
}

static const struct bundle_tar_entry *find_entry(const struct pol_bundle *b, const char *name)
{
	for (size_t i = 0; i < b->n_entries; i++)
		if (!strcmp(b->entries[i].name, name))
			return &b->entries[i];
	return NULL;
}

int pol_bundle_parse(const char *source, const void *buf, size_t len,
		     struct pol_bundle **ret_bundle, struct pol_diag *diag)
{
	struct pol_bundle *b;
	const struct bundle_tar_entry *sig;
	int r;

	if (len > POL_BUNDLE_MAX_BYTES) {
		pol_diag_set(diag, source, 0, 0, "bundle is larger than %d bytes",
			     POL_BUNDLE_MAX_BYTES);
		return -EFBIG;
	}
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->source = strdup(source);
	b->archive = malloc(len ? len : 1);
	if (!b->source || !b->archive) {
		r = -ENOMEM;
		goto fail;
	}
	memcpy(b->archive, buf, len);
	r = bundle_tar_read(source, b->archive, len, &b->entries, &b->n_entries, diag);
	if (r < 0)
		goto fail;
	for (size_t i = 0; i < b->n_entries; i++) {
		const char *name = b->entries[i].name;
		if (strcmp(name, POL_BUNDLE_MANIFEST) && strcmp(name, POL_BUNDLE_SIGNATURE) &&
		    !content_name_ok(name)) {
			r = pol_diag_set(diag, source, 0, 0,
					 "member '%s' is not allowed in a bundle (attesta.yaml, profiles/NAME.yaml)",
					 name);
			goto fail;
		}
	}
	b->manifest_json = find_entry(b, POL_BUNDLE_MANIFEST);
	sig = find_entry(b, POL_BUNDLE_SIGNATURE);
	if (!b->manifest_json || !sig) {
		r = pol_diag_set(diag, source, 0, 0, "not a bundle: no %s",
				 b->manifest_json ? POL_BUNDLE_SIGNATURE : POL_BUNDLE_MANIFEST);
		goto fail;
	}
	r = parse_signature(source, sig, b->sig, diag);
	if (r == 0)
		r = parse_manifest(source, b->manifest_json, &b->manifest, diag);
	if (r < 0)
		goto fail;
	*ret_bundle = b;
	return 0;
fail:
	pol_bundle_free(b);
	return r;
}

int pol_bundle_read(const char *path, struct pol_bundle **ret_bundle, struct pol_diag *diag)
{
	char *buf = NULL;
	size_t len = 0;
	int r;

	r = pol_file_read(path, POL_BUNDLE_MAX_BYTES, 0, &buf, &len);
	if (r < 0) {
		pol_diag_set(diag, path, 0, 0, "cannot read bundle: %s", pol_file_read_strerror(r));
		return r;
	}
	r = pol_bundle_parse(path, buf, len, ret_bundle, diag);
	free(buf);
	return r;
}

void pol_bundle_free(struct pol_bundle *bundle)
{
	if (!bundle)
		return;
	manifest_release(&bundle->manifest);
	free(bundle->entries);
	free(bundle->archive);
	free(bundle->source);
	free(bundle);
}

const struct pol_bundle_manifest *pol_bundle_manifest(const struct pol_bundle *bundle)
{
	return &bundle->manifest;
}

int pol_bundle_member(const struct pol_bundle *bundle, const char *name,
		      const char **ret_data, size_t *ret_len)
{
	const struct bundle_tar_entry *e = find_entry(bundle, name);

	if (!e)
		return -ENOENT;
	*ret_data = e->data;
	*ret_len = e->len;
	return 0;
}

enum pol_bundle_sig pol_bundle_check(const struct pol_bundle *b, const struct pol_bundle_key *key,
				     struct pol_diag *diag)
{
	const struct pol_bundle_manifest *m = &b->manifest;

	if (!key) {
		pol_diag_set(diag, b->source, 0, 0, "no trusted public key to check the signature");
		return POL_BUNDLE_SIG_NO_KEY;
	}
	if (!bundle_key_verify(key, b->manifest_json->data, b->manifest_json->len, b->sig)) {
		pol_diag_set(diag, b->source, 0, 0, "signature does not verify with the public key");
		return POL_BUNDLE_SIG_BAD;
	}
	/* Every listed file present with its digest... */
	for (size_t i = 0; i < m->n_files; i++) {
		const struct bundle_tar_entry *e = find_entry(b, m->files[i].name);
		char hex[65];
		if (!e) {
			pol_diag_set(diag, b->source, 0, 0, "member '%s' is listed but missing",
				     m->files[i].name);
			return POL_BUNDLE_SIG_DIGEST;
		}
		if (bundle_sha256_hex(e->data, e->len, hex) < 0 || strcmp(hex, m->files[i].sha256)) {
			pol_diag_set(diag, b->source, 0, 0, "member '%s' does not match its sha256",
				     e->name);
			return POL_BUNDLE_SIG_DIGEST;
		}
	}
	/* ...and nothing unlisted (it would be unsigned content). */
	for (size_t i = 0; i < b->n_entries; i++) {
		const char *name = b->entries[i].name;
		bool listed = !strcmp(name, POL_BUNDLE_MANIFEST) || !strcmp(name, POL_BUNDLE_SIGNATURE);
		for (size_t j = 0; !listed && j < m->n_files; j++)
			listed = !strcmp(name, m->files[j].name);
		if (!listed) {
			pol_diag_set(diag, b->source, 0, 0, "member '%s' is not in the signed manifest",
				     name);
			return POL_BUNDLE_SIG_DIGEST;
		}
	}
	return POL_BUNDLE_SIG_OK;
}

int pol_bundle_check_content(const struct pol_bundle *b, struct pol_diag *diag)
{
	char name[4200];
	int r = 0;

	for (size_t i = 0; i < b->n_entries && r == 0; i++) {
		const struct bundle_tar_entry *e = &b->entries[i];
		snprintf(name, sizeof(name), "%s:%s", b->source, e->name);
		if (!strcmp(e->name, POL_BUNDLE_CONFIG)) {
			struct pol_config *config = NULL;
			r = pol_config_load_buffer(name, e->data, e->len, &config, diag);
			pol_config_free(config);
		} else if (content_name_ok(e->name)) {
			struct pol_domain_profile *profile = NULL;
			r = pol_domain_load_buffer(name, e->data, e->len, &profile, diag);
			pol_domain_free(profile);
		}
	}
	return r;
}

static cJSON *build_manifest(const struct pol_bundle_meta *meta,
			     const struct pol_bundle_input *inputs, size_t n)
{
	cJSON *root = cJSON_CreateObject(), *prov, *files;
	char when[32];
	struct tm tm;
	time_t t = meta->created_at;

	if (!root || !gmtime_r(&t, &tm) || !strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm))
		goto fail;
	if (!cJSON_AddStringToObject(root, "schema_version", POL_BUNDLE_SCHEMA_VERSION) ||
	    !cJSON_AddStringToObject(root, "name", meta->name) ||
	    !cJSON_AddStringToObject(root, "version", meta->version) ||
	    !cJSON_AddStringToObject(root, "created_at", when) ||
	    !(prov = cJSON_AddObjectToObject(root, "provenance")) ||
	    !(meta->enrollment_ref ? cJSON_AddStringToObject(prov, "enrollment_ref", meta->enrollment_ref)
				   : cJSON_AddNullToObject(prov, "enrollment_ref")) ||
	    !(files = cJSON_AddObjectToObject(root, "files")))
		goto fail;
	for (size_t i = 0; i < n; i++) {
		char hex[65];
		if (bundle_sha256_hex(inputs[i].data, inputs[i].len, hex) < 0 ||
		    !cJSON_AddStringToObject(files, inputs[i].name, hex))
			goto fail;
	}
	return root;
fail:
	cJSON_Delete(root);
	return NULL;
}

int pol_bundle_pack(const struct pol_bundle_key *key, const struct pol_bundle_meta *meta,
		    const struct pol_bundle_input *inputs, size_t n_inputs,
		    char **ret_buf, size_t *ret_len, struct pol_diag *diag)
{
	struct bundle_buf out = { 0 };
	unsigned char sig[BUNDLE_SIG_BYTES];
	char sig_hex[2 * BUNDLE_SIG_BYTES + 2];
	bool have_config = false;
	cJSON *manifest = NULL;
	char *text = NULL;
	int r;

	if (!meta->name || !printable(meta->name) || !meta->version || !printable(meta->version))
		return pol_diag_set(diag, "bundle", 0, 0,
				    "name and version must be 1-%d printable ASCII characters",
				    POL_BUNDLE_MAX_STRING);
	if (meta->enrollment_ref && !pol_registry_name_valid(meta->enrollment_ref))
		return pol_diag_set(diag, "bundle", 0, 0, "invalid enrollment ref '%.256s'",
				    meta->enrollment_ref);
	if (n_inputs + 2 > POL_BUNDLE_MAX_FILES)
		return pol_diag_set(diag, "bundle", 0, 0, "more than %d files",
				    POL_BUNDLE_MAX_FILES - 2);
	for (size_t i = 0; i < n_inputs; i++) {
		if (!bundle_tar_name_valid(inputs[i].name) || !content_name_ok(inputs[i].name))
			return pol_diag_set(diag, inputs[i].name, 0, 0,
					    "not a bundle member name (attesta.yaml, profiles/NAME.yaml)");
		if (inputs[i].len > POL_BUNDLE_MAX_FILE_BYTES)
			return pol_diag_set(diag, inputs[i].name, 0, 0, "file is larger than %d bytes",
					    POL_BUNDLE_MAX_FILE_BYTES);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(inputs[i].name, inputs[j].name))
				return pol_diag_set(diag, inputs[i].name, 0, 0,
						    "file is named twice in the bundle");
		have_config |= !strcmp(inputs[i].name, POL_BUNDLE_CONFIG);
	}
	if (!have_config)
		return pol_diag_set(diag, "bundle", 0, 0, "a bundle needs an attesta.yaml");
	manifest = build_manifest(meta, inputs, n_inputs);
	text = manifest ? cJSON_Print(manifest) : NULL;
	if (!text) {
		r = -ENOMEM;
		goto out;
	}
	r = bundle_key_sign(key, text, strlen(text), sig);
	if (r < 0) {
		pol_diag_set(diag, "bundle", 0, 0, "cannot sign the manifest");
		goto out;
	}
	for (unsigned i = 0; i < BUNDLE_SIG_BYTES; i++)
		snprintf(sig_hex + 2 * i, 3, "%02x", sig[i]);
	sig_hex[2 * BUNDLE_SIG_BYTES] = '\n';
	sig_hex[2 * BUNDLE_SIG_BYTES + 1] = '\0';
	r = bundle_tar_add(&out, POL_BUNDLE_MANIFEST, text, strlen(text), meta->created_at);
	if (r == 0)
		r = bundle_tar_add(&out, POL_BUNDLE_SIGNATURE, sig_hex, strlen(sig_hex),
				   meta->created_at);
	for (size_t i = 0; r == 0 && i < n_inputs; i++)
		r = bundle_tar_add(&out, inputs[i].name, inputs[i].data, inputs[i].len,
				   meta->created_at);
	if (r == 0)
		r = bundle_tar_finish(&out);
	if (r < 0) {
		pol_diag_set(diag, "bundle", 0, 0, "cannot build the archive: %s", strerror(-r));
		goto out;
	}
	*ret_buf = out.data;
	*ret_len = out.len;
	out.data = NULL;
out:
	bundle_buf_release(&out);
	cJSON_Delete(manifest);
	free(text);
	return r;
}
