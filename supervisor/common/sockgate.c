/*
 * Sockets decided at creation (see sockgate.h). The BPF block is a fixed
 * table with symbolic jump targets; sup_filter_socket_ordinary() states
 * the same rule in C, and tests/unit/test_sockgate.c loads the block in a
 * child and checks the two agree over a table of cases.
 */
#include "supervisor/common/sockgate.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "policy/sockfam.h"
#include "supervisor/common/seccomp_compat.h"

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif
#ifndef IPPROTO_UDPLITE
#define IPPROTO_UDPLITE 136
#endif
/* include/linux/net.h; not exported to user space */
#define SOCK_TYPE_MASK 0xf

/* Argument words are 64 bits; socket() reads ints: compare the low half
 * (little-endian x86-64, the only arch the filter lets through). */
#define ARG_LO(i) (offsetof(struct seccomp_data, args) + (i) * sizeof(__u64))

enum {
	L_ARCH, L_ARCH_J, L_NR, L_NR_SOCKET, L_NR_PAIR,
	L_FAM, L_FAM_UNIX, L_FAM_NETLINK, L_FAM_INET, L_FAM_INET6,
	L_TYPE, L_TYPE_MASK, L_TYPE_STREAM, L_TYPE_DGRAM,
	L_STREAM, L_STREAM_0, L_STREAM_TCP, L_STREAM_MPTCP,
	L_DGRAM, L_DGRAM_0, L_DGRAM_UDP, L_DGRAM_UDPLITE, L_DGRAM_ICMP, L_DGRAM_ICMPV6,
	L_ALLOW, L_NOTIFY, L_END,
};

/* a jump from instruction `at` to `to` (BPF offsets count from at + 1) */
#define J(at, to) ((__u8)((to) - (at) - 1))
#define JEQ(at, k, t, f) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), J(at, t), J(at, f))
#define NEXT(at) ((at) + 1)

static const struct sock_filter block[L_END] = {
	[L_ARCH] = BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
	[L_ARCH_J] = JEQ(L_ARCH_J, AUDIT_ARCH_X86_64, NEXT(L_ARCH_J), L_END),
	[L_NR] = BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	[L_NR_SOCKET] = JEQ(L_NR_SOCKET, SYS_socket, L_FAM, NEXT(L_NR_SOCKET)),
	[L_NR_PAIR] = JEQ(L_NR_PAIR, SYS_socketpair, L_FAM, L_END),
	[L_FAM] = BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(0)),
	[L_FAM_UNIX] = JEQ(L_FAM_UNIX, AF_UNIX, L_ALLOW, NEXT(L_FAM_UNIX)),
	/* SECURITY: netlink talks to the local kernel only (glibc's
	 * getaddrinfo and getifaddrs need it); it sends nothing off the
	 * machine (docs/decode.md). */
	[L_FAM_NETLINK] = JEQ(L_FAM_NETLINK, AF_NETLINK, L_ALLOW, NEXT(L_FAM_NETLINK)),
	[L_FAM_INET] = JEQ(L_FAM_INET, AF_INET, L_TYPE, NEXT(L_FAM_INET)),
	[L_FAM_INET6] = JEQ(L_FAM_INET6, AF_INET6, L_TYPE, L_NOTIFY),
	[L_TYPE] = BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(1)),
	/* the kernel rejects flag bits other than SOCK_NONBLOCK|SOCK_CLOEXEC */
	[L_TYPE_MASK] = BPF_STMT(BPF_ALU | BPF_AND | BPF_K, SOCK_TYPE_MASK),
	[L_TYPE_STREAM] = JEQ(L_TYPE_STREAM, SOCK_STREAM, L_STREAM, NEXT(L_TYPE_STREAM)),
	[L_TYPE_DGRAM] = JEQ(L_TYPE_DGRAM, SOCK_DGRAM, L_DGRAM, L_NOTIFY),
	[L_STREAM] = BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(2)),
	[L_STREAM_0] = JEQ(L_STREAM_0, 0, L_ALLOW, NEXT(L_STREAM_0)),
	[L_STREAM_TCP] = JEQ(L_STREAM_TCP, IPPROTO_TCP, L_ALLOW, NEXT(L_STREAM_TCP)),
	[L_STREAM_MPTCP] = JEQ(L_STREAM_MPTCP, IPPROTO_MPTCP, L_ALLOW, L_NOTIFY),
	[L_DGRAM] = BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(2)),
	[L_DGRAM_0] = JEQ(L_DGRAM_0, 0, L_ALLOW, NEXT(L_DGRAM_0)),
	[L_DGRAM_UDP] = JEQ(L_DGRAM_UDP, IPPROTO_UDP, L_ALLOW, NEXT(L_DGRAM_UDP)),
	[L_DGRAM_UDPLITE] = JEQ(L_DGRAM_UDPLITE, IPPROTO_UDPLITE, L_ALLOW, NEXT(L_DGRAM_UDPLITE)),
	/* ping sockets: their destination is the sockaddr's address (the
	 * port is not used; the decoder judges it as 0, docs/decode.md) */
	[L_DGRAM_ICMP] = JEQ(L_DGRAM_ICMP, IPPROTO_ICMP, L_ALLOW, NEXT(L_DGRAM_ICMP)),
	[L_DGRAM_ICMPV6] = JEQ(L_DGRAM_ICMPV6, IPPROTO_ICMPV6, L_ALLOW, L_NOTIFY),
	[L_ALLOW] = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	[L_NOTIFY] = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
};

