/*
 * The generic epoll dispatcher (evloop.h).
 */
#include "supervisor/run/evloop.h"

#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

int sup_ev_init(struct sup_ev *ev)
{
	ev->n = 0;
	ev->lock = NULL;
	ev->epfd = epoll_create1(EPOLL_CLOEXEC);
	return ev->epfd < 0 ? -errno : 0;
}

void sup_ev_release(struct sup_ev *ev)
{
	if (ev->epfd >= 0)
		close(ev->epfd);
	ev->epfd = -1;
	ev->n = 0;
}

int sup_ev_add(struct sup_ev *ev, int fd, sup_ev_fn fn, void *ctx)
{
	return sup_ev_add_events(ev, fd, EPOLLIN, fn, ctx);
}

int sup_ev_add_events(struct sup_ev *ev, int fd, uint32_t events, sup_ev_fn fn, void *ctx)
{
	if (ev->n >= SUP_EV_MAX)
		return -ENOSPC;
	struct epoll_event e = { .events = events, .data.u32 = (uint32_t)ev->n };
	if (epoll_ctl(ev->epfd, EPOLL_CTL_ADD, fd, &e) < 0)
		return -errno;
	ev->h[ev->n].fd = fd;
	ev->h[ev->n].fn = fn;
	ev->h[ev->n].ctx = ctx;
	ev->n++;
	return 0;
}

int sup_ev_rearm(struct sup_ev *ev, int fd, uint32_t events)
{
	for (size_t i = 0; i < ev->n; i++) {
		if (ev->h[i].fn && ev->h[i].fd == fd) {
			struct epoll_event e = { .events = events, .data.u32 = (uint32_t)i };
			return epoll_ctl(ev->epfd, EPOLL_CTL_MOD, fd, &e) < 0 ? -errno : 0;
		}
	}
	return -ENOENT;
}

int sup_ev_remove(struct sup_ev *ev, int fd)
{
	for (size_t i = 0; i < ev->n; i++) {
		if (ev->h[i].fn && ev->h[i].fd == fd) {
			epoll_ctl(ev->epfd, EPOLL_CTL_DEL, fd, NULL);
			ev->h[i].fn = NULL;
			return 0;
		}
	}
	return -ENOENT;
}

int sup_ev_wait(struct sup_ev *ev, int timeout_ms)
{
	struct epoll_event events[8];
	int n = epoll_wait(ev->epfd, events, 8, timeout_ms);

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		uint32_t k = events[i].data.u32;
		/* disarmed by an earlier callback of this round: skipped */
		if (k >= ev->n || !ev->h[k].fn)
			continue;
		if (ev->lock)
			pthread_mutex_lock(ev->lock);
		/* re-read under the lock: slots are only changed by this thread */
		if (ev->h[k].fn)
			ev->h[k].fn(ev->h[k].ctx, ev->h[k].fd, events[i].events);
		if (ev->lock)
			pthread_mutex_unlock(ev->lock);
	}
	return n;
}
