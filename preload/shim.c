/*
 * Core of libattesta-preload.so: the constructor that finds the annotation
 * descriptor (ATTESTA_SHIM_FD) and the real libc functions, the per-thread
 * re-entry guard, the non-blocking sender and the fault-proof readers of
 * program memory. It trusts nothing the program passes to a hook (pointers
 * may be bad; they are read with process_vm_readv on ourselves), and it
 * trusts the descriptor only after checking it is a SOCK_SEQPACKET socket,
 * re-checking before every send that it is still the same socket, because
 * programs close inherited descriptors and reuse their numbers.
 *
 * Nothing here allocates, locks or prints after the constructor: hooks run
 * in vfork children, signal handlers and arbitrary threads. Shared state is
 * written only by the constructor; the only writes afterwards are to the
 * thread-local depth, always restored before a hook returns or execs.
 */
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "preload/shim.h"

static const char *const sym_names[SHIM_SYM_COUNT] = {
	[SHIM_SYM_GETADDRINFO] = "getaddrinfo",
	[SHIM_SYM_GETHOSTBYNAME] = "gethostbyname",
	[SHIM_SYM_GETHOSTBYNAME2] = "gethostbyname2",
	[SHIM_SYM_GETHOSTBYNAME_R] = "gethostbyname_r",
	[SHIM_SYM_GETHOSTBYNAME2_R] = "gethostbyname2_r",
	[SHIM_SYM_CONNECT] = "connect",
	[SHIM_SYM_SENDTO] = "sendto",
	[SHIM_SYM_EXECVE] = "execve",
	[SHIM_SYM_EXECV] = "execv",
	[SHIM_SYM_EXECVP] = "execvp",
	[SHIM_SYM_EXECVPE] = "execvpe",
	[SHIM_SYM_POSIX_SPAWN] = "posix_spawn",
	[SHIM_SYM_POSIX_SPAWNP] = "posix_spawnp",
	[SHIM_SYM_SYSTEM] = "system",
	[SHIM_SYM_POPEN] = "popen",
	[SHIM_SYM_SENDMSG] = "sendmsg",
	[SHIM_SYM_UNLINK] = "unlink",
	[SHIM_SYM_UNLINKAT] = "unlinkat",
	[SHIM_SYM_RMDIR] = "rmdir",
	[SHIM_SYM_REMOVE] = "remove",
};

static void *real_syms[SHIM_SYM_COUNT];

/* The annotation socket: -1 when annotations are off. Written only by the
 * constructor (before any thread or vfork child can exist). */
static int shim_fd = -1;
static dev_t shim_dev;
static ino_t shim_ino;

/* process_vm_readv on ourselves works (it can be refused by a container's
 * seccomp profile; we then fall back to direct reads). */
static int peek_ok;
static size_t page_size = 4096;

/* initial-exec: a global-dynamic TLS access may call malloc on first use. */
static __thread int shim_depth __attribute__((tls_model("initial-exec")));

void *shim_real(enum shim_sym sym)
{
	void *fn = __atomic_load_n(&real_syms[sym], __ATOMIC_ACQUIRE);

	if (fn == NULL) {
		/* Only before our constructor ran (another library's
		 * constructor calling a hooked function): dlsym may allocate,
		 * which is acceptable at that point. Racing writers store the
		 * same value. */
		int saved = errno;

		fn = dlsym(RTLD_NEXT, sym_names[sym]);
		__atomic_store_n(&real_syms[sym], fn, __ATOMIC_RELEASE);
		errno = saved;
	}
	return fn;
}

int shim_enter(void)
{
	if (shim_fd < 0 || shim_depth > 0)
		return 0;
	shim_depth++;
	return 1;
}

void shim_leave(void)
{
	shim_depth--;
}

/* Parse a descriptor number: decimal digits only, no sign, no junk. */
static int parse_fd(const char *s)
{
	long v = 0;

	if (s == NULL || *s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
		if (v > 1048576) /* above any possible RLIMIT_NOFILE */
			return -1;
	}
	return (int)v;
}

static void fd_init(void)
{
	int fd = parse_fd(getenv(SHIM_ENV_FD));
	int type = 0;
	socklen_t tlen = sizeof(type);
	struct stat st;

	if (fd < 0)
		return;
	/* EBADF / ENOTSOCK / wrong type: annotations stay off and every hook
	 * passes straight through. */
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) != 0 || type != SOCK_SEQPACKET)
		return;
	if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode))
		return;
	shim_dev = st.st_dev;
	shim_ino = st.st_ino;
	shim_fd = fd;
}

static void peek_init(void)
{
	static const char probe[8] = "attesta";
	char copy[sizeof(probe)];
	unsigned long ps = getauxval(AT_PAGESZ);

	if (ps >= 4096 && (ps & (ps - 1)) == 0)
		page_size = ps;
	peek_ok = 1;
	if (shim_peek(copy, probe, sizeof(copy)) != sizeof(copy) ||
	    memcmp(copy, probe, sizeof(copy)) != 0)
		peek_ok = 0;
}

