/*
 * What a held call shows its approvers (docs/challenges.md, issue 5): the action
 * (program and argv, or path, or host:port with the verified name), cwd,
 * process chain, risk score and level with the top factors, agent id,
 * environment and the challenge. Built once when the call is held, as a
 * JSON object both renderers use. Strings come from the sandboxed agent:
 * they are copied as they are here and made safe for a terminal only where
 * they are printed (supervisor/common/termsafe.h).
 */
#include "supervisor/run/approval_internal.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "policy/challenge.h"

/* Factors shown in a prompt: enough to say why, few enough to read. */
#define TOP_FACTORS 3

static void add_opt_str(cJSON *o, const char *key, const char *value)
{
	if (value)
		cJSON_AddStringToObject(o, key, value);
}

static cJSON *strv_array(const struct pol_strv *v, const char *first)
{
	cJSON *arr = cJSON_CreateArray();
	if (arr && first)
		cJSON_AddItemToArray(arr, cJSON_CreateString(first));
	for (size_t i = 0; arr && i < v->count; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(v->items[i]));
	return arr;
}

static double magnitude(double x)
{
	return x < 0 ? -x : x;
}

static cJSON *top_factors(const struct pol_assessment *as)
{
	cJSON *arr = cJSON_CreateArray();
	bool used[64] = { false };
	size_t n = as->n_factors < 64 ? as->n_factors : 64;
	for (size_t k = 0; arr && k < TOP_FACTORS; k++) {
		size_t best = n;
		for (size_t i = 0; i < n; i++)
			if (!used[i] && (best == n || magnitude(as->factors[i].contribution) >
							  magnitude(as->factors[best].contribution)))
				best = i;
		if (best == n || as->factors[best].contribution == 0.0)
			break;
		used[best] = true;
		const struct pol_factor *f = &as->factors[best];
		cJSON *o = cJSON_CreateObject();
		if (!o)
			break;
		cJSON_AddStringToObject(o, "name", f->name);
		cJSON_AddNumberToObject(o, "contribution", f->contribution);
		add_opt_str(o, "description", f->description);
		add_opt_str(o, "evidence", f->evidence);
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

cJSON *approval_info_build(unsigned id, const struct pol_action *act,
			   const struct pol_decision *d, const struct pol_removal_scale *scale)
{
	cJSON *o = cJSON_CreateObject();
	char *desc = pol_action_describe(act);
	if (!o || !desc)
		goto fail;
	cJSON_AddNumberToObject(o, "id", id);
	cJSON_AddStringToObject(o, "action", desc);
	cJSON_AddStringToObject(o, "class", pol_action_class_name(act->action_class));
	add_opt_str(o, "program", act->function_name);
	switch (act->action_class) {
	case POL_ACTION_EXEC:
		add_opt_str(o, "path", act->path);
		cJSON_AddItemToObject(o, "argv", strv_array(&act->args, act->argv0 ? act->argv0 : ""));
		if (act->exec_anonymous)
			cJSON_AddBoolToObject(o, "exec_anonymous", true);
		break;
	case POL_ACTION_UNLINK:
	case POL_ACTION_RMDIR:
		add_opt_str(o, "path", act->path);
		if (act->file.known)
			cJSON_AddStringToObject(o, "file_type", act->file.type);
		break;
	case POL_ACTION_RENAME:
		add_opt_str(o, "path", act->path);
		add_opt_str(o, "dest_path", act->dest_path);
		cJSON_AddBoolToObject(o, "replaces", act->rename_replaces);
		cJSON_AddBoolToObject(o, "exchange", act->rename_exchange);
		break;
	case POL_ACTION_CONNECT:
	case POL_ACTION_SENDTO:
		if (act->args.count > 0)
			cJSON_AddStringToObject(o, "address", act->args.items[0]);
		else
			add_opt_str(o, "address", act->address);
		add_opt_str(o, "host", act->host);
		cJSON_AddBoolToObject(o, "host_verified", act->host && act->host_verified);
		break;
	default:
		break;
	}
	if (scale && scale->measured) {
		/* what a removal deletes, measured before the human was asked */
		cJSON *sc = cJSON_AddObjectToObject(o, "scale");
		if (sc) {
			cJSON_AddNumberToObject(sc, "files", (double)scale->files);
			cJSON_AddNumberToObject(sc, "dirs", (double)scale->dirs);
			cJSON_AddNumberToObject(sc, "bytes", (double)scale->bytes);
			cJSON_AddBoolToObject(sc, "complete", scale->complete);
			cJSON_AddNumberToObject(sc, "elapsed_ms", scale->elapsed_ms);
		}
	}
	add_opt_str(o, "exe", act->exe);
	add_opt_str(o, "cwd", act->cwd);
	cJSON_AddItemToObject(o, "chain", strv_array(&act->chain, NULL));
	cJSON_AddNumberToObject(o, "pid", act->tgid ? act->tgid : act->pid);
	cJSON_AddNumberToObject(o, "score", d->assessment.score);
	cJSON_AddStringToObject(o, "level", pol_level_name(d->assessment.level));
	cJSON_AddItemToObject(o, "factors", top_factors(&d->assessment));
	add_opt_str(o, "reason", d->reason[0] ? d->reason : NULL);
	cJSON_AddStringToObject(o, "agent_id", act->agent_id ? act->agent_id : "default");
	cJSON_AddStringToObject(o, "environment",
				act->environment ? act->environment : "development");
	add_opt_str(o, "libc_entry", act->libc_entry);
	cJSON_AddStringToObject(o, "challenge", pol_challenge_name(d->challenge));
	cJSON_AddNumberToObject(o, "approvers_required",
				d->approvers_required ? d->approvers_required : 1);
	cJSON_AddNumberToObject(o, "minimum_review_seconds", d->minimum_review_seconds);
	free(desc);
	return o;
fail:
	free(desc);
	cJSON_Delete(o);
	return NULL;
}

const char *approval_info_description(const cJSON *info)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(info, "action");
	return cJSON_IsString(d) ? d->valuestring : "call";
}

cJSON *sup_approval_questions_json(const struct pol_challenge_state *ch, size_t part)
{
	cJSON *arr = cJSON_CreateArray();
	size_t n = pol_challenge_question_count(ch, part);
	for (size_t i = 0; arr && i < n; i++) {
		const struct pol_question *q = pol_challenge_question(ch, part, i);
		cJSON *o = cJSON_CreateObject();
		if (!q || !o) {
			cJSON_Delete(o);
			break;
		}
		/* SECURITY: text and options only, never q->accepted. */
		cJSON_AddNumberToObject(o, "index", (double)i);
		cJSON_AddStringToObject(o, "kind", pol_question_kind_name(q->kind));
		cJSON_AddStringToObject(o, "text", q->text);
		if (q->n_options) {
			cJSON *opts = cJSON_AddArrayToObject(o, "options");
			for (size_t k = 0; opts && k < q->n_options; k++)
				cJSON_AddItemToArray(opts, cJSON_CreateString(q->options[k]));
		}
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

cJSON *sup_approval_item_json(struct sup_approval *a, unsigned id, const char *identity)
{
	struct approval_item *it = approval_find(a, id);
	if (!it)
		return NULL;
	cJSON *o = cJSON_Duplicate(it->info, true);
	if (!o)
		return NULL;
	struct pol_challenge_summary sum;
	pol_challenge_summarize(it->challenge, &sum);
	double now = sup_approval_now();
	cJSON_AddNumberToObject(o, "seconds_left", it->deadline > now ? it->deadline - now : 0);
	cJSON_AddNumberToObject(o, "approvers_passed", sum.approvers_passed);
	cJSON_AddBoolToObject(o, "session_allowed", it->level < POL_LEVEL_CRITICAL);

	/* The part this identity holds, else the one it would get. */
	size_t parts = pol_challenge_part_count(it->challenge), part = parts;
	bool holds = false;
	for (size_t i = 0; identity && i < parts; i++) {
		const char *who = pol_challenge_part_identity(it->challenge, i);
		if (who && !strcmp(who, identity)) {
			part = i;
			holds = true;
			break;
		}
	}
	for (size_t i = 0; part == parts && i < parts; i++)
		if (!pol_challenge_part_identity(it->challenge, i))
			part = i;
	const char *state = "open";
	if (holds) {
		size_t p;
		state = pol_challenge_begin(it->challenge, identity, 0, &p) == 0 ? "begun" : "done";
	} else if (part == parts) {
		state = "full"; /* every part is held by someone else */
	}
	cJSON_AddStringToObject(o, "your_state", state);
	if (holds) {
		/* questions are asked one at a time, in order (challenge.h) */
		int next = pol_challenge_next_question(it->challenge, identity);
		if (next >= 0)
			cJSON_AddNumberToObject(o, "next_question", next);
	}
	if (part < parts) {
		cJSON_AddStringToObject(o, "part_challenge",
					pol_challenge_name(pol_challenge_part_kind(it->challenge, part)));
		cJSON_AddItemToObject(o, "questions", sup_approval_questions_json(it->challenge, part));
		cJSON_AddNumberToObject(o, "review_seconds_left",
					holds ? pol_challenge_review_remaining(it->challenge, part, now)
					      : cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(
							o, "minimum_review_seconds")));
	}
	return o;
}
