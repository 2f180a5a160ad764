/*
 * Answers to a held call's challenge (approval.h): one question at a time
 * (sup_approval_answer, then sup_approval_conclude for the scope), all at
 * once (sup_approval_submit, the socket's "answer" op), or a deny. The
 * first wrong answer denies the call at once, before any scope could be
 * offered; an answer that is not one of its question's options is refused
 * and nothing is recorded (docs/challenges.md). Identities come from the
 * renderers (the kernel's credentials); answers are only compared.
 */
#include "supervisor/run/approval_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "policy/challenge.h"

/* The part identity holds, or -errno. */
static int held_part(struct approval_item *it, const char *identity, size_t *ret_part)
{
	size_t parts = pol_challenge_part_count(it->challenge);
	for (size_t i = 0; i < parts; i++) {
		const char *who = pol_challenge_part_identity(it->challenge, i);
		if (who && !strcmp(who, identity)) {
			*ret_part = i;
			return 0;
		}
	}
	return -EINVAL;
}

static int deny_failed(struct sup_approval *a, struct approval_item *it, size_t part,
		       const char *identity)
{
	char why[300];
	struct sup_approval_outcome o = { .decision_source = SUP_SRC_HUMAN, .human_decision = true,
					  .reason = why, .challenge_presented = true,
					  .verdict = SUP_VERDICT_DENIED };
	snprintf(why, sizeof why, "challenge failed: %s by '%s'",
		 pol_challenge_name(pol_challenge_part_kind(it->challenge, part)), identity);
	approval_finish(a, it, &o);
	return SUP_ANSWER_DENIED;
}

int sup_approval_answer(struct sup_approval *a, unsigned id, const char *identity, size_t index,
			const char *answer, double *ret_wait)
{
	struct approval_item *it = approval_find(a, id);
	size_t part;
	int rc;

	if (!it)
		return -ENOENT;
	if (!answer)
		return -EINVAL;
	double now = sup_approval_now();
	rc = pol_challenge_begin(it->challenge, identity, now, &part);
	if (rc < 0)
		return rc;
	rc = pol_challenge_answer(it->challenge, identity, index, answer, now);
	if (rc < 0)
		return rc;
	switch (rc) {
	case POL_ANSWER_TOO_EARLY:
		if (ret_wait)
			*ret_wait = pol_challenge_review_remaining(it->challenge, part, now);
		return SUP_ANSWER_TOO_EARLY;
	case POL_ANSWER_NOT_AN_OPTION:
		return SUP_ANSWER_NOT_AN_OPTION;
	default:
		break;
	}
	/* SECURITY: a failed part fails the challenge (challenge.h): the
	 * call is denied now, before anything else (a session grant) could
	 * be offered for it. */
	if (pol_challenge_status(it->challenge) == POL_CHALLENGE_FAILED)
		return deny_failed(a, it, part, identity);
	if (pol_challenge_next_question(it->challenge, identity) >= 0) {
		approval_notify_changed(a, it->id, NULL);
		return SUP_ANSWER_NEXT;
	}
	approval_notify_changed(a, it->id, NULL);
	return SUP_ANSWER_PASSED;
}

