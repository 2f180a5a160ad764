/*
 * Unit tests for shim_msg.c and shim_table.c: sup_shim_parse against a
 * table of malformed datagrams (each a mutation of a valid message, with
 * the exact error expected), the annotation table's TTL, rate limiting,
 * eviction and matching rules, and a round trip through the real shim
 * (libattesta-preload.so + the shim_client helper) when they are built.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "supervisor/common/shim_msg.h"

static void make_call(struct shim_call_msg *m, int tid, int pid, uint8_t entry, const char *text)
{
	memset(m, 0, sizeof(*m));
	m->hdr.magic = SHIM_PROTO_MAGIC;
	m->hdr.version = SHIM_PROTO_VERSION;
	m->hdr.type = SHIM_MSG_CALL;
	m->hdr.size = sizeof(*m);
	m->hdr.tid = tid;
	m->hdr.pid = pid;
	m->entry = entry;
	m->fd = -1;
	m->text_len = (uint16_t)strlen(text);
	memcpy(m->text, text, m->text_len);
}

static void make_resolve(struct shim_resolve_msg *m, int tid, int pid, const char *name,
			 const uint8_t v4[4])
{
	memset(m, 0, sizeof(*m));
	m->hdr.magic = SHIM_PROTO_MAGIC;
	m->hdr.version = SHIM_PROTO_VERSION;
	m->hdr.type = SHIM_MSG_RESOLVE;
	m->hdr.size = sizeof(*m);
	m->hdr.tid = tid;
	m->hdr.pid = pid;
	m->api = SHIM_API_GETADDRINFO;
	m->naddr = 1;
	m->addr[0].family = SHIM_AF_INET;
	memcpy(m->addr[0].addr, v4, 4);
	m->name_len = (uint16_t)strlen(name);
	memcpy(m->name, name, m->name_len);
}

static const uint8_t addr_a[4] = { 10, 0, 0, 1 };
static const uint8_t addr_b[4] = { 10, 0, 0, 2 };

/* --- parser ---------------------------------------------------------------- */

static void test_sup_shim_parse_valid_call(void **state)
{
	struct shim_call_msg m;
	struct sup_shim_msg out;

	(void)state;
	make_call(&m, 7, 5, SHIM_ENTRY_SYSTEM, "rm -rf build");
	assert_int_equal(sup_shim_parse(&m, sizeof(m), &out), 0);
	assert_int_equal(out.type, SHIM_MSG_CALL);
	assert_int_equal(out.u.hdr.tid, 7);
	assert_int_equal(out.u.call.entry, SHIM_ENTRY_SYSTEM);
	assert_string_equal(out.u.call.text, "rm -rf build");
}

static void test_sup_shim_parse_valid_resolve_unaligned(void **state)
{
	struct shim_resolve_msg m;
	unsigned char buf[sizeof(m) + 1];
	struct sup_shim_msg out;

	(void)state;
	make_resolve(&m, 9, 9, "api.example.test", addr_a);
	m.naddr = 2;
	m.addr[1].family = SHIM_AF_INET6;
	m.addr[1].addr[15] = 1;
	memcpy(buf + 1, &m, sizeof(m)); /* odd address: the parser copies first */
	assert_int_equal(sup_shim_parse(buf + 1, sizeof(m), &out), 0);
	assert_int_equal(out.type, SHIM_MSG_RESOLVE);
	assert_string_equal(out.u.resolve.name, "api.example.test");
	assert_int_equal(out.u.resolve.naddr, 2);
}

static void test_sup_shim_parse_null_args(void **state)
{
	struct shim_call_msg m;
	struct sup_shim_msg out;

	(void)state;
	make_call(&m, 1, 1, SHIM_ENTRY_CONNECT, "");
	assert_int_equal(sup_shim_parse(NULL, sizeof(m), &out), -EINVAL);
	assert_int_equal(sup_shim_parse(&m, sizeof(m), NULL), -EINVAL);
}

static void test_sup_shim_parse_bad_length(void **state)
{
	unsigned char big[POL_SHIM_MAX_MSG + 16];
	struct shim_call_msg m;
	struct sup_shim_msg out;

	(void)state;
	make_call(&m, 1, 1, SHIM_ENTRY_CONNECT, "");
	memset(big, 0, sizeof(big));
	memcpy(big, &m, sizeof(m));
	out.type = 0xbeef;
	assert_int_equal(sup_shim_parse(&m, 0, &out), -EMSGSIZE);
	assert_int_equal(sup_shim_parse(&m, sizeof(struct shim_hdr) - 1, &out), -EMSGSIZE);
	/* Shorter than its type, with hdr.size agreeing. */
	m.hdr.size = 100;
	assert_int_equal(sup_shim_parse(&m, 100, &out), -EMSGSIZE);
	/* hdr.size disagrees with the datagram. */
	m.hdr.size = sizeof(m) - 1;
	assert_int_equal(sup_shim_parse(&m, sizeof(m), &out), -EMSGSIZE);
	/* Trailing bytes after a complete message. */
	((struct shim_call_msg *)(void *)big)->hdr.size = sizeof(m) + 1;
	assert_int_equal(sup_shim_parse(big, sizeof(m) + 1, &out), -EMSGSIZE);
	/* Beyond the protocol maximum. */
	((struct shim_call_msg *)(void *)big)->hdr.size = sizeof(big);
	assert_int_equal(sup_shim_parse(big, sizeof(big), &out), -EMSGSIZE);
	assert_int_equal(out.type, 0xbeef); /* untouched on failure */
}

