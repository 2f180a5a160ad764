/*
 * Unit tests for sockets decided at creation (supervisor/common/sockgate.c):
 * the BPF block, loaded in a forked child, notifies exactly the
 * (family, type, protocol) triples the C rule calls not ordinary (a
 * notification without a listener fails with ENOSYS); the names of the
 * `socket` action's args; gate.allow_socket_families matching.
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "supervisor/common/sockgate.h"

struct triple {
	int family, type, protocol;
};

static const struct triple triples[] = {
	{ AF_UNIX, SOCK_STREAM, 0 }, { AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0 },
	{ AF_UNIX, SOCK_SEQPACKET, 0 }, { AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0 },
	{ AF_NETLINK, SOCK_DGRAM, 0 }, { AF_INET, SOCK_STREAM, 0 },
	{ AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP },
	{ AF_INET6, SOCK_STREAM, 262 /* MPTCP */ }, { AF_INET, SOCK_DGRAM, 0 },
	{ AF_INET6, SOCK_DGRAM, IPPROTO_UDP }, { AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE },
	{ AF_INET, SOCK_DGRAM, IPPROTO_ICMP }, { AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6 },
	/* decided at creation */
	{ AF_PACKET, SOCK_RAW, 0x0300 }, { AF_PACKET, SOCK_DGRAM, 0 },
	{ AF_INET, SOCK_PACKET, 0x0300 }, { AF_INET, SOCK_RAW, IPPROTO_UDP },
	{ AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW }, { AF_INET, SOCK_STREAM, IPPROTO_SCTP },
	{ AF_INET6, SOCK_SEQPACKET, 0 }, { AF_INET, SOCK_STREAM, IPPROTO_UDP },
	{ AF_INET, SOCK_DGRAM, IPPROTO_TCP }, { AF_INET, SOCK_DCCP, 0 },
	{ AF_VSOCK, SOCK_STREAM, 0 }, { AF_ALG, SOCK_SEQPACKET, 0 }, { AF_RDS, SOCK_SEQPACKET, 0 },
	{ AF_TIPC, SOCK_RDM, 0 }, { AF_XDP, SOCK_RAW, 0 }, { AF_BLUETOOTH, SOCK_RAW, 1 },
	{ AF_CAN, SOCK_RAW, 1 }, { AF_KEY, SOCK_RAW, 2 }, { 46, SOCK_STREAM, 0 },
	{ 0x10002, SOCK_STREAM, 0 }, /* high bits: the kernel reads an int */
};

/* In a child: load the block (then ALLOW) and report, per triple, whether
 * socket() was notified (ENOSYS: no listener). */
