/*
 * The wrapper chains of a session (see exec_chain.h, docs/decode.md).
 * Keyed by the process (tgid and start time); the head's argv, level and
 * whether a human approved it are kept. Trusts the decoded actions as
 * bounded by the decoders, and the pinned flags of decode_pin.c.
 */
#include "supervisor/run/exec_chain.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy/audit.h"
#include "policy/exec_names.h"
#include "policy/pol_limits.h"

struct chain {
	pid_t tgid;
	unsigned long long start;
	char head[64];
	enum pol_level level;
	bool human;
	unsigned hops;
	struct pol_strv args;
};

struct sup_exec_chains {
	sup_chain_start_fn start_time;
	struct chain c[SUP_CHAIN_MAX];
	size_t n;
};

/* Field 22 of /proc/PID/stat (policy/audit_session.c); 0 when unreadable. */
static unsigned long long proc_start_time(pid_t pid)
{
	uint64_t ticks;
	bool exited;

	return pol_audit_proc_start_ticks((int)pid, &ticks, &exited) == 0 ? ticks : 0;
}

struct sup_exec_chains *sup_exec_chains_get(struct sup_exec_chains **slot,
					    sup_chain_start_fn start_time)
{
	if (!*slot && (*slot = calloc(1, sizeof **slot)))
		(*slot)->start_time = start_time ? start_time : proc_start_time;
	return *slot;
}

static void drop(struct sup_exec_chains *t, size_t i)
{
	pol_strv_release(&t->c[i].args);
	t->c[i] = t->c[--t->n];
	memset(&t->c[t->n], 0, sizeof t->c[0]);
}

void sup_exec_chains_free(struct sup_exec_chains *t)
{
	if (!t)
		return;
	while (t->n)
		drop(t, 0);
	free(t);
}

static pid_t tgid_of(const struct pol_action *a)
{
	return a->tgid ? a->tgid : a->pid;
}

/* The live chain of exec's process, else -1 (a dead one is dropped). */
static ssize_t find(struct sup_exec_chains *t, const struct pol_action *exec)
{
	pid_t tgid = tgid_of(exec);
	for (size_t i = 0; i < t->n; i++) {
		if (t->c[i].tgid != tgid)
			continue;
		unsigned long long now = t->start_time(tgid);
		if (!now || now != t->c[i].start) {
			drop(t, i); /* a new process with a reused pid */
			return -1;
		}
		return (ssize_t)i;
	}
	return -1;
}

const char *sup_exec_chain_hop(struct sup_exec_chains *t, const struct pol_action *exec,
			       unsigned *ret_hop)
{
	if (!t || exec->action_class != POL_ACTION_EXEC)
		return NULL;
	ssize_t i = find(t, exec);
	if (i < 0 || t->c[i].hops >= SUP_CHAIN_MAX_HOPS || !pol_exec_carries(&t->c[i].args, &exec->args))
		return NULL;
	*ret_hop = t->c[i].hops + 1;
	return t->c[i].head;
}

/* The chain of exec's process by pid alone (no /proc), else -1. */
static ssize_t find_pure(const struct sup_exec_chains *t, const struct pol_action *exec)
{
	pid_t tgid = tgid_of(exec);
	for (size_t i = 0; i < t->n; i++)
		if (t->c[i].tgid == tgid)
			return (ssize_t)i;
	return -1;
}

/* Does chain c cover exec, a hop needing a human at level? */
static bool chain_covers(const struct chain *c, const struct pol_action *exec, enum pol_level level)
{
	if (c->hops >= SUP_CHAIN_MAX_HOPS || !pol_exec_carries(&c->args, &exec->args))
		return false;
	/* SECURITY: only a human's approval covers, never beyond its level,
	 * and never a program or interpreter the agent could have changed
	 * (the cover must not extend to an agent-controlled file). */
	return c->human && level <= c->level && !exec->exec_unpinned && !exec->interp_unpinned &&
	       !exec->exec_anonymous;
}

const char *sup_exec_chain_covers(struct sup_exec_chains *t, const struct pol_action *exec,
				  enum pol_level level)
{
	if (!t || exec->action_class != POL_ACTION_EXEC)
		return NULL;
	ssize_t i = find(t, exec);
	return i >= 0 && chain_covers(&t->c[i], exec, level) ? t->c[i].head : NULL;
}

const char *sup_exec_chain_covers_peek(const struct sup_exec_chains *t,
				       const struct pol_action *exec, enum pol_level level)
{
	if (!t || exec->action_class != POL_ACTION_EXEC)
		return NULL;
	ssize_t i = find_pure(t, exec);
	return i >= 0 && chain_covers(&t->c[i], exec, level) ? t->c[i].head : NULL;
}

bool sup_exec_chain_current(struct sup_exec_chains *t, const struct pol_action *exec)
{
	return t && find(t, exec) >= 0;
}

static void open_chain(struct sup_exec_chains *t, const struct pol_action *exec, bool human,
		       enum pol_level level, const char *entry_id)
{
	pid_t tgid = tgid_of(exec);
	if (t->n >= SUP_CHAIN_MAX) { /* drop the chains of processes gone */
		for (size_t i = 0; i < t->n;) {
			if (t->start_time(t->c[i].tgid) != t->c[i].start)
				drop(t, i);
			else
				i++;
		}
	}
	if (t->n >= SUP_CHAIN_MAX)
		return;
	size_t bytes = 0;
	for (size_t i = 0; i < exec->args.count; i++)
		bytes += strlen(exec->args.items[i]) + 1;
	if (bytes > POL_EXEC_CHAIN_MAX_ARGV_BYTES)
		return; /* bounded memory: no chain, later hops are asked */
	struct chain *c = &t->c[t->n];
	memset(c, 0, sizeof *c);
	for (size_t i = 0; i < exec->args.count; i++)
		if (pol_strv_push(&c->args, exec->args.items[i], strlen(exec->args.items[i])) < 0) {
			pol_strv_release(&c->args);
			return; /* no chain: later hops are asked on their own */
		}
	c->tgid = tgid;
	c->start = t->start_time(tgid);
	if (!c->start) {
		pol_strv_release(&c->args);
		return;
	}
	c->human = human;
	c->level = level;
	snprintf(c->head, sizeof c->head, "%s", entry_id ? entry_id : "");
	t->n++;
}

void sup_exec_chain_decided(struct sup_exec_chains *t, const struct pol_action *exec,
			    bool approved, const char *decision_source, enum pol_level level,
			    const char *entry_id)
{
	if (!t || exec->action_class != POL_ACTION_EXEC)
		return;
	bool human = decision_source && !strcmp(decision_source, "human");
	unsigned hop;
	bool is_hop = sup_exec_chain_hop(t, exec, &hop) != NULL;
	ssize_t i = find(t, exec);
	if (!approved || !entry_id || !entry_id[0]) {
		if (i >= 0)
			drop(t, i); /* a refused hop ends the chain */
		return;
	}
	if (is_hop && !human) {
		/* a hop carried out under the head (or on its own merit) */
		t->c[i].hops++;
		if (!pol_exec_is_wrapper(exec))
			drop(t, i); /* the program the chain ends in */
		return;
	}
	if (i >= 0)
		drop(t, i); /* the process runs something else: a new action */
	if (pol_exec_is_wrapper(exec))
		open_chain(t, exec, human, level, entry_id);
}
