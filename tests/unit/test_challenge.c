/*
 * Unit tests for the challenge logic (policy/challenge*.c): confirm with
 * the minimum review time enforced up front, quiz questions read off the
 * action (program, subcommand, branch, targets, count, directory, host,
 * port) and its consequences (effect, measured scale of a removal),
 * multiple choice from a seed, answers in order, the first wrong answer
 * ending the quiz, answers that are not options refused, normalization,
 * teach-back word and key-term rules, multi-party distinct identities, and
 * the audit JSON.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "policy/challenge.h"
#include "policy/pol_limits.h"

static struct pol_config config;

static int setup(void **state)
{
	(void)state;
	memset(&config, 0, sizeof(config));
	config.quiz_pass_threshold = 0.8;
	config.teach_back_min_words = 10;
	return 0;
}

/* exec action from a NULL-terminated argv (argv[0] is the program). */
static struct pol_action *exec_action(const char *cwd, ...)
{
	struct pol_action *a = pol_action_new(POL_ACTION_EXEC);
	va_list ap;
	const char *arg;

	assert_non_null(a);
	va_start(ap, cwd);
	arg = va_arg(ap, const char *);
	assert_int_equal(pol_action_set(&a->function_name, arg), 0);
	while ((arg = va_arg(ap, const char *)))
		assert_int_equal(pol_strv_push(&a->args, arg, strlen(arg)), 0);
	va_end(ap);
	if (cwd)
		assert_int_equal(pol_action_set(&a->cwd, cwd), 0);
	return a;
}

static struct pol_decision decision_for(enum pol_challenge kind, double min_review, unsigned n)
{
	struct pol_decision d;

	memset(&d, 0, sizeof(d));
	d.challenge = kind;
	d.minimum_review_seconds = min_review;
	d.approvers_required = n;
	return d;
}

static struct pol_challenge_state *new_challenge(const struct pol_action *a, enum pol_challenge kind,
					      double min_review, unsigned n, uint64_t seed)
{
	struct pol_decision d = decision_for(kind, min_review, n);
	struct pol_challenge_state *ch = NULL;

	assert_int_equal(pol_challenge_new(a, &d, &config, seed, 100.0, &ch), 0);
	assert_non_null(ch);
	return ch;
}

static const struct pol_question *find_question(const struct pol_challenge_state *ch, size_t part,
						enum pol_question_kind kind, size_t *ret_index)
{
	for (size_t i = 0; i < pol_challenge_question_count(ch, part); i++) {
		const struct pol_question *q = pol_challenge_question(ch, part, i);
		if (q->kind == kind) {
			if (ret_index)
				*ret_index = i;
			return q;
		}
	}
	return NULL;
}

/* Answer the questions before index right (questions go in order). */
static void answer_before(struct pol_challenge_state *ch, const char *who, size_t index)
{
	for (size_t i = 0; i < index; i++)
		assert_int_equal(pol_challenge_answer(ch, who, i,
						      pol_challenge_question(ch, 0, i)->accepted.items[0], 100),
				 POL_ANSWER_CORRECT);
}

static void test_pol_challenge_new_rejects_auto_approve(void **state)
{
	struct pol_action *a = exec_action(NULL, "ls", NULL);
	struct pol_decision d = decision_for(POL_CHALLENGE_AUTO_APPROVE, 0, 0);
	struct pol_challenge_state *ch = NULL;

	(void)state;
	assert_int_equal(pol_challenge_new(a, &d, &config, 1, 0, &ch), -EINVAL);
	assert_null(ch);
	pol_action_free(a);
}

static void test_pol_challenge_answer_confirm_too_early_keeps_prompt(void **state)
{
	struct pol_action *a = exec_action("/w", "git", "push", "origin", "main", NULL);
	struct pol_challenge_state *ch = new_challenge(a, POL_CHALLENGE_CONFIRM, 3.0, 1, 1);
	struct pol_challenge_summary s;

	(void)state;
	assert_int_equal(pol_challenge_question_count(ch, 0), 1);
	assert_int_equal(pol_challenge_question(ch, 0, 0)->kind, POL_QUESTION_CONFIRM);
	assert_float_equal(pol_challenge_review_remaining(ch, 0, 101.0), 3.0, 1e-9);
	assert_int_equal(pol_challenge_answer(ch, "alice", 0, "yes", 101.0), POL_ANSWER_TOO_EARLY);
	assert_int_equal(pol_challenge_status(ch), POL_CHALLENGE_PENDING);
	assert_float_equal(pol_challenge_review_remaining(ch, 0, 101.0), 2.0, 1e-9);
	assert_int_equal(pol_challenge_answer(ch, "alice", 0, "yes", 102.9), POL_ANSWER_TOO_EARLY);
	assert_int_equal(pol_challenge_answer(ch, "alice", 0, "  YES ", 104.5), POL_ANSWER_CORRECT);
	assert_int_equal(pol_challenge_status(ch), POL_CHALLENGE_PASSED);
	pol_challenge_summarize(ch, &s);
	assert_float_equal(s.review_seconds, 4.5, 1e-9); /* real time, not padded */
	assert_true(s.min_review_met);
	assert_int_equal(s.approvers_passed, 1);
	assert_int_equal(pol_challenge_answer(ch, "alice", 0, "yes", 105), -EALREADY);
	assert_int_equal(pol_challenge_answer(ch, "bob", 0, "yes", 105), -EALREADY);
	pol_challenge_free(ch);
	pol_action_free(a);
}

