/*
 * sup_verdict_entry(): the audit entry of a finished call as a pol_json
 * object in the caller's arena (see verdict_entry.h). Numbers follow the
 * rule pol_audit_append() applies to a cJSON entry (pol_json_number with
 * pol_audit_float_keys), so both paths write the same bytes. Trusts the
 * decoded action only as far as the decoders bounded it; every string is
 * copied as bytes (surrogateescape), never interpreted.
 */
#include "supervisor/run/verdict_entry.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "policy/audit.h"
#include "supervisor/run/clock.h"
#include "supervisor/run/exec_chain.h"
#include "supervisor/run/filter.h"

/* A builder with a sticky error: the first failed allocation makes the
 * whole entry NULL. Members are linked at their object's tail (no walk)
 * under literal keys (no copy); the canonical writer sorts them anyway,
 * and they are added in key order here so its sort has nothing to move
 * (docs/BENCHMARKS.md, "Session 5"). */
struct jb {
	struct pol_json_arena *arena;
	bool failed;
};

/* An object or array being built, and where its next child goes. */
struct jo {
	struct pol_json *node;
	struct pol_json **tail;
};

static bool is_float_key(const char *key)
{
	for (const char *const *k = pol_audit_float_keys; *k; k++)
		if (!strcmp(key, *k))
			return true;
	return false;
}

static struct pol_json *node(struct jb *b, enum pol_json_kind kind)
{
	return pol_json_new(b->arena, kind);
}

static struct jo open_node(struct jb *b, enum pol_json_kind kind)
{
	struct jo o = { .node = node(b, kind) };

	o.tail = o.node ? &o.node->first : NULL;
	return o;
}

/* key: a string literal of plain ASCII (kept by pointer), or NULL for an
 * array element. */
static inline void put(struct jb *b, struct jo *o, const char *key, struct pol_json *v)
{
	if (!o->node || !v) {
		b->failed = true;
		return;
	}
	if (key) {
		v->key = key;
		v->key_len = strlen(key);
		v->key_plain = true;
	}
	v->next = NULL;
	*o->tail = v;
	o->tail = &v->next;
	o->node->count++;
}

/* A string, or null for NULL. The bytes are borrowed: s must outlive the
 * append (the action, the gate, static names). */
static struct pol_json *str(struct jb *b, const char *s)
{
	return s ? pol_json_string_borrow(b->arena, s, strlen(s))
		 : pol_json_new(b->arena, POL_JSON_NULL);
}

/* The same for a string in a buffer that goes away first: copied. */
static struct pol_json *str_copy(struct jb *b, const char *s)
{
	return pol_json_string_from_bytes(b->arena, s, strlen(s));
}

static struct pol_json *boolean(struct jb *b, bool v)
{
	return pol_json_new(b->arena, v ? POL_JSON_TRUE : POL_JSON_FALSE);
}

static inline void put_str(struct jb *b, struct jo *o, const char *key, const char *s)
{
	put(b, o, key, str(b, s));
}

static void put_num(struct jb *b, struct jo *o, const char *key, double v)
{
	put(b, o, key, pol_json_number(b->arena, v, is_float_key(key)));
}

/* An integer (as pol_json_number writes an integral value below 2^53). */
static inline void put_int(struct jb *b, struct jo *o, const char *key, long long v)
{
	put(b, o, key, pol_json_int(b->arena, v));
}

static inline void put_bool(struct jb *b, struct jo *o, const char *key, bool v)
{
	put(b, o, key, boolean(b, v));
}

static struct pol_json *strv(struct jb *b, const struct pol_strv *v, const char *first)
{
	struct jo a = open_node(b, POL_JSON_ARRAY);

	if (first)
		put(b, &a, NULL, str(b, first));
	for (size_t i = 0; i < v->count; i++)
		put(b, &a, NULL, str(b, v->items[i]));
	return a.node;
}

