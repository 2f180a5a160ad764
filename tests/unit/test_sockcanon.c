/*
 * Unit tests for canonical destinations (sup_sockaddr_canonicalize,
 * supervisor/common/sockcanon.c; docs/decode.md, "Canonical addresses"):
 * a table of spellings the kernel accepts -> the text the policy and the
 * audit see, for sockets unbound and bound to various addresses; the
 * table was checked against Linux 6.18 (getpeername after connect, and
 * which listener a datagram reached).
 */
#include <arpa/inet.h>
#include <errno.h>
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

#include "supervisor/common/sockaddr.h"

/* Build a sockaddr for "addr" (IPv4 text -> sockaddr_in, else IPv6),
 * with port and IPv6 scope id; returns its length. */
static size_t make(const char *addr, unsigned port, uint32_t scope, unsigned char *buf)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;

	memset(buf, 0, sizeof(struct sockaddr_storage));
	if (inet_pton(AF_INET, addr, &sin.sin_addr) == 1) {
		memset(&sin, 0, sizeof sin);
		inet_pton(AF_INET, addr, &sin.sin_addr);
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)port);
		memcpy(buf, &sin, sizeof sin);
		return sizeof sin;
	}
	memset(&sin6, 0, sizeof sin6);
	assert_int_equal(inet_pton(AF_INET6, addr, &sin6.sin6_addr), 1);
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons((uint16_t)port);
	sin6.sin6_scope_id = scope;
	memcpy(buf, &sin6, sizeof sin6);
	return sizeof sin6;
}

static void facts_for(int domain, int type, int protocol, bool is_connect, const char *bound,
		      struct sup_sock_facts *f)
{
	memset(f, 0, sizeof *f);
	f->domain = domain;
	f->type = type;
	f->protocol = protocol;
	f->is_connect = is_connect;
	if (bound)
		f->bound_len = (socklen_t)make(bound, 40000, 0, (unsigned char *)&f->bound);
}

static void canon_text(unsigned char *buf, size_t len, const struct sup_sock_facts *f,
		       char *out, size_t size)
{
	struct sup_sockaddr_text t;
	char reason[128];

	sup_sockaddr_canonicalize(buf, &len, f);
	assert_int_equal(sup_sockaddr_decode(buf, len, &t, reason, sizeof reason), 0);
	assert_int_equal(sup_sockaddr_format(&t, out, size), 0);
}

struct canon_case {
	int domain, type, protocol;
	bool is_connect;
	const char *bound;    /* the socket's bound address, NULL: unbound */
	const char *addr;     /* as the agent spells it */
	uint32_t scope;
	const char *want;     /* what the policy and the audit see */
};

