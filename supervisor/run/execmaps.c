/*
 * The exec check's mapping verification (execmaps.h): the file-backed
 * mappings of a freshly exec'd image, read with PROCMAP_QUERY or from
 * /proc/PID/maps, judged against the approved program and interpreter.
 * Trusts the kernel's views of pid's mm; the target has not run one
 * instruction of the new image when this is called.
 */
#include "supervisor/run/execmaps.h"

#include "supervisor/common/procmap_compat.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* A fresh image maps the program's and the interpreter's segments: a few
 * each. More file-backed mappings than this is refused as unreadable. */
#define EXECMAPS_MAX 128
/* The maps text read whole: a fresh image has about 20 lines. */
#define EXECMAPS_TEXT_MAX (64 * 1024)

struct map {
	unsigned long long start, end, ino;
	unsigned maj, min;
};

/* -1 not probed yet, 0 the kernel has no PROCMAP_QUERY (or
 * ATTESTA_PROCMAP_QUERY=off), 1 it has */
static int query_state = -1;
static unsigned long n_query, n_text;

static void say_stats(void)
{
	fprintf(stderr, "attesta-run: exec mappings: %lu read with PROCMAP_QUERY, %lu from the "
		"maps text\n", n_query, n_text);
}

/* ATTESTA_PROCMAP_QUERY=off: always the text; =stats: the counters at
 * exit (tests, benchmarks); =off,stats both. */
/* Any thread that verifies an exec (exec_watch.h): the environment is
 * read by the first; only the one that sets the state registers the
 * counters' report. */
static bool query_wanted(void)
{
	int st = __atomic_load_n(&query_state, __ATOMIC_RELAXED);

	if (st < 0) {
		const char *v = getenv("ATTESTA_PROCMAP_QUERY");
		bool off = v && (!strcmp(v, "off") || !strcmp(v, "off,stats"));
		int unset = -1;

		if (__atomic_compare_exchange_n(&query_state, &unset, off ? 0 : 1, false,
						__ATOMIC_RELAXED, __ATOMIC_RELAXED) &&
		    v && (!strcmp(v, "stats") || !strcmp(v, "off,stats")))
			atexit(say_stats);
		st = __atomic_load_n(&query_state, __ATOMIC_RELAXED);
	}
	return st == 1;
}

/* Read a small /proc file of pid whole: bytes or -errno (-E2BIG). */
static ssize_t read_proc(pid_t pid, const char *name, char *buf, size_t size)
{
	char path[64];
	size_t have = 0;
	ssize_t n;

	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (have < size && (n = read(fd, buf + have, size - have)) > 0)
		have += (size_t)n;
	close(fd);
	return have >= size ? -E2BIG : (ssize_t)have;
}

/* Hex digits up to the byte stop (consumed): at least one, at most 16. */
static bool parse_hex(const char **cur, const char *end, char stop, unsigned long long *ret)
{
	const char *p = *cur;
	unsigned long long v = 0;
	int n = 0;

	for (; p < end && *p != stop; p++, n++) {
		unsigned d;
		if (*p >= '0' && *p <= '9')
			d = (unsigned)(*p - '0');
		else if (*p >= 'a' && *p <= 'f')
			d = (unsigned)(*p - 'a' + 10);
		else if (*p >= 'A' && *p <= 'F')
			d = (unsigned)(*p - 'A' + 10);
		else
			return false;
		if (n == 16)
			return false;
		v = v << 4 | d;
	}
	if (n == 0 || p == end)
		return false;
	*cur = p + 1;
	*ret = v;
	return true;
}

/* One line of the maps text, as the kernel writes it (show_map_vma):
 * "start-end perms offset major:minor inode [path]". The fields the
 * check needs, or false. */