static struct pol_json *factors(struct jb *b, const struct pol_assessment *a)
{
	struct jo arr = open_node(b, POL_JSON_ARRAY);

	for (size_t i = 0; a && i < a->n_factors; i++) {
		const struct pol_factor *f = &a->factors[i];
		struct jo o = open_node(b, POL_JSON_OBJECT);

		put(b, &o, "contribution", pol_json_float(b->arena, f->contribution));
		put_str(b, &o, "description", f->description);
		put_str(b, &o, "evidence", f->evidence);
		put_str(b, &o, "name", f->name);
		put(b, &arr, NULL, o.node);
	}
	return arr.node;
}


static enum pol_action_class class_of_syscall(int nr)
{
	switch (nr) {
	case SYS_execve: case SYS_execveat: return POL_ACTION_EXEC;
	case SYS_unlink: case SYS_unlinkat: return POL_ACTION_UNLINK;
	case SYS_rmdir: return POL_ACTION_RMDIR;
	case SYS_rename: case SYS_renameat: case SYS_renameat2: return POL_ACTION_RENAME;
	case SYS_connect: return POL_ACTION_CONNECT;
	case SYS_sendto: case SYS_sendmsg: case SYS_sendmmsg: return POL_ACTION_SENDTO;
	default: return POL_ACTION_GENERIC; /* a refused call (filter.h) */
	}
}

/* An ISO time formatted straight into the arena (no copy). */
static struct pol_json *iso_node(struct jb *b, double epoch)
{
	char *text = pol_json_arena_alloc(b->arena, 48);

	if (!text)
		return NULL;
	sup_iso_time(epoch, text, 48);
	return pol_json_string_borrow(b->arena, text, strlen(text));
}

