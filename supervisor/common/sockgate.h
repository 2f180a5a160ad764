/*
 * Socket creation decided at creation (docs/decode.md, "Socket
 * creation"): the seccomp BPF block that picks the sockets to decide, the
 * names of a socket's family, type and protocol for the `socket` action,
 * and the gate.allow_socket_families rule. Pure, thread-safe, no I/O.
 *
 * The BPF block is hand-written and put in front of the libseccomp
 * program, because "notify unless the family, type and protocol are
 * ordinary" is a negation libseccomp rules cannot express.
 *
 * It passes, without a notification: AF_UNIX and AF_NETLINK sockets of
 * any type; AF_INET/AF_INET6 sockets whose type (masked with
 * SOCK_TYPE_MASK: SOCK_NONBLOCK and SOCK_CLOEXEC ignored) is SOCK_STREAM
 * with protocol 0, IPPROTO_TCP or IPPROTO_MPTCP, or SOCK_DGRAM with
 * protocol 0, IPPROTO_UDP, IPPROTO_UDPLITE, IPPROTO_ICMP or
 * IPPROTO_ICMPV6 (ping sockets). Every other socket() and socketpair()
 * goes to the supervisor, which decides it at creation
 * (gate.allow_socket_families). Trusts nothing but its constants.
 */
#ifndef ATTESTA_SUP_SOCKGATE_H
#define ATTESTA_SUP_SOCKGATE_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>

/* Put the block in front of prog (which the caller owns; it is replaced
 * by a longer malloc'd copy). 0, -E2BIG or -ENOMEM. */
int sup_filter_socket_prepend(struct sock_fprog *prog);

/* Would the block pass (family, type, protocol) without a notification?
 * The same rule in C (the unit test runs both over one table). */
bool sup_filter_socket_ordinary(int family, int type, int protocol);

/* Names of a socket() call's arguments, as the `socket` action's args. */
#define SUP_SOCKNAME_MAX 32
struct sup_socket_names {
	char family[SUP_SOCKNAME_MAX];   /* "packet", "vsock", "family-99" */
	char type[SUP_SOCKNAME_MAX];     /* "raw", "seqpacket", "type-12" */
	char protocol[SUP_SOCKNAME_MAX]; /* "sctp", "icmp", "eth-0x0003", "7" */
};

/* The names of (family, type, protocol) as the kernel will read them:
 * type without SOCK_NONBLOCK/SOCK_CLOEXEC; AF_INET with SOCK_PACKET is
 * named as the AF_PACKET socket the kernel makes of it; an AF_PACKET
 * protocol (an ethertype in network order) as "eth-0xNNNN". */
void sup_socket_names(int family, int type, int protocol, struct sup_socket_names *ret);

/* The gate.allow_socket_families entry that allows (family, type,
 * protocol), or NULL (denied). A family name allows every socket of that
 * family; "raw" allows SOCK_RAW and "sctp" allows SCTP (IPPROTO_SCTP, or
 * SOCK_SEQPACKET with protocol 0, which the kernel makes SCTP) in
 * AF_INET and AF_INET6. allowed is a list of validated names. */
const char *sup_socket_allowed_by(const char *const *allowed, size_t n_allowed, int family,
				  int type, int protocol);

#endif