int sup_approval_conclude(struct sup_approval *a, unsigned id, const char *identity, bool session)
{
	struct approval_item *it = approval_find(a, id);
	struct pol_challenge_summary sum;
	size_t part;

	if (!it)
		return -ENOENT;
	if (held_part(it, identity, &part) < 0 || part >= POL_CHALLENGE_MAX_PARTS)
		return -EINVAL;
	if (it->concluded[part])
		return -EALREADY;
	/* Only a part that passed gives a scope: a failed one was denied
	 * already, an unfinished one has questions left. */
	if (pol_challenge_next_question(it->challenge, identity) >= 0 ||
	    pol_challenge_status(it->challenge) == POL_CHALLENGE_FAILED)
		return -EINVAL;
	pol_challenge_summarize(it->challenge, &sum);
	it->concluded[part] = true;
	if (session && it->level < POL_LEVEL_CRITICAL)
		it->session_yes++;
	else
		it->session_no++;
	if (sum.status != POL_CHALLENGE_PASSED) {
		approval_notify_changed(a, it->id, NULL);
		return SUP_SUBMIT_WAITING;
	}
	/* A passed approver who has not said how far it approves counts as
	 * "once": a session grant needs every approver's yes. */
	bool all_said = true;
	size_t parts = pol_challenge_part_count(it->challenge);
	for (size_t i = 0; i < parts && i < POL_CHALLENGE_MAX_PARTS; i++)
		all_said = all_said && it->concluded[i];
	char why[300];
	struct sup_approval_outcome o = { .decision_source = SUP_SRC_HUMAN, .human_decision = true,
					  .reason = why, .challenge_presented = true,
					  .approved = true, .verdict = SUP_VERDICT_APPROVED };
	o.session_grant = all_said && it->session_yes > 0 && it->session_no == 0;
	snprintf(why, sizeof why, "approved by %u approver%s after %s%s", sum.approvers_passed,
		 sum.approvers_passed == 1 ? "" : "s",
		 pol_challenge_name(pol_challenge_kind(it->challenge)),
		 o.session_grant ? "; granted for this session" : "");
	approval_finish(a, it, &o);
	return SUP_SUBMIT_APPROVED;
}

int sup_approval_submit(struct sup_approval *a, unsigned id, const char *identity,
			const char *const *answers, size_t n, bool session, double *ret_wait)
{
	struct approval_item *it = approval_find(a, id);
	size_t part;
	int rc;

	if (!it)
		return -ENOENT;
	double now = sup_approval_now();
	rc = pol_challenge_begin(it->challenge, identity, now, &part);
	if (rc < 0)
		return rc;
	size_t qn = pol_challenge_question_count(it->challenge, part);
	if (n != qn)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!answers[i] || strlen(answers[i]) > POL_CHALLENGE_MAX_ANSWER)
			return -EINVAL;
	double wait = pol_challenge_review_remaining(it->challenge, part, now);
	if (wait > 0) {
		if (ret_wait)
			*ret_wait = wait;
		return SUP_SUBMIT_TOO_EARLY;
	}
	/* Forms first: one answer that is not an option refuses the lot,
	 * before anything is recorded. */
	for (size_t i = 0; i < n; i++) {
		if (!pol_question_answer_is_option(pol_challenge_question(it->challenge, part, i),
						   answers[i])) {
			if (ret_wait)
				*ret_wait = (double)i;
			return SUP_SUBMIT_NOT_AN_OPTION;
		}
	}
	int next = pol_challenge_next_question(it->challenge, identity);
	for (size_t i = next < 0 ? n : (size_t)next; i < n; i++) {
		rc = sup_approval_answer(a, id, identity, i, answers[i], ret_wait);
		if (rc < 0)
			return rc;
		switch (rc) {
		case SUP_ANSWER_TOO_EARLY:
			return SUP_SUBMIT_TOO_EARLY;
		case SUP_ANSWER_NOT_AN_OPTION:
			if (ret_wait)
				*ret_wait = (double)i;
			return SUP_SUBMIT_NOT_AN_OPTION;
		case SUP_ANSWER_DENIED:
			return SUP_SUBMIT_DENIED; /* later answers are not recorded */
		default:
			break;
		}
	}
	return sup_approval_conclude(a, id, identity, session);
}

int sup_approval_deny(struct sup_approval *a, unsigned id, const char *identity,
		      const char *reason)
{
	struct approval_item *it = approval_find(a, id);
	char why[400];
	const char *ids[2] = { identity, NULL };
	if (!it)
		return -ENOENT;
	snprintf(why, sizeof why, "denied by '%s'%s%.300s", identity,
		 reason && *reason ? ": " : "", reason ? reason : "");
	struct sup_approval_outcome o = {
		.verdict = SUP_VERDICT_DENIED, .decision_source = SUP_SRC_HUMAN, .reason = why,
		.approver_ids = ids, .human_decision = true, .challenge_presented = true,
	};
	approval_finish(a, it, &o);
	return 0;
}
