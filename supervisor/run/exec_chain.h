/*
 * Wrapper chains (docs/decode.md, "Wrapper chains"): one user-visible
 * action costs one decision. A process that execs a wrapper (a pyenv or
 * asdf shim, `env`, a shell running a shim script) and is approved opens
 * a chain headed by that decision's audit entry; the execs the same
 * process then makes in place, carrying the head's argv
 * (policy/exec_names.h: pol_exec_carries), are hops of the chain. A hop
 * that needs a human is covered by the head when a human approved the
 * head at its level or higher and the hop's program (and interpreter) is
 * pinned (decode_pin.c: not a file the agent could change). The first hop
 * that is not a wrapper is the program the chain ends in; after it the
 * chain is closed. Every hop is audited (metadata.exec_chain names the
 * head and the hop number); a covered one has decision_source
 * "chain:<head entry id>".
 *
 * SECURITY: the chain is bound to the process (tgid and its start time:
 * a reused pid is another process), to the argv, to the level and to
 * pinned files; a fork of a hop is another process and is never covered;
 * a denied or non-carrying exec ends the chain. Single-threaded (the
 * supervisor's loop). Bounded: SUP_CHAIN_MAX chains (past that no chain
 * opens: prompts are shown, which fails safe), SUP_CHAIN_MAX_HOPS hops,
 * POL_EXEC_CHAIN_MAX_ARGV_BYTES of the head's argv kept (longer: no chain).
 */
#ifndef ATTESTA_SUP_RUN_EXEC_CHAIN_H
#define ATTESTA_SUP_RUN_EXEC_CHAIN_H

#include <stdbool.h>
#include <sys/types.h>

#include "policy/action.h"
#include "policy/config.h"

#define SUP_CHAIN_MAX 256
#define SUP_CHAIN_MAX_HOPS 16

struct sup_exec_chains;

/* The process start time of tgid (0: unknown, never matches). */
typedef unsigned long long (*sup_chain_start_fn)(pid_t tgid);

/* The table in *slot, made on first use (start_time NULL: /proc). NULL
 * when out of memory (then nothing is chained or covered). */
struct sup_exec_chains *sup_exec_chains_get(struct sup_exec_chains **slot,
					    sup_chain_start_fn start_time);
void sup_exec_chains_free(struct sup_exec_chains *chains);

/* Is exec a hop of its process's chain? The head's entry id (borrowed)
 * and *ret_hop (1 for the first hop), else NULL. */
const char *sup_exec_chain_hop(struct sup_exec_chains *chains, const struct pol_action *exec,
			       unsigned *ret_hop);

/* The head's entry id when exec, a hop needing a human at level, is
 * covered by the chain's human approval; else NULL. */
const char *sup_exec_chain_covers(struct sup_exec_chains *chains, const struct pol_action *exec,
				  enum pol_level level);

/* The same as sup_exec_chain_covers() without looking at /proc: a pure
 * lookup for the decide stage (decide.c), which assumes the chain's
 * process is still the one that opened it; the pipeline then checks
 * that with sup_exec_chain_current() and decides again if not. */
const char *sup_exec_chain_covers_peek(const struct sup_exec_chains *chains,
				       const struct pol_action *exec, enum pol_level level);

/* Is the chain of exec's process still that process's (its start time
 * unchanged)? A stale chain is dropped. */
bool sup_exec_chain_current(struct sup_exec_chains *chains, const struct pol_action *exec);

/* exec was answered (entry entry_id written): approved or not, by a
 * human (decision_source "human") or otherwise, at level. Opens,
 * advances, closes or ends the process's chain. */
void sup_exec_chain_decided(struct sup_exec_chains *chains, const struct pol_action *exec,
			    bool approved, const char *decision_source, enum pol_level level,
			    const char *entry_id);

#endif
