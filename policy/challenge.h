/*
 * Human challenges (docs/challenges.md) as pure state machines: no I/O, no clocks,
 * no terminals. The renderers (tty, approval socket) show the prompts this
 * module generates, pass the approver's answers in with a timestamp and the
 * approver's identity (which they took from the kernel: SO_PEERCRED uid or
 * the terminal owner, never a typed name), and write the result into the
 * audit entry.
 *
 *  - confirm: one yes/no question; an answer before the level's
 *    minimum_review_seconds is refused and the prompt stays open.
 *  - quiz: up to POL_CHALLENGE_MAX_QUESTIONS questions about the action's
 *    consequences (what it will do, how much a removal deletes, measured
 *    by the caller) and what it acts on (branch, target, number of
 *    targets, directory, host, port); some multiple choice with
 *    distractors drawn deterministically from the caller's seed. Asked one
 *    at a time, in order; the first wrong answer fails the quiz.
 *  - teach-back: a free-text explanation of at least
 *    config->teach_back_min_words words that mentions the key terms
 *    drawn from the action, matched case-insensitively as whole words.
 *  - multi-party: N distinct identities, each with its own sub-challenge
 *    (teach-back, quiz, confirm, rotating); passes when N identities
 *    passed; any approver who fails or declines fails the whole challenge.
 *
 * Every part enforces the minimum review time from the moment its
 * approver began (pol_challenge_begin), and records the real review time.
 *
 * SECURITY: question structs carry the expected answers; renderers must
 * show only text and options. The attacker is the sandboxed agent, which
 * chose the action (argv, paths, host names): every string taken from it
 * is bounded (pol_limits.h) and only ever compared, never interpreted.
 *
 * Ownership: a challenge owns copies of everything it needs; the action,
 * decision and config may be freed after pol_challenge_new(). Not
 * thread-safe: the caller serializes access to one challenge.
 */
#ifndef ATTESTA_CHALLENGE_H
#define ATTESTA_CHALLENGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "action.h"
#include "config.h"
#include "engine.h"

struct cJSON;

/* Questions per quiz: enough to cover what + where, few enough that a
 * human still reads them. */
#define POL_CHALLENGE_MAX_QUESTIONS 3
/* Parts (distinct approvers) of a multi-party challenge at most. */
#define POL_CHALLENGE_MAX_PARTS 16
/* Options of a multiple-choice question (the answer and 3 distractors). */
#define POL_CHALLENGE_MAX_OPTIONS 4

enum pol_question_kind {
	POL_QUESTION_CONFIRM = 0, /* "approve this action? (yes/no)" */
	POL_QUESTION_EXPLAIN,     /* teach-back free text */
	POL_QUESTION_PROGRAM,     /* which program runs (exec) / function (generic) */
	POL_QUESTION_SUBCOMMAND,  /* git push -> push */
	POL_QUESTION_BRANCH,      /* git push origin main -> main */
	POL_QUESTION_TARGET,      /* which file or path (basename or full path) */
	POL_QUESTION_HOST,        /* which host (name or address) */
	POL_QUESTION_COUNT,       /* how many targets: rm a b c -> 3 */
	POL_QUESTION_PORT,        /* which port */
	POL_QUESTION_DIRECTORY,   /* the target's directory */
	POL_QUESTION_EFFECT,      /* what the action will do: "delete files", ... */
	POL_QUESTION_SCALE,       /* how many files a removal deletes (measured) */
	POL_QUESTION_KIND_COUNT
};
/* "confirm", "explain", "program", ... */
const char *pol_question_kind_name(enum pol_question_kind kind);

struct pol_question {
	enum pol_question_kind kind;
	char *text;                 /* shown to the approver */
	char *options[POL_CHALLENGE_MAX_OPTIONS]; /* multiple choice, or all NULL */
	size_t n_options;           /* 0: free text */
	/* Not for display: the accepted answers, canonical first. */
	struct pol_strv accepted;
};

enum pol_answer_status {
	POL_ANSWER_CORRECT = 0,     /* recorded as right (confirm: approved) */
	POL_ANSWER_WRONG,           /* recorded as wrong (confirm: declined) */
	POL_ANSWER_TOO_EARLY,       /* refused, nothing recorded, prompt stays */
	POL_ANSWER_NOT_AN_OPTION,   /* refused, nothing recorded, prompt stays: a
				     * multiple-choice (or yes/no) answer that is
				     * none of the options */
};

enum pol_challenge_status {
	POL_CHALLENGE_PENDING = 0,
	POL_CHALLENGE_PASSED,
	POL_CHALLENGE_FAILED,
};

struct pol_challenge_state;

/* What a removal will delete, measured by the caller before the human is
 * asked (docs/challenges.md "Scale of a removal"). complete is false when
 * the walk was cut short (deadline, entry cap, depth, another file
 * system, an unreadable directory): the counts are then lower bounds. */
struct pol_removal_scale {
	bool measured;               /* false: unknown (nothing to measure, or it failed) */
	bool complete;
	uint64_t files;              /* non-directories, the target itself included */
	uint64_t dirs;               /* directories, the target itself included */
	uint64_t bytes;              /* sum of the regular files' sizes */
	unsigned elapsed_ms;
};

