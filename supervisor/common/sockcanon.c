/*
 * Canonical destinations (see sup_sockaddr_canonicalize in sockaddr.h and
 * docs/decode.md, "Canonical addresses"): a rule must see the address the
 * kernel will reach, whatever spelling the agent used. Pure: the caller
 * supplies the socket's facts. The input bytes are the target's; every
 * length is checked before a field is read, and the structures are copied
 * into aligned locals.
 */
#include "supervisor/common/sockaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

/* The socket's bound IPv4 source (AF_INET, or v4-mapped on AF_INET6), or
 * 0 (INADDR_ANY: not bound to an IPv4 address). Network order. */
static uint32_t bound_v4(const struct sup_sock_facts *s, bool *ret_mapped)
{
	*ret_mapped = false;
	if (s->bound_len >= sizeof(struct sockaddr_in) && s->bound.ss_family == AF_INET) {
		struct sockaddr_in sin;

		memcpy(&sin, &s->bound, sizeof sin);
		return sin.sin_addr.s_addr;
	}
	if (s->bound_len >= 24 && s->bound.ss_family == AF_INET6) {
		struct sockaddr_in6 sin6;

		memcpy(&sin6, &s->bound, sizeof sin6);
		if (IN6_IS_ADDR_V4MAPPED(&sin6.sin6_addr)) {
			uint32_t a;

			*ret_mapped = true;
			memcpy(&a, &sin6.sin6_addr.s6_addr[12], sizeof a);
			return a;
		}
	}
	return 0;
}

/* IPv4 INADDR_ANY reaches the socket's bound address, else the source
 * address chosen on its output device (inet_select_addr), else loopback
 * (net/ipv4/route.c ip_route_output_key_hash_rcu: daddr = saddr). */
static uint32_t any_v4_reaches(const struct sup_sock_facts *s)
{
	bool mapped;
	uint32_t a = bound_v4(s, &mapped);

	if (!a)
		a = s->device_v4;
	return a ? a : htonl(INADDR_LOOPBACK);
}

/* net/ipv6/addrconf_core.c __ipv6_addr_needs_scope_id: link-local
 * unicast, and multicast of interface- or link-local scope. */
static bool needs_scope_id(const struct in6_addr *a)
{
	if (IN6_IS_ADDR_LINKLOCAL(a))
		return true;
	if (IN6_IS_ADDR_MULTICAST(a)) {
		unsigned scope = a->s6_addr[1] & 0x0f;

		return scope == 0x1 || scope == 0x2;
	}
	return false;
}

static bool is_ping(const struct sup_sock_facts *s)
{
	return s->type == SOCK_DGRAM &&
	       (s->protocol == IPPROTO_ICMP || s->protocol == IPPROTO_ICMPV6);
}

bool sup_sockaddr_canonicalize(unsigned char *buf, size_t *len, const struct sup_sock_facts *s)
{
	sa_family_t family;
	bool changed = false;

	if (*len < sizeof(sa_family_t) || *len > sizeof(struct sockaddr_storage))
		return false; /* the decoder reports it */
	memcpy(&family, buf, sizeof family);

	/* udp_sendmsg and raw_sendmsg accept AF_UNSPEC and read sin_addr
	 * and sin_port anyway; connect(AF_UNSPEC) is a disconnect. */
	if (family == AF_UNSPEC && !s->is_connect && s->domain == AF_INET &&
	    *len >= sizeof(struct sockaddr_in) &&
	    (s->type == SOCK_RAW || s->protocol == IPPROTO_UDP || s->protocol == IPPROTO_UDPLITE)) {
		family = AF_INET;
		memcpy(buf, &family, sizeof family);
		changed = true;
	}
	if (family == AF_INET && *len >= sizeof(struct sockaddr_in)) {
		struct sockaddr_in sin;

		memcpy(&sin, buf, sizeof sin);
		if (sin.sin_addr.s_addr == htonl(INADDR_ANY)) {
			sin.sin_addr.s_addr = any_v4_reaches(s);
			changed = true;
		}
		if (is_ping(s) && sin.sin_port) {
			sin.sin_port = 0;
			changed = true;
		}
		memcpy(buf, &sin, sizeof sin);
	} else if (family == AF_INET6 && *len >= 24) {
		struct sockaddr_in6 sin6;
		size_t n = *len < sizeof sin6 ? *len : sizeof sin6;
		bool mapped;

		memset(&sin6, 0, sizeof sin6);
		memcpy(&sin6, buf, n);
		if (IN6_IS_ADDR_V4MAPPED(&sin6.sin6_addr)) {
			uint32_t a;

			memcpy(&a, &sin6.sin6_addr.s6_addr[12], sizeof a);
			if (a == htonl(INADDR_ANY)) {
				a = any_v4_reaches(s);
				memcpy(&sin6.sin6_addr.s6_addr[12], &a, sizeof a);
				changed = true;
			}
		} else if (IN6_IS_ADDR_UNSPECIFIED(&sin6.sin6_addr)) {
			/* "connect to self if daddr is ::" */
			bound_v4(s, &mapped);
			if (mapped) {
				uint32_t lo = htonl(INADDR_LOOPBACK);

				sin6.sin6_addr.s6_addr[10] = 0xff;
				sin6.sin6_addr.s6_addr[11] = 0xff;
				memcpy(&sin6.sin6_addr.s6_addr[12], &lo, sizeof lo);
			} else {
				sin6.sin6_addr.s6_addr[15] = 1;
			}
			changed = true;
		}
		if (sin6.sin6_scope_id && (IN6_IS_ADDR_V4MAPPED(&sin6.sin6_addr) ||
					   !needs_scope_id(&sin6.sin6_addr))) {
			sin6.sin6_scope_id = 0;
			changed = true;
		}
		if (is_ping(s) && sin6.sin6_port) {
			sin6.sin6_port = 0;
			changed = true;
		}
		memcpy(buf, &sin6, n);
	}
	return changed;
}
