/*
 * The wire protocol between libattesta-preload.so (the shim, running inside
 * the sandboxed agent) and attesta-run (the supervisor). This is the ONE
 * header both sides include; it holds only fixed-layout structs, constants
 * and sizes, and depends on nothing but <stdint.h> and policy/pol_limits.h, so
 * the libc-only shim can include it.
 *
 * Trust: everything in these messages is written by code running in the
 * agent's address space, which the agent controls completely. A message is
 * CONTEXT, never authority: the supervisor parses it with sup_shim_parse()
 * (bounded, whole-datagram validation) and verifies any host name with its
 * own resolution before it may lower risk (docs/SECURITY.md).
 *
 * Transport: one SOCK_SEQPACKET datagram per message, sent by the shim with
 * MSG_DONTWAIT|MSG_NOSIGNAL on the inherited descriptor whose number is in
 * the environment variable SHIM_ENV_FD. The shim never waits for an answer
 * (annotations have no supervisor -> shim messages). A message is
 * exactly sizeof() its struct: every message of a type has the same length,
 * fields are native-endian (both ends run on the same machine), all padding
 * is explicit, reserved fields and the bytes after a string's terminating
 * NUL are zero. See docs/shim.md for the field-by-field description.
 */
#ifndef ATTESTA_SHIM_PROTO_H
#define ATTESTA_SHIM_PROTO_H

#include <stdint.h>

#include "policy/pol_limits.h"

/* Environment variables read by the shim. */
#define SHIM_ENV_FD "ATTESTA_SHIM_FD"     /* decimal descriptor number */
#define SHIM_ENV_SKIP "ATTESTA_SHIM_SKIP" /* colon-separated basenames */

/* The shim's file name, as it appears in LD_PRELOAD entries. */
#define SHIM_LIB_NAME "libattesta-preload.so"

/* Bytes 'A' 'T' 'S' 'H' read as a little-endian 32-bit word. */
#define SHIM_PROTO_MAGIC 0x48535441u
#define SHIM_PROTO_VERSION 1

/* Message types (shim_hdr.type). */
enum shim_msg_type {
	SHIM_MSG_RESOLVE = 1, /* a resolver call returned addresses for a name */
	SHIM_MSG_CALL = 2,    /* a thread is entering a libc entry point */
};

/* Resolver entry points (shim_resolve_msg.api). */
enum shim_api {
	SHIM_API_GETADDRINFO = 1,
	SHIM_API_GETHOSTBYNAME = 2,
	SHIM_API_GETHOSTBYNAME2 = 3,
	SHIM_API_GETHOSTBYNAME_R = 4,
	SHIM_API_GETHOSTBYNAME2_R = 5,
};
#define SHIM_API_MAX SHIM_API_GETHOSTBYNAME2_R

/* libc entry points that lead to a gated syscall (shim_call_msg.entry). */
enum shim_entry {
	SHIM_ENTRY_CONNECT = 1,
	SHIM_ENTRY_SENDTO = 2,
	SHIM_ENTRY_EXECVE = 3,
	SHIM_ENTRY_EXECV = 4,
	SHIM_ENTRY_EXECVP = 5,
	SHIM_ENTRY_EXECVPE = 6,
	SHIM_ENTRY_EXECL = 7,
	SHIM_ENTRY_EXECLP = 8,
	SHIM_ENTRY_EXECLE = 9,
	SHIM_ENTRY_POSIX_SPAWN = 10,
	SHIM_ENTRY_POSIX_SPAWNP = 11,
	SHIM_ENTRY_SYSTEM = 12,
	SHIM_ENTRY_POPEN = 13,
	/* Added for the shim-only fallback (gate requests); in annotation
	 * mode only sendmsg is reported as a CALL. */
	SHIM_ENTRY_UNLINK = 14,
	SHIM_ENTRY_UNLINKAT = 15,
	SHIM_ENTRY_RMDIR = 16,
	SHIM_ENTRY_REMOVE = 17,
	SHIM_ENTRY_SENDMSG = 18,
};
#define SHIM_ENTRY_MAX SHIM_ENTRY_SENDMSG