/* Build the challenge the decision asks for (decision->challenge,
 * ->approvers_required, ->minimum_review_seconds) for this action. seed
 * drives the choice and order of multiple-choice options (same seed, same
 * prompt). now is when the prompt is first shown (seconds, any clock the
 * caller uses consistently). -EINVAL for auto-approve or a decision that
 * needs no human, -ENOMEM. */
int pol_challenge_new(const struct pol_action *action, const struct pol_decision *decision,
		      const struct pol_config *config, uint64_t seed, double now,
		      struct pol_challenge_state **ret_challenge);
/* The same, with the measured scale of a removal (NULL or !measured:
 * unknown). A quiz about a removal then asks how much it deletes. */
int pol_challenge_new_scaled(const struct pol_action *action, const struct pol_decision *decision,
			     const struct pol_config *config, const struct pol_removal_scale *scale,
			     uint64_t seed, double now, struct pol_challenge_state **ret_challenge);
void pol_challenge_free(struct pol_challenge_state *challenge);

enum pol_challenge pol_challenge_kind(const struct pol_challenge_state *challenge);
/* Parts: 1, or N for multi-party (one per approver). */
size_t pol_challenge_part_count(const struct pol_challenge_state *challenge);

/* An approver starts looking at the prompt: give them a part (the one they
 * already hold, else the next free one) and start its review clock at now.
 * 0 and *ret_part, or -EINVAL (empty or over-long identity), -EBUSY (every
 * part is held by someone else), -EALREADY (this identity already finished
 * its part, or the challenge is decided). */
int pol_challenge_begin(struct pol_challenge_state *challenge, const char *identity,
			double now, size_t *ret_part);

/* What a part asks. NULL / 0 when out of range. */
enum pol_challenge pol_challenge_part_kind(const struct pol_challenge_state *challenge, size_t part);
size_t pol_challenge_question_count(const struct pol_challenge_state *challenge, size_t part);
const struct pol_question *pol_challenge_question(const struct pol_challenge_state *challenge,
						  size_t part, size_t index);
/* Seconds of review left before answers are accepted (0 when none). */
double pol_challenge_review_remaining(const struct pol_challenge_state *challenge, size_t part,
				      double now);

/* The question identity's part asks next (questions are asked one at a
 * time, in order): its index, or -EALREADY when the part is finished or
 * the challenge decided, -EBUSY / -EINVAL as for begin. Does not claim. */
int pol_challenge_next_question(const struct pol_challenge_state *challenge, const char *identity);

/* Answer question index of identity's part (begun implicitly, with its
 * clock started at challenge creation, if identity has no part yet).
 * Questions are answered in order: index must be the part's next
 * question. Returns a pol_answer_status, or -EINVAL (bad or out-of-order
 * index, bad identity), -EBUSY / -EALREADY (as for begin, or the question
 * was answered), -ENOMEM. A multiple-choice answer must be the option's
 * letter (A-D) or its text, a yes/no answer yes/y/approve or no/n/deny:
 * anything else is POL_ANSWER_NOT_AN_OPTION (nothing recorded). The first
 * wrong answer fails the part (and the challenge). Answers are
 * normalized: case, surrounding and repeated whitespace, a trailing
 * slash. */
int pol_challenge_answer(struct pol_challenge_state *challenge, const char *identity,
			 size_t index, const char *answer, double now);

enum pol_challenge_status pol_challenge_status(const struct pol_challenge_state *challenge);

/* What the audit entry needs. */
struct pol_challenge_summary {
	enum pol_challenge_status status;
	double review_seconds;       /* first prompt to last answer, real time */
	bool min_review_met;         /* every finished part reviewed long enough */
	unsigned questions_asked;    /* questions answered (asked one at a time) */
	unsigned questions_correct;
	unsigned approvers_passed;   /* distinct identities that passed */
	unsigned approvers_required;
};
void pol_challenge_summarize(const struct pol_challenge_state *challenge,
			     struct pol_challenge_summary *ret_summary);
/* Identity holding a part, NULL when unclaimed. */
const char *pol_challenge_part_identity(const struct pol_challenge_state *challenge, size_t part);

/* The reference ChallengeResult ({passed, challenge_type, responder,
 * response_time_seconds, questions_asked, questions_correct, details})
 * with the per-type details of the reference docs, plus min_review_met.
 * Caller owns the tree; NULL on ENOMEM. */
struct cJSON *pol_challenge_result_json(const struct pol_challenge_state *challenge);

/* Whether answer is an acceptable form for the question (a multiple-
 * choice option or its letter, yes/no for a confirm; anything for free
 * text). Checks the form only, never the content; records nothing. */
bool pol_question_answer_is_option(const struct pol_question *question, const char *answer);

/* Helpers, exposed for tests and renderers. */

/* Normalize an answer into buf: trim, collapse whitespace runs to one
 * space, ASCII lowercase, drop trailing slashes (but keep "/"). Always
 * NUL-terminates; returns the length. */
size_t pol_answer_normalize(const char *answer, char *buf, size_t size);
/* Whether term occurs in text as a whole word, ASCII case-insensitively:
 * "rm" is in "run rm now" but not in "firmware". */
bool pol_text_has_word(const char *text, const char *term);
/* Number of whitespace-separated words containing a letter or digit. */
unsigned pol_text_word_count(const char *text);

#endif
