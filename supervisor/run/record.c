/*
 * The record stage (record.h): build the entry (verdict_entry.c) in the
 * gate's arena and append it to the hash-chained log (policy/audit.h)
 * with the durability its kind needs. Trusts the decoded action only as
 * far as the decoders bounded it.
 */
#include "supervisor/run/record.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "policy/audit.h"
#include "supervisor/run/attest.h"
#include "supervisor/run/clock.h"

/* A decision thread's own arena (workers.h: it records outside the gate
 * lock); every other caller builds in the gate's, under the gate lock. */
static __thread struct pol_json_arena *thread_arena;
static __thread bool own_arena;

void sup_record_thread_arena(bool on)
{
	own_arena = on;
	if (!on) {
		pol_json_arena_free(thread_arena);
		thread_arena = NULL;
	}
}

static int append(struct sup_gate *gate, const struct sup_held *held, const struct sup_verdict *v,
		  int answer_errno, enum pol_audit_kind kind, const struct sup_verdict_extra *x,
		  char *ret_id, size_t id_size)
{
	struct pol_json_arena **arena = own_arena ? &thread_arena : &gate->entry_arena;
	if (!*arena && !(*arena = pol_json_arena_new()))
		return -ENOMEM;
	pol_json_arena_reset(*arena);
	struct pol_json *entry = sup_verdict_entry(*arena, gate, held, v, answer_errno, x);
	if (!entry)
		return -ENOMEM;
	return pol_audit_append_json(gate->audit, entry, kind, ret_id, id_size);
}

static int deny_errno_of(const struct sup_gate *gate)
{
	int e = gate->config->deny_errno;
	return e > 0 && e < 4096 ? e : EPERM;
}

int sup_record(struct sup_gate *gate, struct sup_held *held, const struct sup_verdict_extra *x)
{
	const struct sup_verdict *v = &held->verdict;
	const bool approved = sup_verdict_allows(v);
	enum pol_audit_kind kind;

	if (!approved)
		kind = POL_AUDIT_DENY;
	else if (v->source == SUP_SRC_HUMAN)
		kind = POL_AUDIT_HUMAN;
	else if (v->source == SUP_SRC_POLICY)
		kind = POL_AUDIT_AUTO;
	else
		kind = POL_AUDIT_DENY; /* fail_mode allow etc.: durable before release */
	held->entry_id[0] = '\0';
	int rc = append(gate, held, v, approved ? 0 : deny_errno_of(gate), kind, x, held->entry_id,
			sizeof held->entry_id);
	/* Attestation, advisory: the would-deny shadow under the same id. */
	if (rc >= 0 && gate->attest)
		rc = sup_attest_shadow(gate, held, x, held->entry_id);
	return rc < 0 ? rc : 0;
}

int sup_record_also(struct sup_gate *gate, const struct sup_held *held,
		    const struct sup_verdict *v, int answer_errno)
{
	return append(gate, held, v, answer_errno, POL_AUDIT_DENY, NULL, NULL, 0);
}

int sup_record_event(struct sup_gate *gate, pid_t pid, int nr, enum sup_source source,
		     const char *reason)
{
	struct sup_held h;
	memset(&h, 0, sizeof h);
	h.req.pid = (__u32)pid;
	h.req.data.nr = nr;
	h.intercepted_at = sup_now();
	sup_verdict_set(&h.verdict, SUP_VERDICT_DENIED, source, "%s", reason ? reason : "");
	return append(gate, &h, &h.verdict, 0, POL_AUDIT_DENY, NULL, NULL, 0);
}
