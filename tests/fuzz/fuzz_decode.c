/*
 * libFuzzer harness for the pure decoder helpers: the first byte picks a
 * target, the rest is the untrusted input as it would arrive from a
 * sandboxed process's memory. sockaddr bytes are decoded, formatted and
 * re-encoded (decode -> encode must reproduce a sockaddr that decodes to
 * the same text); sockaddr bytes with fuzzed socket facts are made
 * canonical (idempotent; never an unspecified IPv4/IPv6 destination
 * after); path bytes are split and normalized; flag words
 * are validated; a first byte from 0xf0 feeds an ELF file to the header
 * reader (supervisor/common/elfhdr.c). Build: clang -fsanitize=fuzzer,address -D_GNU_SOURCE -I.
 * tests/fuzz/fuzz_decode.c supervisor/common/sockaddr.c
 * supervisor/common/path.c supervisor/common/elfhdr.c
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>

#include "supervisor/common/elfhdr.h"
#include "supervisor/common/path.h"
#include "supervisor/common/sockaddr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_sockaddr(const uint8_t *data, size_t size)
{
	struct sup_sockaddr_text t, t2;
	struct sockaddr_storage ss;
	socklen_t len;
	char reason[256], args[SUP_SOCKADDR_TEXT_MAX + 32];

	if (sup_sockaddr_decode(data, size, &t, reason, sizeof(reason)) < 0)
		return;
	if (sup_sockaddr_format(&t, args, sizeof(args)) < 0)
		abort();
	if (t.family == AF_UNIX && !t.unix_abstract && !t.unix_unnamed &&
	    strlen(t.address) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return; /* a full sun_path without NUL has no NUL-terminated form */
	if (sup_sockaddr_encode(t.family, t.address, t.port, &ss, &len) < 0)
		abort();
	if (sup_sockaddr_decode(&ss, len, &t2, reason, sizeof(reason)) < 0)
		abort();
	if (t2.family != t.family || t2.port != t.port || strcmp(t2.address, t.address) != 0)
		abort();
}

/* 24 bytes of socket facts (domain, type, protocol selectors, connect
 * bit, a bound IPv4 or v4-mapped address, a device address), then the
 * destination. */
static void fuzz_canon(const uint8_t *data, size_t size)
{
	static const int domains[] = { AF_INET, AF_INET6, AF_UNIX, AF_UNSPEC };
	static const int types[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_RAW };
	static const int protos[] = { 0, 6, 17, 1, 58, 136 };
	unsigned char buf[sizeof(struct sockaddr_storage)], again[sizeof buf];
	struct sup_sock_facts f;
	struct sup_sockaddr_text t;
	size_t len, len2;

	if (size < 24)
		return;
	memset(&f, 0, sizeof f);
	f.domain = domains[data[0] % 4];
	f.type = types[data[1] % 3];
	f.protocol = protos[data[2] % 6];
	f.is_connect = data[3] & 1;
	if (data[3] & 2) {
		struct sockaddr_in sin = { .sin_family = AF_INET };

		memcpy(&sin.sin_addr, data + 4, 4);
		memcpy(&f.bound, &sin, sizeof sin);
		f.bound_len = sizeof sin;
	} else if (data[3] & 4) {
		struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };

		memcpy(&sin6.sin6_addr, data + 4, 16);
		memcpy(&f.bound, &sin6, sizeof sin6);
		f.bound_len = sizeof sin6;
	}
	memcpy(&f.device_v4, data + 20, 4);
	len = size - 24 < sizeof buf ? size - 24 : sizeof buf;
	memcpy(buf, data + 24, len);
	sup_sockaddr_canonicalize(buf, &len, &f);
	memcpy(again, buf, len);
	len2 = len;
	if (sup_sockaddr_canonicalize(again, &len2, &f) || len2 != len || memcmp(again, buf, len))
		abort(); /* not idempotent */
	if (sup_sockaddr_decode(buf, len, &t, NULL, 0) < 0)
		return;
	if ((t.family == AF_INET || (t.family == AF_INET6 && t.v4mapped)) &&
	    !strcmp(t.address, "0.0.0.0"))
		abort();
	if (t.family == AF_INET6 && !strcmp(t.address, "::"))
		abort();
}

static void fuzz_path(const uint8_t *data, size_t size)
{
	char path[4096], buf[8300], parent[4096], name[4096];
	bool trailing;

	if (size >= sizeof(path))
		size = sizeof(path) - 1;
	memcpy(path, data, size);
	path[size] = '\0';
	sup_path_split(path, parent, sizeof(parent), name, sizeof(name), &trailing);
	snprintf(buf, sizeof(buf), "/base/dir/%s", path);
	if (sup_path_normalize(buf) == 0) {
		/* normalizing twice changes nothing */
		char again[8300];

		memcpy(again, buf, strlen(buf) + 1);
		if (sup_path_normalize(again) < 0 || strcmp(again, buf) != 0)
			abort();
		if (strstr(buf, "//") || strstr(buf, "/./") || strstr(buf, "/../"))
			abort();
	}
}

/* An ELF file an agent wrote: the header reader must stay in bounds and
 * give a NUL-terminated interpreter and soname. */
static int fuzz_rd(void *ctx, void *buf, size_t len, uint64_t off)
{
	const struct { const uint8_t *d; size_t n; } *f = ctx;
	if (off > f->n || len > f->n - off)
		return -1;
	memcpy(buf, f->d + off, len);
	return 0;
}

static void fuzz_elf(const uint8_t *data, size_t size)
{
	struct { const uint8_t *d; size_t n; } f = { data, size };
	struct sup_elf_info info;
	char so[SUP_ELF_SONAME_MAX];

	if (sup_elf_parse(data, size < 512 ? size : 512, fuzz_rd, &f, &info) != 0)
		return;
	if (info.has_interp && strlen(info.interp) >= sizeof info.interp)
		abort();
	if (sup_elf_soname(&info, fuzz_rd, &f, so, sizeof so) == 1 && strlen(so) >= sizeof so)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char reason[128];
	long flags;

	if (size < 1)
		return 0;
	if (data[0] >= 0xf0) {
		fuzz_elf(data + 1, size - 1);
		return 0;
	}
	switch (data[0] % 4) {
	case 0:
		fuzz_sockaddr(data + 1, size - 1);
		break;
	case 3:
		fuzz_canon(data + 1, size - 1);
		break;
	case 1:
		fuzz_path(data + 1, size - 1);
		break;
	default:
		if (size >= 1 + sizeof(flags)) {
			memcpy(&flags, data + 1, sizeof(flags));
			sup_flags_check_unlinkat(flags, reason, sizeof(reason));
			sup_flags_check_execveat(flags, reason, sizeof(reason));
			sup_flags_check_send(flags, reason, sizeof(reason));
		}
		break;
	}
	return 0;
}
