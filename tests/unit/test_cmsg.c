/*
 * Unit tests for supervisor/run/cmsg.c (docs/decode.md, "Control data"):
 * the forwarded and refused kinds, the kernel's walk over the buffer
 * (CMSG_OK: EINVAL on lengths below the header or beyond the buffer; a
 * tail shorter than a header is not read), the SCM_MAX_FD cap, the read
 * cap, and SCM_RIGHTS numbers replaced by copies of the same open files.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "supervisor/run/cmsg.c"
#include "supervisor/run/target_mem.c"

/* Append one cmsg (level, type, data of n bytes) at *off; returns its
 * start. cmsg_len is CMSG_LEN(n) unless len_override is non-zero. */
static size_t add(unsigned char *buf, size_t *off, int level, int type, const void *data,
		  size_t n, size_t len_override)
{
	struct cmsghdr h;
	size_t at = *off;

	memset(&h, 0, sizeof h);
	h.cmsg_level = level;
	h.cmsg_type = type;
	h.cmsg_len = len_override ? len_override : CMSG_LEN(n);
	memcpy(buf + at, &h, sizeof h);
	if (n)
		memcpy(buf + at + CMSG_LEN(0), data, n);
	*off = at + CMSG_SPACE(n);
	return at;
}

static void test_sup_cmsg_check_forwarded(void **state)
{
	unsigned char buf[256];
	struct sup_cmsg_check c;
	size_t off = 0;
	int v = 7;
	unsigned char tos = 0x10;

	(void)state;
	memset(buf, 0, sizeof buf);
	add(buf, &off, SOL_IP, IP_TOS, &tos, 1, 0);
	add(buf, &off, SOL_IP, IP_TTL, &v, sizeof v, 0);
	add(buf, &off, SOL_IPV6, IPV6_HOPLIMIT, &v, sizeof v, 0);
	add(buf, &off, SOL_IPV6, IPV6_TCLASS, &v, sizeof v, 0);
	add(buf, &off, SOL_UDP, UDP_SEGMENT, &v, 2, 0);
	assert_int_equal(sup_cmsg_check(buf, off, &c), 0);
	assert_int_equal(c.nfds, 0);
	/* a tail shorter than a header is not walked (for_each_cmsghdr) */
	assert_int_equal(sup_cmsg_check(buf, off + sizeof(struct cmsghdr) - 1, &c), 0);
	/* nothing at all */
	assert_int_equal(sup_cmsg_check(buf, 0, &c), 0);
	assert_int_equal(sup_cmsg_check(buf, sizeof(struct cmsghdr) - 1, &c), 0);
}

static void test_sup_cmsg_check_refused(void **state)
{
	static const struct {
		int level, type;
		const char *name;
	} cases[] = {
		{ SOL_IP, IP_PKTINFO, "IP_PKTINFO" },
		{ SOL_IP, IP_RETOPTS, "IP_RETOPTS" },
		{ SOL_IPV6, IPV6_PKTINFO, "IPV6_PKTINFO" },
		{ SOL_IPV6, IPV6_NEXTHOP, "IPV6_NEXTHOP" },
		{ SOL_IPV6, IPV6_RTHDR, "IPV6_RTHDR" },
		{ SOL_IPV6, IPV6_2292RTHDR, "IPV6_2292RTHDR" },
		{ SOL_IPV6, IPV6_DSTOPTS, "IPV6_DSTOPTS" },
		{ SOL_SOCKET, SCM_CREDENTIALS, "SCM_CREDENTIALS" },
		{ SOL_SOCKET, SCM_PIDFD, "SCM_PIDFD" },
		{ SOL_SOCKET, SO_MARK, "SO_MARK" },
		{ SOL_SOCKET, 9999, "unknown control data (level 1, type 9999)" },
		{ 12345, 1, "unknown control data (level 12345, type 1)" },
	};
	unsigned char buf[256];
	struct sup_cmsg_check c;
	int v = 1;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t off = 0;

		memset(buf, 0, sizeof buf);
		/* after an allowed one: every cmsg is judged */
		add(buf, &off, SOL_IP, IP_TTL, &v, sizeof v, 0);
		add(buf, &off, cases[i].level, cases[i].type, &v, sizeof v, 0);
		assert_int_equal(sup_cmsg_check(buf, off, &c), -EPERM);
		assert_non_null(strstr(c.why, cases[i].name));
	}
}

static void test_sup_cmsg_check_malformed(void **state)
{
	unsigned char buf[256];
	struct sup_cmsg_check c;
	size_t off = 0;
	int v = 1;

	(void)state;
	memset(buf, 0, sizeof buf);
	add(buf, &off, SOL_IP, IP_TTL, &v, sizeof v, sizeof(struct cmsghdr) - 1);
	assert_int_equal(sup_cmsg_check(buf, off, &c), -EINVAL);
	off = 0;
	add(buf, &off, SOL_IP, IP_TTL, &v, sizeof v, 0);
	add(buf, &off, SOL_IP, IP_TTL, &v, sizeof v, 200); /* beyond the buffer */
	assert_int_equal(sup_cmsg_check(buf, off, &c), -EINVAL);
	/* a refused kind hidden behind a malformed length is never reached,
	 * as in the kernel: the call fails EINVAL before sending */
	off = 0;
	add(buf, &off, SOL_IP, IP_TTL, &v, sizeof v, 1000);
	assert_int_equal(sup_cmsg_check(buf, 64, &c), -EINVAL);
}