bool sup_filter_socket_ordinary(int family, int type, int protocol)
{
	type &= SOCK_TYPE_MASK;
	if (family == AF_UNIX || family == AF_NETLINK)
		return true;
	if (family != AF_INET && family != AF_INET6)
		return false;
	if (type == SOCK_STREAM)
		return protocol == 0 || protocol == IPPROTO_TCP || protocol == IPPROTO_MPTCP;
	if (type == SOCK_DGRAM)
		return protocol == 0 || protocol == IPPROTO_UDP || protocol == IPPROTO_UDPLITE ||
		       protocol == IPPROTO_ICMP || protocol == IPPROTO_ICMPV6;
	return false;
}

int sup_filter_socket_prepend(struct sock_fprog *prog)
{
	const size_t nb = sizeof block / sizeof block[0];

	if (prog->len + nb > BPF_MAXINSNS)
		return -E2BIG;
	struct sock_filter *f = calloc(prog->len + nb, sizeof *f);
	if (!f)
		return -ENOMEM;
	memcpy(f, block, sizeof block);
	memcpy(f + nb, prog->filter, prog->len * sizeof *f);
	free(prog->filter);
	prog->filter = f;
	prog->len = (unsigned short)(prog->len + nb);
	return 0;
}

static const char *inet_protocol_name(int protocol)
{
	switch (protocol) {
	case 0: return "default";
	case IPPROTO_ICMP: return "icmp";
	case IPPROTO_IGMP: return "igmp";
	case IPPROTO_TCP: return "tcp";
	case IPPROTO_UDP: return "udp";
	case IPPROTO_IPV6: return "ipv6";
	case IPPROTO_GRE: return "gre";
	case IPPROTO_ICMPV6: return "icmpv6";
	case IPPROTO_SCTP: return "sctp";
	case IPPROTO_UDPLITE: return "udplite";
	case IPPROTO_RAW: return "raw";
	case IPPROTO_MPTCP: return "mptcp";
	default: return NULL;
	}
}

static const char *type_name(int type)
{
	switch (type) {
	case SOCK_STREAM: return "stream";
	case SOCK_DGRAM: return "dgram";
	case SOCK_RAW: return "raw";
	case SOCK_RDM: return "rdm";
	case SOCK_SEQPACKET: return "seqpacket";
	case SOCK_DCCP: return "dccp";
	case SOCK_PACKET: return "packet";
	default: return NULL;
	}
}

static bool is_inet(int family)
{
	return family == AF_INET || family == AF_INET6;
}

void sup_socket_names(int family, int type, int protocol, struct sup_socket_names *ret)
{
	const char *name;

	type &= SOCK_TYPE_MASK;
	/* net/socket.c __sock_create: (PF_INET, SOCK_PACKET) is a packet socket */
	if (family == AF_INET && type == SOCK_PACKET)
		family = AF_PACKET;
	if ((name = pol_sockfam_family_name(family)))
		snprintf(ret->family, sizeof ret->family, "%s", name);
	else
		snprintf(ret->family, sizeof ret->family, "family-%d", family);
	if ((name = type_name(type)))
		snprintf(ret->type, sizeof ret->type, "%s", name);
	else
		snprintf(ret->type, sizeof ret->type, "type-%d", type);
	if (is_inet(family) && (name = inet_protocol_name(protocol)))
		snprintf(ret->protocol, sizeof ret->protocol, "%s", name);
	else if (family == AF_PACKET)
		snprintf(ret->protocol, sizeof ret->protocol, "eth-0x%04x",
			 (unsigned)ntohs((uint16_t)protocol));
	else
		snprintf(ret->protocol, sizeof ret->protocol, "%d", protocol);
}

static bool listed(const char *const *allowed, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(allowed[i], name))
			return true;
	return false;
}

const char *sup_socket_allowed_by(const char *const *allowed, size_t n_allowed, int family,
				  int type, int protocol)
{
	const char *name;

	type &= SOCK_TYPE_MASK;
	if (family == AF_INET && type == SOCK_PACKET)
		family = AF_PACKET;
	/* a static string: the table's, not a local copy */
	name = pol_sockfam_family_name(family);
	if (name && family != AF_UNSPEC && listed(allowed, n_allowed, name))
		return name;
	if (!is_inet(family))
		return NULL;
	if (type == SOCK_RAW && listed(allowed, n_allowed, "raw"))
		return "raw";
	if ((protocol == IPPROTO_SCTP || (type == SOCK_SEQPACKET && protocol == 0)) &&
	    listed(allowed, n_allowed, "sctp"))
		return "sctp";
	return NULL;
}
