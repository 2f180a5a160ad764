/*
 * Bounded parser for one datagram from libattesta-preload.so. The datagram
 * is written by the sandboxed agent (it can send any bytes on the shim
 * socket), so it is first copied into an aligned local buffer, then every
 * field of the whole message is checked, and only then is the caller's
 * struct written. No str* function runs over bytes that were not bounded
 * first. See shim_msg.h for the exact errors.
 */
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>

#include "supervisor/common/shim_msg.h"

static const char *const entry_names[] = {
	[SHIM_ENTRY_CONNECT] = "connect",         [SHIM_ENTRY_SENDTO] = "sendto",
	[SHIM_ENTRY_EXECVE] = "execve",           [SHIM_ENTRY_EXECV] = "execv",
	[SHIM_ENTRY_EXECVP] = "execvp",           [SHIM_ENTRY_EXECVPE] = "execvpe",
	[SHIM_ENTRY_EXECL] = "execl",             [SHIM_ENTRY_EXECLP] = "execlp",
	[SHIM_ENTRY_EXECLE] = "execle",           [SHIM_ENTRY_POSIX_SPAWN] = "posix_spawn",
	[SHIM_ENTRY_POSIX_SPAWNP] = "posix_spawnp", [SHIM_ENTRY_SYSTEM] = "system",
	[SHIM_ENTRY_POPEN] = "popen",     [SHIM_ENTRY_UNLINK] = "unlink",
	[SHIM_ENTRY_UNLINKAT] = "unlinkat", [SHIM_ENTRY_RMDIR] = "rmdir",
	[SHIM_ENTRY_REMOVE] = "remove",   [SHIM_ENTRY_SENDMSG] = "sendmsg",
};

const char *sup_shim_entry_name(unsigned entry)
{
	return entry >= 1 && entry <= SHIM_ENTRY_MAX ? entry_names[entry] : "?";
}

static int all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return 0;
	return 1;
}

/* s[cap] holds a string of exactly len bytes: no NUL before len, NUL at
 * len, zeros after. */
static int string_ok(const char *s, size_t cap, size_t len)
{
	if (len >= cap)
		return 0;
	if (memchr(s, '\0', len) != NULL)
		return 0;
	return all_zero(s + len, cap - len);
}

static int host_char_ok(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '-' || c == '_';
}

/* An address: known family, IPv4 leaves bytes 4..15 zero. has_port says
 * whether a non-zero port is allowed. */
static int addr_ok(const struct shim_addr *a, int has_port)
{
	if (!has_port && a->port != 0)
		return 0;
	if (a->family == SHIM_AF_INET)
		return all_zero(a->addr + 4, sizeof(a->addr) - 4);
	return a->family == SHIM_AF_INET6;
}

static int resolve_ok(const struct shim_resolve_msg *m)
{
	if (m->api < 1 || m->api > SHIM_API_MAX)
		return 0;
	if ((m->flags & ~SHIM_RESOLVE_TRUNCATED) != 0 || m->reserved0 != 0 || m->reserved1 != 0)
		return 0;
	if (m->naddr < 1 || m->naddr > SHIM_MAX_ADDRS)
		return 0;
	for (unsigned i = 0; i < SHIM_MAX_ADDRS; i++) {
		if (i < m->naddr ? !addr_ok(&m->addr[i], 0)
				 : !all_zero(&m->addr[i], sizeof(m->addr[i])))
			return 0;
	}
	if (m->name_len < 1 || m->name_len > POL_SHIM_MAX_HOST)
		return 0;
	if (!string_ok(m->name, sizeof(m->name), m->name_len))
		return 0;
	for (unsigned i = 0; i < m->name_len; i++)
		if (!host_char_ok((unsigned char)m->name[i]))
			return 0;
	return 1;
}

static int call_ok(const struct shim_call_msg *m)
{
	if (m->entry < 1 || m->entry > SHIM_ENTRY_MAX)
		return 0;
	if ((m->flags & ~SHIM_CALL_FLAGS_ALL) != 0 || m->reserved != 0)
		return 0;
	if (m->fd < -1)
		return 0;
	if (m->flags & SHIM_CALL_HAS_ADDR) {
		if (!addr_ok(&m->addr, 1))
			return 0;
	} else if (!all_zero(&m->addr, sizeof(m->addr))) {
		return 0;
	}
	if (m->text_len > SHIM_MAX_TEXT)
		return 0;
	return string_ok(m->text, sizeof(m->text), m->text_len);
}