/* Address families carried in shim_addr.family (Linux AF_* values). */
#define SHIM_AF_INET 2
#define SHIM_AF_INET6 10

/* Addresses per resolve message; a name with more is flagged truncated. */
#define SHIM_MAX_ADDRS 16

/* Text bytes (without the NUL) in a call message: the command string for
 * system/popen, the path or file argument for exec and spawn entries.
 * Chosen so the largest message stays within POL_SHIM_MAX_MSG. */
#define SHIM_MAX_TEXT 959

/* Common header, 24 bytes. */
struct shim_hdr {
	uint32_t magic;   /* SHIM_PROTO_MAGIC */
	uint16_t version; /* SHIM_PROTO_VERSION */
	uint16_t type;    /* enum shim_msg_type */
	uint32_t size;    /* sizeof the whole message == datagram length */
	int32_t tid;      /* sender's thread id (gettid, sender's pid ns), > 0 */
	int32_t pid;      /* sender's process id (getpid, sender's pid ns), > 0 */
	uint32_t reserved; /* zero */
};

/* One IPv4 or IPv6 address, 20 bytes. For IPv4 only addr[0..3] is used
 * and addr[4..15] are zero. port is in network byte order (0 when the
 * message has no port, e.g. a resolver answer). */
struct shim_addr {
	uint16_t family; /* SHIM_AF_INET or SHIM_AF_INET6 */
	uint16_t port;   /* network byte order */
	uint8_t addr[16];
};

/* SHIM_MSG_RESOLVE: sent after a resolver call succeeded, before it
 * returns to the program. 608 bytes. */
#define SHIM_RESOLVE_TRUNCATED 0x01u /* more addresses than SHIM_MAX_ADDRS */
struct shim_resolve_msg {
	struct shim_hdr hdr;
	uint8_t api;       /* enum shim_api */
	uint8_t naddr;     /* valid entries in addr[], 1..SHIM_MAX_ADDRS */
	uint8_t flags;     /* SHIM_RESOLVE_* */
	uint8_t reserved0; /* zero */
	uint16_t name_len; /* strlen(name), 1..POL_SHIM_MAX_HOST */
	uint16_t reserved1; /* zero */
	struct shim_addr addr[SHIM_MAX_ADDRS]; /* unused entries zero */
	char name[POL_SHIM_MAX_HOST + 1];      /* as the program passed it */
};

/* SHIM_MSG_CALL: sent before the real libc function runs. 1016 bytes. */
#define SHIM_CALL_HAS_ADDR 0x01u       /* addr holds the destination */
#define SHIM_CALL_TEXT_TRUNCATED 0x02u /* text was cut at SHIM_MAX_TEXT */
#define SHIM_CALL_SKIPPED 0x04u        /* shim removed itself from LD_PRELOAD */
#define SHIM_CALL_FLAGS_ALL 0x07u
struct shim_call_msg {
	struct shim_hdr hdr;
	uint8_t entry;     /* enum shim_entry */
	uint8_t flags;     /* SHIM_CALL_* */
	uint16_t text_len; /* strlen(text), 0..SHIM_MAX_TEXT */
	int32_t fd;        /* socket for connect/sendto, else -1 */
	struct shim_addr addr; /* destination if SHIM_CALL_HAS_ADDR, else zero */
	uint32_t reserved; /* zero */
	char text[SHIM_MAX_TEXT + 1];
};

