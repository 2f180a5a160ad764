/*
 * A generic epoll dispatcher (docs/ARCHITECTURE.md, "Processes and
 * threads"): descriptors with a callback each, added or removed (a
 * removed slot is not reused, so a stale event of the same round cannot
 * reach another handler); one round waits and
 * calls the callbacks of the ready descriptors. It knows nothing of what
 * its handlers do: the gate's loop (loop.c) adds the seccomp listener,
 * its signalfd and timerfd; human.c the approval server and the tty
 * renderer; shimloop.c the shim's sockets; proc.c the watcher's pidfd.
 * One thread; a callback must not block. With decision threads
 * (workers.h) the loop sets lock: every callback then runs holding it
 * (the gate lock, docs/ARCHITECTURE.md "Processes and threads").
 */
#ifndef ATTESTA_SUP_EVLOOP_H
#define ATTESTA_SUP_EVLOOP_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

/* fd is ready (events: EPOLLIN, EPOLLHUP, ...). */
typedef void (*sup_ev_fn)(void *ctx, int fd, uint32_t events);

#define SUP_EV_MAX 16

struct sup_ev {
	int epfd;
	struct {
		int fd;
		sup_ev_fn fn;         /* NULL: removed (slots are not reused) */
		void *ctx;
	} h[SUP_EV_MAX];
	size_t n;
	pthread_mutex_t *lock;        /* NULL, or held around each callback */
};

/* The epoll set. 0 or -errno. sup_ev_release() closes it (not the fds). */
int sup_ev_init(struct sup_ev *ev);
void sup_ev_release(struct sup_ev *ev);

/* Watch fd for EPOLLIN with fn(ctx, fd, events). 0, -ENOSPC, -errno. */
int sup_ev_add(struct sup_ev *ev, int fd, sup_ev_fn fn, void *ctx);

/* The same for other events than EPOLLIN: 0 watches only what epoll
 * always reports (EPOLLHUP, EPOLLERR). */
int sup_ev_add_events(struct sup_ev *ev, int fd, uint32_t events, sup_ev_fn fn, void *ctx);

/* Watch fd for events again (EPOLL_CTL_MOD, keeping its callback): for a
 * descriptor added with EPOLLONESHOT, which epoll disarms after one
 * report. 0, -ENOENT, -errno. */
int sup_ev_rearm(struct sup_ev *ev, int fd, uint32_t events);

/* Stop watching fd (e.g. a hung-up descriptor, which is always ready):
 * its callback is not called again, not even for an event of the round
 * in progress; the fd stays open (its owner closes it). 0 or -ENOENT. */
int sup_ev_remove(struct sup_ev *ev, int fd);

/* One round: wait up to timeout_ms (-1: until something is ready) and
 * call the callbacks of what is ready. The number of ready descriptors
 * (0 on timeout or a signal), or -errno. */
int sup_ev_wait(struct sup_ev *ev, int timeout_ms);

#endif