static void test_sup_filter_socket_block_matches_rule(void **state)
{
	static const struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	const size_t n = sizeof triples / sizeof triples[0];
	int pipefd[2];
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sock_fprog prog = { .len = 1, .filter = malloc(sizeof allow) };
		char verdicts[64];

		memcpy(prog.filter, &allow, sizeof allow);
		if (sup_filter_socket_prepend(&prog) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
			_exit(2);
		for (size_t i = 0; i < n; i++) {
			long fd = syscall(SYS_socket, triples[i].family, triples[i].type,
					  triples[i].protocol);
			verdicts[i] = fd < 0 && errno == ENOSYS ? 'N' : 'p';
			if (fd >= 0)
				close((int)fd);
		}
		if (write(pipefd[1], verdicts, n) != (ssize_t)n)
			_exit(3);
		_exit(0);
	}
	close(pipefd[1]);
	char got[64];
	int status;
	assert_int_equal(read(pipefd[0], got, n), (ssize_t)n);
	close(pipefd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	for (size_t i = 0; i < n; i++) {
		bool ordinary = sup_filter_socket_ordinary(triples[i].family, triples[i].type,
							   triples[i].protocol);
		if ((got[i] == 'p') != ordinary)
			fail_msg("triple %zu (%d, %d, %d): BPF %s, rule says %s", i,
				 triples[i].family, triples[i].type, triples[i].protocol,
				 got[i] == 'p' ? "passes" : "notifies",
				 ordinary ? "ordinary" : "decided at creation");
	}
	/* and the rule itself, on the cases the docs name */
	assert_true(sup_filter_socket_ordinary(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, IPPROTO_TCP));
	assert_false(sup_filter_socket_ordinary(AF_PACKET, SOCK_RAW, 0));
	assert_false(sup_filter_socket_ordinary(AF_INET, SOCK_RAW, IPPROTO_ICMP));
	assert_false(sup_filter_socket_ordinary(AF_INET, SOCK_STREAM, IPPROTO_SCTP));
}

static void test_sup_socket_names_cases(void **state)
{
	struct sup_socket_names n;

	(void)state;
	sup_socket_names(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0x0300, &n);
	assert_string_equal(n.family, "packet");
	assert_string_equal(n.type, "raw");
	assert_string_equal(n.protocol, "eth-0x0003");
	sup_socket_names(AF_INET, SOCK_PACKET, 0x0300, &n);
	assert_string_equal(n.family, "packet");
	assert_string_equal(n.type, "packet");
	sup_socket_names(AF_INET6, SOCK_STREAM, IPPROTO_SCTP, &n);
	assert_string_equal(n.family, "inet6");
	assert_string_equal(n.protocol, "sctp");
	sup_socket_names(AF_INET, SOCK_RAW, 0, &n);
	assert_string_equal(n.protocol, "default");
	sup_socket_names(99, 12, 7, &n);
	assert_string_equal(n.family, "family-99");
	assert_string_equal(n.type, "type-12");
	assert_string_equal(n.protocol, "7");
}

static void test_sup_socket_allowed_by_cases(void **state)
{
	static const char *const raw_only[] = { "raw" };
	static const char *const many[] = { "packet", "sctp", "vsock" };
	static const char *const inet[] = { "inet" };

	(void)state;
	assert_null(sup_socket_allowed_by(NULL, 0, AF_PACKET, SOCK_RAW, 0));
	assert_string_equal(sup_socket_allowed_by(raw_only, 1, AF_INET, SOCK_RAW, IPPROTO_UDP), "raw");
	assert_string_equal(sup_socket_allowed_by(raw_only, 1, AF_INET6, SOCK_RAW | SOCK_CLOEXEC, 0),
			    "raw");
	/* raw means raw IP: not a packet socket */
	assert_null(sup_socket_allowed_by(raw_only, 1, AF_PACKET, SOCK_RAW, 0));
	assert_null(sup_socket_allowed_by(raw_only, 1, AF_INET, SOCK_PACKET, 0));
	assert_string_equal(sup_socket_allowed_by(many, 3, AF_INET, SOCK_PACKET, 0), "packet");
	assert_string_equal(sup_socket_allowed_by(many, 3, AF_INET6, SOCK_SEQPACKET, 0), "sctp");
	assert_string_equal(sup_socket_allowed_by(many, 3, AF_INET, SOCK_STREAM, IPPROTO_SCTP),
			    "sctp");
	assert_null(sup_socket_allowed_by(many, 3, AF_INET, SOCK_RAW, IPPROTO_SCTP + 1));
	assert_string_equal(sup_socket_allowed_by(many, 3, AF_VSOCK, SOCK_STREAM, 0), "vsock");
	assert_null(sup_socket_allowed_by(many, 3, AF_ALG, SOCK_SEQPACKET, 0));
	assert_string_equal(sup_socket_allowed_by(inet, 1, AF_INET, SOCK_RAW, 0), "inet");
	assert_null(sup_socket_allowed_by(inet, 1, AF_INET6, SOCK_RAW, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sup_filter_socket_block_matches_rule),
		cmocka_unit_test(test_sup_socket_names_cases),
		cmocka_unit_test(test_sup_socket_allowed_by_cases),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
