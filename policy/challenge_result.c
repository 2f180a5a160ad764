/*
 * The audit form of a challenge: the reference ChallengeResult shape
 * ({passed, challenge_type, responder, response_time_seconds,
 * questions_asked, questions_correct, details}) with the per-type details
 * of the reference documentation, plus the real review time and whether
 * the minimum was met. A quiz lists exactly the questions that were
 * answered, each with the answer as given: questions are asked one at a
 * time and the first wrong answer ends the quiz, so a question that was
 * never put to the approver is never recorded (docs/challenges.md).
 * Reads a challenge; trusts it.
 */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "challenge_internal.h"

static bool add_strv(cJSON *obj, const char *key, const struct pol_strv *v)
{
	cJSON *array = cJSON_AddArrayToObject(obj, key);

	if (!array)
		return false;
	for (size_t i = 0; i < v->count; i++)
		if (!cJSON_AddItemToArray(array, cJSON_CreateString(v->items[i])))
			return false;
	return true;
}

static bool add_quiz_details(const struct pol_challenge_state *ch,
			     const struct challenge_part *part, cJSON *details)
{
	cJSON *questions = cJSON_AddArrayToObject(details, "questions");

	if (!questions)
		return false;
	for (size_t i = 0; i < part->n_answered && i < part->n_questions; i++) {
		const struct pol_question *q = &part->questions[i];
		cJSON *item = cJSON_CreateObject();
		bool ok = item && cJSON_AddItemToArray(questions, item) &&
			  cJSON_AddStringToObject(item, "question", q->text) &&
			  cJSON_AddStringToObject(item, "kind", pol_question_kind_name(q->kind)) &&
			  cJSON_AddStringToObject(item, "expected",
						  q->accepted.count ? q->accepted.items[0] : "") &&
			  cJSON_AddStringToObject(item, "given", part->given[i] ? part->given[i] : "") &&
			  cJSON_AddBoolToObject(item, "correct", part->correct[i]);
		if (ok && q->n_options) {
			cJSON *options = cJSON_AddArrayToObject(item, "options");
			ok = options != NULL;
			for (size_t o = 0; ok && o < q->n_options; o++)
				ok = cJSON_AddItemToArray(options, cJSON_CreateString(q->options[o]));
		}
		if (!ok)
			return false;
	}
	return cJSON_AddNumberToObject(details, "questions_total", (double)part->n_questions) &&
	       cJSON_AddNumberToObject(details, "pass_threshold", ch->pass_threshold) &&
	       cJSON_AddNumberToObject(details, "actual_score",
				       part->n_answered ? (double)part->n_correct / (double)part->n_answered
							: 0.0);
}

static bool add_part_details(const struct pol_challenge_state *ch,
			     const struct challenge_part *part, cJSON *details)
{
	double review = part->status != POL_CHALLENGE_PENDING ? part->finished_at - part->started_at : 0;

	switch (part->kind) {
	case POL_CHALLENGE_QUIZ:
		return add_quiz_details(ch, part, details);
	case POL_CHALLENGE_TEACH_BACK: {
		struct pol_strv required = { 0 };
		bool ok = true;
		for (size_t i = 0; ok && i < ch->facts.terms_program.count; i++)
			ok = pol_strv_push(&required, ch->facts.terms_program.items[i],
					   strlen(ch->facts.terms_program.items[i])) == 0;
		for (size_t i = 0; ok && i < ch->facts.terms_target.count; i++)
			ok = pol_strv_push(&required, ch->facts.terms_target.items[i],
					   strlen(ch->facts.terms_target.items[i])) == 0;
		ok = ok &&
		     (part->given[0] ? cJSON_AddStringToObject(details, "explanation", part->given[0])
				     : cJSON_AddNullToObject(details, "explanation")) &&
		     cJSON_AddNumberToObject(details, "word_count", part->word_count) &&
		     cJSON_AddNumberToObject(details, "min_words", ch->min_words) &&
		     add_strv(details, "key_terms_matched", &part->terms_matched) &&
		     add_strv(details, "key_terms_required", &required);
		pol_strv_release(&required);
		return ok;
	}
	default:
		return cJSON_AddBoolToObject(details, "confirmed", part->status == POL_CHALLENGE_PASSED) &&
		       cJSON_AddNumberToObject(details, "review_seconds", review);
	}
}