static void test_pol_challenge_answer_confirm_declined_fails(void **state)
{
	struct pol_action *a = exec_action("/w", "git", "push", NULL);
	struct pol_challenge_state *ch = new_challenge(a, POL_CHALLENGE_CONFIRM, 0, 1, 1);

	(void)state;
	assert_int_equal(pol_challenge_answer(ch, "alice", 0, "no", 100.0), POL_ANSWER_WRONG);
	assert_int_equal(pol_challenge_status(ch), POL_CHALLENGE_FAILED);
	pol_challenge_free(ch);
	pol_action_free(a);
}

static void test_pol_challenge_begin_starts_review_clock(void **state)
{
	struct pol_action *a = exec_action("/w", "git", "push", NULL);
	struct pol_challenge_state *ch = new_challenge(a, POL_CHALLENGE_CONFIRM, 3.0, 1, 1);
	size_t part = 99;

	(void)state;
	/* alice only opened the prompt at 200: 10 s after creation is not review */
	assert_int_equal(pol_challenge_begin(ch, "alice", 200.0, &part), 0);
	assert_int_equal(part, 0);
	assert_int_equal(pol_challenge_answer(ch, "alice", 0, "y", 201.0), POL_ANSWER_TOO_EARLY);
	assert_int_equal(pol_challenge_begin(ch, "bob", 201.0, &part), -EBUSY);
	assert_int_equal(pol_challenge_answer(ch, "bob", 0, "y", 300.0), -EBUSY);
	assert_int_equal(pol_challenge_answer(ch, "alice", 0, "y", 203.0), POL_ANSWER_CORRECT);
	pol_challenge_free(ch);
	pol_action_free(a);
}

static void test_pol_challenge_quiz_git_push_branch(void **state)
{
	struct pol_action *a = exec_action("/w", "git", "push", "origin", "main", NULL);
	struct pol_challenge_state *ch = new_challenge(a, POL_CHALLENGE_QUIZ, 0, 1, 42);
	const struct pol_question *q;
	size_t i_effect = 9, i_sub = 9, i_branch = 9;
	char letter[2] = { 0 };

	(void)state;
	assert_int_equal(pol_challenge_question_count(ch, 0), 3);
	/* the program is printed right above: asking it tests transcription */
	assert_null(find_question(ch, 0, POL_QUESTION_PROGRAM, NULL));
	q = find_question(ch, 0, POL_QUESTION_EFFECT, &i_effect);
	assert_non_null(q);
	assert_int_equal(i_effect, 0);
	assert_int_equal(q->n_options, 4);
	for (size_t o = 0; o < q->n_options; o++)
		if (!strcmp(q->options[o], "publish commits to a remote repository"))
			letter[0] = (char)('A' + o);
	assert_true(letter[0] != 0);
	q = find_question(ch, 0, POL_QUESTION_BRANCH, &i_branch);
	assert_non_null(q);
	assert_int_equal(i_branch, 1);
	assert_int_equal(q->n_options, 0); /* free text */
	assert_string_equal(q->accepted.items[0], "main");
	assert_non_null(find_question(ch, 0, POL_QUESTION_SUBCOMMAND, &i_sub));
	assert_int_equal(i_sub, 2);

	assert_int_equal(pol_challenge_next_question(ch, "alice"), 0);
	/* in order: the branch cannot be answered before the effect */
	assert_int_equal(pol_challenge_answer(ch, "alice", i_branch, "main", 100), -EINVAL);
	assert_int_equal(pol_challenge_answer(ch, "alice", i_effect, letter, 100), POL_ANSWER_CORRECT);
	assert_int_equal(pol_challenge_next_question(ch, "alice"), 1);
	assert_int_equal(pol_challenge_answer(ch, "alice", i_branch, " main\n", 100), POL_ANSWER_CORRECT);
	assert_int_equal(pol_challenge_answer(ch, "alice", i_branch, "main", 100), -EALREADY);
	assert_int_equal(pol_challenge_status(ch), POL_CHALLENGE_PENDING);
	assert_int_equal(pol_challenge_answer(ch, "alice", i_sub, "PUSH", 100), POL_ANSWER_CORRECT);
	assert_int_equal(pol_challenge_status(ch), POL_CHALLENGE_PASSED);
	assert_int_equal(pol_challenge_next_question(ch, "alice"), -EALREADY);
	pol_challenge_free(ch);
	pol_action_free(a);
}