/* Table of single-field corruptions of a valid message. */
struct mutation {
	const char *name;
	int resolve; /* mutate a resolve message, else a call message */
	void (*apply)(void *msg);
	int expect;
};

#define CALL(m) ((struct shim_call_msg *)(m))
#define RES(m) ((struct shim_resolve_msg *)(m))

static void m_magic(void *m) { CALL(m)->hdr.magic ^= 1; }
static void m_version0(void *m) { CALL(m)->hdr.version = 0; }
static void m_version2(void *m) { CALL(m)->hdr.version = 2; }
static void m_type0(void *m) { CALL(m)->hdr.type = 0; }
static void m_type3(void *m) { CALL(m)->hdr.type = 3; }
static void m_type4(void *m) { CALL(m)->hdr.type = SHIM_MSG_GATE_VERDICT; }
static void m_typemax(void *m) { CALL(m)->hdr.type = 0xffff; }
static void m_tid0(void *m) { CALL(m)->hdr.tid = 0; }
static void m_pidneg(void *m) { CALL(m)->hdr.pid = -4; }
static void m_hdr_reserved(void *m) { CALL(m)->hdr.reserved = 1; }
static void m_entry0(void *m) { CALL(m)->entry = 0; }
static void m_entry_big(void *m) { CALL(m)->entry = SHIM_ENTRY_MAX + 1; }
static void m_call_flags(void *m) { CALL(m)->flags = 0x80; }
static void m_call_reserved(void *m) { CALL(m)->reserved = 7; }
static void m_fd(void *m) { CALL(m)->fd = -2; }
static void m_addr_without_flag(void *m) { CALL(m)->addr.family = SHIM_AF_INET; }
static void m_flag_without_addr(void *m) { CALL(m)->flags = SHIM_CALL_HAS_ADDR; }
static void m_call_family(void *m)
{
	CALL(m)->flags = SHIM_CALL_HAS_ADDR;
	CALL(m)->addr.family = 1; /* AF_UNIX is not an address here */
}
static void m_call_v4_junk(void *m)
{
	CALL(m)->flags = SHIM_CALL_HAS_ADDR;
	CALL(m)->addr.family = SHIM_AF_INET;
	CALL(m)->addr.addr[9] = 1;
}
static void m_text_len_big(void *m) { CALL(m)->text_len = SHIM_MAX_TEXT + 1; }
static void m_text_len_short(void *m) { CALL(m)->text_len = 2; } /* "ls" + " -l" */
static void m_text_len_long(void *m) { CALL(m)->text_len = 9; }
static void m_text_unterminated(void *m)
{
	memset(CALL(m)->text, 'x', sizeof(CALL(m)->text));
	CALL(m)->text_len = SHIM_MAX_TEXT;
}
static void m_text_after_nul(void *m) { CALL(m)->text[100] = 'z'; }
static void m_api0(void *m) { RES(m)->api = 0; }
static void m_api_big(void *m) { RES(m)->api = SHIM_API_MAX + 1; }
static void m_naddr0(void *m) { RES(m)->naddr = 0; }
static void m_naddr_big(void *m) { RES(m)->naddr = SHIM_MAX_ADDRS + 1; }
static void m_naddr_255(void *m) { RES(m)->naddr = 255; }
static void m_res_flags(void *m) { RES(m)->flags = 0x02; }
static void m_res_reserved0(void *m) { RES(m)->reserved0 = 1; }
static void m_res_reserved1(void *m) { RES(m)->reserved1 = 1; }
static void m_res_family(void *m) { RES(m)->addr[0].family = 0; }
static void m_res_port(void *m) { RES(m)->addr[0].port = 80; }
static void m_res_v4_junk(void *m) { RES(m)->addr[0].addr[4] = 1; }
static void m_res_unused_addr(void *m) { RES(m)->addr[5].addr[0] = 1; }
static void m_name_len0(void *m) { RES(m)->name_len = 0; }
static void m_name_len_big(void *m) { RES(m)->name_len = POL_SHIM_MAX_HOST + 1; }
static void m_name_len_short(void *m) { RES(m)->name_len = 3; }
static void m_name_unterminated(void *m)
{
	memset(RES(m)->name, 'a', sizeof(RES(m)->name));
	RES(m)->name_len = POL_SHIM_MAX_HOST;
}
static void m_name_after_nul(void *m) { RES(m)->name[200] = 'q'; }
static void m_name_escape(void *m) { RES(m)->name[2] = '\x1b'; }
static void m_name_space(void *m) { RES(m)->name[2] = ' '; }
static void m_name_high(void *m) { RES(m)->name[0] = (char)0xc3; }

