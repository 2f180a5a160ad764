/*
 * The challenge state machine (challenge.h): parts per approver, the
 * minimum review time enforced up front, answers judged against facts read
 * off the action, and the overall verdict. Pure: the caller supplies every
 * timestamp and every identity (taken from the kernel, never typed).
 *
 * SECURITY: an identity may hold at most one part, so one person answering
 * twice (or from two terminals) never counts as two approvers; a part
 * that fails or is declined fails the whole challenge, so a multi-party
 * approval cannot be reached by outlasting a dissenting approver.
 * Questions are answered one at a time, in order, and the first wrong
 * answer ends the part: an approver never sees (and the audit never
 * lists) a question after a wrong answer, and no renderer can offer
 * anything for a challenge that already failed (docs/challenges.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "challenge_internal.h"
#include "pol_limits.h"

static const char *const kind_names[POL_QUESTION_KIND_COUNT] = {
	[POL_QUESTION_CONFIRM] = "confirm",       [POL_QUESTION_EXPLAIN] = "explain",
	[POL_QUESTION_PROGRAM] = "program",       [POL_QUESTION_SUBCOMMAND] = "subcommand",
	[POL_QUESTION_BRANCH] = "branch",         [POL_QUESTION_TARGET] = "target",
	[POL_QUESTION_HOST] = "host",             [POL_QUESTION_COUNT] = "count",
	[POL_QUESTION_PORT] = "port",             [POL_QUESTION_DIRECTORY] = "directory",
	[POL_QUESTION_EFFECT] = "effect",         [POL_QUESTION_SCALE] = "scale",
};

/* The two sides of a yes/no question; anything else is not an option. */
static const char *const confirm_yes[] = { "yes", "y", "approve", NULL };
static const char *const confirm_no[] = { "no", "n", "deny", NULL };

const char *pol_question_kind_name(enum pol_question_kind kind)
{
	return (unsigned)kind < POL_QUESTION_KIND_COUNT ? kind_names[kind] : "unknown";
}

static bool identity_valid(const char *identity)
{
	size_t len;

	if (!identity)
		return false;
	len = strnlen(identity, POL_CHALLENGE_MAX_IDENTITY + 1);
	if (!len || len > POL_CHALLENGE_MAX_IDENTITY)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)identity[i] < 0x20 || identity[i] == 0x7f)
			return false;
	return true;
}

static int build_confirm(struct challenge_part *part)
{
	struct pol_question *q = &part->questions[0];

	part->kind = POL_CHALLENGE_CONFIRM;
	q->kind = POL_QUESTION_CONFIRM;
	q->text = strdup("Approve this action? (yes/no)");
	if (!q->text)
		return -ENOMEM;
	part->n_questions = 1;
	for (size_t i = 0; confirm_yes[i]; i++)
		if (pol_strv_push(&q->accepted, confirm_yes[i], strlen(confirm_yes[i])) < 0)
			return -ENOMEM;
	return 0;
}

static int build_part(struct pol_challenge_state *ch, struct challenge_part *part,
		      enum pol_challenge kind, uint64_t seed)
{
	struct pol_question *q = &part->questions[0];
	int r;

	part->kind = kind;
	switch (kind) {
	case POL_CHALLENGE_QUIZ:
		r = challenge_quiz_build(&ch->facts, seed, part->questions, &part->n_questions);
		if (r < 0)
			return r;
		/* Nothing to ask about (rare: a connect without an address):
		 * the part degrades to a confirm, and says so in the audit. */
		return part->n_questions ? 0 : build_confirm(part);
	case POL_CHALLENGE_TEACH_BACK:
		q->kind = POL_QUESTION_EXPLAIN;
		if (asprintf(&q->text,
			     "In your own words, explain what this action will do and what it acts on "
			     "(at least %u words).", ch->min_words) < 0) {
			q->text = NULL;
			return -ENOMEM;
		}
		part->n_questions = 1;
		return 0;
	default:
		return build_confirm(part);
	}
}

int pol_challenge_new(const struct pol_action *action, const struct pol_decision *decision,
		      const struct pol_config *config, uint64_t seed, double now,
		      struct pol_challenge_state **ret_challenge)
{
	return pol_challenge_new_scaled(action, decision, config, NULL, seed, now, ret_challenge);
}

