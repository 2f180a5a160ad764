/*
 * Socket addresses as the gate sees them: decode the raw bytes of a
 * sockaddr copied from a sandboxed process into text for the policy and
 * the audit log, and encode that text back into the exact sockaddr the
 * supervisor then uses to emulate the call (so the call made is the call
 * decided on). Pure functions, no I/O.
 *
 * Trust: the input bytes and length come from the target and are hostile;
 * every length is checked before a field is read.
 *
 * Text forms (struct sup_sockaddr_text.address):
 *   AF_INET     "1.2.3.4"
 *   AF_INET6    "2001:db8::1", "fe80::1%2" (numeric scope id when non-zero),
 *               and a v4-mapped address as its IPv4 form "1.2.3.4" (family
 *               stays AF_INET6; encode() maps it back)
 *   AF_UNIX     the path as given ("/run/x.sock", "rel.sock"; a relative
 *               path starting with '@' as "./@x"), "@name" for
 *               an abstract name (bytes NUL -> "\0", '\\' -> "\\\\", other
 *               bytes kept), "" for an unnamed address
 *   AF_NETLINK  "PID" or "PID/GROUPS" (decimal)
 *   AF_UNSPEC   "" (connect(AF_UNSPEC) dissolves a datagram association)
 * Any other family is -EAFNOSUPPORT.
 */
#ifndef ATTESTA_SUP_SOCKADDR_H
#define ATTESTA_SUP_SOCKADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Worst case: an abstract name of 107 bytes, each escaped as "\0" (2),
 * plus '@' and NUL. */
#define SUP_SOCKADDR_TEXT_MAX 256

struct sup_sockaddr_text {
	int family;
	uint16_t port;          /* host order; 0 for AF_UNIX/AF_NETLINK */
	bool unix_abstract;
	bool unix_unnamed;
	bool v4mapped;          /* AF_INET6 carrying ::ffff:a.b.c.d */
	char address[SUP_SOCKADDR_TEXT_MAX];
};

/*
 * Decode len bytes at buf. len is the addrlen the target passed and must be
 * <= sizeof(struct sockaddr_storage) and long enough for the family's
 * structure (AF_UNIX: > sizeof(sa_family_t) for a name, == for unnamed).
 * 0, or -EINVAL (short/oversized/malformed, reason says which) or
 * -EAFNOSUPPORT. *ret written only on success.
 */
int sup_sockaddr_decode(const void *buf, size_t len, struct sup_sockaddr_text *ret,
			char *reason, size_t reason_size);

/*
 * The action's args[0]: "1.2.3.4:80", "[2001:db8::1]:443", the AF_UNIX
 * path or "@name", "netlink:PID", "unspec". Always NUL-terminates;
 * returns 0 or -ENAMETOOLONG.
 */
int sup_sockaddr_format(const struct sup_sockaddr_text *text, char *buf, size_t size);

/*
 * Inverse of decode for the supervisor's emulation: family, address text
 * and port (as stored in a pol_action) -> sockaddr + length. AF_UNIX path
 * addresses are encoded as given (the caller substitutes its own
 * "/proc/self/fd/N" path for path names). 0, -EINVAL, -EAFNOSUPPORT.
 */
int sup_sockaddr_encode(int family, const char *address, uint16_t port,
			struct sockaddr_storage *ret_addr, socklen_t *ret_len);

/* The socket an address is used on, as the kernel sees it (getsockopt
 * SO_DOMAIN, SO_TYPE, SO_PROTOCOL and getsockname on the decoder's copy
 * of the target's socket). bound_len 0: not known / not bound. */
struct sup_sock_facts {
	int domain, type, protocol;
	bool is_connect;                 /* connect(), not a send */
	struct sockaddr_storage bound;
	socklen_t bound_len;
	/* The first IPv4 address (network order) of the device the socket
	 * sends through when it names one (SO_BINDTODEVICE; IP_UNICAST_IF
	 * for a socket other than TCP), 0 if none or no address. */
	uint32_t device_v4;
};

/*
 * Rewrite the raw destination buf (*len bytes, as copied from the target)
 * in place into the address the kernel will reach (docs/decode.md,
 * "Canonical addresses"), before sup_sockaddr_decode():
 *   - IPv4 0.0.0.0 (AF_INET or v4-mapped): the socket's bound IPv4
 *     address (AF_INET, or v4-mapped on AF_INET6) if it has one, else
 *     the address of the device it is bound to (device_v4), else
 *     127.0.0.1 (net/ipv4/route.c: daddr = saddr, the source chosen on
 *     the output device, or loopback);
 *   - IPv6 ::: ::ffff:127.0.0.1 when the socket is bound to a v4-mapped
 *     address, else ::1 (tcp_v6_connect, ip6_datagram_connect,
 *     udpv6_sendmsg);
 *   - sin6_scope_id: cleared unless the address needs one (link-local,
 *     or interface/link-local multicast): the kernel ignores it;
 *   - a send with an AF_UNSPEC address on an AF_INET UDP or raw socket:
 *     AF_INET (udp_sendmsg and raw_sendmsg use sin_addr anyway);
 *   - ping sockets (IPPROTO_ICMP/ICMPV6): port 0 (not used).
 * Everything else (127.x, IPv4-compatible ::a.b.c.d, AF_UNIX) is left as
 * it is. Returns true when it changed something.
 */
bool sup_sockaddr_canonicalize(unsigned char *buf, size_t *len, const struct sup_sock_facts *s);

#endif
