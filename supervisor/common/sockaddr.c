/*
 * Socket address decoding and re-encoding for the gate (see sockaddr.h).
 * Input bytes come from a sandboxed process: the length is checked against
 * the family's structure before any field is read, and the structure is
 * copied into an aligned local before use.
 */
#include "supervisor/common/sockaddr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

static int fail(char *reason, size_t reason_size, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *reason, size_t reason_size, int err, const char *fmt, ...)
{
	va_list ap;

	if (reason && reason_size) {
		va_start(ap, fmt);
		vsnprintf(reason, reason_size, fmt, ap);
		va_end(ap);
	}
	return err;
}

static int decode_unix(const unsigned char *buf, size_t len, struct sup_sockaddr_text *t,
		       char *reason, size_t reason_size)
{
	size_t off = offsetof(struct sockaddr_un, sun_path);
	size_t n = len - off, o = 0;
	const unsigned char *p = buf + off;

	if (len > sizeof(struct sockaddr_un))
		return fail(reason, reason_size, -EINVAL,
			    "oversized sockaddr_un (addrlen %zu > %zu)", len,
			    sizeof(struct sockaddr_un));
	if (n == 0) {
		t->unix_unnamed = true;
		return 0;
	}
	if (p[0] == '\0') {
		t->unix_abstract = true;
		t->address[o++] = '@';
		for (size_t i = 1; i < n; i++) {
			/* 2 bytes per escaped byte + NUL: always fits (see header). */
			if (p[i] == '\0') {
				t->address[o++] = '\\';
				t->address[o++] = '0';
			} else if (p[i] == '\\') {
				t->address[o++] = '\\';
				t->address[o++] = '\\';
			} else {
				t->address[o++] = (char)p[i];
			}
		}
		t->address[o] = '\0';
		return 0;
	}
	/* A path name ends at the first NUL (the kernel does the same), and
	 * may fill sun_path without one. A relative name starting with '@'
	 * is written "./@..." so that it cannot be read as an abstract name. */
	if (p[0] == '@') {
		t->address[o++] = '.';
		t->address[o++] = '/';
	}
	for (size_t i = 0; i < n && p[i] != '\0'; i++)
		t->address[o++] = (char)p[i];
	t->address[o] = '\0';
	return 0;
}

int sup_sockaddr_decode(const void *buf, size_t len, struct sup_sockaddr_text *ret,
			char *reason, size_t reason_size)
{
	struct sup_sockaddr_text t;
	sa_family_t family;
	int r = 0;

	memset(&t, 0, sizeof(t));
	if (len > sizeof(struct sockaddr_storage))
		return fail(reason, reason_size, -EINVAL,
			    "oversized socket address (addrlen %zu > %zu)", len,
			    sizeof(struct sockaddr_storage));
	if (len < sizeof(sa_family_t))
		return fail(reason, reason_size, -EINVAL,
			    "short socket address (addrlen %zu < %zu)", len, sizeof(sa_family_t));
	memcpy(&family, buf, sizeof(family));
	t.family = family;

	switch (family) {
	case AF_INET: {
		struct sockaddr_in sin;

		if (len < sizeof(sin))
			return fail(reason, reason_size, -EINVAL,
				    "short sockaddr_in (addrlen %zu < %zu)", len, sizeof(sin));
		memcpy(&sin, buf, sizeof(sin));
		inet_ntop(AF_INET, &sin.sin_addr, t.address, sizeof(t.address));
		t.port = ntohs(sin.sin_port);
		break;
	}
	case AF_INET6: {
		struct sockaddr_in6 sin6;

		/* The kernel accepts the 24-byte RFC 2133 layout (no scope id). */
		if (len < 24)
			return fail(reason, reason_size, -EINVAL,
				    "short sockaddr_in6 (addrlen %zu < 24)", len);
		memset(&sin6, 0, sizeof(sin6));
		memcpy(&sin6, buf, len < sizeof(sin6) ? len : sizeof(sin6));
		t.port = ntohs(sin6.sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&sin6.sin6_addr)) {
			t.v4mapped = true;
			inet_ntop(AF_INET, &sin6.sin6_addr.s6_addr[12], t.address,
				  sizeof(t.address));
		} else {
			size_t o;

			inet_ntop(AF_INET6, &sin6.sin6_addr, t.address, sizeof(t.address));
			o = strlen(t.address);
			if (sin6.sin6_scope_id)
				snprintf(t.address + o, sizeof(t.address) - o, "%%%" PRIu32,
					 sin6.sin6_scope_id);
		}
		break;
	}
	case AF_UNIX:
		r = decode_unix(buf, len, &t, reason, reason_size);
		break;
	case AF_NETLINK: {
		struct sockaddr_nl nl;

		if (len < sizeof(nl))
			return fail(reason, reason_size, -EINVAL,
				    "short sockaddr_nl (addrlen %zu < %zu)", len, sizeof(nl));
		memcpy(&nl, buf, sizeof(nl));
		if (nl.nl_groups)
			snprintf(t.address, sizeof(t.address), "%" PRIu32 "/%" PRIu32, nl.nl_pid,
				 nl.nl_groups);
		else
			snprintf(t.address, sizeof(t.address), "%" PRIu32, nl.nl_pid);
		break;
	}
	case AF_UNSPEC:
		break;
	default:
		return fail(reason, reason_size, -EAFNOSUPPORT,
			    "unsupported address family %u", (unsigned)family);
	}
	if (r < 0)
		return r;
	*ret = t;
	return 0;
}