int pol_challenge_new_scaled(const struct pol_action *action, const struct pol_decision *decision,
			     const struct pol_config *config, const struct pol_removal_scale *scale,
			     uint64_t seed, double now, struct pol_challenge_state **ret_challenge)
{
	/* Sub-challenges of a multi-party approval, hardest first (as the
	 * reference): each approver does a different kind of work. */
	static const enum pol_challenge rotation[] = { POL_CHALLENGE_TEACH_BACK, POL_CHALLENGE_QUIZ,
						      POL_CHALLENGE_CONFIRM };
	struct pol_challenge_state *ch;
	size_t n_parts = 1;
	int r;

	switch (decision->challenge) {
	case POL_CHALLENGE_CONFIRM:
	case POL_CHALLENGE_QUIZ:
	case POL_CHALLENGE_TEACH_BACK:
		break;
	case POL_CHALLENGE_MULTI_PARTY:
		n_parts = decision->approvers_required < 2 ? 2 : decision->approvers_required;
		if (n_parts > POL_CHALLENGE_MAX_PARTS)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	ch = calloc(1, sizeof(*ch));
	if (!ch)
		return -ENOMEM;
	ch->kind = decision->challenge;
	ch->created_at = now;
	ch->min_review = decision->minimum_review_seconds > 0 ? decision->minimum_review_seconds : 0;
	ch->pass_threshold = config->quiz_pass_threshold;
	ch->min_words = config->teach_back_min_words;
	ch->required = (unsigned)n_parts;
	ch->parts = calloc(n_parts, sizeof(*ch->parts));
	if (!ch->parts) {
		r = -ENOMEM;
		goto fail;
	}
	ch->n_parts = n_parts;
	r = challenge_facts_read(action, &ch->facts);
	if (r < 0)
		goto fail;
	if (scale && scale->measured)
		ch->facts.scale = *scale;
	for (size_t i = 0; i < n_parts; i++) {
		enum pol_challenge kind = ch->kind == POL_CHALLENGE_MULTI_PARTY
						  ? rotation[i % (sizeof(rotation) / sizeof(rotation[0]))]
						  : ch->kind;
		r = build_part(ch, &ch->parts[i], kind, seed + i);
		if (r < 0)
			goto fail;
	}
	*ret_challenge = ch;
	return 0;
fail:
	pol_challenge_free(ch);
	return r;
}

void pol_challenge_free(struct pol_challenge_state *ch)
{
	if (!ch)
		return;
	for (size_t i = 0; ch->parts && i < ch->n_parts; i++) {
		struct challenge_part *part = &ch->parts[i];
		for (size_t q = 0; q < POL_CHALLENGE_MAX_QUESTIONS; q++) {
			challenge_question_release(&part->questions[q]);
			free(part->given[q]);
		}
		free(part->identity);
		pol_strv_release(&part->terms_matched);
	}
	free(ch->parts);
	challenge_facts_release(&ch->facts);
	free(ch);
}

enum pol_challenge pol_challenge_kind(const struct pol_challenge_state *ch)
{
	return ch->kind;
}

size_t pol_challenge_part_count(const struct pol_challenge_state *ch)
{
	return ch->n_parts;
}

/* The part identity holds, or claims the next free one. */
static int claim(struct pol_challenge_state *ch, const char *identity, double started_at,
		 struct challenge_part **ret_part, size_t *ret_index)
{
	struct challenge_part *free_part = NULL;
	size_t free_index = 0;

	if (!identity_valid(identity))
		return -EINVAL;
	for (size_t i = 0; i < ch->n_parts; i++) {
		struct challenge_part *part = &ch->parts[i];
		if (part->identity && !strcmp(part->identity, identity)) {
			if (part->status != POL_CHALLENGE_PENDING)
				return -EALREADY;
			*ret_part = part;
			*ret_index = i;
			return 0;
		}
		if (!part->identity && !free_part) {
			free_part = part;
			free_index = i;
		}
	}
	if (ch->status != POL_CHALLENGE_PENDING)
		return -EALREADY;
	if (!free_part)
		return -EBUSY;
	free_part->identity = strdup(identity);
	if (!free_part->identity)
		return -ENOMEM;
	free_part->started_at = started_at;
	*ret_part = free_part;
	*ret_index = free_index;
	return 0;
}

int pol_challenge_begin(struct pol_challenge_state *ch, const char *identity, double now,
			size_t *ret_part)
{
	struct challenge_part *part;
	size_t index;
	int r = claim(ch, identity, now, &part, &index);

	if (r < 0)
		return r;
	if (ch->status != POL_CHALLENGE_PENDING)
		return -EALREADY;
	*ret_part = index;
	return 0;
}

enum pol_challenge pol_challenge_part_kind(const struct pol_challenge_state *ch, size_t part)
{
	return part < ch->n_parts ? ch->parts[part].kind : POL_CHALLENGE_AUTO_APPROVE;
}

size_t pol_challenge_question_count(const struct pol_challenge_state *ch, size_t part)
{
	return part < ch->n_parts ? ch->parts[part].n_questions : 0;
}

const struct pol_question *pol_challenge_question(const struct pol_challenge_state *ch,
						  size_t part, size_t index)
{
	if (part >= ch->n_parts || index >= ch->parts[part].n_questions)
		return NULL;
	return &ch->parts[part].questions[index];
}

const char *pol_challenge_part_identity(const struct pol_challenge_state *ch, size_t part)
{
	return part < ch->n_parts ? ch->parts[part].identity : NULL;
}

double pol_challenge_review_remaining(const struct pol_challenge_state *ch, size_t part,
				      double now)
{
	double start, left;

	if (part >= ch->n_parts)
		return 0;
	start = ch->parts[part].identity ? ch->parts[part].started_at : now;
	left = ch->min_review - (now - start);
	return left > 0 ? left : 0;
}

static bool matches_accepted(const struct pol_question *q, const char *normalized)
{
	char want[POL_CHALLENGE_MAX_ANSWER + 1];

	for (size_t i = 0; i < q->accepted.count; i++) {
		pol_answer_normalize(q->accepted.items[i], want, sizeof(want));
		if (*want && !strcmp(want, normalized))
			return true;
	}
	return false;
}

static bool in_words(const char *const *words, const char *normalized)
{
	for (size_t i = 0; words[i]; i++)
		if (!strcmp(words[i], normalized))
			return true;
	return false;
}

/* The option a normalized multiple-choice answer names (its letter or
 * its text), normalized into out; false when it names none. */
static bool option_named(const struct pol_question *q, const char *given, char *out, size_t size)
{
	if (given[0] >= 'a' && given[0] < (char)('a' + q->n_options) && !given[1]) {
		pol_answer_normalize(q->options[given[0] - 'a'], out, size);
		return true;
	}
	for (size_t o = 0; o < q->n_options; o++) {
		pol_answer_normalize(q->options[o], out, size);
		if (!strcmp(out, given))
			return true;
	}
	return false;
}

bool pol_question_answer_is_option(const struct pol_question *q, const char *answer)
{
	char given[POL_CHALLENGE_MAX_ANSWER + 1], option[POL_CHALLENGE_MAX_ANSWER + 1];

	if (!q || !answer)
		return false;
	pol_answer_normalize(answer, given, sizeof(given));
	if (q->kind == POL_QUESTION_CONFIRM)
		return in_words(confirm_yes, given) || in_words(confirm_no, given);
	if (!q->n_options)
		return true;
	return option_named(q, given, option, sizeof(option));
}

static bool judge_question(const struct pol_question *q, const char *answer)
{
	char given[POL_CHALLENGE_MAX_ANSWER + 1], option[POL_CHALLENGE_MAX_ANSWER + 1];

	pol_answer_normalize(answer, given, sizeof(given));
	if (!*given)
		return false;
	/* A multiple-choice answer stands for the option it names. */
	if (q->n_options) {
		if (!option_named(q, given, option, sizeof(option)))
			return false;
		return matches_accepted(q, option);
	}
	return matches_accepted(q, given);
}

static int judge_explanation(struct pol_challenge_state *ch, struct challenge_part *part,
			     const char *answer)
{
	const struct pol_strv *groups[2] = { &ch->facts.terms_program, &ch->facts.terms_target };
	bool ok;

	part->word_count = pol_text_word_count(answer);
	ok = part->word_count >= ch->min_words;
	for (int g = 0; g < 2; g++) {
		bool group_hit = false;
		for (size_t i = 0; i < groups[g]->count; i++) {
			const char *term = groups[g]->items[i];
			if (!pol_text_has_word(answer, term))
				continue;
			group_hit = true;
			if (pol_strv_push(&part->terms_matched, term, strlen(term)) < 0)
				return -ENOMEM;
		}
		if (groups[g]->count && !group_hit)
			ok = false;
	}
	return ok;
}

static void finish_part(struct pol_challenge_state *ch, struct challenge_part *part, bool passed,
			double now)
{
	unsigned passed_parts = 0;

	part->status = passed ? POL_CHALLENGE_PASSED : POL_CHALLENGE_FAILED;
	part->finished_at = now;
	if (!passed) {
		ch->status = POL_CHALLENGE_FAILED;
		return;
	}
	for (size_t i = 0; i < ch->n_parts; i++)
		passed_parts += ch->parts[i].status == POL_CHALLENGE_PASSED;
	if (passed_parts >= ch->required)
		ch->status = POL_CHALLENGE_PASSED;
}

int pol_challenge_answer(struct pol_challenge_state *ch, const char *identity, size_t index,
			 const char *answer, double now)
{
	struct challenge_part *part;
	size_t part_index;
	int r, correct;

	if (!answer)
		return -EINVAL;
	if (strnlen(answer, POL_CHALLENGE_MAX_ANSWER + 1) > POL_CHALLENGE_MAX_ANSWER)
		return -E2BIG;
	r = claim(ch, identity, ch->created_at, &part, &part_index);
	if (r < 0)
		return r;
	if (ch->status != POL_CHALLENGE_PENDING)
		return -EALREADY;
	if (index >= part->n_questions)
		return -EINVAL;
	if (part->given[index])
		return -EALREADY;
	/* One question at a time, in order (a remote approver cannot skip
	 * to the easy ones). */
	if (index != part->n_answered)
		return -EINVAL;
	/* The minimum review time is enforced up front: an early answer is
	 * refused and the prompt stays; nothing is recorded or padded. */
	if (now - part->started_at < ch->min_review)
		return POL_ANSWER_TOO_EARLY;
	/* Not one of the options: refused like an early answer, so a typo
	 * or a guess outside the choices neither passes nor counts. */
	if (!pol_question_answer_is_option(&part->questions[index], answer))
		return POL_ANSWER_NOT_AN_OPTION;

	if (part->questions[index].kind == POL_QUESTION_EXPLAIN) {
		correct = judge_explanation(ch, part, answer);
		if (correct < 0)
			return correct;
	} else {
		correct = judge_question(&part->questions[index], answer);
	}
	part->given[index] = strdup(answer);
	if (!part->given[index])
		return -ENOMEM;
	part->correct[index] = correct;
	part->n_answered++;
	part->n_correct += (unsigned)correct;
	ch->last_answer_at = now;

	if (part->kind == POL_CHALLENGE_QUIZ) {
		/* The first wrong answer ends the quiz: nothing after it is
		 * asked, and a failed quiz is never approved. */
		if (!correct)
			finish_part(ch, part, false, now);
		else if (part->n_answered == part->n_questions)
			finish_part(ch, part, true, now);
	} else {
		finish_part(ch, part, correct, now);
	}
	return correct ? POL_ANSWER_CORRECT : POL_ANSWER_WRONG;
}

int pol_challenge_next_question(const struct pol_challenge_state *ch, const char *identity)
{
	if (!identity_valid(identity))
		return -EINVAL;
	for (size_t i = 0; i < ch->n_parts; i++) {
		const struct challenge_part *part = &ch->parts[i];
		if (!part->identity || strcmp(part->identity, identity))
			continue;
		if (part->status != POL_CHALLENGE_PENDING || ch->status != POL_CHALLENGE_PENDING ||
		    part->n_answered >= part->n_questions)
			return -EALREADY;
		return (int)part->n_answered;
	}
	if (ch->status != POL_CHALLENGE_PENDING)
		return -EALREADY;
	for (size_t i = 0; i < ch->n_parts; i++)
		if (!ch->parts[i].identity)
			return 0;
	return -EBUSY;
}

enum pol_challenge_status pol_challenge_status(const struct pol_challenge_state *ch)
{
	return ch->status;
}

void pol_challenge_summarize(const struct pol_challenge_state *ch,
			     struct pol_challenge_summary *ret)
{
	struct pol_challenge_summary s = { .status = ch->status, .min_review_met = true,
					   .approvers_required = ch->required };

	s.review_seconds = ch->last_answer_at > 0 ? ch->last_answer_at - ch->created_at : 0;
	if (s.review_seconds < 0)
		s.review_seconds = 0;
	for (size_t i = 0; i < ch->n_parts; i++) {
		const struct challenge_part *part = &ch->parts[i];
		/* answered questions count as asked, of any part (a multi-party
		 * part still open included): the audit says what happened */
		s.questions_asked += part->n_answered;
		if (part->status == POL_CHALLENGE_PENDING) {
			s.questions_correct += part->n_correct;
			continue;
		}
		s.questions_correct += part->n_correct;
		if (part->finished_at - part->started_at < ch->min_review)
			s.min_review_met = false;
		s.approvers_passed += part->status == POL_CHALLENGE_PASSED;
	}
	*ret = s;
}
