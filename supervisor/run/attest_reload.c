/*
 * A newer signed bundle reaching a running gate (docs/fleet.md, "Fleet
 * mode in attesta-run"): when the bundle file is replaced, or a newer
 * version of a NAME reference is pushed (NOTIFY attesta_bundle), the
 * watcher thread reads it, checks its signature with the node's key and,
 * if it verifies, builds its policy (config with the node-local keys, and
 * engine) and publishes it; the loop thread takes it at its next gated
 * call. Settings fixed at start-up (the seccomp filter's, the audit log's,
 * the trust store's, the approval socket's, command-line overrides) keep
 * their start-up values; a bundle that changes what the filter holds is
 * not applied (a restart is needed; said on standard error). A newer
 * bundle that does not verify fails closed: "attestation: signature".
 * Old configs and engines stay alive until exit (held calls use them).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/config_local.h"
#include "policy/engine.h"
#include "policy/fleet_db.h"
#include "supervisor/run/approval.h"
#include "supervisor/run/attest_internal.h"

void sup_attest_bundle_name(const struct pol_bundle *b, char *buf, size_t size)
{
	const struct pol_bundle_manifest *m = b ? pol_bundle_manifest(b) : NULL;

	snprintf(buf, size, "%.256s@%.256s", m ? m->name : "?", m ? m->version : "?");
}

bool sup_attest_bundle_file_changed(struct sup_attest *a)
{
	struct stat st;
	bool valid;

	if (!a->follow || a->bundle_label[0] == '<')
		return false;
	valid = stat(a->bundle_path, &st) == 0;
	if (valid == a->bundle_st_valid &&
	    (!valid || (st.st_ino == a->bundle_st.st_ino && st.st_dev == a->bundle_st.st_dev &&
			st.st_size == a->bundle_st.st_size &&
			st.st_mtim.tv_sec == a->bundle_st.st_mtim.tv_sec &&
			st.st_mtim.tv_nsec == a->bundle_st.st_mtim.tv_nsec &&
			st.st_ctim.tv_sec == a->bundle_st.st_ctim.tv_sec &&
			st.st_ctim.tv_nsec == a->bundle_st.st_ctim.tv_nsec)))
		return false;
	a->bundle_st = st;
	a->bundle_st_valid = valid;
	return true;
}

/* Say it once (the watcher may see the same problem every second). */
static void warn(struct sup_attest *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(struct sup_attest *a, const char *fmt, ...)
{
	char msg[sizeof a->last_warning];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (!strcmp(msg, a->last_warning))
		return;
	snprintf(a->last_warning, sizeof a->last_warning, "%s", msg);
	fprintf(stderr, "attesta-run: %s\n", msg);
}

static bool same_member(const struct pol_bundle *x, const struct pol_bundle *y, const char *name)
{
	const char *dx, *dy;
	size_t lx, ly;

	if (!x || !y || pol_bundle_member(x, name, &dx, &lx) < 0 ||
	    pol_bundle_member(y, name, &dy, &ly) < 0)
		return false;
	return lx == ly && !memcmp(dx, dy, lx);
}

static int take_str(char **dst, const char *src)
{
	char *copy = NULL;

	if (src && !(copy = strdup(src)))
		return -ENOMEM;
	free(*dst);
	*dst = copy;
	return 0;
}

static bool same_strv(const struct pol_strv *x, const struct pol_strv *y)
{
	if (x->count != y->count)
		return false;
	for (size_t i = 0; i < x->count; i++)
		if (strcmp(x->items[i], y->items[i]))
			return false;
	return true;
}

/* The start-up settings of the running policy, into the new one. */
static int keep_startup(struct pol_config *c, const struct pol_config *run)
{
	int r = 0;

	r = r ?: take_str(&c->audit_path, run->audit_path);
	r = r ?: take_str(&c->audit_backend, run->audit_backend);
	r = r ?: take_str(&c->audit_hmac_key_file, run->audit_hmac_key_file);
	r = r ?: take_str(&c->audit_tenant_id, run->audit_tenant_id);
	r = r ?: take_str(&c->trust_path, run->trust_path);
	r = r ?: take_str(&c->approval_socket, run->approval_socket);
	r = r ?: take_str(&c->approval_group, run->approval_group);
	r = r ?: take_str(&c->workspace, run->workspace);
	r = r ?: take_str(&c->agent_id, run->agent_id);
	r = r ?: take_str(&c->environment, run->environment);
	r = r ?: take_str(&c->run_user, run->run_user);
	c->audit_sync = run->audit_sync;
	c->audit_sync_window_ms = run->audit_sync_window_ms;
	c->trust_initial_score = run->trust_initial_score;
	c->trust_ceiling = run->trust_ceiling;
	c->trust_decay_rate = run->trust_decay_rate;
	c->trust_influence = run->trust_influence;
	c->trust_incident_penalty = run->trust_incident_penalty;
	c->renderer = run->renderer;
	c->timeout_seconds = run->timeout_seconds;
	return r;
}

/* What the seccomp filter was built from: NULL if the same, else a key. */
static const char *filter_change(const struct pol_config *c, const struct pol_config *run)
{
	if (c->intercept_exec != run->intercept_exec || c->intercept_unlink != run->intercept_unlink ||
	    c->intercept_connect != run->intercept_connect)
		return "gate.intercept";
	if (c->allow_io_uring != run->allow_io_uring)
		return "gate.allow_io_uring";
	if (!same_strv(&c->allow_socket_families, &run->allow_socket_families))
		return "gate.allow_socket_families";
	return NULL;
}

static int own(struct sup_attest *a, struct pol_config *c, struct pol_engine *e,
	       struct pol_bundle *b)
{
	struct sup_attest_owned *o = calloc(1, sizeof *o);

	if (!o)
		return -ENOMEM;
	o->config = c;
	o->engine = e;
	o->bundle = b;
	o->next = a->owned;
	a->owned = o;
	return 0;
}

/* The new bundle does not verify: this node's bundle is now a bad one. */
static void fail_closed(struct sup_attest *a, enum pol_bundle_sig sig, const char *label,
			const struct pol_diag *diag)
{
	char line[600];

	pol_diag_format(diag, line, sizeof line);
	pthread_mutex_lock(&a->lock);
	a->sig = sig;
	snprintf(a->sig_why, sizeof a->sig_why, "new bundle %.300s fails its signature check: "
		 "%s: %.400s", label, pol_bundle_sig_name(sig), diag->message[0] ? line : "");
	a->pub_sig = sig;
	pthread_mutex_unlock(&a->lock);
	sup_attest_evaluate(a);
}

void sup_attest_check_bundle(struct sup_attest *a)
{
	struct pol_bundle *nb = NULL;
	struct pol_config *c = NULL;
	struct pol_engine *e = NULL;
	struct pol_diag diag;
	char label[600], name[700], line[700];
	const char *data, *changed;
	size_t len;
	enum pol_bundle_sig sig;
	int r;

	if (!a->follow || !a->running)
		return;
	memset(&diag, 0, sizeof diag);
	r = pol_fleet_bundle_load(a->bundle_path, a->conninfo, &nb, label, sizeof label, &diag);
	if (r < 0) {
		pol_diag_format(&diag, line, sizeof line);
		warn(a, "cannot read bundle '%.300s' to check for a newer one: %s", a->bundle_path,
		     diag.message[0] ? line : strerror(-r));
		return;
	}
	if (same_member(nb, a->bundle, POL_BUNDLE_MANIFEST) &&
	    same_member(nb, a->bundle, POL_BUNDLE_SIGNATURE) && a->sig == POL_BUNDLE_SIG_OK) {
		pol_bundle_free(nb);
		return;
	}
	memset(&diag, 0, sizeof diag);
	sig = pol_bundle_check(nb, a->key, &diag);
	if (sig != POL_BUNDLE_SIG_OK) {
		/* SECURITY: nothing in it is used; fail closed */
		fail_closed(a, sig, label, &diag);
		pol_bundle_free(nb);
		return;
	}
	snprintf(name, sizeof name, "%s:%s", label, POL_BUNDLE_CONFIG);
	memset(&diag, 0, sizeof diag);
	if (pol_bundle_member(nb, POL_BUNDLE_CONFIG, &data, &len) < 0 ||
	    pol_config_load_buffer(name, data, len, &c, &diag) < 0) {
		pol_diag_format(&diag, line, sizeof line);
		warn(a, "new bundle %s not applied: %s", label, line);
		goto out;
	}
	if (pol_config_take_local(c, a->local, a->local_set) < 0 || keep_startup(c, a->running) < 0 ||
	    take_str(&c->source, label) < 0) {
		warn(a, "new bundle %s not applied: out of memory", label);
		goto out;
	}
	c->profile_bundle = nb;
	if ((changed = filter_change(c, a->running))) {
		warn(a, "new bundle %s not applied: it changes %s, which the running gate was "
		     "started with: restart attesta-run", label, changed);
		goto out;
	}
	memset(&diag, 0, sizeof diag);
	if ((r = pol_engine_new(c, &e, &diag)) < 0) {
		pol_diag_format(&diag, line, sizeof line);
		warn(a, "new bundle %s not applied: %s", label, diag.message[0] ? line : strerror(-r));
		goto out;
	}
	if (own(a, c, e, nb) < 0) {
		warn(a, "new bundle %s not applied: out of memory", label);
		goto out;
	}
	pthread_mutex_lock(&a->lock);
	/* a policy the loop has not taken yet is superseded (still owned) */
	a->pending_config = c;
	a->pending_engine = e;
	a->bundle = nb;
	a->manifest = pol_bundle_manifest(nb);
	a->sig = POL_BUNDLE_SIG_OK;
	a->pub_sig = POL_BUNDLE_SIG_OK;
	sup_attest_bundle_name(nb, a->pub_bundle, sizeof a->pub_bundle);
	atomic_fetch_add(&a->gen, 1);
	pthread_mutex_unlock(&a->lock);
	a->running = c;
	a->last_warning[0] = '\0';
	fprintf(stderr, "attesta-run: policy: bundle %s (%s) is now the policy\n", a->pub_bundle,
		label);
	/* its enrollment ref is the predicate's new input */
	sup_attest_evaluate(a);
	return;
out:
	pol_engine_free(e);
	pol_config_free(c);
	pol_bundle_free(nb);
}

void sup_attest_take_policy(struct sup_gate *gate, struct sup_attest *a)
{
	/* under a->lock (sup_attest_sync) */
	if (!a->pending_config)
		return;
	/* under the gate lock too; read without it by respond.c (deny_errno)
	 * and workers.c (env_vars): atomic stores, and the policy replaced
	 * stays allocated until the end (sup_attest_owned_free) */
	__atomic_store_n(&gate->config, a->pending_config, __ATOMIC_RELEASE);
	gate->engine = a->pending_engine;
	__atomic_store_n(&gate->decode_opts.env_vars, &a->pending_config->env_vars,
			 __ATOMIC_RELEASE);
	if (gate->approval)
		sup_approval_set_config(gate->approval, a->pending_config);
	a->pending_config = NULL;
	a->pending_engine = NULL;
}

void sup_attest_owned_free(struct sup_attest *a)
{
	while (a->owned) {
		struct sup_attest_owned *o = a->owned;

		a->owned = o->next;
		pol_engine_free(o->engine);
		pol_config_free(o->config);
		pol_bundle_free(o->bundle);
		free(o);
	}
}