__attribute__((constructor)) static void shim_init(void)
{
	int saved = errno;

	for (int i = 0; i < SHIM_SYM_COUNT; i++)
		__atomic_store_n(&real_syms[i], dlsym(RTLD_NEXT, sym_names[i]), __ATOMIC_RELEASE);
	peek_init();
	shim_skip_init();
	fd_init();
	shim_gate_init();
	errno = saved;
}

void shim_send(struct shim_hdr *hdr, uint16_t type, uint32_t size)
{
	int saved = errno;
	int fd = shim_fd;
	struct stat st;

	if (fd < 0)
		goto out;
	/* SECURITY (robustness): the program may have closed our descriptor
	 * and reused the number for its own socket or file; writing there
	 * would corrupt its data. Same device and inode, or no message. */
	if (fstat(fd, &st) != 0 || st.st_dev != shim_dev || st.st_ino != shim_ino)
		goto out;
	hdr->magic = SHIM_PROTO_MAGIC;
	hdr->version = SHIM_PROTO_VERSION;
	hdr->type = type;
	hdr->size = size;
	hdr->tid = (int32_t)syscall(SYS_gettid);
	hdr->pid = (int32_t)syscall(SYS_getpid);
	/* Raw syscall: libc's sendto is our own hook. A NULL destination is
	 * not gated by attesta-run's filter, so this never waits for the
	 * supervisor; a full queue drops the message (EAGAIN). */
	(void)syscall(SYS_sendto, fd, hdr, (size_t)size, MSG_DONTWAIT | MSG_NOSIGNAL, NULL, 0);
out:
	errno = saved;
}

static size_t peek_direct(void *dst, const void *src, size_t n)
{
	memcpy(dst, src, n);
	return n;
}

size_t shim_peek(void *dst, const void *src, size_t n)
{
	size_t done = 0;
	int saved = errno;
	pid_t self;

	if (src == NULL || n == 0)
		return 0;
	if (!peek_ok)
		return peek_direct(dst, src, n);
	self = (pid_t)syscall(SYS_getpid);
	/* One page at a time, so a range that runs into an unmapped page
	 * still yields the bytes before it. */
	while (done < n) {
		uintptr_t at = (uintptr_t)src + done;
		size_t chunk = page_size - (at & (page_size - 1));
		struct iovec local, remote;
		long got;

		if (chunk > n - done)
			chunk = n - done;
		local.iov_base = (char *)dst + done;
		local.iov_len = chunk;
		remote.iov_base = (void *)at;
		remote.iov_len = chunk;
		got = syscall(SYS_process_vm_readv, self, &local, 1UL, &remote, 1UL, 0UL);
		if (got <= 0)
			break;
		done += (size_t)got;
		if ((size_t)got < chunk)
			break;
	}
	errno = saved;
	return done;
}

size_t shim_peek_str(char *dst, size_t cap, const char *src, int *ret_truncated)
{
	size_t got, len;

	dst[0] = '\0';
	if (src == NULL)
		return 0;
	if (!peek_ok) {
		len = strnlen(src, cap);
		if (len == cap) {
			*ret_truncated = 1;
			len = cap - 1;
		}
		memcpy(dst, src, len);
		dst[len] = '\0';
		return len;
	}
	got = shim_peek(dst, src, cap);
	len = strnlen(dst, got);
	if (len == got) {
		/* No NUL within what we could read: cut, say so. */
		*ret_truncated = 1;
		if (len == cap)
			len = cap - 1;
	}
	dst[len] = '\0';
	return len;
}

int shim_addr_from_sockaddr(struct shim_addr *out, const struct sockaddr *sa, socklen_t len)
{
	struct sockaddr_in6 buf; /* large enough for both families */
	size_t got;

	if (sa == NULL || len < (socklen_t)sizeof(sa_family_t))
		return 0;
	memset(&buf, 0, sizeof(buf));
	got = shim_peek(&buf, sa, len < (socklen_t)sizeof(buf) ? (size_t)len : sizeof(buf));
	if (got < sizeof(sa_family_t))
		return 0;
	if (buf.sin6_family == AF_INET && got >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in4 = (const struct sockaddr_in *)(const void *)&buf;

		out->family = SHIM_AF_INET;
		out->port = in4->sin_port;
		memcpy(out->addr, &in4->sin_addr, 4);
		return 1;
	}
	if (buf.sin6_family == AF_INET6 && got >= sizeof(struct sockaddr_in6)) {
		out->family = SHIM_AF_INET6;
		out->port = buf.sin6_port;
		memcpy(out->addr, &buf.sin6_addr, 16);
		return 1;
	}
	return 0;
}

void shim_call_init(struct shim_call_msg *msg, uint8_t entry)
{
	memset(msg, 0, sizeof(*msg));
	msg->entry = entry;
	msg->fd = -1;
}

void shim_call_text(struct shim_call_msg *msg, const char *src)
{
	int truncated = 0;

	msg->text_len = (uint16_t)shim_peek_str(msg->text, sizeof(msg->text), src, &truncated);
	if (truncated)
		msg->flags |= SHIM_CALL_TEXT_TRUNCATED;
	/* A cut read may have left bytes after the terminator: the protocol
	 * wants them zero. */
	memset(msg->text + msg->text_len, 0, sizeof(msg->text) - msg->text_len);
}
