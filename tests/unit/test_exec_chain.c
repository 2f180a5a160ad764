/*
 * Unit tests for wrapper chains (supervisor/run/exec_chain.c,
 * policy/exec_names.c; docs/decode.md, "Wrapper chains"): what is a
 * wrapper, what carries the head's argv, and the table: a human-approved
 * shim opens a chain, in-place hops that carry the argv are hops, the
 * final program is covered only at the head's level and when pinned, a
 * fork (other tgid) or a reused pid is never covered, a non-carrying or
 * denied exec ends the chain, the chain closes after the final program,
 * and the hop count is bounded. Process start times are faked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "supervisor/run/exec_chain.c"

static unsigned long long fake_start[64];

static unsigned long long fake_start_time(pid_t tgid)
{
	return tgid > 0 && tgid < 64 ? fake_start[tgid] : 0;
}

/* exec of path by tgid: argv words after argv0; interp for a script */
static struct pol_action *ex(pid_t tgid, const char *name, const char *interp, bool unpinned,
			     const char *const *args)
{
	struct pol_action *a = pol_action_new(POL_ACTION_EXEC);
	assert_non_null(a);
	a->tgid = a->pid = tgid;
	assert_int_equal(pol_action_set(&a->function_name, name), 0);
	if (interp)
		assert_int_equal(pol_action_set(&a->interpreter, interp), 0);
	a->exec_unpinned = unpinned;
	for (size_t i = 0; args && args[i]; i++)
		assert_int_equal(pol_strv_push(&a->args, args[i], strlen(args[i])), 0);
	return a;
}

static void test_wrapper_and_carries(void **state)
{
	(void)state;
	const char *const code[] = { "-c", "print(1)", NULL };
	struct pol_action *a = ex(5, "python3", "/usr/bin/env", false, code);
	assert_true(pol_exec_is_wrapper(a)); /* a shim run by env */
	pol_action_free(a);
	a = ex(5, "bash", NULL, false, code);
	assert_true(pol_exec_is_wrapper(a));
	pol_action_free(a);
	a = ex(5, "python3.11", NULL, false, code);
	assert_false(pol_exec_is_wrapper(a));
	pol_action_free(a);
	a = ex(5, "tool.py", "/usr/bin/python3.11", false, code);
	assert_false(pol_exec_is_wrapper(a)); /* python running a script: the program */
	pol_action_free(a);

	struct pol_strv head = { 0 }, args = { 0 }, other = { 0 }, empty = { 0 };
	pol_strv_push(&head, "-c", 2);
	pol_strv_push(&head, "x", 1);
	pol_strv_push(&args, "exec", 4);
	pol_strv_push(&args, "python3", 7);
	pol_strv_push(&args, "-c", 2);
	pol_strv_push(&args, "x", 1);
	assert_true(pol_exec_carries(&head, &args));  /* words put in front */
	assert_true(pol_exec_carries(&args, &head));  /* words taken away (env) */
	assert_true(pol_exec_carries(&head, &head));
	pol_strv_push(&other, "-c", 2);
	pol_strv_push(&other, "y", 1);
	assert_false(pol_exec_carries(&head, &other));
	assert_false(pol_exec_carries(&head, &empty)); /* nothing carried */
	assert_true(pol_exec_carries(&empty, &other));  /* a head without args */
	pol_strv_release(&head);
	pol_strv_release(&args);
	pol_strv_release(&other);
}

static const char *const CODE[] = { "-c", "import os", NULL };
static const char *const BASH_SHIM[] = { "/shims/python3", "-c", "import os", NULL };
static const char *const PYENV[] = { "exec", "python3", "-c", "import os", NULL };

/* The pyenv chain: shim (human, MEDIUM), bash, pyenv, final python3.11. */
static void test_pyenv_chain(void **state)
{
	(void)state;
	struct sup_exec_chains *t = NULL;
	unsigned hop;
	fake_start[7] = 100;
	assert_non_null(sup_exec_chains_get(&t, fake_start_time));

	struct pol_action *head = ex(7, "python3", "/usr/bin/env", false, CODE);
	assert_null(sup_exec_chain_hop(t, head, &hop));
	sup_exec_chain_decided(t, head, true, "human", POL_LEVEL_MEDIUM, "H1");

	struct pol_action *bash = ex(7, "bash", NULL, false, BASH_SHIM);
	assert_string_equal(sup_exec_chain_hop(t, bash, &hop), "H1");
	assert_int_equal(hop, 1);
	sup_exec_chain_decided(t, bash, true, "policy", POL_LEVEL_LOW, "E2");
	struct pol_action *pyenv = ex(7, "pyenv", "/usr/bin/env", false, PYENV);
	assert_string_equal(sup_exec_chain_hop(t, pyenv, &hop), "H1");
	assert_int_equal(hop, 2);
	sup_exec_chain_decided(t, pyenv, true, "policy", POL_LEVEL_LOW, "E3");

	struct pol_action *final = ex(7, "python3.11", NULL, false, CODE);
	/* higher than the approval: asked */
	assert_null(sup_exec_chain_covers(t, final, POL_LEVEL_HIGH));
	assert_string_equal(sup_exec_chain_covers(t, final, POL_LEVEL_MEDIUM), "H1");
	/* not pinned: asked */
	final->exec_unpinned = true;
	assert_null(sup_exec_chain_covers(t, final, POL_LEVEL_LOW));
	final->interp_unpinned = true;
	final->exec_unpinned = false;
	assert_null(sup_exec_chain_covers(t, final, POL_LEVEL_LOW));
	final->interp_unpinned = false;
	/* a fork of a hop: another process */
	fake_start[8] = 200;
	struct pol_action *forked = ex(8, "python3.11", NULL, false, CODE);
	assert_null(sup_exec_chain_covers(t, forked, POL_LEVEL_LOW));
	/* the final program, covered; the chain closes after it */
	sup_exec_chain_decided(t, final, true, "chain:H1", POL_LEVEL_MEDIUM, "E4");
	assert_null(sup_exec_chain_hop(t, final, &hop));
	assert_null(sup_exec_chain_covers(t, final, POL_LEVEL_LOW));
	pol_action_free(head);
	pol_action_free(bash);
	pol_action_free(pyenv);
	pol_action_free(final);
	pol_action_free(forked);
	sup_exec_chains_free(t);
}