struct cJSON *pol_challenge_result_json(const struct pol_challenge_state *ch)
{
	struct pol_challenge_summary s;
	cJSON *root = cJSON_CreateObject(), *details = NULL;
	char *responder = NULL;
	size_t responder_len = 0;
	bool ok;

	if (!root)
		return NULL;
	pol_challenge_summarize(ch, &s);
	/* responder: the approver, or every approver joined by "," */
	for (size_t i = 0; i < ch->n_parts; i++) {
		const char *id = ch->parts[i].identity;
		size_t len;
		char *grown;
		if (!id)
			continue;
		len = strlen(id);
		grown = realloc(responder, responder_len + len + 2);
		if (!grown)
			goto fail;
		responder = grown;
		if (responder_len)
			responder[responder_len++] = ',';
		memcpy(responder + responder_len, id, len + 1);
		responder_len += len;
	}
	ok = cJSON_AddBoolToObject(root, "passed", s.status == POL_CHALLENGE_PASSED) &&
	     cJSON_AddStringToObject(root, "challenge_type", pol_challenge_name(ch->kind)) &&
	     cJSON_AddStringToObject(root, "responder", responder ? responder : "default") &&
	     cJSON_AddNumberToObject(root, "response_time_seconds", s.review_seconds) &&
	     cJSON_AddNumberToObject(root, "questions_asked", s.questions_asked) &&
	     cJSON_AddNumberToObject(root, "questions_correct", s.questions_correct) &&
	     cJSON_AddNumberToObject(root, "min_review_seconds", ch->min_review) &&
	     cJSON_AddBoolToObject(root, "min_review_met", s.min_review_met) &&
	     (details = cJSON_AddObjectToObject(root, "details")) != NULL;
	if (ok && ch->kind == POL_CHALLENGE_MULTI_PARTY) {
		cJSON *approvers = cJSON_AddArrayToObject(details, "approvers");
		unsigned actual = 0;
		ok = approvers != NULL;
		for (size_t i = 0; ok && i < ch->n_parts; i++) {
			const struct challenge_part *part = &ch->parts[i];
			cJSON *item, *sub;
			if (!part->identity)
				continue;
			actual += part->status == POL_CHALLENGE_PASSED;
			ok = (item = cJSON_CreateObject()) != NULL &&
			     cJSON_AddItemToArray(approvers, item) &&
			     cJSON_AddStringToObject(item, "id", part->identity) &&
			     cJSON_AddStringToObject(item, "challenge", pol_challenge_name(part->kind)) &&
			     cJSON_AddBoolToObject(item, "passed", part->status == POL_CHALLENGE_PASSED) &&
			     cJSON_AddNumberToObject(item, "review_seconds",
						     part->status != POL_CHALLENGE_PENDING
							     ? part->finished_at - part->started_at
							     : 0) &&
			     (sub = cJSON_AddObjectToObject(item, "details")) != NULL &&
			     add_part_details(ch, part, sub);
		}
		ok = ok && cJSON_AddNumberToObject(details, "required_approvers", ch->required) &&
		     cJSON_AddNumberToObject(details, "actual_approvers", actual);
	} else if (ok) {
		ok = add_part_details(ch, &ch->parts[0], details);
		if (ok && ch->parts[0].kind != ch->kind)
			ok = cJSON_AddStringToObject(details, "degraded_to",
						     pol_challenge_name(ch->parts[0].kind)) != NULL;
	}
	free(responder);
	if (!ok) {
		cJSON_Delete(root);
		return NULL;
	}
	return root;
fail:
	free(responder);
	cJSON_Delete(root);
	return NULL;
}
