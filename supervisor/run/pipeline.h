/*
 * One held call through the four stages (docs/ARCHITECTURE.md, "The
 * life of one unlink"): decode (done by the caller: notify.c for a
 * notification, shimloop.c for a shim request) -> the facts decide needs
 * -> decide (decide.h, pure) -> hold for a human (human.h) or record
 * (record.h) and respond (respond.h). A held call is finished later by
 * human.c through sup_finish(); everything else is finished here,
 * removed from the table and freed.
 */
#ifndef ATTESTA_SUP_PIPELINE_H
#define ATTESTA_SUP_PIPELINE_H

#include "supervisor/run/decision.h"
#include "supervisor/run/loop.h"

/* Decide a decoded held call that is in loop's table and finish it, or
 * leave it held for a human. 0; -errno only for failures the loop cannot
 * recover from. */
int sup_pipeline_run(struct sup_loop *loop, struct sup_held *held);

/* The first half of sup_pipeline_run(): the facts and decide (with the
 * scope and chain re-checks) into held->verdict; nothing answered. A
 * decision thread (workers.h) calls it under the gate lock; a record it
 * need not be in the table. */
void sup_pipeline_decide(struct sup_loop *loop, struct sup_held *held);

/* The second half for a HOLD verdict (loop thread, held in the table):
 * hold it for a human, or settle it by fail_mode and finish it. 0. */
int sup_pipeline_hold(struct sup_loop *loop, struct sup_held *held);

/* Finish a held call decided before decoding (a call the filter sends
 * only to be refused): denied by source for reason, recorded, answered,
 * removed and freed. 0. */
int sup_pipeline_refuse(struct sup_loop *loop, struct sup_held *held, enum sup_source source,
			const char *reason);

#endif
