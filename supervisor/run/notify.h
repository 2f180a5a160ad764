/*
 * The seccomp listener's handler (docs/ARCHITECTURE.md, "The life of one
 * unlink"): SECCOMP_IOCTL_NOTIF_RECV into a new held call, the filter's
 * refusals, the decode stage (decode.h) and then the pipeline
 * (pipeline.h). A hang-up of the listener (no task uses the filter any
 * more) is noted in loop->listener_gone.
 */
#ifndef ATTESTA_SUP_NOTIFY_H
#define ATTESTA_SUP_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

/* An evloop.h callback: ctx is the struct sup_loop, fd its listener. */
void sup_notify_ready(void *ctx, int fd, uint32_t events);

struct sup_loop;
struct sup_held;
struct sup_decode_opts;
/* What every notification starts with, on the loop thread or a decision
 * thread: counted; a credential call is continued (held freed: 1);
 * else held's id, shim connection and interception time are set (0).
 * -errno when a credential call's answer failed. */
int sup_notify_begin(struct sup_loop *loop, struct sup_held *held);
/* The decode stage into held (action, result, kept descriptors, reason);
 * false when the target is gone (counted; nothing to answer: the caller
 * drops held). */
bool sup_notify_decode(struct sup_loop *loop, struct sup_held *held,
		       const struct sup_decode_opts *opts);
/* A notification received into held->req (a new record, not in the
 * table), on the loop thread: into the table, refused, or decoded and
 * sent down the pipeline (what the listener's handler does after
 * NOTIF_RECV; a decision thread hands over the calls only the loop
 * thread can decide, workers.h). 0 or -errno. */
int sup_notify_take(struct sup_loop *loop, struct sup_held *held);
/* The same for a record a decision thread has begun and decoded
 * (held->decoded): into the table, annotated, down the pipeline. Loop
 * thread. 0 or -errno. */
int sup_notify_run_decoded(struct sup_loop *loop, struct sup_held *held);

#endif
