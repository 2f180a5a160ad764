/*
 * Unit tests for the pure decoder helpers in supervisor/common/:
 * sockaddr decoding/encoding (IPv4, IPv6 incl. v4-mapped and scope ids,
 * AF_UNIX path / abstract / unnamed, netlink, short and oversized
 * lengths), path normalization and splitting, and flag validation. Inputs are built in buffers, as they would arrive from
 * a target's memory.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cmocka.h>

#include "supervisor/common/path.h"
#include "supervisor/common/sockaddr.h"

static char reason[256];

static struct sup_sockaddr_text decode_ok(const void *buf, size_t len)
{
	struct sup_sockaddr_text t;

	reason[0] = '\0';
	assert_int_equal(sup_sockaddr_decode(buf, len, &t, reason, sizeof(reason)), 0);
	return t;
}

static void roundtrip(const struct sup_sockaddr_text *t, const void *orig, size_t orig_len)
{
	struct sockaddr_storage ss;
	socklen_t len;

	assert_int_equal(sup_sockaddr_encode(t->family, t->address, t->port, &ss, &len), 0);
	assert_int_equal(len, orig_len);
	assert_memory_equal(&ss, orig, orig_len);
}

static void test_sup_sockaddr_decode_ipv4(void **state)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(5432) };
	struct sup_sockaddr_text t;
	char args[128];

	(void)state;
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	t = decode_ok(&sin, sizeof(sin));
	assert_int_equal(t.family, AF_INET);
	assert_string_equal(t.address, "127.0.0.1");
	assert_int_equal(t.port, 5432);
	assert_int_equal(sup_sockaddr_format(&t, args, sizeof(args)), 0);
	assert_string_equal(args, "127.0.0.1:5432");
	roundtrip(&t, &sin, sizeof(sin));
}

static void test_sup_sockaddr_decode_ipv6(void **state)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(443) };
	struct sup_sockaddr_text t;
	char args[128];

	(void)state;
	inet_pton(AF_INET6, "2001:db8::1", &sin6.sin6_addr);
	t = decode_ok(&sin6, sizeof(sin6));
	assert_string_equal(t.address, "2001:db8::1");
	assert_false(t.v4mapped);
	assert_int_equal(sup_sockaddr_format(&t, args, sizeof(args)), 0);
	assert_string_equal(args, "[2001:db8::1]:443");
	roundtrip(&t, &sin6, sizeof(sin6));
}

static void test_sup_sockaddr_decode_ipv6_scope(void **state)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(22),
				     .sin6_scope_id = 3 };
	struct sup_sockaddr_text t;

	(void)state;
	inet_pton(AF_INET6, "fe80::1", &sin6.sin6_addr);
	t = decode_ok(&sin6, sizeof(sin6));
	assert_string_equal(t.address, "fe80::1%3");
	roundtrip(&t, &sin6, sizeof(sin6));
}

static void test_sup_sockaddr_decode_ipv6_v4mapped(void **state)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(80) };
	struct sup_sockaddr_text t;
	char args[128];

	(void)state;
	inet_pton(AF_INET6, "::ffff:169.254.169.254", &sin6.sin6_addr);
	t = decode_ok(&sin6, sizeof(sin6));
	assert_int_equal(t.family, AF_INET6);
	assert_true(t.v4mapped);
	assert_string_equal(t.address, "169.254.169.254");
	assert_int_equal(sup_sockaddr_format(&t, args, sizeof(args)), 0);
	assert_string_equal(args, "169.254.169.254:80");
	roundtrip(&t, &sin6, sizeof(sin6));
}

static void test_sup_sockaddr_decode_ipv6_rfc2133_length(void **state)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(80) };
	struct sup_sockaddr_text t;

	(void)state;
	inet_pton(AF_INET6, "::1", &sin6.sin6_addr);
	t = decode_ok(&sin6, 24);
	assert_string_equal(t.address, "::1");
	assert_int_equal(sup_sockaddr_decode(&sin6, 23, &t, reason, sizeof(reason)), -EINVAL);
	assert_string_equal(reason, "short sockaddr_in6 (addrlen 23 < 24)");
}

static void test_sup_sockaddr_decode_unix_path(void **state)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX, .sun_path = "/var/run/docker.sock" };
	size_t len = offsetof(struct sockaddr_un, sun_path) + strlen(sun.sun_path) + 1;
	struct sup_sockaddr_text t;
	char args[256];

	(void)state;
	t = decode_ok(&sun, len);
	assert_false(t.unix_abstract);
	assert_string_equal(t.address, "/var/run/docker.sock");
	assert_int_equal(sup_sockaddr_format(&t, args, sizeof(args)), 0);
	assert_string_equal(args, "/var/run/docker.sock");
	roundtrip(&t, &sun, len);
	/* without the NUL, and with the whole structure as length */
	t = decode_ok(&sun, len - 1);
	assert_string_equal(t.address, "/var/run/docker.sock");
	t = decode_ok(&sun, sizeof(sun));
	assert_string_equal(t.address, "/var/run/docker.sock");
}