static bool parse_line(const char *p, const char *end, struct map *ret)
{
	unsigned long long off, maj, min, ino = 0;
	const char *perms = NULL;
	int digits = 0;

	if (!parse_hex(&p, end, '-', &ret->start) || !parse_hex(&p, end, ' ', &ret->end))
		return false;
	for (perms = p; p < end && *p != ' '; p++)
		;
	if (p == end || p == perms || p - perms > 7)
		return false;
	p++;
	if (!parse_hex(&p, end, ' ', &off) || !parse_hex(&p, end, ':', &maj) ||
	    !parse_hex(&p, end, ' ', &min) || maj > 0xffffffffu || min > 0xffffffffu)
		return false;
	for (; p < end && *p >= '0' && *p <= '9'; p++, digits++) {
		unsigned long long d = (unsigned long long)(*p - '0');
		if (ino > (UINT64_MAX - d) / 10)
			return false;
		ino = ino * 10 + d;
	}
	if (digits == 0 || (p < end && *p != ' '))
		return false;
	ret->maj = (unsigned)maj;
	ret->min = (unsigned)min;
	ret->ino = ino;
	return true;
}

/* The mappings with an inode from the maps text: count, or -ENOMEM,
 * -EIO (cannot read), -EBADMSG (a line that does not parse, or more
 * than cap). */
static int collect_text(pid_t pid, struct map *m, size_t cap)
{
	char *maps = malloc(EXECMAPS_TEXT_MAX);
	size_t nm = 0;
	int rc;

	if (!maps)
		return -EIO;
	ssize_t n = read_proc(pid, "maps", maps, EXECMAPS_TEXT_MAX);
	if (n < 0) {
		rc = -EIO;
		goto out;
	}
	for (const char *line = maps, *end = maps + n; line < end;) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		if (!eol)
			eol = end;
		struct map x;
		if (!parse_line(line, eol, &x) || (x.ino && nm == cap)) {
			rc = -EBADMSG;
			goto out;
		}
		if (x.ino) /* not stack, vdso, heap */
			m[nm++] = x;
		line = eol + 1;
	}
	rc = (int)nm;
out:
	free(maps);
	return rc;
}

/* The same list with PROCMAP_QUERY: count, -ENOTTY (the kernel has no
 * such ioctl), -EIO (cannot read), -EBADMSG (more than cap). */
static int collect_query(pid_t pid, struct map *m, size_t cap)
{
	char path[64];
	unsigned long long addr = 0;
	size_t nm = 0;
	int rc;

	/* SECURITY: opened here, at the stop, not earlier: the open binds
	 * the file to the mm the task has then (proc_mem_open), and a maps
	 * file opened before the exec would answer for the old image. */
	snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -EIO;
	for (;;) {
		struct sup_procmap_query q;
		memset(&q, 0, sizeof q);
		q.size = sizeof q;
		q.query_flags = SUP_PROCMAP_QUERY_COVERING_OR_NEXT_VMA |
				SUP_PROCMAP_QUERY_FILE_BACKED_VMA;
		q.query_addr = addr;
		if (ioctl(fd, SUP_PROCMAP_QUERY, &q) < 0) {
			if (errno == ENOENT)
				break; /* no mapping at or above addr */
			rc = errno == ENOTTY || errno == EINVAL || errno == EOPNOTSUPP ? -ENOTTY : -EIO;
			goto out;
		}
		if (q.vma_end <= addr) { /* the next mapping is above addr */
			rc = -EIO;
			goto out;
		}
		addr = q.vma_end;
		if (!q.inode) /* as the text: only mappings with an inode */
			continue;
		if (nm == cap) {
			rc = -EBADMSG;
			goto out;
		}
		m[nm++] = (struct map){ q.vma_start, q.vma_end, q.inode, q.dev_major, q.dev_minor };
	}
	rc = (int)nm;
out:
	close(fd);
	return rc;
}

/* SECURITY: an ELF's PT_INTERP is mapped by the kernel next to the
 * program, and runs first; its path was resolved and judged at decision
 * time (docs/decode.md) and could have been swapped since. So the new
 * image's mappings must be the approved program and the approved
 * interpreter only: the mapping at AT_BASE (0 for a static program, and
 * for an interpreter linked at a fixed address) is the interpreter, and
 * no other file is mapped. */