int sup_shim_parse(const void *buf, size_t len, struct sup_shim_msg *ret_msg)
{
	/* Aligned private copy: the agent cannot change it while we check. */
	union {
		struct shim_hdr hdr;
		struct shim_resolve_msg resolve;
		struct shim_call_msg call;
		unsigned char bytes[POL_SHIM_MAX_MSG];
	} copy;
	size_t want;

	if (buf == NULL || ret_msg == NULL)
		return -EINVAL;
	if (len < sizeof(struct shim_hdr) || len > POL_SHIM_MAX_MSG)
		return -EMSGSIZE;
	memset(&copy, 0, sizeof(copy));
	memcpy(copy.bytes, buf, len);
	if (copy.hdr.magic != SHIM_PROTO_MAGIC)
		return -EPROTO;
	if (copy.hdr.version != SHIM_PROTO_VERSION)
		return -EPROTONOSUPPORT;
	switch (copy.hdr.type) {
	case SHIM_MSG_RESOLVE:
		want = sizeof(struct shim_resolve_msg);
		break;
	case SHIM_MSG_CALL:
		want = sizeof(struct shim_call_msg);
		break;
	default:
		return -ENOMSG;
	}
	if (copy.hdr.size != len || len != want)
		return -EMSGSIZE;
	if (copy.hdr.tid <= 0 || copy.hdr.pid <= 0 || copy.hdr.reserved != 0)
		return -EBADMSG;
	if (copy.hdr.type == SHIM_MSG_RESOLVE ? !resolve_ok(&copy.resolve) : !call_ok(&copy.call))
		return -EBADMSG;
	memset(ret_msg, 0, sizeof(*ret_msg));
	ret_msg->type = copy.hdr.type;
	memcpy(&ret_msg->u, copy.bytes, want);
	return 0;
}

/* The syscall a gate request's entry may ask about. */
static int gate_nr_ok(unsigned entry, int32_t nr)
{
	switch (entry) {
	case SHIM_ENTRY_CONNECT:
		return nr == SYS_connect;
	case SHIM_ENTRY_SENDTO:
		return nr == SYS_sendto;
	case SHIM_ENTRY_SENDMSG:
		return nr == SYS_sendmsg;
	case SHIM_ENTRY_UNLINK:
		return nr == SYS_unlink;
	case SHIM_ENTRY_UNLINKAT:
		return nr == SYS_unlinkat;
	case SHIM_ENTRY_RMDIR:
		return nr == SYS_rmdir;
	case SHIM_ENTRY_REMOVE:
		return nr == SYS_unlink || nr == SYS_rmdir;
	default:
		/* every exec and spawn entry, system and popen */
		return entry >= SHIM_ENTRY_EXECVE && entry <= SHIM_ENTRY_POPEN && nr == SYS_execve;
	}
}

int sup_shim_parse_gate(const void *buf, size_t len, struct shim_gate_request *ret_req)
{
	struct shim_gate_request copy; /* aligned private copy, as above */

	if (buf == NULL || ret_req == NULL)
		return -EINVAL;
	if (len < sizeof(struct shim_hdr) || len > POL_SHIM_MAX_MSG)
		return -EMSGSIZE;
	memset(&copy, 0, sizeof(copy));
	memcpy(&copy, buf, len);
	if (copy.hdr.magic != SHIM_PROTO_MAGIC)
		return -EPROTO;
	if (copy.hdr.version != SHIM_PROTO_VERSION)
		return -EPROTONOSUPPORT;
	if (copy.hdr.type != SHIM_MSG_GATE_REQUEST)
		return -ENOMSG;
	if (copy.hdr.size != len || len != sizeof(copy))
		return -EMSGSIZE;
	if (copy.hdr.tid <= 0 || copy.hdr.pid <= 0 || copy.hdr.reserved != 0 || copy.reserved != 0)
		return -EBADMSG;
	if (copy.entry < 1 || copy.entry > SHIM_ENTRY_MAX || !gate_nr_ok(copy.entry, copy.nr))
		return -EBADMSG;
	if ((copy.flags & ~SHIM_CALL_TEXT_TRUNCATED) != 0 || copy.text_len > SHIM_GATE_MAX_TEXT)
		return -EBADMSG;
	if (!string_ok(copy.text, sizeof(copy.text), copy.text_len))
		return -EBADMSG;
	*ret_req = copy;
	return 0;
}

void sup_shim_gate_verdict(const struct shim_gate_request *req, int allow, int error,
			   struct shim_gate_verdict *ret_verdict)
{
	struct shim_gate_verdict v;

	memset(&v, 0, sizeof(v));
	v.hdr.magic = SHIM_PROTO_MAGIC;
	v.hdr.version = SHIM_PROTO_VERSION;
	v.hdr.type = SHIM_MSG_GATE_VERDICT;
	v.hdr.size = sizeof(v);
	v.hdr.tid = req->hdr.tid;
	v.hdr.pid = req->hdr.pid;
	v.request_id = req->request_id;
	if (allow) {
		v.decision = SHIM_GATE_ALLOW;
	} else {
		v.decision = SHIM_GATE_DENY;
		v.error = error >= 1 && error <= 4095 ? error : 1 /* EPERM */;
	}
	*ret_verdict = v;
}
