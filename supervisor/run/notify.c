/*
 * The seccomp listener's handler (notify.h): receive, refuse what the
 * filter sends only to be refused, decode, annotate with what the shim
 * said, and hand the held call to the pipeline.
 */
#include "supervisor/run/notify.h"

#include <errno.h>
#include <linux/audit.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>

#include "supervisor/run/clock.h"
#include "supervisor/run/decode_cache.h"
#include "supervisor/run/filter.h"
#include "supervisor/run/loop.h"
#include "supervisor/run/pipeline.h"
#include "supervisor/run/shimloop.h"

/* A credential call (filter.h): not a decision and not audited; the
 * caller's cached credentials end before the kernel makes it
 * (decode_cache.h). 1 when it was one (answered, held freed), 0 when
 * not, -errno when the answer failed. */
static int sup_notify_creds_call(struct sup_loop *loop, struct sup_held *held)
{
	if (held->req.data.arch != AUDIT_ARCH_X86_64 ||
	    !sup_filter_is_creds_call(held->req.data.nr))
		return 0;
	struct seccomp_notif_resp resp = {
		.id = held->req.id, .flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE,
	};

	sup_tcache_creds_changing((pid_t)held->req.pid);
	sup_held_free(held);
	/* ENOENT: the caller is gone; nothing else can fail here */
	if (ioctl(loop->listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 && errno != ENOENT)
		return -errno;
	return 1;
}

int sup_notify_begin(struct sup_loop *loop, struct sup_held *held)
{
	SUP_COUNT(loop->n_notifications);
	int rc = sup_notify_creds_call(loop, held);
	if (rc != 0)
		return rc;
	held->id = held->req.id;
	held->shim_conn = -1;
	held->intercepted_at = sup_now();
	return 0;
}

bool sup_notify_decode(struct sup_loop *loop, struct sup_held *held,
		       const struct sup_decode_opts *opts)
{
	/* The decoder reads target memory once and re-checks ID_VALID. */
	int kept[2] = { -1, -1 };
	held->decode_result = sup_decode_keep2(loop->listener, &held->req, opts, &held->action,
					       kept, held->reason, sizeof held->reason);
	held->kept_fd = kept[0];
	held->kept_fd2 = kept[1];
	if (held->decode_result != -ENOENT)
		return true;
	/* the target is gone: nothing to answer, nothing happened */
	SUP_COUNT(loop->n_gone);
	return false;
}

/* Decoded and in the table: the shim's context, then the pipeline. */
static int annotate_and_run(struct sup_loop *loop, struct sup_held *held)
{
	if (held->action && held->decode_result >= 0)
		sup_shimloop_annotate(loop, held);
	return sup_pipeline_run(loop, held);
}

int sup_notify_take(struct sup_loop *loop, struct sup_held *held)
{
	int rc = sup_notify_begin(loop, held);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	sup_held_insert(loop, held);
	/* A call the sandbox may not make at all: refused and audited, no
	 * decoding, no policy (filter.h). */
	const char *refusal = sup_filter_refusal_of(&held->req.data);
	if (refusal)
		return sup_pipeline_refuse(loop, held, SUP_SRC_FILTER, refusal);
	/* The shim queued its annotation before the syscall: read it now so
	 * the table knows what this thread said (shimloop.h), for a call it
	 * annotates. */
	if (sup_shimrecv_annotates(held->req.data.nr))
		sup_shimloop_drain(loop);
	if (!sup_notify_decode(loop, held, &loop->gate->decode_opts)) {
		sup_held_remove(loop, held);
		sup_held_free(held);
		return 0;
	}
	return annotate_and_run(loop, held);
}

int sup_notify_run_decoded(struct sup_loop *loop, struct sup_held *held)
{
	sup_held_insert(loop, held);
	if (sup_shimrecv_annotates(held->req.data.nr))
		sup_shimloop_drain(loop);
	return annotate_and_run(loop, held);
}

static int handle_notification(struct sup_loop *loop)
{
	struct sup_held *held = sup_held_new();
	if (!held)
		return -ENOMEM;
	/* The kernel insists on a zeroed buffer (calloc did it). */
	if (ioctl(loop->listener, SECCOMP_IOCTL_NOTIF_RECV, &held->req) < 0) {
		int e = errno;
		sup_held_free(held);
		/* ENOENT: the caller died (or was interrupted) before we took
		 * it, or nobody uses the filter any more; EINTR: a signal. */
		if (e == ENOENT || e == EINTR)
			return 0;
		return -e;
	}
	return sup_notify_take(loop, held);
}

void sup_notify_ready(void *ctx, int fd, uint32_t events)
{
	struct sup_loop *loop = ctx;

	/* With decision threads the listener is watched for EPOLLHUP only
	 * (workers.h): they receive. */
	if (events & EPOLLIN && !(events & (EPOLLHUP | EPOLLERR)) && !loop->threaded) {
		int rc = handle_notification(loop);
		if (rc < 0)
			fprintf(stderr, "attesta-run: notification: %s\n", strerror(-rc));
	} else if (events & (EPOLLHUP | EPOLLERR)) {
		/* No task uses the filter any more. */
		loop->listener_gone = true;
		sup_ev_remove(&loop->ev, fd);
	}
}
