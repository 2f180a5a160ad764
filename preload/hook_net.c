/*
 * Network hooks of libattesta-preload.so. Resolver hooks (getaddrinfo and
 * the gethostbyname family) call the real function first and, when it
 * succeeded, report "this thread resolved NAME to these addresses" so the
 * supervisor can show a name next to the address the kernel later sees in
 * connect(). connect and sendto (with a destination) report which libc
 * entry point is about to make the syscall, before making it.
 *
 * sendmsg with a msg_name is reported like sendto. In shim-only mode
 * (gate.c) connect, sendto and sendmsg with a destination ask the
 * supervisor first instead of reporting, and fail when denied.
 *
 * Trust: the names, addresses and pointers come from the program; the
 * resolver's answers come from libc (after a successful call, so they are
 * readable). Names are never sent unbounded; numeric host strings carry no
 * information and are not reported. The supervisor treats all of it as a
 * claim to verify (docs/SECURITY.md).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include "preload/shim.h"

typedef int (*getaddrinfo_fn)(const char *, const char *, const struct addrinfo *,
			      struct addrinfo **);
typedef struct hostent *(*gethostbyname_fn)(const char *);
typedef struct hostent *(*gethostbyname2_fn)(const char *, int);
typedef int (*gethostbyname_r_fn)(const char *, struct hostent *, char *, size_t,
				  struct hostent **, int *);
typedef int (*gethostbyname2_r_fn)(const char *, int, struct hostent *, char *, size_t,
				   struct hostent **, int *);
typedef int (*connect_fn)(int, const struct sockaddr *, socklen_t);
typedef ssize_t (*sendto_fn)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
typedef ssize_t (*sendmsg_fn)(int, const struct msghdr *, int);

/* Start a resolve message for name (already read by libc, so readable).
 * Returns 0 when the name is not worth reporting. */
static int resolve_init(struct shim_resolve_msg *msg, uint8_t api, const char *name)
{
	unsigned char probe[16];
	size_t len;

	if (name == NULL)
		return 0;
	len = strnlen(name, POL_SHIM_MAX_HOST + 1);
	if (len == 0 || len > POL_SHIM_MAX_HOST)
		return 0;
	if (inet_pton(AF_INET, name, probe) == 1 || inet_pton(AF_INET6, name, probe) == 1)
		return 0;
	/* The supervisor only accepts DNS-style names (it shows them to
	 * people); anything else would be counted as garbage. */
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '-' || c == '_'))
			return 0;
	}
	memset(msg, 0, sizeof(*msg));
	msg->api = api;
	msg->name_len = (uint16_t)len;
	memcpy(msg->name, name, len);
	return 1;
}

/* Append one address unless already present. */
static void resolve_add(struct shim_resolve_msg *msg, int family, const void *addr)
{
	struct shim_addr a;

	memset(&a, 0, sizeof(a));
	if (family == AF_INET) {
		a.family = SHIM_AF_INET;
		memcpy(a.addr, addr, 4);
	} else if (family == AF_INET6) {
		a.family = SHIM_AF_INET6;
		memcpy(a.addr, addr, 16);
	} else {
		return;
	}
	for (unsigned i = 0; i < msg->naddr; i++)
		if (memcmp(&msg->addr[i], &a, sizeof(a)) == 0)
			return;
	if (msg->naddr >= SHIM_MAX_ADDRS) {
		msg->flags |= SHIM_RESOLVE_TRUNCATED;
		return;
	}
	msg->addr[msg->naddr++] = a;
}

static void resolve_send(struct shim_resolve_msg *msg)
{
	if (msg->naddr > 0)
		shim_send(&msg->hdr, SHIM_MSG_RESOLVE, sizeof(*msg));
}

static void report_hostent(uint8_t api, const char *name, const struct hostent *he)
{
	struct shim_resolve_msg msg;
	int saved = errno;

	if (he == NULL || he->h_addr_list == NULL || !resolve_init(&msg, api, name))
		goto out;
	if ((he->h_addrtype == AF_INET && he->h_length == 4) ||
	    (he->h_addrtype == AF_INET6 && he->h_length == 16))
		for (size_t i = 0; he->h_addr_list[i] != NULL && i < 4 * SHIM_MAX_ADDRS; i++)
			resolve_add(&msg, he->h_addrtype, he->h_addr_list[i]);
	resolve_send(&msg);
out:
	errno = saved;
}

