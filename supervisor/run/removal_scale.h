/*
 * The scale of a removal, measured only when a human will be asked
 * (docs/challenges.md "Scale of a removal"): files, directories and bytes
 * under an `rm -r` operand, an rmdir / unlink target, or the directory a
 * rename replaces. Bounded: a deadline, an entry cap, a depth cap, one
 * file system; a walk cut short reports lower bounds ("at least").
 */
#ifndef ATTESTA_SUP_REMOVAL_SCALE_H
#define ATTESTA_SUP_REMOVAL_SCALE_H

#include "policy/challenge.h"

struct sup_held;

/* Wall-clock budget of one measurement, entries and depth at most. */
#define SUP_SCALE_DEADLINE_MS 50
#define SUP_SCALE_MAX_ENTRIES 200000
#define SUP_SCALE_MAX_DEPTH 48

/* Fill *ret for held's action; ret->measured is false when it removes
 * nothing we measure or when measuring failed at the start. Never fails. */
void sup_removal_scale_measure(const struct sup_held *held, struct pol_removal_scale *ret);

/* The walk itself, for tests: what removing name (relative to dirfd)
 * deletes, recursively when recursive. deadline_ms and max_entries as
 * above (0: the defaults). */
void sup_removal_scale_at(int dirfd, const char *name, bool recursive, unsigned deadline_ms,
			  unsigned long max_entries, struct pol_removal_scale *ret);

#endif
