/*
 * The attestation gate on the verdict path (attest.h, docs/fleet.md,
 * "Fleet mode in attesta-run"): the loop thread's view of the published
 * predicate result, the audit entry that records each new result, the
 * enforce deny and the advisory would-deny shadow entry (same entry_id
 * as the policy-layer entry, would_deny: true, the attestation reason).
 * pol_attest_gate() is the only place the result changes a verdict, so a
 * pass never turns a deny into an allow.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "policy/audit.h"
#include "supervisor/run/attest_internal.h"
#include "supervisor/run/clock.h"
#include "supervisor/run/verdict_entry.h"

static const char *mode_name(enum pol_attestation_mode mode)
{
	return mode == POL_ATTEST_ENFORCE ? "enforce" : mode == POL_ATTEST_ADVISORY ? "advisory"
										    : "off";
}

/* One entry recording a new predicate result (durable before return). */
static int record(struct sup_gate *gate, const struct sup_attest *a)
{
	cJSON *e = cJSON_CreateObject(), *meta;
	char when[48], reason[600];
	int r = -ENOMEM;

	if (!e)
		return -ENOMEM;
	sup_iso_time(sup_now(), when, sizeof when);
	snprintf(reason, sizeof reason, "attestation status (%s): %s: %s", mode_name(a->mode),
		 pol_attest_reason(a->cur), a->cur_detail);
	meta = cJSON_AddObjectToObject(e, "metadata");
	if (!meta || !cJSON_AddStringToObject(e, "action_name", "attestation") ||
	    !cJSON_AddStringToObject(e, "action_description", "attestation predicate result") ||
	    !cJSON_AddStringToObject(e, "agent_id", gate->agent_id) ||
	    !cJSON_AddStringToObject(e, "verdict", a->cur == POL_ATTEST_ALLOW ? "allow" : "deny") ||
	    !cJSON_AddStringToObject(e, "intercepted_at", when) ||
	    !cJSON_AddStringToObject(e, "decided_at", when) ||
	    !cJSON_AddStringToObject(e, "session_id", gate->session_id) ||
	    !cJSON_AddStringToObject(e, "environment", gate->environment) ||
	    !cJSON_AddStringToObject(e, "action_class", "attestation") ||
	    !cJSON_AddStringToObject(e, "decision_source", "attestation") ||
	    !cJSON_AddStringToObject(e, "reason", reason) ||
	    !(a->node_id ? cJSON_AddStringToObject(e, "node_id", a->node_id)
			 : cJSON_AddNullToObject(e, "node_id")) ||
	    !cJSON_AddStringToObject(meta, "attestation_mode", mode_name(a->mode)) ||
	    !cJSON_AddStringToObject(meta, "result", pol_attest_reason(a->cur)) ||
	    !cJSON_AddStringToObject(meta, "signature", pol_bundle_sig_name(a->cur_sig)) ||
	    !cJSON_AddStringToObject(meta, "registry", a->registry_spec) ||
	    !(a->cur_bundle[0] && a->cur_sig == POL_BUNDLE_SIG_OK
		      ? cJSON_AddStringToObject(meta, "bundle", a->cur_bundle)
		      : cJSON_AddNullToObject(meta, "bundle")))
		goto out;
	r = pol_audit_append(gate->audit, e, POL_AUDIT_ATTESTATION, NULL, 0);
out:
	cJSON_Delete(e);
	return r < 0 ? r : 0;
}

int sup_attest_sync(struct sup_gate *gate)
{
	struct sup_attest *a = gate->attest;
	unsigned gen;
	int r;

	if (!a)
		return 0;
	gen = atomic_load_explicit(&a->gen, memory_order_acquire);
	if (gen == a->seen_gen)
		return 0;
	pthread_mutex_lock(&a->lock);
	gen = atomic_load(&a->gen);
	a->cur = a->result;
	snprintf(a->cur_detail, sizeof a->cur_detail, "%s", a->detail);
	a->cur_sig = a->pub_sig;
	snprintf(a->cur_bundle, sizeof a->cur_bundle, "%s", a->pub_bundle);
	/* a newer bundle's policy, from this call on (attest_reload.c) */
	sup_attest_take_policy(gate, a);
	pthread_mutex_unlock(&a->lock);
	a->seen_gen = gen;
	/* said once per new result */
	if (a->cur == POL_ATTEST_ALLOW)
		fprintf(stderr, "attesta-run: attestation %s: allow (%s)\n", mode_name(a->mode),
			a->cur_detail);
	else
		fprintf(stderr, "attesta-run: attestation %s: %s (%s): %s\n", mode_name(a->mode),
			pol_attest_reason(a->cur), a->cur_detail,
			a->mode == POL_ATTEST_ENFORCE ? "every gated call is denied"
						      : "gated calls are logged as would-deny");
	r = record(gate, a);
	if (r < 0)
		fprintf(stderr, "attesta-run: cannot write the attestation audit entry: %s\n",
			strerror(-r));
	return r;
}

bool sup_attest_denies(struct sup_gate *gate, const char **ret_reason)
{
	struct sup_attest *a = gate->attest;

	if (!a)
		return false;
	if (sup_attest_sync(gate) < 0 && a->mode == POL_ATTEST_ENFORCE) {
		*ret_reason = "attestation: audit entry could not be written";
		return true;
	}
	if (pol_attest_gate(a->mode, true, a->cur) != POL_ATTEST_EFFECT_DENY)
		return false;
	*ret_reason = pol_attest_reason(a->cur);
	return true;
}

int sup_attest_shadow(struct sup_gate *gate, const struct sup_held *held,
		      const struct sup_verdict_extra *x, const char *entry_id)
{
	const bool approved = sup_verdict_allows(&held->verdict);
	struct sup_attest *a = gate->attest;
	struct pol_json *e;
	int r;

	if (!a || a->mode != POL_ATTEST_ADVISORY)
		return 0;
	if ((r = sup_attest_sync(gate)) < 0)
		return r;
	if (pol_attest_gate(a->mode, approved, a->cur) != POL_ATTEST_EFFECT_WOULD_DENY)
		return 0;
	if (!entry_id || !*entry_id)
		return -EINVAL;
	if (!gate->entry_arena && !(gate->entry_arena = pol_json_arena_new()))
		return -ENOMEM;
	pol_json_arena_reset(gate->entry_arena);
	/* the policy's verdict stands; the shadow says what enforce would do */
	struct sup_verdict v = held->verdict;
	v.source = SUP_SRC_ATTESTATION;
	snprintf(v.reason, sizeof v.reason, "%s", pol_attest_reason(a->cur));
	e = sup_verdict_entry(gate->entry_arena, gate, held, &v, 0, x);
	if (!e)
		return -ENOMEM;
	struct pol_json *id = pol_json_string_from_bytes(gate->entry_arena, entry_id,
							 strlen(entry_id));
	struct pol_json *yes = pol_json_new(gate->entry_arena, POL_JSON_TRUE);
	struct pol_json *node = a->node_id ? pol_json_string_from_bytes(gate->entry_arena,
									a->node_id,
									strlen(a->node_id))
					   : pol_json_new(gate->entry_arena, POL_JSON_NULL);
	if (!id || !yes || !node || pol_json_add(gate->entry_arena, e, "entry_id", id) < 0 ||
	    pol_json_add(gate->entry_arena, e, "would_deny", yes) < 0 ||
	    pol_json_add(gate->entry_arena, e, "node_id", node) < 0)
		return -ENOMEM;
	return pol_audit_append_json(gate->audit, e, POL_AUDIT_ATTESTATION, NULL, 0);
}
