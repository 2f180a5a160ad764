/*
 * Private to the challenge module: the facts a quiz or a teach-back is
 * built from, read off one action (challenge_facts.c), and the quiz
 * question builder (challenge_quiz.c). Nothing here is public API.
 */
#ifndef ATTESTA_CHALLENGE_INTERNAL_H
#define ATTESTA_CHALLENGE_INTERNAL_H

#include "challenge.h"

/* Longest string taken from the action into a question or a key term; a
 * longer one is not asked about (an approver cannot be expected to type
 * it back, and prompts stay readable). */
#define CHALLENGE_MAX_FACT 255
/* Targets remembered per action (rm with 10,000 operands is still "how
 * many": the count is exact, the list is capped). */
#define CHALLENGE_MAX_TARGETS 64

struct challenge_facts {
	enum pol_action_class action_class;
	char *program;            /* exec: basename; generic: function name; else caller's exe basename */
	char *subcommand;         /* git push -> "push" */
	char *branch;             /* git push origin main -> "main" */
	char *refspec;            /* as typed, e.g. "+main:prod" */
	struct pol_strv targets;  /* operands as typed (capped) */
	struct pol_strv targets_abs; /* the same resolved against cwd ("" if unknown) */
	size_t n_targets;         /* exact count */
	char *directory;          /* absolute directory of the first target */
	char *host;               /* host name (exec URL, connect host) */
	char *address;            /* numeric address (connect) */
	bool has_port;
	unsigned port;
	/* consequences (challenge_facts.c): what the action will do, one of
	 * the challenge_effects strings, or NULL for a generic action */
	const char *effect;
	bool removes;             /* deletes files: rm/rmdir/unlink/shred, unlink, rmdir,
				   * a rename that replaces its destination */
	struct pol_removal_scale scale; /* given by the caller; measured when known */
	/* teach-back: each non-empty group needs one match */
	struct pol_strv terms_program;
	struct pol_strv terms_target;
};

/* One approver's share of a challenge. */
struct challenge_part {
	enum pol_challenge kind;          /* confirm, quiz or teach_back */
	char *identity;                   /* NULL until claimed */
	double started_at;
	double finished_at;
	enum pol_challenge_status status;
	struct pol_question questions[POL_CHALLENGE_MAX_QUESTIONS];
	size_t n_questions;
	char *given[POL_CHALLENGE_MAX_QUESTIONS];
	bool correct[POL_CHALLENGE_MAX_QUESTIONS];
	unsigned n_answered, n_correct;
	unsigned word_count;              /* teach-back */
	struct pol_strv terms_matched;    /* teach-back */
};

struct pol_challenge_state {
	enum pol_challenge kind;
	double created_at;
	double last_answer_at;
	double min_review;
	double pass_threshold;
	unsigned min_words;
	unsigned required;                /* parts that must pass */
	struct challenge_part *parts;
	size_t n_parts;
	struct challenge_facts facts;
	enum pol_challenge_status status;
};

/* The consequences a quiz asks about (challenge_facts.c), also the
 * multiple-choice pool of the effect question. */
#define CHALLENGE_EFFECT_DELETE "delete files or directories"
#define CHALLENGE_EFFECT_CHANGE "change, move or overwrite files"
#define CHALLENGE_EFFECT_PUBLISH "publish commits to a remote repository"
#define CHALLENGE_EFFECT_NETWORK "send data to a network host"
#define CHALLENGE_EFFECT_LOCAL "talk to a local service over a socket"
#define CHALLENGE_EFFECT_RUN "run a program (no file, host or branch named)"

int challenge_facts_read(const struct pol_action *action, struct challenge_facts *ret_facts);
void challenge_facts_release(struct challenge_facts *facts);

/* Deterministic PRNG (splitmix64) for distractors and option order. */
uint64_t challenge_rand(uint64_t *state);

/* Build up to POL_CHALLENGE_MAX_QUESTIONS questions into out (zeroed by
 * the caller); *ret_count is how many. 0 or -ENOMEM. */
int challenge_quiz_build(const struct challenge_facts *facts, uint64_t seed,
			 struct pol_question *out, size_t *ret_count);
void challenge_question_release(struct pol_question *question);

/* basename of a path as a new string ("/" for "/"); NULL on ENOMEM. */
char *challenge_basename(const char *path);

#endif