static const struct mutation mutations[] = {
	{ "magic", 0, m_magic, -EPROTO },
	{ "version 0", 0, m_version0, -EPROTONOSUPPORT },
	{ "version 2", 0, m_version2, -EPROTONOSUPPORT },
	{ "type 0", 0, m_type0, -ENOMSG },
	{ "type 3", 0, m_type3, -ENOMSG },
	{ "type 4 (gate verdict, not an annotation)", 0, m_type4, -ENOMSG },
	{ "type 0xffff", 0, m_typemax, -ENOMSG },
	{ "tid 0", 0, m_tid0, -EBADMSG },
	{ "pid negative", 0, m_pidneg, -EBADMSG },
	{ "hdr reserved", 0, m_hdr_reserved, -EBADMSG },
	{ "entry 0", 0, m_entry0, -EBADMSG },
	{ "entry too big", 0, m_entry_big, -EBADMSG },
	{ "call flags", 0, m_call_flags, -EBADMSG },
	{ "call reserved", 0, m_call_reserved, -EBADMSG },
	{ "fd -2", 0, m_fd, -EBADMSG },
	{ "addr without flag", 0, m_addr_without_flag, -EBADMSG },
	{ "flag without addr", 0, m_flag_without_addr, -EBADMSG },
	{ "call family", 0, m_call_family, -EBADMSG },
	{ "call v4 junk", 0, m_call_v4_junk, -EBADMSG },
	{ "text_len too big", 0, m_text_len_big, -EBADMSG },
	{ "text_len short", 0, m_text_len_short, -EBADMSG },
	{ "text_len long", 0, m_text_len_long, -EBADMSG },
	{ "text unterminated", 0, m_text_unterminated, -EBADMSG },
	{ "text byte after nul", 0, m_text_after_nul, -EBADMSG },
	{ "resolve magic", 1, m_magic, -EPROTO },
	{ "resolve tid 0", 1, m_tid0, -EBADMSG },
	{ "api 0", 1, m_api0, -EBADMSG },
	{ "api too big", 1, m_api_big, -EBADMSG },
	{ "naddr 0", 1, m_naddr0, -EBADMSG },
	{ "naddr 17", 1, m_naddr_big, -EBADMSG },
	{ "naddr 255", 1, m_naddr_255, -EBADMSG },
	{ "resolve flags", 1, m_res_flags, -EBADMSG },
	{ "resolve reserved0", 1, m_res_reserved0, -EBADMSG },
	{ "resolve reserved1", 1, m_res_reserved1, -EBADMSG },
	{ "resolve family", 1, m_res_family, -EBADMSG },
	{ "resolve port", 1, m_res_port, -EBADMSG },
	{ "resolve v4 junk", 1, m_res_v4_junk, -EBADMSG },
	{ "unused addr non-zero", 1, m_res_unused_addr, -EBADMSG },
	{ "name_len 0", 1, m_name_len0, -EBADMSG },
	{ "name_len too big", 1, m_name_len_big, -EBADMSG },
	{ "name_len short", 1, m_name_len_short, -EBADMSG },
	{ "name unterminated", 1, m_name_unterminated, -EBADMSG },
	{ "name byte after nul", 1, m_name_after_nul, -EBADMSG },
	{ "name escape", 1, m_name_escape, -EBADMSG },
	{ "name space", 1, m_name_space, -EBADMSG },
	{ "name non-ascii", 1, m_name_high, -EBADMSG },
};

