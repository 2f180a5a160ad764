/*
 * The tty renderer's terminal side: a pseudo-terminal for PROG, the real
 * terminal in raw mode, and a non-blocking relay between them that the
 * prompt (tty_prompt.c) pauses in both directions while a held call is
 * shown. We open the real terminal a second time (our own file
 * description) so that making it non-blocking never changes the flags
 * the user's shell sees.
 *
 * SECURITY: the attacker is the sandboxed agent. It holds only the pty
 * slave (the master and our terminal descriptor are O_CLOEXEC and never
 * reach it), so while the relay is paused it cannot read what the
 * approver types, and nothing it writes reaches the real terminal.
 */
#include "supervisor/run/tty_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

enum { TAG_TERM = 1, TAG_MASTER, TAG_EVENT, TAG_TICK };

bool sup_tty_available(void)
{
	return isatty(STDIN_FILENO) == 1;
}

static void on_changed(void *ctx, unsigned id, const struct sup_approval_outcome *o)
{
	struct sup_tty *tty = ctx;
	uint64_t one = 1;
	tty->dirty = true;
	if (o && id == tty->cur) {
		tty->decided_id = id;
		tty->decided_approved = o->approved;
		snprintf(tty->decided_verdict, sizeof tty->decided_verdict, "%s", sup_verdict_name(o->verdict));
	}
	/* Wake our own dispatch: never act from inside the table. */
	(void)!write(tty->evfd, &one, sizeof one);
}

int sup_tty_new(struct sup_approval *approval, struct sup_tty **ret_tty, char *why,
		size_t why_size)
{
	struct sup_tty *tty = calloc(1, sizeof *tty);
	char name[256], slave_name[128];
	struct stat st;
	struct winsize ws;
	int rc;

	if (!tty) {
		snprintf(why, why_size, "out of memory");
		return -ENOMEM;
	}
	tty->approval = approval;
	tty->term_fd = tty->master = tty->slave = tty->epfd = tty->evfd = tty->tickfd = -1;
	if ((rc = ttyname_r(STDIN_FILENO, name, sizeof name)) != 0) {
		snprintf(why, why_size, "stdin is not a terminal: %s", strerror(rc));
		rc = -rc;
		goto fail;
	}
	tty->term_fd = open(name, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (tty->term_fd < 0 || fstat(tty->term_fd, &st) < 0) {
		rc = -errno;
		snprintf(why, why_size, "cannot open terminal '%s': %s", name, strerror(-rc));
		goto fail;
	}
	/* The approver at this terminal is the user who owns its device. */
	sup_approval_uid_name(st.st_uid, tty->identity, sizeof tty->identity);
	if (tcgetattr(tty->term_fd, &tty->saved) == 0)
		tty->have_saved = true;

	tty->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (tty->master < 0 || grantpt(tty->master) < 0 || unlockpt(tty->master) < 0 ||
	    ptsname_r(tty->master, slave_name, sizeof slave_name) != 0) {
		rc = -errno;
		snprintf(why, why_size, "cannot open a pseudo-terminal: %s", strerror(-rc));
		goto fail;
	}
	tty->slave = open(slave_name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (tty->slave < 0) {
		rc = -errno;
		snprintf(why, why_size, "cannot open '%s': %s", slave_name, strerror(-rc));
		goto fail;
	}
	if (tty->have_saved)
		tcsetattr(tty->slave, TCSANOW, &tty->saved);
	if (ioctl(tty->term_fd, TIOCGWINSZ, &ws) == 0)
		ioctl(tty->slave, TIOCSWINSZ, &ws);
	fcntl(tty->master, F_SETFL, fcntl(tty->master, F_GETFL) | O_NONBLOCK);

	tty->epfd = epoll_create1(EPOLL_CLOEXEC);
	tty->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	tty->tickfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (tty->epfd < 0 || tty->evfd < 0 || tty->tickfd < 0) {
		rc = -errno;
		snprintf(why, why_size, "cannot set up the terminal relay: %s", strerror(-rc));
		goto fail;
	}
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = TAG_EVENT };
	epoll_ctl(tty->epfd, EPOLL_CTL_ADD, tty->evfd, &ev);
	ev.data.u32 = TAG_TICK;
	epoll_ctl(tty->epfd, EPOLL_CTL_ADD, tty->tickfd, &ev);
	/* No approval table: a relay only (renderer none or socket), which
	 * never pauses and never prompts. */
	if (approval)
		sup_approval_set_changed(approval, on_changed, tty);
	*ret_tty = tty;
	return 0;
fail:
	sup_tty_free(tty);
	return rc;
}

int sup_tty_slave_fd(const struct sup_tty *tty)
{
	return tty->slave;
}

static void update_watch(struct sup_tty *tty)
{
	if (!tty->started)
		return;
	bool prompting = tty->cur != 0;
	struct epoll_event ev = { .data.u32 = TAG_TERM };
	ev.events = EPOLLIN | (tty->out_len ? EPOLLOUT : 0);
	/* While the relay holds keystrokes PROG has not taken, stop reading. */
	if (!prompting && tty->to_prog_len)
		ev.events &= ~(uint32_t)EPOLLIN;
	epoll_ctl(tty->epfd, EPOLL_CTL_MOD, tty->term_fd, &ev);
	if (tty->master_gone)
		return;
	ev.data.u32 = TAG_MASTER;
	ev.events = 0;
	/* SECURITY: while a prompt is up, nothing flows from PROG to the
	 * terminal and nothing typed flows to PROG. */
	if (!prompting && tty->out_len < TTY_RELAY_HIGH)
		ev.events |= EPOLLIN;
	if (!prompting && tty->to_prog_len)
		ev.events |= EPOLLOUT;
	epoll_ctl(tty->epfd, EPOLL_CTL_MOD, tty->master, &ev);
}

int sup_tty_started(struct sup_tty *tty)
{
	if (tty->slave >= 0) {
		close(tty->slave);
		tty->slave = -1;
	}
	if (tty->have_saved) {
		struct termios raw = tty->saved;
		cfmakeraw(&raw);
		/* keep output processing: our prompt writes "\r\n" itself,
		 * PROG's bytes were already processed by the pty */
		if (tcsetattr(tty->term_fd, TCSAFLUSH, &raw) == 0)
			tty->raw = true;
	}
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = TAG_TERM };
	if (epoll_ctl(tty->epfd, EPOLL_CTL_ADD, tty->term_fd, &ev) < 0)
		return -errno;
	ev.data.u32 = TAG_MASTER;
	if (epoll_ctl(tty->epfd, EPOLL_CTL_ADD, tty->master, &ev) < 0)
		return -errno;
	struct itimerspec its = { .it_interval = { .tv_sec = 1 }, .it_value = { .tv_sec = 1 } };
	timerfd_settime(tty->tickfd, 0, &its, NULL);
	tty->started = true;
	tty_prompt_refresh(tty);
	update_watch(tty);
	return 0;
}