/* Table: action argv -> the facts the quiz must ask for. */
struct quiz_case {
	const char *argv[8];
	enum pol_question_kind kind;
	const char *answer;      /* canonical */
	const char *also_right;  /* another accepted spelling, or NULL */
	const char *wrong;
};

static const struct quiz_case quiz_cases[] = {
	{ { "git", "-C", "repo", "push", "-f", NULL }, POL_QUESTION_SUBCOMMAND, "push", "Push", "pull" },
	{ { "git", "push", "--force", "origin", "+feature:refs/heads/prod", NULL }, POL_QUESTION_BRANCH,
	  "prod", "+feature:refs/heads/prod", "feature" },
	{ { "rm", "-rf", "a", "b", "c", NULL }, POL_QUESTION_COUNT, "3", "three", "2" },
	{ { "rm", "-rf", "a", "b", "c", NULL }, POL_QUESTION_TARGET, "a", "/w/b", "d" },
	{ { "rm", "-rf", "/w/build", NULL }, POL_QUESTION_TARGET, "build", "/w/build/", "/w" },
	{ { "rm", "-rf", "build", NULL }, POL_QUESTION_DIRECTORY, "/w", "/W/", "/tmp" },
	{ { "rm", "-rf", "/", NULL }, POL_QUESTION_TARGET, "/", NULL, "/home" },
	{ { "chmod", "777", "/etc/passwd", NULL }, POL_QUESTION_TARGET, "passwd", "/etc/passwd", "777" },
	{ { "curl", "-fsSL", "https://x.example:8443/i.sh", NULL }, POL_QUESTION_HOST, "x.example", NULL,
	  "example" },
	{ { "curl", "-fsSL", "https://x.example:8443/i.sh", NULL }, POL_QUESTION_PORT, "8443", NULL, "443" },
	{ { "dd", "if=/dev/zero", "of=/dev/sda", NULL }, POL_QUESTION_TARGET, "sda", "/dev/sda", "zero" },
	{ { "kubectl", "-n", "prod", "delete", "namespace", "production", NULL }, POL_QUESTION_SUBCOMMAND,
	  "delete", NULL, "prod" },
};

static void test_pol_challenge_quiz_reads_facts_off_action(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(quiz_cases) / sizeof(quiz_cases[0]); c++) {
		const struct quiz_case *qc = &quiz_cases[c];
		struct pol_action *a = pol_action_new(POL_ACTION_EXEC);
		const char *answers[] = { qc->answer, qc->also_right, qc->wrong };
		const int expect[] = { POL_ANSWER_CORRECT, POL_ANSWER_CORRECT, POL_ANSWER_WRONG };

		pol_action_set(&a->function_name, qc->argv[0]);
		pol_action_set(&a->cwd, "/w");
		for (size_t i = 1; qc->argv[i]; i++)
			pol_strv_push(&a->args, qc->argv[i], strlen(qc->argv[i]));
		for (int k = 0; k < 3; k++) {
			struct pol_challenge_state *ch;
			size_t index = 9;
			if (!answers[k])
				continue;
			config.quiz_pass_threshold = 0.0; /* isolate one question */
			ch = new_challenge(a, POL_CHALLENGE_QUIZ, 0, 1, c);
			if (!find_question(ch, 0, qc->kind, &index))
				fail_msg("case %zu (%s): no %s question", c, qc->argv[0],
					 pol_question_kind_name(qc->kind));
			answer_before(ch, "alice", index);
			int want = expect[k];
			/* a wrong guess outside the choices is refused, not judged */
			if (k == 2 && !pol_question_answer_is_option(pol_challenge_question(ch, 0, index),
								     answers[k]))
				want = POL_ANSWER_NOT_AN_OPTION;
			if (pol_challenge_answer(ch, "alice", index, answers[k], 100) != want)
				fail_msg("case %zu: answer '%s' to %s: want %d", c, answers[k],
					 pol_question_kind_name(qc->kind), want);
			pol_challenge_free(ch);
		}
		pol_action_free(a);
	}
}

