/*
 * Quiz questions built from the facts of an action (challenge_facts.c):
 * first its consequences (what it will do; how many files a removal
 * deletes, from the caller's measurement), then what it acts on (branch,
 * target, host, how many targets, subcommand, port, directory). The
 * program is asked only when nothing else can be: the prompt prints it
 * right above, so naming it tests transcription, not understanding
 * (docs/challenges.md). Effect, scale, program, subcommand and directory
 * are multiple choice, with distractors and option order drawn from the
 * caller's seed (same seed, same quiz); the facts an attacker would most
 * like a human to skim past (target, branch, host) are free text. Pure:
 * no I/O.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "challenge_internal.h"

static const char *const program_pool[] = {
	"ls", "cat", "cp", "mv", "rm", "git", "curl", "wget", "python3", "sh", "bash", "make",
	"tar", "chmod", "find", "kubectl", "docker", "ssh", "dd", "psql", "npm", "sed",
};
static const char *const git_pool[] = {
	"status", "pull", "fetch", "commit", "log", "push", "reset", "clean", "checkout", "merge",
};
static const char *const kubectl_pool[] = {
	"get", "describe", "apply", "delete", "logs", "exec", "rollout",
};
static const char *const generic_sub_pool[] = {
	"list", "show", "status", "install", "run", "delete", "build", "update",
};
static const char *const effect_pool[] = {
	CHALLENGE_EFFECT_DELETE, CHALLENGE_EFFECT_CHANGE, CHALLENGE_EFFECT_PUBLISH,
	CHALLENGE_EFFECT_NETWORK, CHALLENGE_EFFECT_LOCAL, CHALLENGE_EFFECT_RUN,
};
/* Scale buckets, smallest first: the files a removal deletes. */
static const struct {
	const char *label;
	uint64_t min;
} scale_buckets[] = {
	{ "none (only empty directories)", 0 },
	{ "1 to 9 files", 1 },
	{ "10 to 999 files", 10 },
	{ "1000 files or more", 1000 },
};
#define N_SCALE_BUCKETS (sizeof(scale_buckets) / sizeof(scale_buckets[0]))

static const char *const count_words[] = {
	"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
	"eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
	"eighteen", "nineteen", "twenty",
};