int sup_tty_adopt_master(struct sup_tty *tty, int master)
{
	int ptn;

	/* fail closed on anything but a pty master */
	if (ioctl(master, TIOCGPTN, &ptn) < 0) {
		int err = errno;
		close(master);
		return -err;
	}
	if (tty->started && !tty->master_gone)
		epoll_ctl(tty->epfd, EPOLL_CTL_DEL, tty->master, NULL);
	/* our pair is not PROG's terminal: nobody may use it any more */
	close(tty->master);
	if (tty->slave >= 0)
		close(tty->slave);
	tty->slave = -1;
	tty->master = master;
	tty->master_gone = false;
	fcntl(master, F_SETFD, FD_CLOEXEC);
	fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
	if (tty->started) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = TAG_MASTER };
		if (epoll_ctl(tty->epfd, EPOLL_CTL_ADD, master, &ev) < 0)
			return -errno;
		update_watch(tty);
	}
	/* the child copied the size earlier: a resize since went to our pty */
	sup_tty_winch(tty);
	return 0;
}

int sup_tty_fd(const struct sup_tty *tty)
{
	return tty->epfd;
}

static void flush_out(struct sup_tty *tty)
{
	size_t off = 0;
	if (!tty->out_len)
		return; /* nothing yet (tty->out may still be NULL) */
	while (off < tty->out_len) {
		ssize_t n = write(tty->term_fd, tty->out + off, tty->out_len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0 && errno != EAGAIN)
				off = tty->out_len; /* terminal gone: drop */
			break;
		}
		off += (size_t)n;
	}
	memmove(tty->out, tty->out + off, tty->out_len - off);
	tty->out_len -= off;
}

void tty_write(struct sup_tty *tty, const char *bytes, size_t len)
{
	if (tty->out_len + len > TTY_OUT_MAX)
		return;
	if (tty->out_len + len > tty->out_cap) {
		size_t cap = (tty->out_len + len) * 2;
		char *p = realloc(tty->out, cap);
		if (!p)
			return;
		tty->out = p;
		tty->out_cap = cap;
	}
	memcpy(tty->out + tty->out_len, bytes, len);
	tty->out_len += len;
	flush_out(tty);
}

