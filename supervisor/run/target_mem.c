/*
 * Bounded reads of a sandboxed process's memory (see target_mem.h).
 *
 * SECURITY: the target controls every address and byte. Reads never trust
 * a length found in target memory beyond the caller's cap; strings are
 * read a page at a time so that a string ending just before an unmapped
 * page is still readable, and a string without a NUL within the cap is an
 * error (never silently truncated: a truncated path would be decided on
 * while the kernel acts on the full one).
 *
 * The /proc/PID/mem fallback: process_vm_readv needs
 * PTRACE_MODE_ATTACH_REALCREDS, /proc/PID/mem PTRACE_MODE_ATTACH_FSCREDS.
 * They differ only when the supervisor's real and fs credentials differ,
 * so the fallback rarely succeeds where the first failed; in particular a
 * target that made itself non-dumpable (PR_SET_DUMPABLE 0, or a setuid
 * exec, which NO_NEW_PRIVS prevents) cannot be read by an unprivileged
 * supervisor through either path, and every gated call it makes is then
 * denied (fail closed). A root supervisor has CAP_SYS_PTRACE and reads it.
 */
#include "supervisor/run/target_mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define PAGE_GUESS 4096

static int read_proc_mem(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	char path[64];
	int fd, r = 0;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	if (addr > (uint64_t)INT64_MAX) {
		r = -EFAULT;
		goto out;
	}
	n = pread(fd, buf, len, (off_t)addr);
	if (n < 0)
		r = errno == EIO ? -EFAULT : -errno;
	else if ((size_t)n != len)
		r = -EFAULT;
out:
	close(fd);
	return r;
}

int sup_target_read(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { .iov_base = buf, .iov_len = len };
	struct iovec remote = { .iov_base = (void *)(uintptr_t)addr, .iov_len = len };
	ssize_t n;

	if (len == 0)
		return 0;
	if (addr == 0 || addr + len < addr)
		return -EFAULT;
	n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
	if (n < 0) {
		int e = errno;

		if (e == EPERM)
			return read_proc_mem(pid, addr, buf, len);
		return -e;
	}
	if ((size_t)n != len)
		return -EFAULT;
	return 0;
}

/* Read up to len bytes at addr, stopping at the first unreadable page;
 * returns the number of bytes read (> 0) or -errno if none. */
static ssize_t read_some(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	size_t chunk = PAGE_GUESS - (size_t)(addr % PAGE_GUESS);
	size_t done = 0;

	while (done < len) {
		size_t n = len - done < chunk ? len - done : chunk;
		int r = sup_target_read(pid, addr + done, (char *)buf + done, n);

		if (r < 0) {
			if (done > 0 && r == -EFAULT)
				break;
			return r;
		}
		done += n;
		chunk = PAGE_GUESS;
	}
	return (ssize_t)done;
}

int sup_target_read_string(pid_t pid, uint64_t addr, char *buf, size_t max_len,
			   size_t *ret_len)
{
	size_t have = 0;

	if (addr == 0)
		return -EFAULT;
	while (have <= max_len) {
		/* one page (or what remains of the cap, NUL included) */
		size_t want = PAGE_GUESS - (size_t)((addr + have) % PAGE_GUESS);
		ssize_t n;
		char *nul;

		if (want > max_len + 1 - have)
			want = max_len + 1 - have;
		n = read_some(pid, addr + have, buf + have, want);
		if (n < 0)
			return (int)n;
		nul = memchr(buf + have, '\0', (size_t)n);
		if (nul) {
			*ret_len = (size_t)(nul - buf);
			return 0;
		}
		have += (size_t)n;
		if ((size_t)n < want)
			return -EFAULT; /* unterminated before an unmapped page */
	}
	return -E2BIG;
}

int sup_target_read_strv(pid_t pid, uint64_t addr, size_t max_count, size_t max_bytes,
			 struct pol_strv *ret_strv)
{
	uint64_t ptrs[64];
	size_t bytes = 0, count = 0;
	char *buf = NULL;
	int r = 0;

	if (addr == 0)
		return 0;
	buf = malloc(max_bytes + 1);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		/* Read pointers in batches of up to 64, without crossing into
		 * a page we do not need (the NULL may end right before it). */
		size_t room = (PAGE_GUESS - (size_t)(addr % PAGE_GUESS)) / sizeof(uint64_t);
		size_t batch = room ? room : 1, i;

		if (batch > 64)
			batch = 64;
		if (addr % sizeof(uint64_t))
			batch = 1;
		r = sup_target_read(pid, addr, ptrs, batch * sizeof(uint64_t));
		if (r < 0)
			goto out;
		for (i = 0; i < batch; i++) {
			size_t len;

			if (ptrs[i] == 0)
				goto out;
			if (count >= max_count) {
				r = -E2BIG;
				goto out;
			}
			if (bytes >= max_bytes) {
				r = -E2BIG;
				goto out;
			}
			r = sup_target_read_string(pid, ptrs[i], buf, max_bytes - bytes - 1, &len);
			if (r < 0)
				goto out;
			r = pol_strv_push(ret_strv, buf, len);
			if (r < 0)
				goto out;
			bytes += len + 1;
			count++;
		}
		addr += batch * sizeof(uint64_t);
	}
out:
	free(buf);
	return r;
}