static void test_sup_sockaddr_canonicalize_table(void **state)
{
	static const struct canon_case cases[] = {
		/* IPv4 INADDR_ANY: the bound address, else loopback */
		{ AF_INET, SOCK_DGRAM, IPPROTO_UDP, false, NULL, "0.0.0.0", 0, "127.0.0.1:53" },
		{ AF_INET, SOCK_STREAM, IPPROTO_TCP, true, NULL, "0.0.0.0", 0, "127.0.0.1:53" },
		{ AF_INET, SOCK_DGRAM, IPPROTO_UDP, false, "127.0.0.2", "0.0.0.0", 0, "127.0.0.2:53" },
		{ AF_INET, SOCK_STREAM, IPPROTO_TCP, true, "127.0.0.2", "0.0.0.0", 0, "127.0.0.2:53" },
		{ AF_INET, SOCK_DGRAM, IPPROTO_UDP, false, "0.0.0.0", "0.0.0.0", 0, "127.0.0.1:53" },
		/* 127.x are distinct addresses: never collapsed */
		{ AF_INET, SOCK_DGRAM, IPPROTO_UDP, false, NULL, "127.0.0.2", 0, "127.0.0.2:53" },
		{ AF_INET, SOCK_DGRAM, IPPROTO_UDP, false, NULL, "127.1.2.3", 0, "127.1.2.3:53" },
		/* v4-mapped: judged as IPv4; its 0.0.0.0 like IPv4's */
		{ AF_INET6, SOCK_DGRAM, IPPROTO_UDP, false, NULL, "::ffff:127.0.0.2", 0, "127.0.0.2:53" },
		{ AF_INET6, SOCK_DGRAM, IPPROTO_UDP, false, NULL, "::ffff:0.0.0.0", 0, "127.0.0.1:53" },
		{ AF_INET6, SOCK_STREAM, IPPROTO_TCP, true, "::ffff:127.0.0.2", "::ffff:0.0.0.0", 0,
		  "127.0.0.2:53" },
		/* IPv6 ::: ::1, or v4 loopback on a socket bound v4-mapped */
		{ AF_INET6, SOCK_DGRAM, IPPROTO_UDP, false, NULL, "::", 0, "[::1]:53" },
		{ AF_INET6, SOCK_STREAM, IPPROTO_TCP, true, "::1", "::", 0, "[::1]:53" },
		{ AF_INET6, SOCK_STREAM, IPPROTO_TCP, true, "::ffff:127.0.0.2", "::", 0,
		  "127.0.0.1:53" },
		{ AF_INET6, SOCK_DGRAM, IPPROTO_UDP, false, "::ffff:127.0.0.2", "::", 0,
		  "127.0.0.1:53" },
		/* IPv4-compatible ::a.b.c.d is an IPv6 address of its own */
		{ AF_INET6, SOCK_DGRAM, IPPROTO_UDP, false, NULL, "::127.0.0.2", 0,
		  "[::127.0.0.2]:53" },
		/* scope ids: kept where the kernel uses them, dropped elsewhere */
		{ AF_INET6, SOCK_DGRAM, IPPROTO_UDP, false, NULL, "fe80::1", 2, "[fe80::1%2]:53" },
		{ AF_INET6, SOCK_DGRAM, IPPROTO_UDP, false, NULL, "ff02::1", 2, "[ff02::1%2]:53" },
		{ AF_INET6, SOCK_DGRAM, IPPROTO_UDP, false, NULL, "::1", 7, "[::1]:53" },
		{ AF_INET6, SOCK_DGRAM, IPPROTO_UDP, false, NULL, "2001:db8::1", 3, "[2001:db8::1]:53" },
		{ AF_INET6, SOCK_DGRAM, IPPROTO_UDP, false, NULL, "ff0e::1", 3, "[ff0e::1]:53" },
		{ AF_INET6, SOCK_DGRAM, IPPROTO_UDP, false, NULL, "::ffff:127.0.0.2", 3, "127.0.0.2:53" },
		/* ping sockets do not use the port */
		{ AF_INET, SOCK_DGRAM, IPPROTO_ICMP, false, NULL, "127.0.0.2", 0, "127.0.0.2:0" },
		{ AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6, false, NULL, "::1", 0, "[::1]:0" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct canon_case *c = &cases[i];
		unsigned char buf[sizeof(struct sockaddr_storage)];
		struct sup_sock_facts f;
		char out[SUP_SOCKADDR_TEXT_MAX + 32];
		size_t len = make(c->addr, 53, c->scope, buf);

		facts_for(c->domain, c->type, c->protocol, c->is_connect, c->bound, &f);
		canon_text(buf, len, &f, out, sizeof out);
		if (strcmp(out, c->want) != 0)
			fail_msg("case %zu: %s (bound %s) -> %s, want %s", i, c->addr,
				 c->bound ? c->bound : "-", out, c->want);
	}
}

/* udp_sendmsg reads sin_addr from an AF_UNSPEC address; connect(AF_UNSPEC)
 * is a disconnect, and an AF_INET6 UDP socket treats it as no address. */
static void test_sup_sockaddr_canonicalize_unspec(void **state)
{
	unsigned char buf[sizeof(struct sockaddr_storage)];
	struct sup_sock_facts f;
	char out[SUP_SOCKADDR_TEXT_MAX + 32];
	size_t len;

	(void)state;
	len = make("127.0.0.2", 53, 0, buf);
	buf[0] = buf[1] = 0; /* sin_family = AF_UNSPEC */
	facts_for(AF_INET, SOCK_DGRAM, IPPROTO_UDP, false, NULL, &f);
	canon_text(buf, len, &f, out, sizeof out);
	assert_string_equal(out, "127.0.0.2:53");

	len = make("127.0.0.2", 53, 0, buf);
	buf[0] = buf[1] = 0;
	facts_for(AF_INET, SOCK_RAW, IPPROTO_UDP, false, NULL, &f);
	canon_text(buf, len, &f, out, sizeof out);
	assert_string_equal(out, "127.0.0.2:53");

	len = make("127.0.0.2", 53, 0, buf);
	buf[0] = buf[1] = 0;
	facts_for(AF_INET, SOCK_DGRAM, IPPROTO_UDP, true, NULL, &f);
	canon_text(buf, len, &f, out, sizeof out);
	assert_string_equal(out, "unspec");

	len = make("127.0.0.2", 53, 0, buf);
	buf[0] = buf[1] = 0;
	facts_for(AF_INET6, SOCK_DGRAM, IPPROTO_UDP, false, NULL, &f);
	canon_text(buf, len, &f, out, sizeof out);
	assert_string_equal(out, "unspec");
}

/* A device-bound socket: 0.0.0.0 reaches the device's address unless
 * the socket is bound to an address; :: is ::1 regardless. */
static void test_sup_sockaddr_canonicalize_device(void **state)
{
	unsigned char buf[sizeof(struct sockaddr_storage)];
	struct sup_sock_facts f;
	char out[SUP_SOCKADDR_TEXT_MAX + 32];
	size_t len;

	(void)state;
	facts_for(AF_INET, SOCK_DGRAM, IPPROTO_UDP, false, NULL, &f);
	inet_pton(AF_INET, "192.0.2.2", &f.device_v4);
	len = make("0.0.0.0", 53, 0, buf);
	canon_text(buf, len, &f, out, sizeof out);
	assert_string_equal(out, "192.0.2.2:53");

	facts_for(AF_INET, SOCK_STREAM, IPPROTO_TCP, true, "127.0.0.5", &f);
	inet_pton(AF_INET, "192.0.2.2", &f.device_v4);
	len = make("0.0.0.0", 53, 0, buf);
	canon_text(buf, len, &f, out, sizeof out);
	assert_string_equal(out, "127.0.0.5:53");

	facts_for(AF_INET6, SOCK_DGRAM, IPPROTO_UDP, false, NULL, &f);
	inet_pton(AF_INET, "192.0.2.2", &f.device_v4);
	len = make("::", 53, 0, buf);
	canon_text(buf, len, &f, out, sizeof out);
	assert_string_equal(out, "[::1]:53");
	len = make("::ffff:0.0.0.0", 53, 0, buf);
	canon_text(buf, len, &f, out, sizeof out);
	assert_string_equal(out, "192.0.2.2:53");
}

/* Longer than needed: the kernel reads the family's structure only. */
static void test_sup_sockaddr_canonicalize_long_length(void **state)
{
	unsigned char buf[sizeof(struct sockaddr_storage)];
	struct sup_sock_facts f;
	char out[SUP_SOCKADDR_TEXT_MAX + 32];

	(void)state;
	make("0.0.0.0", 80, 0, buf);
	memset(buf + sizeof(struct sockaddr_in), 0xee, 32);
	facts_for(AF_INET, SOCK_STREAM, IPPROTO_TCP, true, "127.0.0.3", &f);
	canon_text(buf, sizeof(struct sockaddr_in) + 32, &f, out, sizeof out);
	assert_string_equal(out, "127.0.0.3:80");
}

/* AF_UNIX is never rewritten: abstract and unnamed addresses as given. */
static void test_sup_sockaddr_canonicalize_unix_untouched(void **state)
{
	struct sockaddr_un sun;
	unsigned char buf[sizeof(struct sockaddr_storage)];
	struct sup_sock_facts f;
	size_t len = offsetof(struct sockaddr_un, sun_path) + 4;

	(void)state;
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, "\0abc", 4);
	memcpy(buf, &sun, sizeof sun);
	facts_for(AF_UNIX, SOCK_STREAM, 0, true, NULL, &f);
	assert_false(sup_sockaddr_canonicalize(buf, &len, &f));
	assert_memory_equal(buf, &sun, len);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sup_sockaddr_canonicalize_table),
		cmocka_unit_test(test_sup_sockaddr_canonicalize_unspec),
		cmocka_unit_test(test_sup_sockaddr_canonicalize_device),
		cmocka_unit_test(test_sup_sockaddr_canonicalize_long_length),
		cmocka_unit_test(test_sup_sockaddr_canonicalize_unix_untouched),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