uint64_t challenge_rand(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

void challenge_question_release(struct pol_question *q)
{
	free(q->text);
	for (size_t i = 0; i < q->n_options; i++)
		free(q->options[i]);
	pol_strv_release(&q->accepted);
	memset(q, 0, sizeof(*q));
}

static int accept(struct pol_question *q, const char *answer)
{
	if (!answer || !*answer)
		return 0;
	return pol_strv_push(&q->accepted, answer, strlen(answer));
}

/* Fill q's options: the canonical answer plus up to 3 distinct distractors
 * from pool (entries equal to the answer skipped), in seeded order. */
static int add_options(struct pol_question *q, const char *const *pool, size_t n_pool,
		       uint64_t *rng)
{
	const char *picked[POL_CHALLENGE_MAX_OPTIONS];
	const char *candidates[32];
	size_t n_picked = 0, n_cand = 0;

	picked[n_picked++] = q->accepted.items[0];
	for (size_t i = 0; i < n_pool && n_cand < 32; i++) {
		bool dup = false;
		if (!pool[i])
			continue;
		for (size_t j = 0; j < q->accepted.count; j++)
			dup = dup || !strcasecmp(pool[i], q->accepted.items[j]);
		for (size_t j = 0; j < n_cand; j++)
			dup = dup || !strcasecmp(pool[i], candidates[j]);
		if (!dup)
			candidates[n_cand++] = pool[i];
	}
	while (n_picked < POL_CHALLENGE_MAX_OPTIONS && n_cand) {
		size_t k = (size_t)(challenge_rand(rng) % n_cand);
		picked[n_picked++] = candidates[k];
		candidates[k] = candidates[--n_cand];
	}
	for (size_t i = n_picked; i > 1; i--) { /* Fisher-Yates */
		size_t k = (size_t)(challenge_rand(rng) % i);
		const char *t = picked[i - 1];
		picked[i - 1] = picked[k];
		picked[k] = t;
	}
	for (size_t i = 0; i < n_picked; i++) {
		q->options[i] = strdup(picked[i]);
		if (!q->options[i])
			return -ENOMEM;
		q->n_options = i + 1;
	}
	return 0;
}

static int set_text(struct pol_question *q, const char *fmt, const char *arg)
{
	/* fmt is one of the literals below; arg is bounded by CHALLENGE_MAX_FACT. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	if (asprintf(&q->text, fmt, arg ? arg : "") < 0) {
		q->text = NULL;
		return -ENOMEM;
	}
#pragma GCC diagnostic pop
	return 0;
}

static int build_one(const struct challenge_facts *f, enum pol_question_kind kind, uint64_t *rng,
		     struct pol_question *q)
{
	bool exec_like = f->action_class == POL_ACTION_EXEC || f->action_class == POL_ACTION_GENERIC;
	char num[32];
	int r = 0;

	q->kind = kind;
	switch (kind) {
	case POL_QUESTION_PROGRAM:
		if (!f->program)
			return 1;
		r = set_text(q, f->action_class == POL_ACTION_GENERIC ? "Which function will be called?%s"
			      : exec_like ? "Which program will run?%s"
					  : "Which program is making this call?%s", "");
		if (r == 0 && (r = accept(q, f->program)) == 0 && exec_like)
			r = add_options(q, program_pool, sizeof(program_pool) / sizeof(program_pool[0]), rng);
		return r;
	case POL_QUESTION_EFFECT:
		if (!f->effect)
			return 1;
		if ((r = set_text(q, "What will this action do?%s", "")) < 0 || (r = accept(q, f->effect)) < 0)
			return r;
		return add_options(q, effect_pool, sizeof(effect_pool) / sizeof(effect_pool[0]), rng);
	case POL_QUESTION_SCALE: {
		size_t at = 0;
		if (!f->removes || !f->scale.measured)
			return 1;
		if ((r = set_text(q, "How much will it delete (see \"removes\" above)?%s", "")) < 0)
			return r;
		while (at + 1 < N_SCALE_BUCKETS && f->scale.files >= scale_buckets[at + 1].min)
			at++;
		/* Options in size order (not shuffled: a scale reads as one). A
		 * walk cut short counted a lower bound: every bucket from there
		 * up is true. */
		for (size_t b = 0; r == 0 && b < N_SCALE_BUCKETS; b++) {
			if (!(q->options[b] = strdup(scale_buckets[b].label)))
				return -ENOMEM;
			q->n_options = b + 1;
			if (b == at || (b > at && !f->scale.complete))
				r = accept(q, scale_buckets[b].label);
		}
		return r;
	}
	case POL_QUESTION_SUBCOMMAND:
		if (!f->subcommand)
			return 1;
		if ((r = set_text(q, "Which %s subcommand will run?", f->program)) < 0 ||
		    (r = accept(q, f->subcommand)) < 0)
			return r;
		if (!strcmp(f->program, "git"))
			return add_options(q, git_pool, sizeof(git_pool) / sizeof(git_pool[0]), rng);
		if (!strcmp(f->program, "kubectl"))
			return add_options(q, kubectl_pool, sizeof(kubectl_pool) / sizeof(kubectl_pool[0]), rng);
		return add_options(q, generic_sub_pool, sizeof(generic_sub_pool) / sizeof(generic_sub_pool[0]), rng);
	case POL_QUESTION_BRANCH:
		if (!f->branch)
			return 1;
		if ((r = set_text(q, "Which branch will be pushed (name it)?%s", "")) < 0 ||
		    (r = accept(q, f->branch)) < 0)
			return r;
		return accept(q, f->refspec);
	case POL_QUESTION_TARGET:
		if (!f->targets.count)
			return 1;
		if (f->action_class == POL_ACTION_UNLINK)
			r = set_text(q, "Which file will be removed (name or path)?%s", "");
		else if (f->action_class == POL_ACTION_RMDIR)
			r = set_text(q, "Which directory will be removed (name or path)?%s", "");
		else if (f->action_class == POL_ACTION_RENAME)
			r = set_text(q, "Name one of the two paths the rename acts on.%s", "");
		else if (f->action_class == POL_ACTION_CONNECT || f->action_class == POL_ACTION_SENDTO)
			r = set_text(q, "Which socket will it connect to (name or path)?%s", "");
		else if (f->n_targets > 1)
			r = set_text(q, "Name one of the paths %s will act on.", f->program);
		else
			r = set_text(q, "Which path will %s act on (name or path)?", f->program);
		for (size_t i = 0; r == 0 && i < f->targets.count; i++) {
			char *base = challenge_basename(f->targets.items[i]);
			if (!base)
				return -ENOMEM;
			r = accept(q, base);
			free(base);
			if (r == 0)
				r = accept(q, f->targets.items[i]);
			if (r == 0)
				r = accept(q, f->targets_abs.items[i]);
		}
		return r;
	case POL_QUESTION_HOST:
		if (!f->host && !f->address)
			return 1;
		if ((r = set_text(q, "Which host will it connect to?%s", "")) < 0 ||
		    (r = accept(q, f->host)) < 0)
			return r;
		return accept(q, f->address);
	case POL_QUESTION_COUNT:
		if (f->n_targets < 2)
			return 1;
		snprintf(num, sizeof(num), "%zu", f->n_targets);
		if ((r = set_text(q, "How many paths will %s act on?", f->program ? f->program : "it")) < 0 ||
		    (r = accept(q, num)) < 0)
			return r;
		if (f->n_targets < sizeof(count_words) / sizeof(count_words[0]))
			r = accept(q, count_words[f->n_targets]);
		return r;
	case POL_QUESTION_PORT:
		if (!f->has_port)
			return 1;
		snprintf(num, sizeof(num), "%u", f->port);
		if ((r = set_text(q, "Which port will it connect to?%s", "")) < 0)
			return r;
		return accept(q, num);
	case POL_QUESTION_DIRECTORY: {
		const char *pool[6] = { "/tmp", "/var/tmp", "/home", "/etc", "/usr/local", NULL };
		char *parent = NULL;
		/* "/" has no directory worth asking about */
		if (!f->directory || !strcmp(f->directory, f->targets_abs.items[0]))
			return 1;
		if ((r = set_text(q, "In which directory is the target?%s", "")) < 0 ||
		    (r = accept(q, f->directory)) < 0)
			return r;
		if (strcmp(f->directory, "/")) {
			const char *slash = strrchr(f->directory, '/');
			parent = slash == f->directory ? strdup("/")
						       : strndup(f->directory, (size_t)(slash - f->directory));
			if (!parent)
				return -ENOMEM;
			pool[5] = parent;
		}
		r = add_options(q, pool, 6, rng);
		free(parent);
		return r;
	}
	default:
		return 1;
	}
}