static void test_sup_sockaddr_decode_unix_full_path_without_nul(void **state)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct sup_sockaddr_text t;

	(void)state;
	memset(sun.sun_path, 'a', sizeof(sun.sun_path));
	sun.sun_path[0] = '/';
	t = decode_ok(&sun, sizeof(sun));
	assert_int_equal(strlen(t.address), sizeof(sun.sun_path));
}

static void test_sup_sockaddr_decode_unix_abstract(void **state)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t off = offsetof(struct sockaddr_un, sun_path);
	struct sup_sockaddr_text t;
	char args[256];

	(void)state;
	memcpy(sun.sun_path, "\0my\\name\0x", 10);
	t = decode_ok(&sun, off + 10);
	assert_true(t.unix_abstract);
	assert_string_equal(t.address, "@my\\\\name\\0x");
	assert_int_equal(sup_sockaddr_format(&t, args, sizeof(args)), 0);
	assert_string_equal(args, "@my\\\\name\\0x");
	roundtrip(&t, &sun, off + 10);
}

static void test_sup_sockaddr_decode_unix_abstract_all_nul(void **state)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct sup_sockaddr_text t;
	struct sockaddr_storage ss;
	socklen_t len;

	(void)state;
	t = decode_ok(&sun, sizeof(sun));
	assert_true(t.unix_abstract);
	assert_int_equal(strlen(t.address), 1 + 2 * (sizeof(sun.sun_path) - 1));
	assert_int_equal(sup_sockaddr_encode(AF_UNIX, t.address, 0, &ss, &len), 0);
	assert_int_equal(len, sizeof(sun));
}

static void test_sup_sockaddr_decode_unix_unnamed(void **state)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct sup_sockaddr_text t;
	char args[64];

	(void)state;
	t = decode_ok(&sun, sizeof(sa_family_t));
	assert_true(t.unix_unnamed);
	assert_string_equal(t.address, "");
	assert_int_equal(sup_sockaddr_format(&t, args, sizeof(args)), 0);
	assert_string_equal(args, "unix:unnamed");
}

static void test_sup_sockaddr_decode_netlink(void **state)
{
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK, .nl_pid = 0, .nl_groups = 0 };
	struct sup_sockaddr_text t;
	char args[64];

	(void)state;
	t = decode_ok(&nl, sizeof(nl));
	assert_string_equal(t.address, "0");
	assert_int_equal(sup_sockaddr_format(&t, args, sizeof(args)), 0);
	assert_string_equal(args, "netlink:0");
	roundtrip(&t, &nl, sizeof(nl));
	nl.nl_pid = 77;
	nl.nl_groups = 5;
	t = decode_ok(&nl, sizeof(nl));
	assert_string_equal(t.address, "77/5");
	roundtrip(&t, &nl, sizeof(nl));
}

static void test_sup_sockaddr_decode_short(void **state)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sup_sockaddr_text t;

	(void)state;
	assert_int_equal(sup_sockaddr_decode(&sin, sizeof(sin) - 1, &t, reason, sizeof(reason)),
			 -EINVAL);
	assert_string_equal(reason, "short sockaddr_in (addrlen 15 < 16)");
	assert_int_equal(sup_sockaddr_decode(&sin, 1, &t, reason, sizeof(reason)), -EINVAL);
	assert_string_equal(reason, "short socket address (addrlen 1 < 2)");
	assert_int_equal(sup_sockaddr_decode(&sin, 0, &t, reason, sizeof(reason)), -EINVAL);
}

