/*
 * The held-call records (struct sup_held, loop.h): the loop's table of
 * calls between NOTIF_RECV and their answer, keyed by notification id,
 * and the records' allocation (a small free list). A record owns its
 * decoded action, the engine's decision, its kept descriptors and, in
 * shim-only mode, the asker's connection: sup_held_free() releases them
 * all. The table is the loop thread's alone; records are made and freed
 * on every decision thread (workers.h), each with its own spares.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "supervisor/run/execcheck.h"
#include "supervisor/run/loop.h"

static size_t bucket(uint64_t id)
{
	return (size_t)((id * 0x9E3779B97F4A7C15ull) >> 58) % SUP_HELD_BUCKETS;
}

void sup_held_insert(struct sup_loop *loop, struct sup_held *held)
{
	size_t b = bucket(held->id);
	held->next = loop->held[b];
	loop->held[b] = held;
	loop->n_held++;
}

void sup_held_remove(struct sup_loop *loop, struct sup_held *held)
{
	for (struct sup_held **p = &loop->held[bucket(held->id)]; *p; p = &(*p)->next) {
		if (*p == held) {
			*p = held->next;
			held->next = NULL;
			loop->n_held--;
			return;
		}
	}
}

/* A few freed records kept for the next notifications: a record is
 * bigger than malloc's small bins, and allocating one after the audit
 * entry's many small frees made malloc consolidate on every decision.
 * Each thread keeps its own (a decision thread gives them back with
 * sup_held_spares_free() before it ends). */
#define SPARE_HELD 8
static __thread struct sup_held *spare_held[SPARE_HELD];
static __thread size_t n_spare_held;

struct sup_held *sup_held_new(void)
{
	struct sup_held *held;

	if (n_spare_held == 0)
		held = calloc(1, sizeof(struct sup_held));
	else
		held = spare_held[--n_spare_held];
	if (!held)
		return NULL;
	memset(held, 0, sizeof *held);
	held->kept_fd = -1;
	held->kept_fd2 = -1;
	held->shim_conn = -1;
	return held;
}

static void held_recycle(struct sup_held *held)
{
	if (n_spare_held < SPARE_HELD)
		spare_held[n_spare_held++] = held;
	else
		free(held);
}

void sup_held_free(struct sup_held *held)
{
	if (!held)
		return;
	pol_action_free(held->action);
	if (held->evaluated)
		pol_decision_release(&held->decision);
	/* An unanswered shim request: closing fails the asker's call
	 * (ENOSYS), as a dead supervisor does in seccomp mode. */
	if (held->from_shim && held->shim_conn >= 0)
		close(held->shim_conn);
	if (held->kept_fd >= 0)
		close(held->kept_fd);
	if (held->kept_fd2 >= 0)
		close(held->kept_fd2);
	sup_exec_expect_free(held->expect);
	held_recycle(held);
}

void sup_held_free_all(struct sup_loop *loop)
{
	for (size_t b = 0; b < SUP_HELD_BUCKETS; b++) {
		while (loop->held[b]) {
			struct sup_held *h = loop->held[b];
			loop->held[b] = h->next;
			sup_held_free(h);
		}
	}
	loop->n_held = 0;
	sup_held_spares_free();
}

void sup_held_spares_free(void)
{
	while (n_spare_held)
		free(spare_held[--n_spare_held]);
}