static void test_sup_cmsg_check_fd_cap(void **state)
{
	static unsigned char buf[4096];
	int fds[SUP_CMSG_MAX_FD + 1];
	struct sup_cmsg_check c;
	size_t off = 0;

	(void)state;
	memset(fds, 0, sizeof fds);
	memset(buf, 0, sizeof buf);
	add(buf, &off, SOL_SOCKET, SCM_RIGHTS, fds, SUP_CMSG_MAX_FD * sizeof(int), 0);
	assert_int_equal(sup_cmsg_check(buf, off, &c), 0);
	assert_int_equal(c.nfds, SUP_CMSG_MAX_FD);
	off = 0;
	add(buf, &off, SOL_SOCKET, SCM_RIGHTS, fds, (SUP_CMSG_MAX_FD + 1) * sizeof(int), 0);
	assert_int_equal(sup_cmsg_check(buf, off, &c), -EINVAL);
	/* two cmsgs together above the cap */
	off = 0;
	add(buf, &off, SOL_SOCKET, SCM_RIGHTS, fds, 200 * sizeof(int), 0);
	add(buf, &off, SOL_SOCKET, SCM_RIGHTS, fds, 54 * sizeof(int), 0);
	assert_int_equal(sup_cmsg_check(buf, off, &c), -EINVAL);
	/* a partial int is not a descriptor (scm_fp_copy) */
	off = 0;
	add(buf, &off, SOL_SOCKET, SCM_RIGHTS, fds, sizeof(int) + 3, 0);
	assert_int_equal(sup_cmsg_check(buf, off, &c), 0);
	assert_int_equal(c.nfds, 1);
}

static void test_sup_cmsg_read_cap(void **state)
{
	static unsigned char src[POL_TARGET_MAX_CONTROL + 1];
	unsigned char *out = NULL;

	(void)state;
	src[5] = 42;
	assert_int_equal(sup_cmsg_read(getpid(), (uint64_t)(uintptr_t)src, sizeof src, &out),
			 -ENOBUFS);
	assert_null(out);
	assert_int_equal(sup_cmsg_read(getpid(), (uint64_t)(uintptr_t)src, 16, &out), 0);
	assert_int_equal(out[5], 42);
	free(out);
	assert_int_equal(sup_cmsg_read(getpid(), 0, 16, &out), -EFAULT);
}

static void test_sup_cmsg_take_fds_same_file(void **state)
{
	unsigned char buf[256];
	int pass[2], fds[SUP_CMSG_MAX_FD], got[2];
	size_t off = 0, n = 0, at;
	struct stat a, b;

	(void)state;
	pass[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	pass[1] = STDERR_FILENO;
	assert_true(pass[0] >= 0);
	memset(buf, 0, sizeof buf);
	at = add(buf, &off, SOL_SOCKET, SCM_RIGHTS, pass, sizeof pass, 0);
	assert_int_equal(sup_cmsg_take_fds(gettid(), getpid(), buf, off, fds, &n), 0);
	assert_int_equal(n, 2);
	memcpy(got, buf + at + CMSG_LEN(0), sizeof got);
	assert_int_equal(got[0], fds[0]);
	assert_int_equal(got[1], fds[1]);
	for (int i = 0; i < 2; i++) {
		assert_int_not_equal(got[i], pass[i]);
		assert_int_equal(fstat(pass[i], &a), 0);
		assert_int_equal(fstat(got[i], &b), 0);
		assert_true(a.st_dev == b.st_dev && a.st_ino == b.st_ino);
	}
	sup_cmsg_close_fds(fds, n);
	/* a number that is not open: EBADF, the copies made so far listed */
	off = 0;
	pass[1] = 987;
	add(buf, &off, SOL_SOCKET, SCM_RIGHTS, pass, sizeof pass, 0);
	assert_int_equal(sup_cmsg_take_fds(gettid(), getpid(), buf, off, fds, &n), -EBADF);
	assert_int_equal(n, 1);
	sup_cmsg_close_fds(fds, n);
	close(pass[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sup_cmsg_check_forwarded),
		cmocka_unit_test(test_sup_cmsg_check_refused),
		cmocka_unit_test(test_sup_cmsg_check_malformed),
		cmocka_unit_test(test_sup_cmsg_check_fd_cap),
		cmocka_unit_test(test_sup_cmsg_read_cap),
		cmocka_unit_test(test_sup_cmsg_take_fds_same_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