static void test_pol_challenge_quiz_connect_and_unlink(void **state)
{
	struct pol_action *c = pol_action_new(POL_ACTION_CONNECT);
	struct pol_action *u = pol_action_new(POL_ACTION_UNLINK);
	struct pol_challenge_state *ch;
	size_t i_host = 9, i_port = 9, i_target = 9, i_dir = 9;
	const struct pol_question *q;

	(void)state;
	c->family = AF_INET;
	c->port = 443;
	pol_action_set(&c->host, "api.example.com");
	pol_action_set(&c->address, "93.184.216.34");
	pol_action_set(&c->exe, "/usr/bin/python3.11");
	ch = new_challenge(c, POL_CHALLENGE_QUIZ, 0, 1, 7);
	assert_string_equal(pol_challenge_question(ch, 0, 0)->accepted.items[0],
			    "send data to a network host");
	assert_non_null(find_question(ch, 0, POL_QUESTION_HOST, &i_host));
	assert_non_null(find_question(ch, 0, POL_QUESTION_PORT, &i_port));
	answer_before(ch, "alice", i_host);
	assert_int_equal(pol_challenge_answer(ch, "alice", i_host, "93.184.216.34", 100),
			 POL_ANSWER_CORRECT);
	assert_int_equal(pol_challenge_answer(ch, "alice", i_port, "443", 100), POL_ANSWER_CORRECT);
	pol_challenge_free(ch);

	pol_action_set(&u->path, "/home/u/.ssh/id_ed25519");
	ch = new_challenge(u, POL_CHALLENGE_QUIZ, 0, 1, 7);
	assert_non_null(find_question(ch, 0, POL_QUESTION_TARGET, &i_target));
	q = find_question(ch, 0, POL_QUESTION_DIRECTORY, &i_dir);
	assert_non_null(q);
	assert_string_equal(q->accepted.items[0], "/home/u/.ssh");
	answer_before(ch, "alice", i_target);
	assert_int_equal(pol_challenge_answer(ch, "alice", i_target, "ID_ED25519", 100),
			 POL_ANSWER_CORRECT);
	assert_int_equal(pol_challenge_answer(ch, "alice", i_dir, "/home/u/.ssh/", 100),
			 POL_ANSWER_CORRECT);
	pol_challenge_free(ch);
	pol_action_free(c);
	pol_action_free(u);
}

/* Whatever the threshold, the first wrong answer ends the quiz: nothing
 * after it is asked, and the audit lists only what was answered. */
static void test_pol_challenge_quiz_stops_at_first_wrong(void **state)
{
	struct pol_action *a = exec_action("/w", "rm", "-rf", "a", "b", "c", NULL);
	const double thresholds[] = { 0.8, 0.6, 0.0 };

	(void)state;
	for (size_t t = 0; t < 3; t++) {
		struct pol_challenge_state *ch;
		const struct pol_question *q;
		const char *wrong = NULL;
		cJSON *json, *questions;
		size_t i_count = 9;

		config.quiz_pass_threshold = thresholds[t];
		ch = new_challenge(a, POL_CHALLENGE_QUIZ, 0, 1, 3);
		assert_int_equal(pol_challenge_question_count(ch, 0), 3);
		q = pol_challenge_question(ch, 0, 0);
		assert_int_equal(q->kind, POL_QUESTION_EFFECT);
		assert_string_equal(q->accepted.items[0], "delete files or directories");
		assert_non_null(find_question(ch, 0, POL_QUESTION_COUNT, &i_count));
		for (size_t o = 0; o < q->n_options; o++)
			if (strcmp(q->options[o], q->accepted.items[0]))
				wrong = q->options[o];
		assert_non_null(wrong);
		assert_int_equal(pol_challenge_answer(ch, "alice", 0, wrong, 100), POL_ANSWER_WRONG);
		assert_int_equal(pol_challenge_status(ch), POL_CHALLENGE_FAILED);
		assert_int_equal(pol_challenge_next_question(ch, "alice"), -EALREADY);
		assert_int_equal(pol_challenge_answer(ch, "alice", 1, "a", 100), -EALREADY);
		json = pol_challenge_result_json(ch);
		assert_non_null(json);
		assert_int_equal(cJSON_GetObjectItem(json, "questions_asked")->valueint, 1);
		assert_int_equal(cJSON_GetObjectItem(json, "questions_correct")->valueint, 0);
		questions = cJSON_GetObjectItem(cJSON_GetObjectItem(json, "details"), "questions");
		assert_int_equal(cJSON_GetArraySize(questions), 1);
		assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(questions, 0), "given")->valuestring,
				    wrong);
		cJSON_Delete(json);
		pol_challenge_free(ch);
	}
	pol_action_free(a);
}

/* An answer that is none of the options is refused, not judged: nothing
 * is recorded and the same question stays open. */