SHIM_EXPORT int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
			    struct addrinfo **res)
{
	getaddrinfo_fn real = (getaddrinfo_fn)shim_real(SHIM_SYM_GETADDRINFO);
	struct shim_resolve_msg msg;
	int rc, saved;

	if (real == NULL) {
		errno = ENOSYS;
		return EAI_SYSTEM;
	}
	if (!shim_enter())
		return real(node, service, hints, res);
	rc = real(node, service, hints, res);
	saved = errno;
	if (rc == 0 && res != NULL && resolve_init(&msg, SHIM_API_GETADDRINFO, node)) {
		size_t n = 0;

		for (const struct addrinfo *ai = *res; ai != NULL && n < 8 * SHIM_MAX_ADDRS;
		     ai = ai->ai_next, n++) {
			if (ai->ai_addr == NULL)
				continue;
			if (ai->ai_family == AF_INET && ai->ai_addrlen >= sizeof(struct sockaddr_in))
				resolve_add(&msg, AF_INET,
					    &((const struct sockaddr_in *)(const void *)ai->ai_addr)->sin_addr);
			else if (ai->ai_family == AF_INET6 &&
				 ai->ai_addrlen >= sizeof(struct sockaddr_in6))
				resolve_add(&msg, AF_INET6,
					    &((const struct sockaddr_in6 *)(const void *)ai->ai_addr)->sin6_addr);
		}
		resolve_send(&msg);
	}
	shim_leave();
	errno = saved;
	return rc;
}

SHIM_EXPORT struct hostent *gethostbyname(const char *name)
{
	gethostbyname_fn real = (gethostbyname_fn)shim_real(SHIM_SYM_GETHOSTBYNAME);
	struct hostent *he;

	if (real == NULL) {
		h_errno = NO_RECOVERY;
		return NULL;
	}
	if (!shim_enter())
		return real(name);
	he = real(name);
	report_hostent(SHIM_API_GETHOSTBYNAME, name, he);
	shim_leave();
	return he;
}

SHIM_EXPORT struct hostent *gethostbyname2(const char *name, int af)
{
	gethostbyname2_fn real = (gethostbyname2_fn)shim_real(SHIM_SYM_GETHOSTBYNAME2);
	struct hostent *he;

	if (real == NULL) {
		h_errno = NO_RECOVERY;
		return NULL;
	}
	if (!shim_enter())
		return real(name, af);
	he = real(name, af);
	report_hostent(SHIM_API_GETHOSTBYNAME2, name, he);
	shim_leave();
	return he;
}

SHIM_EXPORT int gethostbyname_r(const char *name, struct hostent *ret, char *buf, size_t buflen,
				 struct hostent **result, int *h_errnop)
{
	gethostbyname_r_fn real = (gethostbyname_r_fn)shim_real(SHIM_SYM_GETHOSTBYNAME_R);
	int rc;

	if (real == NULL)
		return ENOSYS;
	if (!shim_enter())
		return real(name, ret, buf, buflen, result, h_errnop);
	rc = real(name, ret, buf, buflen, result, h_errnop);
	if (rc == 0 && result != NULL && *result != NULL)
		report_hostent(SHIM_API_GETHOSTBYNAME_R, name, *result);
	shim_leave();
	return rc;
}

SHIM_EXPORT int gethostbyname2_r(const char *name, int af, struct hostent *ret, char *buf,
				  size_t buflen, struct hostent **result, int *h_errnop)
{
	gethostbyname2_r_fn real = (gethostbyname2_r_fn)shim_real(SHIM_SYM_GETHOSTBYNAME2_R);
	int rc;

	if (real == NULL)
		return ENOSYS;
	if (!shim_enter())
		return real(name, af, ret, buf, buflen, result, h_errnop);
	rc = real(name, af, ret, buf, buflen, result, h_errnop);
	if (rc == 0 && result != NULL && *result != NULL)
		report_hostent(SHIM_API_GETHOSTBYNAME2_R, name, *result);
	shim_leave();
	return rc;
}

