/*
 * Private interface of libattesta-preload.so: the state every hook shares
 * (the annotation descriptor, the real libc functions, the re-entry guard)
 * and the helpers that build and send messages. Nothing here is exported:
 * the library is built with -fvisibility=hidden and only the hooks carry
 * SHIM_EXPORT.
 *
 * Rules for every function declared here, because hooks run in vfork
 * children (which share memory with a suspended parent), in signal
 * handlers and in any thread: no allocation, no locks, no stdio, stack
 * buffers only, errno preserved, and no writes to shared (non-thread-local)
 * state after the constructor ran.
 */
#ifndef ATTESTA_PRELOAD_SHIM_H
#define ATTESTA_PRELOAD_SHIM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "supervisor/common/shim_proto.h"

#define SHIM_EXPORT __attribute__((visibility("default")))

/* The real libc functions, resolved with dlsym(RTLD_NEXT) in the
 * constructor (dlsym may allocate, which is fine there). */
enum shim_sym {
	SHIM_SYM_GETADDRINFO,
	SHIM_SYM_GETHOSTBYNAME,
	SHIM_SYM_GETHOSTBYNAME2,
	SHIM_SYM_GETHOSTBYNAME_R,
	SHIM_SYM_GETHOSTBYNAME2_R,
	SHIM_SYM_CONNECT,
	SHIM_SYM_SENDTO,
	SHIM_SYM_EXECVE,
	SHIM_SYM_EXECV,
	SHIM_SYM_EXECVP,
	SHIM_SYM_EXECVPE,
	SHIM_SYM_POSIX_SPAWN,
	SHIM_SYM_POSIX_SPAWNP,
	SHIM_SYM_SYSTEM,
	SHIM_SYM_POPEN,
	SHIM_SYM_SENDMSG,
	SHIM_SYM_UNLINK,
	SHIM_SYM_UNLINKAT,
	SHIM_SYM_RMDIR,
	SHIM_SYM_REMOVE,
	SHIM_SYM_COUNT
};

/* The real function for sym. Normally filled by the constructor; a hook
 * called earlier (from another library's constructor) resolves it on the
 * spot. NULL only if libc lacks the symbol. */
void *shim_real(enum shim_sym sym);

/* Enter annotation mode: returns 1 and bumps the thread's re-entry depth
 * when a message may be sent (descriptor configured, not already inside a
 * hook on this thread), else 0 and changes nothing. Every 1 must be paired
 * with shim_leave() before the hook returns or calls a function that may
 * not return (exec). */
int shim_enter(void);
void shim_leave(void);

/* Fill the common header (type, size, tid, pid) of a zeroed message and
 * send it without blocking. Checks that the descriptor is still the socket
 * the constructor verified (a program may close it and reuse the number);
 * drops the message on any error. Preserves errno. */
void shim_send(struct shim_hdr *hdr, uint16_t type, uint32_t size);

/* Copy up to n bytes from src, a pointer the program gave us, into dst
 * without faulting on a bad pointer. Returns the bytes copied (possibly
 * fewer than n when src runs into an unmapped page), 0 on failure. */
size_t shim_peek(void *dst, const void *src, size_t n);

/* Copy the NUL-terminated string src (program memory, may be a bad
 * pointer) into dst[cap] (cap >= 1), always terminating dst. Returns the
 * length stored; sets *ret_truncated when src was longer than cap - 1 or
 * could not be read to its end. */
size_t shim_peek_str(char *dst, size_t cap, const char *src, int *ret_truncated);

/* Fill out from a socket address (program memory) if it is AF_INET or
 * AF_INET6. Returns 1 if out was filled. */
int shim_addr_from_sockaddr(struct shim_addr *out, const struct sockaddr *sa, socklen_t len);

/* Zero a call message and set its entry (fd -1, no address, no text). */
void shim_call_init(struct shim_call_msg *msg, uint8_t entry);

/* Store a string from program memory as the call's text (bounded, flags
 * SHIM_CALL_TEXT_TRUNCATED when cut). */
void shim_call_text(struct shim_call_msg *msg, const char *src);

/* Exec skipping (env.c). shim_skip_wanted: 1 if the basename of path is in
 * ATTESTA_SHIM_SKIP. shim_env_strip: build in out[cap] a copy of envp
 * (program memory) whose LD_PRELOAD lacks this library, storing the
 * rewritten variable in valbuf[valcap]; returns out, or NULL when envp
 * cannot be rewritten within the bounds (then the caller passes envp
 * through unchanged). */
void shim_skip_init(void);
int shim_skip_active(void); /* the skip list is not empty */
int shim_skip_wanted(const char *path);
char **shim_env_strip(char *const *envp, char **out, size_t cap, char *valbuf, size_t valcap);

/* Shim-only mode (gate.c; docs/shim.md "Shim-only mode"). shim_gate_init
 * runs in the constructor. shim_gate_on: ATTESTA_SHIM_MODE=gate was set
 * (then every gated hook asks, whatever else is wrong: a missing or bad
 * ATTESTA_SHIM_GATE makes every ask fail closed). shim_gate_ask sends one
 * GATE_REQUEST for syscall nr with args (pointers into our memory that
 * stay valid while we wait) and display text (program memory, may be
 * NULL or bad) on a fresh connection and waits for the verdict. Returns
 * 0 to go ahead, or the errno the call must fail with (the supervisor's,
 * EPERM by default; ENOSYS when no valid verdict came: fail closed).
 * Preserves errno. No allocation, raw syscalls only. */
void shim_gate_init(void);
int shim_gate_on(void);
int shim_gate_ask(uint8_t entry, long nr, const uint64_t args[6], const char *text);

/* Bounds of the stack copy made by shim_env_strip. */
#define SHIM_ENV_MAX 1024
#define SHIM_ENV_VAL_MAX 4096

#endif