static void test_sup_sockaddr_decode_oversized(void **state)
{
	struct {
		struct sockaddr_storage ss;
		char extra[8];
	} big;
	struct sup_sockaddr_text t;

	(void)state;
	memset(&big, 0, sizeof(big));
	big.ss.ss_family = AF_INET;
	assert_int_equal(sup_sockaddr_decode(&big, sizeof(big), &t, reason, sizeof(reason)),
			 -EINVAL);
	assert_string_equal(reason, "oversized socket address (addrlen 136 > 128)");
	big.ss.ss_family = AF_UNIX;
	assert_int_equal(sup_sockaddr_decode(&big, sizeof(struct sockaddr_un) + 1, &t, reason,
					     sizeof(reason)),
			 -EINVAL);
	assert_string_equal(reason, "oversized sockaddr_un (addrlen 111 > 110)");
}

static void test_sup_sockaddr_decode_unknown_family(void **state)
{
	struct sockaddr_storage ss = { .ss_family = AF_PACKET };
	struct sup_sockaddr_text t;

	(void)state;
	assert_int_equal(sup_sockaddr_decode(&ss, 20, &t, reason, sizeof(reason)),
			 -EAFNOSUPPORT);
	assert_string_equal(reason, "unsupported address family 17");
}

static void test_sup_sockaddr_encode_bad_text(void **state)
{
	struct sockaddr_storage ss;
	socklen_t len;

	(void)state;
	assert_int_equal(sup_sockaddr_encode(AF_INET, "1.2.3", 1, &ss, &len), -EINVAL);
	assert_int_equal(sup_sockaddr_encode(AF_INET6, "fe80::1%0", 1, &ss, &len), -EINVAL);
	assert_int_equal(sup_sockaddr_encode(AF_INET6, "fe80::1%x", 1, &ss, &len), -EINVAL);
	assert_int_equal(sup_sockaddr_encode(AF_UNIX, "@bad\\q", 0, &ss, &len), -EINVAL);
	assert_int_equal(sup_sockaddr_encode(AF_NETLINK, "-1", 0, &ss, &len), -EINVAL);
	assert_int_equal(sup_sockaddr_encode(AF_PACKET, "x", 0, &ss, &len), -EAFNOSUPPORT);
}

/* --- paths --------------------------------------------------------------- */

static const struct {
	const char *in, *want;
} normalize_cases[] = {
	{ "/home/u/a.txt", "/home/u/a.txt" },
	{ "/home/u/./a/../b", "/home/u/b" },
	{ "/home/u/../../../../etc", "/etc" },
	{ "/abs//x/", "/abs/x" },
	{ "/.", "/" },
	{ "/..", "/" },
	{ "/a/b/c/./d//e/..", "/a/b/c/d" },
	{ "/a/...", "/a/..." },
};

static void test_sup_path_normalize_table(void **state)
{
	char buf[256];

	(void)state;
	for (size_t i = 0; i < sizeof(normalize_cases) / sizeof(normalize_cases[0]); i++) {
		snprintf(buf, sizeof(buf), "%s", normalize_cases[i].in);
		assert_int_equal(sup_path_normalize(buf), 0);
		assert_string_equal(buf, normalize_cases[i].want);
	}
}

static void test_sup_path_normalize_relative(void **state)
{
	char p[] = "a/b";

	(void)state;
	assert_int_equal(sup_path_normalize(p), -EINVAL);
}

static void test_sup_path_split_cases(void **state)
{
	char parent[64], name[64];
	bool trailing;

	(void)state;
	assert_int_equal(sup_path_split("/a/b/c", parent, 64, name, 64, &trailing), 0);
	assert_string_equal(parent, "/a/b");
	assert_string_equal(name, "c");
	assert_false(trailing);
	assert_int_equal(sup_path_split("/x", parent, 64, name, 64, &trailing), 0);
	assert_string_equal(parent, "/");
	assert_string_equal(name, "x");
	assert_int_equal(sup_path_split("dir//", parent, 64, name, 64, &trailing), 0);
	assert_string_equal(parent, "");
	assert_string_equal(name, "dir");
	assert_true(trailing);
	assert_int_equal(sup_path_split("a//b", parent, 64, name, 64, &trailing), 0);
	assert_string_equal(parent, "a");
	assert_string_equal(name, "b");
	assert_int_equal(sup_path_split("/", parent, 64, name, 64, &trailing), -EINVAL);
	assert_int_equal(sup_path_split("", parent, 64, name, 64, &trailing), -EINVAL);
	assert_int_equal(sup_path_split("/a/longname", parent, 64, name, 4, &trailing),
			 -ENAMETOOLONG);
}