/* Report entry as about to send to / connect to addr. */
static void report_socket_call(uint8_t entry, int fd, const struct sockaddr *addr, socklen_t len)
{
	struct shim_call_msg msg;
	int saved = errno;

	shim_call_init(&msg, entry);
	msg.fd = fd;
	if (shim_addr_from_sockaddr(&msg.addr, addr, len)) {
		msg.flags |= SHIM_CALL_HAS_ADDR;
	} else if (addr != NULL && len > offsetof(struct sockaddr_un, sun_path)) {
		/* AF_UNIX: the path as text; an abstract name gets an '@'. */
		struct sockaddr_un un;
		size_t got, plen;

		memset(&un, 0, sizeof(un));
		got = shim_peek(&un, addr, len < (socklen_t)sizeof(un) ? (size_t)len : sizeof(un));
		if (got > offsetof(struct sockaddr_un, sun_path) && un.sun_family == AF_UNIX) {
			const char *p = un.sun_path;
			size_t avail = got - offsetof(struct sockaddr_un, sun_path), at = 0;

			if (p[0] == '\0') {
				msg.text[at++] = '@';
				p++;
				avail--;
			}
			plen = strnlen(p, avail);
			memcpy(msg.text + at, p, plen);
			msg.text_len = (uint16_t)(at + plen);
		}
	}
	shim_send(&msg.hdr, SHIM_MSG_CALL, sizeof(msg));
	errno = saved;
}

/* Shim-only mode: ask before a network call. 0 or the errno. */
static int net_gate(uint8_t entry, long nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
		    uint64_t a4, uint64_t a5)
{
	const uint64_t args[6] = { a0, a1, a2, a3, a4, a5 };

	return shim_gate_ask(entry, nr, args, NULL);
}

SHIM_EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	connect_fn real = (connect_fn)shim_real(SHIM_SYM_CONNECT);
	int rc;

	if (real == NULL) {
		errno = ENOSYS;
		return -1;
	}
	if (shim_gate_on()) {
		int err = net_gate(SHIM_ENTRY_CONNECT, SYS_connect, (uint64_t)fd,
				   (uint64_t)(uintptr_t)addr, (uint64_t)len, 0, 0, 0);

		if (err != 0) {
			errno = err;
			return -1;
		}
		return real(fd, addr, len);
	}
	if (!shim_enter())
		return real(fd, addr, len);
	report_socket_call(SHIM_ENTRY_CONNECT, fd, addr, len);
	rc = real(fd, addr, len);
	shim_leave();
	return rc;
}

SHIM_EXPORT ssize_t sendto(int fd, const void *buf, size_t n, int flags,
			   const struct sockaddr *addr, socklen_t len)
{
	sendto_fn real = (sendto_fn)shim_real(SHIM_SYM_SENDTO);
	ssize_t rc;

	if (real == NULL) {
		errno = ENOSYS;
		return -1;
	}
	/* Without a destination sendto is a plain send: not gated, nothing
	 * to annotate. */
	if (addr != NULL && len != 0 && shim_gate_on()) {
		int err = net_gate(SHIM_ENTRY_SENDTO, SYS_sendto, (uint64_t)fd, (uint64_t)(uintptr_t)buf,
				   (uint64_t)n, (uint64_t)(unsigned)flags, (uint64_t)(uintptr_t)addr,
				   (uint64_t)len);

		if (err != 0) {
			errno = err;
			return -1;
		}
		return real(fd, buf, n, flags, addr, len);
	}
	if (addr == NULL || len == 0 || !shim_enter())
		return real(fd, buf, n, flags, addr, len);
	report_socket_call(SHIM_ENTRY_SENDTO, fd, addr, len);
	rc = real(fd, buf, n, flags, addr, len);
	shim_leave();
	return rc;
}

SHIM_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	sendmsg_fn real = (sendmsg_fn)shim_real(SHIM_SYM_SENDMSG);
	struct msghdr copy;
	ssize_t rc;

	if (real == NULL) {
		errno = ENOSYS;
		return -1;
	}
	/* Only a message with a destination is gated; a bad msg pointer is
	 * the kernel's EFAULT to report. */
	if (msg == NULL || shim_peek(&copy, msg, sizeof(copy)) != sizeof(copy) ||
	    copy.msg_name == NULL || copy.msg_namelen == 0)
		return real(fd, msg, flags);
	if (shim_gate_on()) {
		int err = net_gate(SHIM_ENTRY_SENDMSG, SYS_sendmsg, (uint64_t)fd,
				   (uint64_t)(uintptr_t)msg, (uint64_t)(unsigned)flags, 0, 0, 0);

		if (err != 0) {
			errno = err;
			return -1;
		}
		return real(fd, msg, flags);
	}
	if (!shim_enter())
		return real(fd, msg, flags);
	report_socket_call(SHIM_ENTRY_SENDMSG, fd, copy.msg_name, copy.msg_namelen);
	rc = real(fd, msg, flags);
	shim_leave();
	return rc;
}
