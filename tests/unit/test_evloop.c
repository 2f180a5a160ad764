/*
 * Unit tests for the generic dispatcher (supervisor/run/evloop.h): a
 * ready descriptor's callback runs with its ctx and fd; a removed
 * descriptor's callback never runs again, not even for an event of the
 * round in progress; the table is bounded.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cmocka.h>

#include "supervisor/run/evloop.c"

struct seen {
	struct sup_ev *ev;
	int calls;
	int last_fd;
	int remove_fd;      /* remove this fd from inside the callback, or -1 */
};

static void on_ready(void *ctx, int fd, uint32_t events)
{
	struct seen *s = ctx;
	char c;

	s->calls++;
	s->last_fd = fd;
	assert_true(events & EPOLLIN);
	assert_int_equal(read(fd, &c, 1), 1);
	if (s->remove_fd >= 0)
		assert_int_equal(sup_ev_remove(s->ev, s->remove_fd), 0);
}

static void test_sup_ev_dispatch(void **state)
{
	struct sup_ev ev;
	int p[2];
	struct seen s = { .ev = &ev, .remove_fd = -1 };

	(void)state;
	assert_int_equal(sup_ev_init(&ev), 0);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(sup_ev_add(&ev, p[0], on_ready, &s), 0);
	assert_int_equal(sup_ev_wait(&ev, 0), 0); /* nothing ready */
	assert_int_equal(s.calls, 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(sup_ev_wait(&ev, 1000), 1);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.last_fd, p[0]);
	/* removed: not called although ready */
	assert_int_equal(sup_ev_remove(&ev, p[0]), 0);
	assert_int_equal(sup_ev_remove(&ev, p[0]), -ENOENT);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(sup_ev_wait(&ev, 0), 0);
	assert_int_equal(s.calls, 1);
	sup_ev_release(&ev);
	close(p[0]);
	close(p[1]);
}

/* Two ready descriptors; the first callback removes the other: the
 * other's event of the same round is dropped. */
static void test_sup_ev_remove_in_round(void **state)
{
	struct sup_ev ev;
	int a[2], b[2];
	struct seen sa = { .ev = &ev }, sb = { .ev = &ev, .remove_fd = -1 };

	(void)state;
	assert_int_equal(sup_ev_init(&ev), 0);
	assert_int_equal(pipe(a), 0);
	assert_int_equal(pipe(b), 0);
	sa.remove_fd = b[0];
	sb.remove_fd = a[0];
	assert_int_equal(sup_ev_add(&ev, a[0], on_ready, &sa), 0);
	assert_int_equal(sup_ev_add(&ev, b[0], on_ready, &sb), 0);
	assert_int_equal(write(a[1], "x", 1), 1);
	assert_int_equal(write(b[1], "x", 1), 1);
	assert_int_equal(sup_ev_wait(&ev, 1000), 2);
	/* whichever ran first removed the other */
	assert_int_equal(sa.calls + sb.calls, 1);
	sup_ev_release(&ev);
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
}

static void test_sup_ev_bounded(void **state)
{
	struct sup_ev ev;
	int p[2];
	struct seen s = { .remove_fd = -1 };

	(void)state;
	assert_int_equal(sup_ev_init(&ev), 0);
	assert_int_equal(pipe(p), 0);
	for (int i = 0; i < SUP_EV_MAX; i++) {
		int fd = dup(p[0]);
		assert_true(fd >= 0);
		assert_int_equal(sup_ev_add(&ev, fd, on_ready, &s), 0);
	}
	assert_int_equal(sup_ev_add(&ev, p[0], on_ready, &s), -ENOSPC);
	for (size_t i = 0; i < ev.n; i++)
		close(ev.h[i].fd);
	sup_ev_release(&ev);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sup_ev_dispatch),
		cmocka_unit_test(test_sup_ev_remove_in_round),
		cmocka_unit_test(test_sup_ev_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
