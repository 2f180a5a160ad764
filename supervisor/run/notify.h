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

#endif