int challenge_quiz_build(const struct challenge_facts *f, uint64_t seed,
			 struct pol_question *out, size_t *ret_count)
{
	static const enum pol_question_kind exec_order[] = {
		POL_QUESTION_EFFECT, POL_QUESTION_SCALE, POL_QUESTION_BRANCH, POL_QUESTION_TARGET,
		POL_QUESTION_HOST, POL_QUESTION_COUNT, POL_QUESTION_SUBCOMMAND, POL_QUESTION_PORT,
		POL_QUESTION_DIRECTORY, POL_QUESTION_PROGRAM,
	};
	static const enum pol_question_kind generic_order[] = {
		POL_QUESTION_PROGRAM, POL_QUESTION_SUBCOMMAND, POL_QUESTION_BRANCH, POL_QUESTION_TARGET,
		POL_QUESTION_HOST, POL_QUESTION_COUNT, POL_QUESTION_PORT, POL_QUESTION_DIRECTORY,
	};
	static const enum pol_question_kind syscall_order[] = {
		POL_QUESTION_EFFECT, POL_QUESTION_SCALE, POL_QUESTION_TARGET, POL_QUESTION_HOST,
		POL_QUESTION_PORT, POL_QUESTION_DIRECTORY, POL_QUESTION_PROGRAM,
	};
	const enum pol_question_kind *order = syscall_order;
	size_t n_order = sizeof(syscall_order) / sizeof(syscall_order[0]);
	uint64_t rng = seed;
	size_t count = 0;

	if (f->action_class == POL_ACTION_EXEC) {
		order = exec_order;
		n_order = sizeof(exec_order) / sizeof(exec_order[0]);
	} else if (f->action_class == POL_ACTION_GENERIC) {
		order = generic_order;
		n_order = sizeof(generic_order) / sizeof(generic_order[0]);
	}

	for (size_t i = 0; i < n_order && count < POL_CHALLENGE_MAX_QUESTIONS; i++) {
		int r = build_one(f, order[i], &rng, &out[count]);
		if (r < 0) {
			for (size_t j = 0; j <= count; j++)
				challenge_question_release(&out[j]);
			return r;
		}
		if (r > 0) {
			challenge_question_release(&out[count]);
			continue;
		}
		count++;
	}
	*ret_count = count;
	return 0;
}