static void test_pol_challenge_answer_not_an_option(void **state)
{
	struct pol_action *a = exec_action("/w", "rm", "-rf", "a", "b", NULL);
	struct pol_challenge_state *ch = new_challenge(a, POL_CHALLENGE_QUIZ, 0, 1, 11);
	struct pol_challenge_state *cf = new_challenge(a, POL_CHALLENGE_CONFIRM, 0, 1, 11);
	const struct pol_question *q = pol_challenge_question(ch, 0, 0);
	struct pol_challenge_summary s;

	(void)state;
	assert_int_equal(q->n_options, 4);
	assert_int_equal(pol_challenge_answer(ch, "alice", 0, "E", 100), POL_ANSWER_NOT_AN_OPTION);
	assert_int_equal(pol_challenge_answer(ch, "alice", 0, "delete everything", 100),
			 POL_ANSWER_NOT_AN_OPTION);
	assert_int_equal(pol_challenge_answer(ch, "alice", 0, "", 100), POL_ANSWER_NOT_AN_OPTION);
	assert_false(pol_question_answer_is_option(q, "rm"));
	assert_true(pol_question_answer_is_option(q, "b"));
	assert_true(pol_question_answer_is_option(q, "  DELETE files OR directories "));
	assert_int_equal(pol_challenge_status(ch), POL_CHALLENGE_PENDING);
	assert_int_equal(pol_challenge_next_question(ch, "alice"), 0);
	pol_challenge_summarize(ch, &s);
	assert_int_equal(s.questions_asked, 0);
	assert_int_equal(pol_challenge_answer(ch, "alice", 0, "Delete files or directories", 100),
			 POL_ANSWER_CORRECT);
	/* free text takes anything (and judges it) */
	assert_int_equal(pol_challenge_answer(ch, "alice", 1, "zzz", 100), POL_ANSWER_WRONG);

	/* yes/no: "maybe" is not an answer; "no" declines */
	assert_int_equal(pol_challenge_answer(cf, "alice", 0, "maybe", 100), POL_ANSWER_NOT_AN_OPTION);
	assert_int_equal(pol_challenge_status(cf), POL_CHALLENGE_PENDING);
	assert_int_equal(pol_challenge_answer(cf, "alice", 0, "N", 100), POL_ANSWER_WRONG);
	assert_int_equal(pol_challenge_status(cf), POL_CHALLENGE_FAILED);
	pol_challenge_free(ch);
	pol_challenge_free(cf);
	pol_action_free(a);
}

/* The measured scale of a removal is asked about, in size order; a walk
 * cut short accepts every bucket from its lower bound up. */
static void test_pol_challenge_quiz_scale(void **state)
{
	struct pol_action *a = exec_action("/w", "rm", "-rf", "build", NULL);
	struct pol_decision d = decision_for(POL_CHALLENGE_QUIZ, 0, 1);
	struct pol_removal_scale sc = { .measured = true, .complete = true, .files = 1500,
					.dirs = 20, .bytes = 1 << 20 };
	struct pol_challenge_state *ch = NULL;
	const struct pol_question *q;
	size_t i_scale = 9;

	(void)state;
	assert_int_equal(pol_challenge_new_scaled(a, &d, &config, &sc, 1, 100, &ch), 0);
	q = find_question(ch, 0, POL_QUESTION_SCALE, &i_scale);
	assert_non_null(q);
	assert_int_equal(i_scale, 1);
	assert_int_equal(q->n_options, 4);
	assert_string_equal(q->options[0], "none (only empty directories)");
	assert_int_equal(q->accepted.count, 1);
	assert_string_equal(q->accepted.items[0], "1000 files or more");
	answer_before(ch, "alice", i_scale);
	assert_int_equal(pol_challenge_answer(ch, "alice", i_scale, "C", 100), POL_ANSWER_WRONG);
	pol_challenge_free(ch);

	sc.files = 42;
	sc.complete = false; /* at least 42: 10-999 and 1000+ are both true */
	assert_int_equal(pol_challenge_new_scaled(a, &d, &config, &sc, 1, 100, &ch), 0);
	q = find_question(ch, 0, POL_QUESTION_SCALE, &i_scale);
	assert_int_equal(q->accepted.count, 2);
	answer_before(ch, "alice", i_scale);
	assert_int_equal(pol_challenge_answer(ch, "alice", i_scale, "D", 100), POL_ANSWER_CORRECT);
	pol_challenge_free(ch);

	/* no measurement: no scale question */
	ch = new_challenge(a, POL_CHALLENGE_QUIZ, 0, 1, 1);
	assert_null(find_question(ch, 0, POL_QUESTION_SCALE, NULL));
	pol_challenge_free(ch);
	pol_action_free(a);
}

