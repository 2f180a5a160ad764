/*
 * The seccomp listener's handler (docs/ARCHITECTURE.md, "The life of one
 * unlink"): SECCOMP_IOCTL_NOTIF_RECV into a new held call, the filter's
 * refusals, the decode stage (decode.h) and then the pipeline
 * (pipeline.h). A hang-up of the listener (no task uses the filter any
 * more) is noted in loop->listener_gone.
 */
#ifndef ATTESTA_SUP_NOTIFY_H
#define ATTESTA_SUP_NOTIFY_H

#include <stdint.h>

/* An evloop.h callback: ctx is the struct sup_loop, fd its listener. */
void sup_notify_ready(void *ctx, int fd, uint32_t events);

struct sup_loop;
struct sup_held;
/* A notification received into held->req (a new record, not in the
 * table), on the loop thread: into the table, refused, or decoded and
 * sent down the pipeline (what the listener's handler does after
 * NOTIF_RECV; a decision thread hands over the calls only the loop
 * thread can decide, workers.h). 0 or -errno. */
int sup_notify_take(struct sup_loop *loop, struct sup_held *held);
/* A credential call is seen and continued, not decided: 1 when held was
 * one (answered and freed), 0 when not, -errno (notify.c). */
int sup_notify_creds_call(struct sup_loop *loop, struct sup_held *held);

#endif