static void test_chain_ends(void **state)
{
	(void)state;
	struct sup_exec_chains *t = NULL;
	unsigned hop;
	fake_start[9] = 300;
	sup_exec_chains_get(&t, fake_start_time);
	struct pol_action *head = ex(9, "python3", "/bin/sh", false, CODE);
	sup_exec_chain_decided(t, head, true, "human", POL_LEVEL_HIGH, "H");
	/* other arguments: not a hop */
	const char *const rm[] = { "-rf", "/home", NULL };
	struct pol_action *other = ex(9, "rm", NULL, false, rm);
	assert_null(sup_exec_chain_covers(t, other, POL_LEVEL_LOW));
	/* a policy head does not cover (another process) */
	fake_start[10] = 400;
	struct pol_action *phead = ex(10, "python3", "/bin/sh", false, CODE);
	struct pol_action *pfinal = ex(10, "python3.11", NULL, false, CODE);
	sup_exec_chain_decided(t, phead, true, "policy", POL_LEVEL_LOW, "P");
	assert_string_equal(sup_exec_chain_hop(t, pfinal, &hop), "P");
	assert_null(sup_exec_chain_covers(t, pfinal, POL_LEVEL_LOW));
	pol_action_free(phead);
	pol_action_free(pfinal);
	struct pol_action *final = ex(9, "python3.11", NULL, false, CODE);
	assert_string_equal(sup_exec_chain_covers(t, final, POL_LEVEL_LOW), "H");
	/* a denied hop ends the chain */
	sup_exec_chain_decided(t, head, true, "human", POL_LEVEL_HIGH, "H2");
	struct pol_action *bash = ex(9, "bash", NULL, false, BASH_SHIM);
	sup_exec_chain_decided(t, bash, false, "policy", POL_LEVEL_HIGH, "D");
	assert_null(sup_exec_chain_hop(t, final, &hop));
	/* a reused pid (new start time) is another process */
	sup_exec_chain_decided(t, head, true, "human", POL_LEVEL_HIGH, "H3");
	fake_start[9] = 301;
	assert_null(sup_exec_chain_covers(t, final, POL_LEVEL_LOW));
	/* bounded hops */
	sup_exec_chain_decided(t, head, true, "human", POL_LEVEL_HIGH, "H4");
	for (unsigned i = 0; i < SUP_CHAIN_MAX_HOPS; i++) {
		assert_non_null(sup_exec_chain_hop(t, bash, &hop));
		sup_exec_chain_decided(t, bash, true, "policy", POL_LEVEL_LOW, "B");
	}
	assert_null(sup_exec_chain_hop(t, bash, &hop));
	/* an argv past the cap opens no chain */
	static char big[POL_EXEC_CHAIN_MAX_ARGV_BYTES + 1];
	memset(big, 'a', sizeof big - 1);
	const char *const bigv[] = { big, NULL };
	struct pol_action *bighead = ex(9, "python3", "/bin/sh", false, bigv);
	sup_exec_chain_decided(t, bighead, true, "human", POL_LEVEL_HIGH, "HB");
	assert_null(sup_exec_chain_hop(t, bighead, &hop));
	pol_action_free(bighead);
	/* no entry id (the entry was not written): nothing opens */
	sup_exec_chain_decided(t, head, true, "human", POL_LEVEL_HIGH, "");
	assert_null(sup_exec_chain_hop(t, final, &hop));
	pol_action_free(head);
	pol_action_free(other);
	pol_action_free(final);
	pol_action_free(bash);
	sup_exec_chains_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wrapper_and_carries),
		cmocka_unit_test(test_pyenv_chain),
		cmocka_unit_test(test_chain_ends),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