static void test_pol_challenge_quiz_options_deterministic(void **state)
{
	struct pol_action *a = exec_action("/w", "git", "push", "origin", "main", NULL);
	bool some_differ = false;
	char first[4][64];

	(void)state;
	for (uint64_t seed = 0; seed < 20; seed++) {
		struct pol_challenge_state *x = new_challenge(a, POL_CHALLENGE_QUIZ, 0, 1, seed);
		struct pol_challenge_state *y = new_challenge(a, POL_CHALLENGE_QUIZ, 0, 1, seed);
		const struct pol_question *qx = find_question(x, 0, POL_QUESTION_EFFECT, NULL);
		const struct pol_question *qy = find_question(y, 0, POL_QUESTION_EFFECT, NULL);
		bool has_answer = false;

		assert_int_equal(qx->n_options, 4);
		for (size_t o = 0; o < 4; o++) {
			assert_string_equal(qx->options[o], qy->options[o]);
			has_answer = has_answer ||
				     !strcmp(qx->options[o], "publish commits to a remote repository");
			for (size_t p = 0; p < o; p++)
				assert_true(strcmp(qx->options[o], qx->options[p]) != 0);
			if (seed == 0)
				snprintf(first[o], sizeof(first[o]), "%s", qx->options[o]);
			else if (strcmp(first[o], qx->options[o]))
				some_differ = true;
		}
		assert_true(has_answer);
		pol_challenge_free(x);
		pol_challenge_free(y);
	}
	assert_true(some_differ);
	pol_action_free(a);
}

static void test_pol_challenge_teach_back_words_and_terms(void **state)
{
	struct pol_action *a = exec_action("/w", "rm", "-rf", "/w/build", NULL);
	static const struct {
		const char *text;
		int expect;
	} cases[] = {
		/* "rm" only inside "firmware": the program is not named */
		{ "this deletes the firmware build directory recursively and it is gone forever", POL_ANSWER_WRONG },
		{ "this runs RM to delete the build directory recursively and it is gone forever", POL_ANSWER_CORRECT },
		/* target missing ("builder" is not "build") */
		{ "this runs rm to delete the builder directory recursively and it is gone forever", POL_ANSWER_WRONG },
		/* too short */
		{ "rm deletes build", POL_ANSWER_WRONG },
		/* punctuation is a word boundary; "rm's" names rm */
		{ "rm's job here: wipe build/, recursively, with force - nothing comes back after", POL_ANSWER_CORRECT },
		/* padding with punctuation does not make words */
		{ "rm build - - - - - - - - - - - -", POL_ANSWER_WRONG },
	};

	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct pol_challenge_state *ch = new_challenge(a, POL_CHALLENGE_TEACH_BACK, 0, 1, 1);
		int r = pol_challenge_answer(ch, "alice", 0, cases[c].text, 100);
		if (r != cases[c].expect)
			fail_msg("case %zu: got %d want %d", c, r, cases[c].expect);
		assert_int_equal(pol_challenge_status(ch), cases[c].expect == POL_ANSWER_CORRECT
								   ? POL_CHALLENGE_PASSED
								   : POL_CHALLENGE_FAILED);
		pol_challenge_free(ch);
	}
	pol_action_free(a);
}

static void test_pol_text_has_word_whole_words(void **state)
{
	static const struct {
		const char *text, *term;
		bool expect;
	} cases[] = {
		{ "run rm now", "rm", true },       { "firmware", "rm", false },
		{ "RM -rf", "rm", true },           { "rm", "rm", true },
		{ "rms", "rm", false },             { "(rm)", "rm", true },
		{ "a.o removed", "a.o", true },     { "data.o", "a.o", false },
		{ "connect to api.example.com.", "api.example.com", true },
		{ "xapi.example.com", "api.example.com", false },
		{ "delete / entirely", "/", true }, { "", "rm", false },
		{ "rm_all", "rm", false },          { "caf\xc3\xa9", "caf", false },
	};

	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
		if (pol_text_has_word(cases[c].text, cases[c].term) != cases[c].expect)
			fail_msg("case %zu: '%s' in '%s'", c, cases[c].term, cases[c].text);
	assert_int_equal(pol_text_word_count("  one two\tthree\n - -- four  "), 4);
	assert_int_equal(pol_text_word_count(""), 0);
}

static void test_pol_answer_normalize_rules(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "  Main ", "main" },        { "/W/Build/", "/w/build" },  { "/", "/" },
		{ "///", "/" },               { "a   b\t c", "a b c" },     { "build//", "build" },
		{ "", "" },                   { " \n ", "" },
	};
	char buf[64];

	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		pol_answer_normalize(cases[c].in, buf, sizeof(buf));
		if (strcmp(buf, cases[c].out))
			fail_msg("case %zu: '%s' -> '%s', want '%s'", c, cases[c].in, buf, cases[c].out);
	}
	pol_answer_normalize("abcdef", buf, 4);
	assert_string_equal(buf, "abc");
}