/* The metadata object, members in key order. */
static struct pol_json *metadata(struct jb *b, const struct sup_gate *gate,
				 const struct sup_held *held, const struct sup_verdict *v,
				 const struct pol_decision *d, const struct sup_verdict_extra *x)
{
	const struct pol_action *act = held->action;
	const bool exec = act && act->action_class == POL_ACTION_EXEC;
	const bool rename = act && act->action_class == POL_ACTION_RENAME;
	struct jo meta = open_node(b, POL_JSON_OBJECT);

	/* The shim's claims (libc_*, chain) are display context only (never
	 * scored). */
	if (act && act->chain.count)
		put(b, &meta, "chain", strv(b, &act->chain, NULL));
	if (x && x->challenge_result) {
		struct pol_json *cr = NULL;

		if (pol_json_from_cjson(b->arena, x->challenge_result, pol_audit_float_keys, &cr) < 0)
			b->failed = true;
		else
			put(b, &meta, "challenge_result", cr);
	}
	if (d && d->critical_action)
		put_bool(b, &meta, "critical_action", true);
	if (rename) {
		put_str(b, &meta, "dest_path", act->dest_path);
		if (act->dest_file.known)
			put_str(b, &meta, "dest_type", act->dest_file.type);
	}
	/* What else the exec runs (docs/decode.md): a reader sees it. */
	if (exec && act->elf_interp) {
		struct jo o = open_node(b, POL_JSON_OBJECT);

		put_num(b, &o, "dev", (double)act->elf_interp_dev);
		put_num(b, &o, "ino", (double)act->elf_interp_ino);
		put_bool(b, &o, "loader", act->elf_interp_loader);
		put_str(b, &o, "path", act->elf_interp);
		put(b, &meta, "elf_interp", o.node);
	}
	if (x && x->escalation)
		put_bool(b, &meta, "escalation", true);
	if (rename)
		put_bool(b, &meta, "exchange", act->rename_exchange);
	if (exec && act->exec_anonymous)
		put_bool(b, &meta, "exec_anonymous", true);
	/* a hop of a wrapper chain names the decision that carries it
	 * (exec_chain.h); a hop a human decided is a decision of its own */
	unsigned hop = 0;
	/* (exec only: the loop thread's; a decision thread, workers.h,
	 * records other calls without the gate lock and never reads chains) */
	const char *head = act && act->action_class == POL_ACTION_EXEC && !held->from_shim &&
				   v->source != SUP_SRC_HUMAN
				   ? sup_exec_chain_hop(gate->chains, act, &hop) : NULL;
	if (head) {
		struct jo ch = open_node(b, POL_JSON_OBJECT);

		put(b, &ch, "head", str_copy(b, head));
		put_int(b, &ch, "hop", hop);
		put(b, &meta, "exec_chain", ch.node);
	}
	if (act && (act->action_class == POL_ACTION_UNLINK || act->action_class == POL_ACTION_RMDIR) &&
	    act->file.known) {
		struct jo f = open_node(b, POL_JSON_OBJECT);

		put_int(b, &f, "owner", act->file.owner);
		put_num(b, &f, "size", (double)act->file.size);
		put_str(b, &f, "type", act->file.type);
		put(b, &meta, "file", f.node);
	}
	if (exec && act->interpreter)
		put_str(b, &meta, "interpreter", act->interpreter);
	if (act && act->libc_command)
		put_str(b, &meta, "libc_command", act->libc_command);
	if (act && act->libc_entry)
		put_str(b, &meta, "libc_entry", act->libc_entry);
	if (exec && act->loader_target) {
		struct jo o = open_node(b, POL_JSON_OBJECT);

		put(b, &o, "argv", strv(b, &act->loader_argv, NULL));
		put_num(b, &o, "dev", (double)act->loader_target_dev);
		put_num(b, &o, "ino", (double)act->loader_target_ino);
		put_str(b, &o, "path", act->loader_target);
		put(b, &meta, "loader_target", o.node);
	}
	/* How the call was held: the kernel gate, or the weaker shim-only
	 * mode (docs/shim.md: what it misses). */
	put_str(b, &meta, "mode", gate->shim_mode ? "shim" : "seccomp");
	if (rename) {
		put_int(b, &meta, "rename_flags", act->rename_flags);
		put_bool(b, &meta, "replaces", act->rename_replaces);
	}
	if (x && x->session_grant)
		put_bool(b, &meta, "session_grant", true);
	if (rename && act->file.known)
		put_str(b, &meta, "source_type", act->file.type);
	put_str(b, &meta, "syscall", sup_filter_syscall_name(held->req.data.nr));
	put_int(b, &meta, "tid", held->req.pid);
	if (d)
		put_num(b, &meta, "trust", d->trust);
	if (x && x->warning)
		put_bool(b, &meta, "warning", true);
	return meta.node;
}