/*
 * Shim-only fallback (issue 7 item 3; docs/shim.md, "Shim-only mode").
 * With ATTESTA_SHIM_MODE=gate the shim asks before each gated libc call:
 * it opens a NEW connection (socket(AF_UNIX, SOCK_SEQPACKET) + connect)
 * to the supervisor's listening socket named by ATTESTA_SHIM_GATE (an
 * abstract name written "@attesta-gate-<hex>"), sends one GATE_REQUEST,
 * and blocks on that connection for exactly one GATE_VERDICT, at most
 * ATTESTA_SHIM_GATE_TIMEOUT seconds (default 3600). One connection per
 * request routes each answer to the one thread that asked (threads, vfork
 * children and signal handlers each wait on their own descriptor), needs
 * no allocation, survives programs that close inherited descriptors
 * (Python's close_fds), and gives the supervisor the kernel-checked pid
 * (SO_PEERCRED). Pointer arguments stay valid while the caller waits, so
 * the supervisor reads them with process_vm_readv exactly as it reads a
 * seccomp notification's target. A refused connection, a timeout, end of
 * file or a malformed verdict fails the call with ENOSYS (fail closed,
 * as a dead supervisor does in seccomp mode). These messages never travel
 * on the annotation socket: sup_shim_parse rejects them (-ENOMSG) and
 * sup_shim_parse_gate parses requests.
 */
#define SHIM_ENV_MODE "ATTESTA_SHIM_MODE"   /* "gate": shim-only fallback */
#define SHIM_ENV_GATE "ATTESTA_SHIM_GATE"   /* "@name": abstract socket */
#define SHIM_ENV_GATE_TIMEOUT "ATTESTA_SHIM_GATE_TIMEOUT" /* seconds */
#define SHIM_GATE_NAME_MAX 100 /* bytes of the abstract name, without '@' */
#define SHIM_MSG_GATE_REQUEST 3
#define SHIM_MSG_GATE_VERDICT 4
#define SHIM_GATE_ALLOW 1
#define SHIM_GATE_DENY 2

/* GATE_REQUEST, 1024 bytes (its text is shorter than a CALL's so the
 * six arguments fit within POL_SHIM_MAX_MSG). */
#define SHIM_GATE_MAX_TEXT 935
struct shim_gate_request {
	struct shim_hdr hdr;
	uint32_t request_id; /* sender's counter, echoed in the verdict */
	uint8_t entry;       /* enum shim_entry */
	uint8_t flags;       /* SHIM_CALL_TEXT_TRUNCATED */
	uint16_t text_len;
	int32_t nr;          /* the x86-64 syscall the entry would make: execve for
			      * every exec/spawn entry and for system and popen
			      * (as /bin/sh -c COMMAND), unlink, unlinkat, rmdir,
			      * connect, sendto, sendmsg */
	uint32_t reserved;   /* zero */
	uint64_t args[6];    /* its arguments; pointers into the sender */
	char text[SHIM_GATE_MAX_TEXT + 1]; /* display text, as in CALL */
};

/* GATE_VERDICT, 40 bytes: hdr.tid/pid name the requester. */
struct shim_gate_verdict {
	struct shim_hdr hdr;
	uint32_t request_id; /* as in the request */
	uint8_t decision;    /* SHIM_GATE_ALLOW or SHIM_GATE_DENY */
	uint8_t reserved0[3];
	int32_t error;       /* deny: the errno the call fails with; allow: 0 */
	uint32_t reserved1;
};

_Static_assert(sizeof(struct shim_gate_request) == POL_SHIM_MAX_MSG, "gate request layout");
_Static_assert(sizeof(struct shim_gate_verdict) == 40, "gate verdict layout");
_Static_assert(sizeof(struct shim_hdr) == 24, "shim_hdr layout");
_Static_assert(sizeof(struct shim_addr) == 20, "shim_addr layout");
_Static_assert(sizeof(struct shim_resolve_msg) == 608, "resolve layout");
_Static_assert(sizeof(struct shim_call_msg) == 1016, "call layout");
_Static_assert(sizeof(struct shim_call_msg) <= POL_SHIM_MAX_MSG,
	       "call message within POL_SHIM_MAX_MSG");
_Static_assert(sizeof(struct shim_resolve_msg) <= POL_SHIM_MAX_MSG,
	       "resolve message within POL_SHIM_MAX_MSG");

#endif