void tty_puts(struct sup_tty *tty, const char *text)
{
	const char *p = text;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		tty_write(tty, p, len);
		if (!nl)
			break;
		tty_write(tty, "\r\n", 2);
		p = nl + 1;
	}
}

void tty_printf(struct sup_tty *tty, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	tty_puts(tty, buf);
}

static void relay_from_prog(struct sup_tty *tty)
{
	char buf[4096];
	while (tty->out_len < TTY_RELAY_HIGH) {
		ssize_t n = read(tty->master, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			/* EIO: no process holds the slave any more */
			tty->master_gone = true;
			epoll_ctl(tty->epfd, EPOLL_CTL_DEL, tty->master, NULL);
			return;
		}
		tty_write(tty, buf, (size_t)n);
	}
}

void tty_relay_drain(struct sup_tty *tty)
{
	char buf[4096];
	if (tty->master_gone || tty->master < 0)
		return;
	/* The agent is stopped in the held call: what it wrote before is in
	 * the pty already (a read on the master flushes the pty's pending
	 * buffer work first), and nothing more comes from that thread. */
	while (tty->out_len + sizeof buf <= TTY_OUT_MAX / 2) {
		ssize_t n = read(tty->master, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* EAGAIN: all of it; EIO: PROG gone (the relay notices) */
		tty_write(tty, buf, (size_t)n);
	}
	flush_out(tty);
}

static void flush_to_prog(struct sup_tty *tty)
{
	if (tty->master_gone) {
		tty->to_prog_len = 0;
		return;
	}
	ssize_t n = write(tty->master, tty->to_prog, tty->to_prog_len);
	if (n > 0) {
		memmove(tty->to_prog, tty->to_prog + n, tty->to_prog_len - (size_t)n);
		tty->to_prog_len -= (size_t)n;
	}
}

static void read_term(struct sup_tty *tty)
{
	char buf[1024];
	for (;;) {
		/* while relaying, take only what PROG has room for */
		size_t room = tty->cur ? sizeof buf : sizeof tty->to_prog - tty->to_prog_len;
		if (room == 0)
			return;
		if (room > sizeof buf)
			room = sizeof buf;
		ssize_t n = read(tty->term_fd, buf, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		if (tty->cur) {
			tty_prompt_input(tty, buf, (size_t)n);
		} else {
			memcpy(tty->to_prog + tty->to_prog_len, buf, (size_t)n);
			tty->to_prog_len += (size_t)n;
			flush_to_prog(tty);
		}
	}
}

int sup_tty_dispatch(struct sup_tty *tty)
{
	struct epoll_event events[8];
	int n = epoll_wait(tty->epfd, events, 8, 0);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		switch (events[i].data.u32) {
		case TAG_EVENT: {
			uint64_t v;
			(void)!read(tty->evfd, &v, sizeof v);
			break;
		}
		case TAG_TICK: {
			uint64_t v;
			(void)!read(tty->tickfd, &v, sizeof v);
			if (tty->cur)
				tty_prompt_tick(tty);
			break;
		}
		case TAG_TERM:
			if (events[i].events & EPOLLOUT)
				flush_out(tty);
			if (events[i].events & EPOLLIN)
				read_term(tty);
			break;
		case TAG_MASTER:
			if (events[i].events & EPOLLOUT)
				flush_to_prog(tty);
			if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				relay_from_prog(tty);
			break;
		}
	}
	if (tty->dirty && tty->started) {
		tty->dirty = false;
		tty_prompt_refresh(tty);
	}
	update_watch(tty);
	return 0;
}

void sup_tty_winch(struct sup_tty *tty)
{
	struct winsize ws;
	if (ioctl(tty->term_fd, TIOCGWINSZ, &ws) == 0)
		ioctl(tty->master, TIOCSWINSZ, &ws); /* the kernel signals PROG's group */
}

void sup_tty_drain(struct sup_tty *tty)
{
	if (!tty || !tty->started)
		return;
	if (!tty->master_gone)
		relay_from_prog(tty);
	/* a bounded, blocking-ish final flush */
	for (int tries = 0; tty->out_len && tries < 100; tries++) {
		flush_out(tty);
		if (tty->out_len)
			usleep(1000);
	}
}

void sup_tty_free(struct sup_tty *tty)
{
	if (!tty)
		return;
	if (tty->approval)
		sup_approval_set_changed(tty->approval, NULL, NULL);
	sup_tty_drain(tty);
	if (tty->raw && tty->have_saved)
		tcsetattr(tty->term_fd, TCSAFLUSH, &tty->saved);
	int fds[] = { tty->term_fd, tty->master, tty->slave, tty->epfd, tty->evfd, tty->tickfd };
	for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(tty->out);
	free(tty);
}