struct pol_json *sup_verdict_entry(struct pol_json_arena *arena, const struct sup_gate *gate,
				   const struct sup_held *held, const struct sup_verdict *v,
				   int answer_errno, const struct sup_verdict_extra *x)
{
	const bool approved = sup_verdict_allows(v);
	const char *const *approver_ids = v->approver_ids;
	const char *reason = v->reason;
	char source_buf[96];
	const struct pol_action *act = held->action;
	const struct pol_decision *d = held->evaluated ? &held->decision : NULL;
	const int nr = held->req.data.nr;
	struct jb b = { .arena = arena };
	struct jo e = open_node(&b, POL_JSON_OBJECT);
	double now = sup_now();

	if (!e.node)
		return NULL;
	enum pol_action_class cls = act ? act->action_class : class_of_syscall(nr);
	const bool challenged = d && d->challenge != POL_CHALLENGE_AUTO_APPROVE && !d->blocked;

	/* members in key order (the reference fields and the syscall fields
	 * of docs/audit.md; the writer adds entry_id, previous_hash, seq,
	 * chain_hash and mac) */
	put_str(&b, &e, "action_class", pol_action_class_name(cls));
	char *desc = act ? pol_action_describe(act) : NULL;
	if (desc)
		put(&b, &e, "action_description", str_copy(&b, desc));
	else
		put_str(&b, &e, "action_description", sup_filter_syscall_name(nr));
	free(desc);
	put_str(&b, &e, "action_name",
		act && act->function_name ? act->function_name : sup_filter_syscall_name(nr));
	if (act && act->address && act->args.count > 0)
		put_str(&b, &e, "address", act->args.items[0]); /* "host:port" / unix path */
	else
		put_str(&b, &e, "address", act ? act->address : NULL);
	put_str(&b, &e, "agent_id", gate->agent_id);
	struct jo approvers = open_node(&b, POL_JSON_ARRAY);
	for (size_t i = 0; approver_ids && approver_ids[i]; i++)
		put(&b, &approvers, NULL, str_copy(&b, approver_ids[i]));
	put(&b, &e, "approver_ids", approvers.node);
	if (act && cls == POL_ACTION_EXEC)
		put(&b, &e, "argv", strv(&b, &act->args, act->argv0 ? act->argv0 : ""));
	else
		put(&b, &e, "argv", node(&b, POL_JSON_NULL));
	if (challenged && x && x->challenge_presented)
		put_bool(&b, &e, "challenge_passed", x->challenge_passed);
	else
		put(&b, &e, "challenge_passed", node(&b, POL_JSON_NULL)); /* never presented */
	put_str(&b, &e, "challenge_type", challenged ? pol_challenge_name(d->challenge) : "");
	put_str(&b, &e, "cwd", act ? act->cwd : NULL);
	struct pol_json *decided = iso_node(&b, now);
	put(&b, &e, "decided_at", decided);
	const char *source = sup_source_format(v, source_buf, sizeof source_buf);
	put(&b, &e, "decision_source", source == source_buf ? str_copy(&b, source) : str(&b, source));
	put_str(&b, &e, "environment", gate->environment);
	put_int(&b, &e, "errno", answer_errno);
	put_str(&b, &e, "exe", act ? act->exe : NULL);
	put_str(&b, &e, "executed_at", approved && decided ? decided->text : "");
	put(&b, &e, "factors", factors(&b, d ? &d->assessment : NULL));
	put_str(&b, &e, "host", act ? act->host : NULL);
	put_bool(&b, &e, "host_verified", act && act->host_verified);
	put(&b, &e, "intercepted_at", iso_node(&b, held->intercepted_at));
	put(&b, &e, "metadata", metadata(&b, gate, held, v, d, x));
	if (x && x->challenge_presented)
		put_bool(&b, &e, "min_review_met", x->min_review_met);
	else
		put_bool(&b, &e, "min_review_met",
			 !d || d->challenge == POL_CHALLENGE_AUTO_APPROVE ||
				 d->minimum_review_seconds <= 0.0);
	put_str(&b, &e, "mode", sup_policy_mode_name(gate->config->mode));
	put_str(&b, &e, "path", act ? act->path : NULL);
	put_int(&b, &e, "pid", act && act->tgid ? act->tgid : (int)held->req.pid);
	put_int(&b, &e, "ppid", act ? act->ppid : 0);
	put_str(&b, &e, "reason", reason && *reason ? reason : NULL);
	/* The real review time, never padded (rubber-stamps finds it). */
	put(&b, &e, "review_duration_seconds",
	    pol_json_float(arena, x && x->challenge_presented ? x->review_seconds : 0.0));
	put_str(&b, &e, "risk_level", pol_level_name(d ? d->assessment.level : POL_LEVEL_CRITICAL));
	put(&b, &e, "risk_score", pol_json_float(arena, d ? d->assessment.score : 1.0));
	put_str(&b, &e, "session_id", gate->session_id);
	put_str(&b, &e, "verdict", sup_verdict_name(v->kind));
	return b.failed ? NULL : e.node;
}