static void test_pol_challenge_multi_party_distinct_identities(void **state)
{
	struct pol_action *a = exec_action("/w", "rm", "-rf", "/", NULL);
	struct pol_challenge_state *ch = new_challenge(a, POL_CHALLENGE_MULTI_PARTY, 2.0, 2, 9);
	const char *explain = "this runs rm recursively on / the root of the whole machine, destroying everything";
	struct pol_challenge_summary s;
	size_t part_a, part_b, part_again;

	(void)state;
	assert_int_equal(pol_challenge_part_count(ch), 2);
	assert_int_equal(pol_challenge_begin(ch, "uid:1001", 100, &part_a), 0);
	assert_int_equal(pol_challenge_begin(ch, "uid:1001", 101, &part_again), 0);
	assert_int_equal(part_again, part_a); /* same identity, same part */
	assert_int_equal(pol_challenge_part_kind(ch, part_a), POL_CHALLENGE_TEACH_BACK);
	assert_int_equal(pol_challenge_answer(ch, "uid:1001", 0, explain, 101), POL_ANSWER_TOO_EARLY);
	assert_int_equal(pol_challenge_answer(ch, "uid:1001", 0, explain, 102.5), POL_ANSWER_CORRECT);
	assert_int_equal(pol_challenge_status(ch), POL_CHALLENGE_PENDING);
	/* the same identity can never take the second part */
	assert_int_equal(pol_challenge_begin(ch, "uid:1001", 103, &part_again), -EALREADY);
	assert_int_equal(pol_challenge_answer(ch, "uid:1001", 0, "yes", 103), -EALREADY);
	assert_int_equal(pol_challenge_status(ch), POL_CHALLENGE_PENDING);

	/* bob's clock starts when he begins */
	assert_int_equal(pol_challenge_begin(ch, "uid:1002", 200, &part_b), 0);
	assert_true(part_b != part_a);
	assert_int_equal(pol_challenge_part_kind(ch, part_b), POL_CHALLENGE_QUIZ);
	assert_int_equal(pol_challenge_begin(ch, "uid:1003", 200, &part_again), -EBUSY);
	config.quiz_pass_threshold = 0.8;
	for (size_t i = 0; i < pol_challenge_question_count(ch, part_b); i++) {
		const struct pol_question *q = pol_challenge_question(ch, part_b, i);
		assert_int_equal(pol_challenge_answer(ch, "uid:1002", i, q->accepted.items[0], 201),
				 POL_ANSWER_TOO_EARLY);
		assert_int_equal(pol_challenge_answer(ch, "uid:1002", i, q->accepted.items[0], 202),
				 POL_ANSWER_CORRECT);
	}
	assert_int_equal(pol_challenge_status(ch), POL_CHALLENGE_PASSED);
	pol_challenge_summarize(ch, &s);
	assert_int_equal(s.approvers_passed, 2);
	assert_int_equal(s.approvers_required, 2);
	assert_true(s.min_review_met);
	assert_float_equal(s.review_seconds, 102.0, 1e-9);
	pol_challenge_free(ch);
	pol_action_free(a);
}

static void test_pol_challenge_multi_party_one_failure_fails(void **state)
{
	struct pol_action *a = exec_action("/w", "rm", "-rf", "/", NULL);
	struct pol_challenge_state *ch = new_challenge(a, POL_CHALLENGE_MULTI_PARTY, 0, 3, 9);

	(void)state;
	assert_int_equal(pol_challenge_part_count(ch), 3);
	assert_int_equal(pol_challenge_part_kind(ch, 2), POL_CHALLENGE_CONFIRM);
	assert_int_equal(pol_challenge_answer(ch, "alice", 0, "too short", 100), POL_ANSWER_WRONG);
	assert_int_equal(pol_challenge_status(ch), POL_CHALLENGE_FAILED);
	assert_int_equal(pol_challenge_answer(ch, "bob", 0, "rm", 100), -EALREADY);
	pol_challenge_free(ch);
	pol_action_free(a);
}