static int judge(const struct map *m, size_t nm, uint64_t base,
		 const struct sup_execmaps_want *e, char *reason, size_t size)
{
	bool found = false;

	/* maps shows the superblock's device: for a btrfs subvolume (and
	 * overlayfs on some kernels) stat() reports another one. The
	 * program's own mapping (same inode number, verified through
	 * /proc/PID/exe) gives that alias for its file system; an
	 * interpreter on the same file system is matched through it. */
	bool exact = false, alias_set = false;
	dev_t alias = 0;
	for (size_t i = 0; i < nm; i++) {
		dev_t d = makedev(m[i].maj, m[i].min);
		if (m[i].ino == e->ino && d == e->dev)
			exact = true;
		else if (m[i].ino == e->ino && !alias_set) {
			alias = d;
			alias_set = true;
		}
	}
	if (exact)
		alias_set = false;
	for (size_t i = 0; i < nm; i++) {
		dev_t dev = makedev(m[i].maj, m[i].min);
		bool exe_dev = dev == e->dev || (alias_set && dev == alias);
		bool is_interp = e->want_interp && m[i].ino == e->iino &&
				 (dev == e->idev || (e->idev == e->dev && exe_dev));
		bool is_exe = m[i].ino == e->ino && exe_dev;
		if (base && m[i].start <= base && base < m[i].end && !is_interp) {
			snprintf(reason, size, "exec verification: the ELF interpreter mapped for '%s' "
				 "is not the approved '%s'", e->path, e->want_interp ? e->ipath : "(none)");
			return -EPERM;
		}
		if (!is_interp && !is_exe) {
			snprintf(reason, size, "exec verification: '%s' maps a file (%u:%u inode %llu) "
				 "that was not approved%s%s", e->path, m[i].maj, m[i].min, m[i].ino,
				 e->want_interp ? "; approved interpreter " : "",
				 e->want_interp ? e->ipath : "");
			return -EPERM;
		}
		found |= is_interp;
	}
	if (e->want_interp && !found) {
		snprintf(reason, size, "exec verification: the approved ELF interpreter '%s' of '%s' "
			 "is not mapped", e->ipath, e->path);
		return -EPERM;
	}
	if (!e->want_interp && base) {
		snprintf(reason, size, "exec verification: '%s' got an ELF interpreter, none was "
			 "approved", e->path);
		return -EPERM;
	}
	return 0;
}

int sup_execmaps_check(pid_t pid, const struct sup_execmaps_want *want,
		       enum sup_execmaps_how how, char *reason, size_t reason_size)
{
	uint64_t auxv[2 * 64], base = 0;
	struct map m[EXECMAPS_MAX];
	int n = -ENOTTY;

	ssize_t len = read_proc(pid, "auxv", (char *)auxv, sizeof auxv);
	if (len < 0) {
		snprintf(reason, reason_size,
			 "exec verification: cannot read the auxiliary vector of '%s'", want->path);
		return -EPERM;
	}
	for (size_t i = 0; i + 1 < (size_t)len / 8; i += 2)
		if (auxv[i] == 7 /* AT_BASE */)
			base = auxv[i + 1];
	if (how == SUP_EXECMAPS_QUERY || (how == SUP_EXECMAPS_AUTO && query_wanted())) {
		n = collect_query(pid, m, EXECMAPS_MAX);
		if (n == -ENOTTY && how == SUP_EXECMAPS_QUERY)
			return -ENOTTY;
		if (n == -ENOTTY)
			/* this kernel has none: the text from now on */
			__atomic_store_n(&query_state, 0, __ATOMIC_RELAXED);
		else if (n >= 0 || n == -EBADMSG)
			__atomic_add_fetch(&n_query, 1, __ATOMIC_RELAXED);
	}
	/* the text when the query is off, missing or failed (the text then
	 * gives the verdict: it refuses a process it cannot read either) */
	if (n < 0 && n != -EBADMSG && how != SUP_EXECMAPS_QUERY) {
		n = collect_text(pid, m, EXECMAPS_MAX);
		__atomic_add_fetch(&n_text, 1, __ATOMIC_RELAXED);
	}
	if (n == -EBADMSG) {
		snprintf(reason, reason_size, "exec verification: unreadable mappings of '%s'",
			 want->path);
		return -EPERM;
	}
	if (n < 0) {
		snprintf(reason, reason_size, "exec verification: cannot read the mappings of '%s'",
			 want->path);
		return -EPERM;
	}
	return judge(m, (size_t)n, base, want, reason, reason_size);
}