/* --- flags --------------------------------------------------------------- */

static void test_sup_flags_check_unlinkat_unknown(void **state)
{
	(void)state;
	assert_int_equal(sup_flags_check_unlinkat(0, reason, sizeof(reason)), 0);
	assert_int_equal(sup_flags_check_unlinkat(AT_REMOVEDIR, reason, sizeof(reason)), 0);
	assert_int_equal(sup_flags_check_unlinkat(AT_REMOVEDIR | 0x4, reason, sizeof(reason)),
			 -EINVAL);
	assert_string_equal(reason, "unknown unlinkat flags 0x4");
}

static void test_sup_flags_check_execveat_unknown(void **state)
{
	(void)state;
	assert_int_equal(sup_flags_check_execveat(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, reason,
						  sizeof(reason)),
			 0);
	assert_int_equal(sup_flags_check_execveat(0x200, reason, sizeof(reason)), -EINVAL);
	assert_string_equal(reason, "unknown execveat flags 0x200");
}

static void test_sup_flags_check_renameat2_unknown(void **state)
{
	(void)state;
	assert_int_equal(sup_flags_check_renameat2(0, reason, sizeof(reason)), 0);
	assert_int_equal(sup_flags_check_renameat2(RENAME_NOREPLACE, reason, sizeof(reason)), 0);
	assert_int_equal(sup_flags_check_renameat2(RENAME_EXCHANGE, reason, sizeof(reason)), 0);
	assert_int_equal(sup_flags_check_renameat2(RENAME_WHITEOUT, reason, sizeof(reason)), 0);
	assert_int_equal(sup_flags_check_renameat2(0x8, reason, sizeof(reason)), -EINVAL);
	assert_string_equal(reason, "unknown renameat2 flags 0x8");
	/* the kernel reads an unsigned int: bits above it are refused, not
	 * ignored */
	assert_int_equal(sup_flags_check_renameat2(1L << 32, reason, sizeof(reason)), -EINVAL);
	assert_string_equal(reason, "unknown renameat2 flags 0x100000000");
}

static void test_sup_flags_check_send_zerocopy(void **state)
{
	(void)state;
	assert_int_equal(sup_flags_check_send(MSG_DONTWAIT | MSG_NOSIGNAL, reason, sizeof(reason)),
			 0);
	assert_int_equal(sup_flags_check_send(MSG_ZEROCOPY, reason, sizeof(reason)), -EINVAL);
	assert_string_equal(reason, "unknown send flags 0x4000000");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sup_sockaddr_decode_ipv4),
		cmocka_unit_test(test_sup_sockaddr_decode_ipv6),
		cmocka_unit_test(test_sup_sockaddr_decode_ipv6_scope),
		cmocka_unit_test(test_sup_sockaddr_decode_ipv6_v4mapped),
		cmocka_unit_test(test_sup_sockaddr_decode_ipv6_rfc2133_length),
		cmocka_unit_test(test_sup_sockaddr_decode_unix_path),
		cmocka_unit_test(test_sup_sockaddr_decode_unix_full_path_without_nul),
		cmocka_unit_test(test_sup_sockaddr_decode_unix_abstract),
		cmocka_unit_test(test_sup_sockaddr_decode_unix_abstract_all_nul),
		cmocka_unit_test(test_sup_sockaddr_decode_unix_unnamed),
		cmocka_unit_test(test_sup_sockaddr_decode_netlink),
		cmocka_unit_test(test_sup_sockaddr_decode_short),
		cmocka_unit_test(test_sup_sockaddr_decode_oversized),
		cmocka_unit_test(test_sup_sockaddr_decode_unknown_family),
		cmocka_unit_test(test_sup_sockaddr_encode_bad_text),
		cmocka_unit_test(test_sup_path_normalize_table),
		cmocka_unit_test(test_sup_path_normalize_relative),
		cmocka_unit_test(test_sup_path_split_cases),
		cmocka_unit_test(test_sup_flags_check_unlinkat_unknown),
		cmocka_unit_test(test_sup_flags_check_execveat_unknown),
		cmocka_unit_test(test_sup_flags_check_renameat2_unknown),
		cmocka_unit_test(test_sup_flags_check_send_zerocopy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
