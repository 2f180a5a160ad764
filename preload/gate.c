/*
 * Shim-only mode of libattesta-preload.so (ATTESTA_SHIM_MODE=gate): where
 * attesta-run cannot use seccomp user notification, the gated hooks ask
 * the supervisor before calling libc. Each ask opens its own connection
 * to the supervisor's listening socket (ATTESTA_SHIM_GATE), sends one
 * GATE_REQUEST and waits on that connection for one GATE_VERDICT, so an
 * answer can only reach the thread (or vfork child, or signal handler)
 * that asked; a program that closed its inherited descriptors can still
 * ask. Everything is on the stack and made with raw syscalls (connect and
 * sendto are our own hooks); errno is preserved.
 *
 * Trust: the verdict comes from whatever answers on that socket; it is
 * validated field by field and anything unexpected (no supervisor, a
 * timeout, end of file, a malformed or mismatched verdict) fails the call
 * closed with ENOSYS. This mode is a convenience gate, not a sandbox: the
 * program can bypass it (raw syscalls, static binaries, clearing
 * LD_PRELOAD), and attesta-run says so.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "preload/shim.h"

#define TIMEOUT_DEFAULT_S 3600
#define TIMEOUT_MAX_S (7 * 86400)

/* Written only by the constructor. */
static int gate_on;
static struct sockaddr_un gate_addr;
static socklen_t gate_len; /* 0: no usable address, every ask fails closed */
static long gate_timeout_ms = TIMEOUT_DEFAULT_S * 1000L;
static uint32_t request_seq;

static int name_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '-' || c == '_';
}

static void addr_init(const char *s)
{
	size_t len;

	if (s == NULL)
		return;
	len = strnlen(s, sizeof(gate_addr.sun_path));
	memset(&gate_addr, 0, sizeof(gate_addr));
	gate_addr.sun_family = AF_UNIX;
	if (s[0] == '@') {
		/* Abstract name: "@" + [A-Za-z0-9._-]{1,SHIM_GATE_NAME_MAX}. */
		if (len < 2 || len - 1 > SHIM_GATE_NAME_MAX)
			return;
		for (size_t i = 1; i < len; i++)
			if (!name_char_ok(s[i]))
				return;
		memcpy(gate_addr.sun_path + 1, s + 1, len - 1);
		gate_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	} else if (s[0] == '/' && len < sizeof(gate_addr.sun_path)) {
		memcpy(gate_addr.sun_path, s, len);
		gate_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
	}
}

static void timeout_init(const char *s)
{
	long v = 0;

	if (s == NULL || *s == '\0')
		return;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return;
		v = v * 10 + (*s - '0');
		if (v > TIMEOUT_MAX_S)
			return;
	}
	if (v > 0)
		gate_timeout_ms = v * 1000L;
}

void shim_gate_init(void)
{
	const char *mode = getenv(SHIM_ENV_MODE);

	if (mode == NULL || strcmp(mode, "gate") != 0)
		return;
	gate_on = 1;
	addr_init(getenv(SHIM_ENV_GATE));
	timeout_init(getenv(SHIM_ENV_GATE_TIMEOUT));
}

int shim_gate_on(void)
{
	return gate_on;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Wait for the one verdict on s. 0 or the errno to fail with. */
static int wait_verdict(int s, const struct shim_gate_request *req)
{
	struct shim_gate_verdict v;
	unsigned char buf[sizeof(v) + 1];
	long deadline = now_ms() + gate_timeout_ms;
	long n;

	for (;;) {
		struct pollfd pfd = { .fd = s, .events = POLLIN };
		long left = deadline - now_ms();
		struct timespec ts;

		if (left <= 0)
			return ENOSYS; /* no answer in time: fail closed */
		ts.tv_sec = left / 1000;
		ts.tv_nsec = (left % 1000) * 1000000L;
		n = syscall(SYS_ppoll, &pfd, 1UL, &ts, NULL, 0UL);
		if (n < 0 && errno == EINTR)
			continue; /* a signal handler ran; keep waiting */
		if (n < 0)
			return ENOSYS;
		if (n == 0)
			continue; /* re-check the deadline */
		n = syscall(SYS_recvfrom, s, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC, NULL, NULL);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		break;
	}
	/* SECURITY (robustness): exactly one well-formed verdict for this
	 * request, or the call fails. */
	if (n != (long)sizeof(v))
		return ENOSYS;
	memcpy(&v, buf, sizeof(v));
	if (v.hdr.magic != SHIM_PROTO_MAGIC || v.hdr.version != SHIM_PROTO_VERSION ||
	    v.hdr.type != SHIM_MSG_GATE_VERDICT || v.hdr.size != sizeof(v) ||
	    v.request_id != req->request_id)
		return ENOSYS;
	if (v.decision == SHIM_GATE_ALLOW && v.error == 0)
		return 0;
	if (v.decision == SHIM_GATE_DENY && v.error >= 1 && v.error <= 4095)
		return v.error;
	return ENOSYS;
}

int shim_gate_ask(uint8_t entry, long nr, const uint64_t args[6], const char *text)
{
	struct shim_gate_request req;
	int saved = errno, result = ENOSYS, truncated = 0;
	long s;

	if (!gate_on)
		return 0;
	memset(&req, 0, sizeof(req));
	req.hdr.magic = SHIM_PROTO_MAGIC;
	req.hdr.version = SHIM_PROTO_VERSION;
	req.hdr.type = SHIM_MSG_GATE_REQUEST;
	req.hdr.size = sizeof(req);
	req.hdr.tid = (int32_t)syscall(SYS_gettid);
	req.hdr.pid = (int32_t)syscall(SYS_getpid);
	/* Shared counter, atomically: also fine in vfork children. */
	req.request_id = __atomic_add_fetch(&request_seq, 1, __ATOMIC_RELAXED);
	req.entry = entry;
	req.nr = (int32_t)nr;
	for (int i = 0; i < 6; i++)
		req.args[i] = args[i];
	if (text != NULL) {
		req.text_len = (uint16_t)shim_peek_str(req.text, sizeof(req.text), text, &truncated);
		memset(req.text + req.text_len, 0, sizeof(req.text) - req.text_len);
		if (truncated)
			req.flags |= SHIM_CALL_TEXT_TRUNCATED;
	}
	if (gate_len == 0)
		goto out;
	s = syscall(SYS_socket, AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0)
		goto out;
	if (syscall(SYS_connect, s, &gate_addr, gate_len) == 0 &&
	    syscall(SYS_sendto, s, &req, sizeof(req), MSG_NOSIGNAL, NULL, 0) == (long)sizeof(req))
		result = wait_verdict((int)s, &req);
	syscall(SYS_close, s);
out:
	errno = saved;
	return result;
}