static void test_sup_shim_parse_malformed_table(void **state)
{
	unsigned failures = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(mutations) / sizeof(mutations[0]); i++) {
		const struct mutation *t = &mutations[i];
		union {
			struct shim_call_msg call;
			struct shim_resolve_msg resolve;
		} m;
		struct sup_shim_msg out;
		size_t len;
		int rc;

		if (t->resolve) {
			make_resolve(&m.resolve, 3, 3, "host.test", addr_a);
			len = sizeof(m.resolve);
		} else {
			make_call(&m.call, 3, 3, SHIM_ENTRY_EXECVP, "ls -l");
			len = sizeof(m.call);
		}
		assert_int_equal(sup_shim_parse(&m, len, &out), 0); /* base is valid */
		t->apply(&m);
		out.type = 0xbeef;
		rc = sup_shim_parse(&m, len, &out);
		if (rc != t->expect || out.type != 0xbeef) {
			fprintf(stderr, "mutation '%s': got %d want %d\n", t->name, rc, t->expect);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

static void test_sup_shim_parse_limits_accepted(void **state)
{
	struct shim_resolve_msg r;
	struct shim_call_msg c;
	struct sup_shim_msg out;

	(void)state;
	make_resolve(&r, 1, 1, "a", addr_a);
	memset(r.name, 'a', POL_SHIM_MAX_HOST);
	r.name_len = POL_SHIM_MAX_HOST;
	r.naddr = SHIM_MAX_ADDRS;
	for (int i = 0; i < SHIM_MAX_ADDRS; i++) {
		r.addr[i].family = SHIM_AF_INET;
		r.addr[i].addr[0] = (uint8_t)i;
	}
	assert_int_equal(sup_shim_parse(&r, sizeof(r), &out), 0);
	make_call(&c, 1, 1, SHIM_ENTRY_POPEN, "");
	memset(c.text, 'x', SHIM_MAX_TEXT);
	c.text_len = SHIM_MAX_TEXT;
	c.flags = SHIM_CALL_TEXT_TRUNCATED;
	assert_int_equal(sup_shim_parse(&c, sizeof(c), &out), 0);
	assert_int_equal(strlen(out.u.call.text), SHIM_MAX_TEXT);
}

/* --- table ----------------------------------------------------------------- */

static struct sup_shim_msg parsed_call(int tid, int pid, uint8_t entry, const char *text)
{
	struct shim_call_msg m;
	struct sup_shim_msg out;

	make_call(&m, tid, pid, entry, text);
	assert_int_equal(sup_shim_parse(&m, sizeof(m), &out), 0);
	return out;
}

static struct sup_shim_msg parsed_resolve(int tid, int pid, const char *name, const uint8_t v4[4])
{
	struct shim_resolve_msg m;
	struct sup_shim_msg out;

	make_resolve(&m, tid, pid, name, v4);
	assert_int_equal(sup_shim_parse(&m, sizeof(m), &out), 0);
	return out;
}

static struct shim_addr v4(const uint8_t a[4])
{
	struct shim_addr s;

	memset(&s, 0, sizeof(s));
	s.family = SHIM_AF_INET;
	memcpy(s.addr, a, 4);
	return s;
}

static void test_sup_shim_table_take_call_once(void **state)
{
	struct sup_shim_table *t = NULL;
	struct sup_shim_msg m = parsed_call(11, 10, SHIM_ENTRY_CONNECT, "");
	struct shim_call_msg c;

	(void)state;
	assert_int_equal(sup_shim_table_new(NULL, &t), 0);
	assert_int_equal(sup_shim_table_add(t, &m, 10, 1000), 0);
	/* Wrong class, wrong tid: not consumed. */
	assert_int_equal(sup_shim_table_take_call(t, 11, SUP_SHIM_MASK_EXEC, 1000, &c), -ENOENT);
	assert_int_equal(sup_shim_table_take_call(t, 12, SUP_SHIM_MASK_CONNECT, 1000, &c), -ENOENT);
	assert_int_equal(sup_shim_table_take_call(t, 11, SUP_SHIM_MASK_CONNECT, 1001, &c), 0);
	assert_int_equal(c.entry, SHIM_ENTRY_CONNECT);
	assert_int_equal(sup_shim_table_take_call(t, 11, SUP_SHIM_MASK_CONNECT, 1001, &c), -ENOENT);
	sup_shim_table_free(t);
}

static void test_sup_shim_table_call_replaced_by_newer(void **state)
{
	struct sup_shim_table *t = NULL;
	struct sup_shim_msg a = parsed_call(11, 10, SHIM_ENTRY_SYSTEM, "first");
	struct sup_shim_msg b = parsed_call(11, 10, SHIM_ENTRY_SYSTEM, "second");
	struct shim_call_msg c;

	(void)state;
	assert_int_equal(sup_shim_table_new(NULL, &t), 0);
	assert_int_equal(sup_shim_table_add(t, &a, 0, 1000), 0);
	assert_int_equal(sup_shim_table_add(t, &b, 0, 1001), 0);
	assert_int_equal(sup_shim_table_take_call_by_pid(t, 10, SUP_SHIM_MASK_SPAWN, 1002, &c), 0);
	assert_string_equal(c.text, "second");
	assert_int_equal(sup_shim_table_take_call_by_pid(t, 10, SUP_SHIM_MASK_SPAWN, 1002, &c), -ENOENT);
	sup_shim_table_free(t);
}

static void test_sup_shim_table_call_ttl(void **state)
{
	struct sup_shim_table_opts o = { .call_ttl_ms = 500 };
	struct sup_shim_table *t = NULL;
	struct sup_shim_msg m = parsed_call(11, 10, SHIM_ENTRY_EXECVE, "/bin/ls");
	struct shim_call_msg c;

	(void)state;
	assert_int_equal(sup_shim_table_new(&o, &t), 0);
	assert_int_equal(sup_shim_table_add(t, &m, 0, 1000), 0);
	assert_int_equal(sup_shim_table_take_call(t, 11, SUP_SHIM_MASK_EXEC, 1501, &c), -ENOENT);
	assert_int_equal(sup_shim_table_add(t, &m, 0, 2000), 0);
	assert_int_equal(sup_shim_table_take_call(t, 11, SUP_SHIM_MASK_EXEC, 2500, &c), 0);
	sup_shim_table_free(t);
}

static void test_sup_shim_table_lookup_name_rules(void **state)
{
	struct sup_shim_table_opts o = { .resolve_ttl_ms = 10000 };
	struct sup_shim_table *t = NULL;
	struct sup_shim_msg r1 = parsed_resolve(21, 20, "one.test", addr_a);
	struct sup_shim_msg r2 = parsed_resolve(22, 20, "two.test", addr_a);
	struct shim_addr a = v4(addr_a), b = v4(addr_b);
	char name[POL_SHIM_MAX_HOST + 1], tiny[4];

	(void)state;
	assert_int_equal(sup_shim_table_new(&o, &t), 0);
	assert_int_equal(sup_shim_table_add(t, &r1, 20, 1000), 0);
	assert_int_equal(sup_shim_table_add(t, &r2, 20, 2000), 0);
	/* Another thread of the same process: the newest record wins. */
	assert_int_equal(sup_shim_table_lookup_name(t, 20, 99, &a, 2000, name, sizeof(name)), 0);
	assert_string_equal(name, "two.test");
	/* The resolving thread itself is preferred over a newer record. */
	assert_int_equal(sup_shim_table_lookup_name(t, 20, 21, &a, 2000, name, sizeof(name)), 0);
	assert_string_equal(name, "one.test");
	/* Records stay: a second connect finds it again. */
	assert_int_equal(sup_shim_table_lookup_name(t, 20, 21, &a, 2000, name, sizeof(name)), 0);
	/* Other address, other process, too small a buffer, expired. */
	assert_int_equal(sup_shim_table_lookup_name(t, 20, 21, &b, 2000, name, sizeof(name)), -ENOENT);
	assert_int_equal(sup_shim_table_lookup_name(t, 30, 21, &a, 2000, name, sizeof(name)), -ENOENT);
	assert_int_equal(sup_shim_table_lookup_name(t, 20, 21, &a, 2000, tiny, sizeof(tiny)), -ENOSPC);
	assert_int_equal(sup_shim_table_lookup_name(t, 20, 21, &a, 11001, name, sizeof(name)), 0);
	assert_string_equal(name, "two.test");
	assert_int_equal(sup_shim_table_lookup_name(t, 20, 21, &a, 12001, name, sizeof(name)), -ENOENT);
	sup_shim_table_free(t);
}

static void test_sup_shim_table_rate_limit(void **state)
{
	struct sup_shim_table_opts o = { .rate_per_sec = 10, .burst = 5 };
	struct sup_shim_table *t = NULL;
	struct sup_shim_msg mine = parsed_call(41, 40, SHIM_ENTRY_CONNECT, "");
	struct sup_shim_msg other = parsed_call(51, 50, SHIM_ENTRY_CONNECT, "");
	struct sup_shim_stats st;

	(void)state;
	assert_int_equal(sup_shim_table_new(&o, &t), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(sup_shim_table_add(t, &mine, 0, 1000), 0);
	assert_int_equal(sup_shim_table_add(t, &mine, 0, 1000), -EAGAIN);
	assert_int_equal(sup_shim_table_add(t, &mine, 0, 1050), -EAGAIN);
	/* Another pid has its own bucket. */
	assert_int_equal(sup_shim_table_add(t, &other, 0, 1050), 0);
	/* 10 per second: one token after 100 ms, then empty again. */
	assert_int_equal(sup_shim_table_add(t, &mine, 0, 1100), 0);
	assert_int_equal(sup_shim_table_add(t, &mine, 0, 1100), -EAGAIN);
	/* A long pause refills to the burst, not beyond. */
	for (int i = 0; i < 5; i++)
		assert_int_equal(sup_shim_table_add(t, &mine, 0, 999999999), 0);
	assert_int_equal(sup_shim_table_add(t, &mine, 0, 999999999), -EAGAIN);
	sup_shim_table_stats(t, &st);
	assert_int_equal(st.rate_limited, 4);
	assert_int_equal(st.accepted, 12);
	sup_shim_table_free(t);
}

static void test_sup_shim_table_sender_mismatch(void **state)
{
	struct sup_shim_table *t = NULL;
	struct sup_shim_msg m = parsed_call(11, 10, SHIM_ENTRY_CONNECT, "");
	struct shim_call_msg c;
	struct sup_shim_stats st;

	(void)state;
	assert_int_equal(sup_shim_table_new(NULL, &t), 0);
	assert_int_equal(sup_shim_table_add(t, &m, 77, 1000), -EPERM);
	assert_int_equal(sup_shim_table_take_call(t, 11, SUP_SHIM_MASK_CONNECT, 1000, &c), -ENOENT);
	sup_shim_table_note_garbage(t);
	sup_shim_table_stats(t, &st);
	assert_int_equal(st.sender_mismatch, 1);
	assert_int_equal(st.garbage, 1);
	assert_int_equal(st.accepted, 0);
	sup_shim_table_free(t);
}

static void test_sup_shim_table_capacity_evicts_oldest(void **state)
{
	struct sup_shim_table_opts o = { .capacity = 4 };
	struct sup_shim_table *t = NULL;
	struct shim_call_msg c;
	struct sup_shim_stats st;

	(void)state;
	assert_int_equal(sup_shim_table_new(&o, &t), 0);
	for (int i = 0; i < 5; i++) {
		struct sup_shim_msg m = parsed_call(100 + i, 100 + i, SHIM_ENTRY_CONNECT, "");

		assert_int_equal(sup_shim_table_add(t, &m, 0, 1000 + (uint64_t)i), 0);
	}
	sup_shim_table_stats(t, &st);
	assert_int_equal(st.evicted, 1);
	assert_int_equal(sup_shim_table_take_call(t, 100, SUP_SHIM_MASK_CONNECT, 1005, &c), -ENOENT);
	for (int i = 1; i < 5; i++)
		assert_int_equal(sup_shim_table_take_call(t, 100 + i, SUP_SHIM_MASK_CONNECT, 1005, &c), 0);
	sup_shim_table_free(t);
}

static void test_sup_shim_table_new_bad_opts(void **state)
{
	struct sup_shim_table_opts o = { .capacity = 1u << 20 };
	struct sup_shim_table *t = NULL;
	struct sup_shim_msg bad;

	(void)state;
	assert_int_equal(sup_shim_table_new(&o, &t), -EINVAL);
	assert_null(t);
	assert_int_equal(sup_shim_table_new(NULL, NULL), -EINVAL);
	assert_int_equal(sup_shim_table_new(NULL, &t), 0);
	memset(&bad, 0, sizeof(bad));
	assert_int_equal(sup_shim_table_add(t, &bad, 0, 1), -EINVAL);
	sup_shim_table_free(t);
	sup_shim_table_free(NULL);
}

/* --- the real shim --------------------------------------------------------- */

/* Run "$BUILD/helpers/shim_client ARGS" under the preload library with a
 * socketpair and require every datagram to parse. */
static void test_sup_shim_parse_real_shim_messages(void **state)
{
	const char *build = getenv("BUILD");
	char lib[512], client[512], num[16];
	int sv[2], status = 0, seen_resolve = 0, seen_call = 0;
	unsigned char buf[POL_SHIM_MAX_MSG + 8];
	pid_t pid;
	ssize_t n;

	(void)state;
	snprintf(lib, sizeof(lib), "%s/libattesta-preload.so", build ? build : "build");
	snprintf(client, sizeof(client), "%s/helpers/shim_client", build ? build : "build");
	if (access(lib, R_OK) != 0 || access(client, X_OK) != 0)
		skip();
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = fcntl(sv[1], F_DUPFD, 10);

		snprintf(num, sizeof(num), "%d", fd);
		setenv("ATTESTA_SHIM_FD", num, 1);
		const char *asan = getenv("ASAN_OPTIONS");
		char opts[512];

		setenv("LD_PRELOAD", lib, 1);
		/* make asan: the instrumented shim is preloaded ahead of the
		 * ASan runtime the instrumented helper links. */
		snprintf(opts, sizeof(opts), "%s%sverify_asan_link_order=0", asan ? asan : "",
			 asan ? ":" : "");
		setenv("ASAN_OPTIONS", opts, 1);
		if (freopen("/dev/null", "w", stdout) == NULL)
			_exit(126);
		execl(client, "shim_client", "resolve", "localhost", (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	while ((n = recv(sv[0], buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC)) > 0) {
		struct sup_shim_msg m;

		assert_int_equal(sup_shim_parse(buf, (size_t)n, &m), 0);
		if (m.type == SHIM_MSG_RESOLVE) {
			assert_string_equal(m.u.resolve.name, "localhost");
			seen_resolve++;
		} else {
			seen_call++;
		}
	}
	close(sv[0]);
	assert_int_equal(seen_resolve, 5); /* getaddrinfo + 4 gethostbyname* */
	assert_int_equal(seen_call, 0);
}

/* --- shim-only mode: GATE_REQUEST parsing and verdicts ---------------- */

static void make_gate(struct shim_gate_request *r, uint8_t entry, int32_t nr, const char *text)
{
	memset(r, 0, sizeof(*r));
	r->hdr.magic = SHIM_PROTO_MAGIC;
	r->hdr.version = SHIM_PROTO_VERSION;
	r->hdr.type = SHIM_MSG_GATE_REQUEST;
	r->hdr.size = sizeof(*r);
	r->hdr.tid = 11;
	r->hdr.pid = 10;
	r->request_id = 7;
	r->entry = entry;
	r->nr = nr;
	r->args[0] = 0x1000;
	r->text_len = (uint16_t)strlen(text);
	memcpy(r->text, text, r->text_len);
}

static void test_sup_shim_parse_gate_valid_entries(void **state)
{
	static const struct { uint8_t entry; int32_t nr; } ok[] = {
		{ SHIM_ENTRY_EXECVE, SYS_execve },      { SHIM_ENTRY_EXECLP, SYS_execve },
		{ SHIM_ENTRY_POSIX_SPAWNP, SYS_execve }, { SHIM_ENTRY_SYSTEM, SYS_execve },
		{ SHIM_ENTRY_POPEN, SYS_execve },       { SHIM_ENTRY_CONNECT, SYS_connect },
		{ SHIM_ENTRY_SENDTO, SYS_sendto },      { SHIM_ENTRY_SENDMSG, SYS_sendmsg },
		{ SHIM_ENTRY_UNLINK, SYS_unlink },      { SHIM_ENTRY_UNLINKAT, SYS_unlinkat },
		{ SHIM_ENTRY_RMDIR, SYS_rmdir },        { SHIM_ENTRY_REMOVE, SYS_unlink },
		{ SHIM_ENTRY_REMOVE, SYS_rmdir },
	};
	unsigned char raw[sizeof(struct shim_gate_request) + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct shim_gate_request r, out;

		make_gate(&r, ok[i].entry, ok[i].nr, "rm -rf /tmp/x");
		/* unaligned, as a datagram may sit in a buffer */
		memcpy(raw + 1, &r, sizeof(r));
		assert_int_equal(sup_shim_parse_gate(raw + 1, sizeof(r), &out), 0);
		assert_int_equal(out.entry, ok[i].entry);
		assert_int_equal(out.nr, ok[i].nr);
		assert_int_equal(out.request_id, 7);
		assert_string_equal(out.text, "rm -rf /tmp/x");
	}
	assert_string_equal(sup_shim_entry_name(SHIM_ENTRY_UNLINKAT), "unlinkat");
	assert_string_equal(sup_shim_entry_name(SHIM_ENTRY_SENDMSG), "sendmsg");
}

static void test_sup_shim_parse_gate_malformed(void **state)
{
	struct shim_gate_request r, out;
	struct shim_call_msg call;
	unsigned char big[POL_SHIM_MAX_MSG + 1];

	(void)state;
	out.request_id = 0xdead;
	make_gate(&r, SHIM_ENTRY_CONNECT, SYS_connect, "");
	assert_int_equal(sup_shim_parse_gate(NULL, sizeof(r), &out), -EINVAL);
	assert_int_equal(sup_shim_parse_gate(&r, sizeof(r), NULL), -EINVAL);
	assert_int_equal(sup_shim_parse_gate(&r, sizeof(r) - 1, &out), -EMSGSIZE);
	memset(big, 0, sizeof(big));
	memcpy(big, &r, sizeof(r));
	assert_int_equal(sup_shim_parse_gate(big, sizeof(big), &out), -EMSGSIZE);
	r.hdr.magic ^= 1;
	assert_int_equal(sup_shim_parse_gate(&r, sizeof(r), &out), -EPROTO);
	make_gate(&r, SHIM_ENTRY_CONNECT, SYS_connect, "");
	r.hdr.version = 2;
	assert_int_equal(sup_shim_parse_gate(&r, sizeof(r), &out), -EPROTONOSUPPORT);
	/* An annotation is not a request, and a request is not an annotation. */
	make_call(&call, 1, 1, SHIM_ENTRY_CONNECT, "");
	assert_int_equal(sup_shim_parse_gate(&call, sizeof(call), &out), -ENOMSG);
	make_gate(&r, SHIM_ENTRY_CONNECT, SYS_connect, "");
	{
		struct sup_shim_msg m;

		assert_int_equal(sup_shim_parse(&r, sizeof(r), &m), -ENOMSG);
	}
	/* Entry and syscall must agree: an "unlink" entry cannot ask about
	 * execve, a "connect" cannot ask about sendto. */
	make_gate(&r, SHIM_ENTRY_UNLINK, SYS_execve, "");
	assert_int_equal(sup_shim_parse_gate(&r, sizeof(r), &out), -EBADMSG);
	make_gate(&r, SHIM_ENTRY_CONNECT, SYS_sendto, "");
	assert_int_equal(sup_shim_parse_gate(&r, sizeof(r), &out), -EBADMSG);
	make_gate(&r, SHIM_ENTRY_SYSTEM, SYS_unlink, "");
	assert_int_equal(sup_shim_parse_gate(&r, sizeof(r), &out), -EBADMSG);
	make_gate(&r, 0, SYS_execve, "");
	assert_int_equal(sup_shim_parse_gate(&r, sizeof(r), &out), -EBADMSG);
	make_gate(&r, SHIM_ENTRY_MAX + 1, SYS_execve, "");
	assert_int_equal(sup_shim_parse_gate(&r, sizeof(r), &out), -EBADMSG);
	make_gate(&r, SHIM_ENTRY_EXECVE, SYS_execve, "");
	r.hdr.tid = 0;
	assert_int_equal(sup_shim_parse_gate(&r, sizeof(r), &out), -EBADMSG);
	make_gate(&r, SHIM_ENTRY_EXECVE, SYS_execve, "");
	r.reserved = 1;
	assert_int_equal(sup_shim_parse_gate(&r, sizeof(r), &out), -EBADMSG);
	make_gate(&r, SHIM_ENTRY_EXECVE, SYS_execve, "");
	r.flags = SHIM_CALL_SKIPPED;
	assert_int_equal(sup_shim_parse_gate(&r, sizeof(r), &out), -EBADMSG);
	make_gate(&r, SHIM_ENTRY_EXECVE, SYS_execve, "abc");
	r.text_len = 2; /* no NUL at text_len */
	assert_int_equal(sup_shim_parse_gate(&r, sizeof(r), &out), -EBADMSG);
	make_gate(&r, SHIM_ENTRY_EXECVE, SYS_execve, "abc");
	r.text[10] = 'x'; /* bytes after the NUL */
	assert_int_equal(sup_shim_parse_gate(&r, sizeof(r), &out), -EBADMSG);
	make_gate(&r, SHIM_ENTRY_EXECVE, SYS_execve, "");
	r.text_len = SHIM_GATE_MAX_TEXT + 1;
	assert_int_equal(sup_shim_parse_gate(&r, sizeof(r), &out), -EBADMSG);
	assert_int_equal(out.request_id, 0xdead); /* untouched on failure */
}

static void test_sup_shim_gate_verdict_fields(void **state)
{
	struct shim_gate_request r;
	struct shim_gate_verdict v;

	(void)state;
	make_gate(&r, SHIM_ENTRY_CONNECT, SYS_connect, "");
	sup_shim_gate_verdict(&r, 1, EPERM, &v);
	assert_int_equal(v.hdr.magic, SHIM_PROTO_MAGIC);
	assert_int_equal(v.hdr.type, SHIM_MSG_GATE_VERDICT);
	assert_int_equal(v.hdr.size, sizeof(v));
	assert_int_equal(v.hdr.tid, 11);
	assert_int_equal(v.hdr.pid, 10);
	assert_int_equal(v.request_id, 7);
	assert_int_equal(v.decision, SHIM_GATE_ALLOW);
	assert_int_equal(v.error, 0);
	sup_shim_gate_verdict(&r, 0, EACCES, &v);
	assert_int_equal(v.decision, SHIM_GATE_DENY);
	assert_int_equal(v.error, EACCES);
	sup_shim_gate_verdict(&r, 0, 0, &v);
	assert_int_equal(v.error, EPERM);
	sup_shim_gate_verdict(&r, 0, 5000, &v);
	assert_int_equal(v.error, EPERM);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sup_shim_parse_valid_call),
		cmocka_unit_test(test_sup_shim_parse_valid_resolve_unaligned),
		cmocka_unit_test(test_sup_shim_parse_null_args),
		cmocka_unit_test(test_sup_shim_parse_bad_length),
		cmocka_unit_test(test_sup_shim_parse_malformed_table),
		cmocka_unit_test(test_sup_shim_parse_limits_accepted),
		cmocka_unit_test(test_sup_shim_table_take_call_once),
		cmocka_unit_test(test_sup_shim_table_call_replaced_by_newer),
		cmocka_unit_test(test_sup_shim_table_call_ttl),
		cmocka_unit_test(test_sup_shim_table_lookup_name_rules),
		cmocka_unit_test(test_sup_shim_table_rate_limit),
		cmocka_unit_test(test_sup_shim_table_sender_mismatch),
		cmocka_unit_test(test_sup_shim_table_capacity_evicts_oldest),
		cmocka_unit_test(test_sup_shim_table_new_bad_opts),
		cmocka_unit_test(test_sup_shim_parse_real_shim_messages),
		cmocka_unit_test(test_sup_shim_parse_gate_valid_entries),
		cmocka_unit_test(test_sup_shim_parse_gate_malformed),
		cmocka_unit_test(test_sup_shim_gate_verdict_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