static void test_pol_challenge_answer_bad_input(void **state)
{
	struct pol_action *a = exec_action("/w", "git", "push", NULL);
	struct pol_challenge_state *ch = new_challenge(a, POL_CHALLENGE_CONFIRM, 0, 1, 1);
	char *huge = malloc(POL_CHALLENGE_MAX_ANSWER + 2);

	(void)state;
	memset(huge, 'y', POL_CHALLENGE_MAX_ANSWER + 1);
	huge[POL_CHALLENGE_MAX_ANSWER + 1] = '\0';
	assert_int_equal(pol_challenge_answer(ch, "alice", 0, huge, 100), -E2BIG);
	assert_int_equal(pol_challenge_answer(ch, "", 0, "yes", 100), -EINVAL);
	assert_int_equal(pol_challenge_answer(ch, "a\nb", 0, "yes", 100), -EINVAL);
	assert_int_equal(pol_challenge_answer(ch, NULL, 0, "yes", 100), -EINVAL);
	assert_int_equal(pol_challenge_answer(ch, "alice", 5, "yes", 100), -EINVAL);
	assert_int_equal(pol_challenge_answer(ch, "alice", 0, NULL, 100), -EINVAL);
	assert_int_equal(pol_challenge_status(ch), POL_CHALLENGE_PENDING);
	free(huge);
	pol_challenge_free(ch);
	pol_action_free(a);
}

static void test_pol_challenge_result_json_shapes(void **state)
{
	struct pol_action *a = exec_action("/w", "git", "push", "origin", "main", NULL);
	struct pol_challenge_state *ch = new_challenge(a, POL_CHALLENGE_QUIZ, 0, 1, 5);
	cJSON *json, *details, *questions;

	(void)state;
	for (size_t i = 0; i < pol_challenge_question_count(ch, 0); i++)
		pol_challenge_answer(ch, "alice", i, pol_challenge_question(ch, 0, i)->accepted.items[0], 104);
	json = pol_challenge_result_json(ch);
	assert_non_null(json);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(json, "passed")));
	assert_string_equal(cJSON_GetObjectItem(json, "challenge_type")->valuestring, "quiz");
	assert_string_equal(cJSON_GetObjectItem(json, "responder")->valuestring, "alice");
	assert_float_equal(cJSON_GetObjectItem(json, "response_time_seconds")->valuedouble, 4.0, 1e-9);
	assert_int_equal(cJSON_GetObjectItem(json, "questions_asked")->valueint, 3);
	assert_int_equal(cJSON_GetObjectItem(json, "questions_correct")->valueint, 3);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(json, "min_review_met")));
	details = cJSON_GetObjectItem(json, "details");
	questions = cJSON_GetObjectItem(details, "questions");
	assert_int_equal(cJSON_GetArraySize(questions), 3);
	assert_non_null(cJSON_GetObjectItem(cJSON_GetArrayItem(questions, 0), "expected"));
	assert_non_null(cJSON_GetObjectItem(cJSON_GetArrayItem(questions, 0), "given"));
	assert_float_equal(cJSON_GetObjectItem(details, "pass_threshold")->valuedouble, 0.8, 1e-12);
	assert_float_equal(cJSON_GetObjectItem(details, "actual_score")->valuedouble, 1.0, 1e-12);
	cJSON_Delete(json);
	pol_challenge_free(ch);

	ch = new_challenge(a, POL_CHALLENGE_MULTI_PARTY, 0, 2, 5);
	pol_challenge_answer(ch, "uid:1", 0, "git push sends the main branch to origin, overwriting what the remote has", 100);
	json = pol_challenge_result_json(ch);
	details = cJSON_GetObjectItem(json, "details");
	assert_int_equal(cJSON_GetObjectItem(details, "required_approvers")->valueint, 2);
	assert_int_equal(cJSON_GetObjectItem(details, "actual_approvers")->valueint, 1);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(details, "approvers"), 0),
						"challenge")->valuestring, "teach_back");
	assert_false(cJSON_IsTrue(cJSON_GetObjectItem(json, "passed")));
	cJSON_Delete(json);
	pol_challenge_free(ch);
	pol_action_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup(name, setup)
		T(test_pol_challenge_new_rejects_auto_approve),
		T(test_pol_challenge_answer_confirm_too_early_keeps_prompt),
		T(test_pol_challenge_answer_confirm_declined_fails),
		T(test_pol_challenge_begin_starts_review_clock),
		T(test_pol_challenge_quiz_git_push_branch),
		T(test_pol_challenge_quiz_reads_facts_off_action),
		T(test_pol_challenge_quiz_connect_and_unlink),
		T(test_pol_challenge_quiz_stops_at_first_wrong),
		T(test_pol_challenge_answer_not_an_option),
		T(test_pol_challenge_quiz_scale),
		T(test_pol_challenge_quiz_options_deterministic),
		T(test_pol_challenge_teach_back_words_and_terms),
		T(test_pol_text_has_word_whole_words),
		T(test_pol_answer_normalize_rules),
		T(test_pol_challenge_multi_party_distinct_identities),
		T(test_pol_challenge_multi_party_one_failure_fails),
		T(test_pol_challenge_answer_bad_input),
		T(test_pol_challenge_result_json_shapes),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