int sup_sockaddr_format(const struct sup_sockaddr_text *t, char *buf, size_t size)
{
	int n;

	switch (t->family) {
	case AF_INET:
		n = snprintf(buf, size, "%s:%u", t->address, t->port);
		break;
	case AF_INET6:
		if (t->v4mapped)
			n = snprintf(buf, size, "%s:%u", t->address, t->port);
		else
			n = snprintf(buf, size, "[%s]:%u", t->address, t->port);
		break;
	case AF_UNIX:
		n = snprintf(buf, size, "%s", t->unix_unnamed ? "unix:unnamed" : t->address);
		break;
	case AF_NETLINK:
		n = snprintf(buf, size, "netlink:%s", t->address);
		break;
	case AF_UNSPEC:
		n = snprintf(buf, size, "unspec");
		break;
	default:
		n = snprintf(buf, size, "family:%d", t->family);
		break;
	}
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

static int parse_u32(const char *s, char end, uint32_t *ret, const char **ret_end)
{
	char *e;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &e, 10);
	if (errno || v > UINT32_MAX || *e != end)
		return -EINVAL;
	*ret = (uint32_t)v;
	if (ret_end)
		*ret_end = e;
	return 0;
}

static int encode_unix(const char *address, struct sockaddr_un *sun, socklen_t *ret_len)
{
	size_t o = 0, max = sizeof(sun->sun_path);

	if (address[0] == '\0') {
		*ret_len = sizeof(sa_family_t);
		return 0;
	}
	if (address[0] == '@') {
		sun->sun_path[o++] = '\0';
		for (const char *p = address + 1; *p; p++) {
			char c = *p;

			if (c == '\\') {
				p++;
				if (*p == '0')
					c = '\0';
				else if (*p == '\\')
					c = '\\';
				else
					return -EINVAL;
			}
			if (o >= max)
				return -EINVAL;
			sun->sun_path[o++] = c;
		}
		*ret_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + o);
		return 0;
	}
	o = strlen(address);
	if (o >= max)
		return -EINVAL;
	memcpy(sun->sun_path, address, o + 1);
	*ret_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + o + 1);
	return 0;
}

int sup_sockaddr_encode(int family, const char *address, uint16_t port,
			struct sockaddr_storage *ret_addr, socklen_t *ret_len)
{
	struct sockaddr_storage ss;
	socklen_t len = 0;
	int r;

	memset(&ss, 0, sizeof(ss));
	if (!address)
		address = "";
	switch (family) {
	case AF_INET: {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		if (inet_pton(AF_INET, address, &sin->sin_addr) != 1)
			return -EINVAL;
		len = sizeof(*sin);
		break;
	}
	case AF_INET6: {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		char host[INET6_ADDRSTRLEN];
		const char *pct = strchr(address, '%');
		size_t hl = pct ? (size_t)(pct - address) : strlen(address);

		if (hl >= sizeof(host))
			return -EINVAL;
		memcpy(host, address, hl);
		host[hl] = '\0';
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		if (pct) {
			r = parse_u32(pct + 1, '\0', &sin6->sin6_scope_id, NULL);
			if (r < 0 || sin6->sin6_scope_id == 0)
				return -EINVAL;
		}
		if (!strchr(host, ':')) {
			/* v4-mapped, shown in its IPv4 form */
			if (pct)
				return -EINVAL;
			sin6->sin6_addr.s6_addr[10] = 0xff;
			sin6->sin6_addr.s6_addr[11] = 0xff;
			if (inet_pton(AF_INET, host, &sin6->sin6_addr.s6_addr[12]) != 1)
				return -EINVAL;
		} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1) {
			return -EINVAL;
		}
		len = sizeof(*sin6);
		break;
	}
	case AF_UNIX: {
		struct sockaddr_un *sun = (struct sockaddr_un *)&ss;

		sun->sun_family = AF_UNIX;
		r = encode_unix(address, sun, &len);
		if (r < 0)
			return r;
		break;
	}
	case AF_NETLINK: {
		struct sockaddr_nl *nl = (struct sockaddr_nl *)&ss;
		const char *e;

		nl->nl_family = AF_NETLINK;
		if (strchr(address, '/')) {
			r = parse_u32(address, '/', &nl->nl_pid, &e);
			if (r == 0)
				r = parse_u32(e + 1, '\0', &nl->nl_groups, NULL);
		} else {
			r = parse_u32(address, '\0', &nl->nl_pid, NULL);
		}
		if (r < 0)
			return r;
		len = sizeof(*nl);
		break;
	}
	case AF_UNSPEC:
		ss.ss_family = AF_UNSPEC;
		len = sizeof(struct sockaddr);
		break;
	default:
		return -EAFNOSUPPORT;
	}
	*ret_addr = ss;
	*ret_len = len;
	return 0;
}
