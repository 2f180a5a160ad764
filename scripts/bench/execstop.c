/*
 * Cost of the exec check's work at PTRACE_EVENT_EXEC (docs/BENCHMARKS.md,
 * "Session 6: exec check"), on a /bin/true stopped right after its exec:
 * the mapping check (auxv, the mappings, the judge) with the maps text
 * parsed by sscanf as main had it, with the text parser of execmaps.c,
 * and with PROCMAP_QUERY; and the alternatives looked at for argv and
 * the exe (cmdline vs the new stack's argv; stat vs fstatat from a
 * /proc/PID directory). Thread CPU time, mean microseconds over N calls.
 * Usage: execstop [N]
 */
#include "supervisor/run/execmaps.c"

#include <signal.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

/* main's text reader (sscanf per line), for the "before" row */
static int collect_sscanf(pid_t pid, struct map *m, size_t cap)
{
	char *maps = malloc(EXECMAPS_TEXT_MAX + 1);
	size_t nm = 0;
	ssize_t n;

	if (!maps || (n = read_proc(pid, "maps", maps, EXECMAPS_TEXT_MAX)) < 0) {
		free(maps);
		return -EIO;
	}
	maps[n] = '\0';
	for (char *line = maps, *next; line && *line; line = next) {
		unsigned long long off;
		char perms[8];
		struct map x;
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu", &x.start, &x.end, perms, &off,
			   &x.maj, &x.min, &x.ino) != 7 || (x.ino && nm == cap))
			break;
		if (x.ino)
			m[nm++] = x;
	}
	free(maps);
	return (int)nm;
}

static int check_sscanf(pid_t pid, const struct sup_execmaps_want *w, char *reason, size_t size)
{
	uint64_t auxv[2 * 64], base = 0;
	struct map m[EXECMAPS_MAX];
	ssize_t len = read_proc(pid, "auxv", (char *)auxv, sizeof auxv);
	if (len < 0)
		return -EPERM;
	for (size_t i = 0; i + 1 < (size_t)len / 8; i += 2)
		if (auxv[i] == 7)
			base = auxv[i + 1];
	int n = collect_sscanf(pid, m, EXECMAPS_MAX);
	return n < 0 ? -EPERM : judge(m, (size_t)n, base, w, reason, size);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 20000;
	char reason[512], path[64], exe[64], buf[8192], stack[8192];
	struct stat st, ld;
	int status;

	if (n <= 0) {
		fprintf(stderr, "usage: execstop [N]\n");
		return 2;
	}
	pid_t pid = fork();
	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		execl("/bin/true", "true", "a1", "--b2", (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status))
		return 1;
	snprintf(exe, sizeof exe, "/proc/%d/exe", (int)pid);
	snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
	if (stat(exe, &st) < 0 || stat("/lib64/ld-linux-x86-64.so.2", &ld) < 0)
		return 1;
	struct sup_execmaps_want w = { .path = "/bin/true", .dev = st.st_dev, .ino = st.st_ino,
				       .want_interp = true, .idev = ld.st_dev, .iino = ld.st_ino,
				       .ipath = "ld.so" };
	snprintf(buf, sizeof buf, "/proc/%d", (int)pid);
	int dirfd = open(buf, O_PATH | O_DIRECTORY | O_CLOEXEC);
	bool have_query = sup_execmaps_check(pid, &w, SUP_EXECMAPS_QUERY, reason, sizeof reason) == 0;
	double t[8];
	size_t got = 0, got2 = 0;

	t[0] = now();
	for (long i = 0; i < n; i++)
		if (check_sscanf(pid, &w, reason, sizeof reason) < 0)
			return 1;
	t[1] = now();
	for (long i = 0; i < n; i++)
		if (sup_execmaps_check(pid, &w, SUP_EXECMAPS_TEXT, reason, sizeof reason) < 0)
			return 1;
	t[2] = now();
	for (long i = 0; have_query && i < n; i++)
		if (sup_execmaps_check(pid, &w, SUP_EXECMAPS_QUERY, reason, sizeof reason) < 0)
			return 1;
	t[3] = now();
	for (long i = 0; i < n; i++) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t r;
		got = 0;
		while (fd >= 0 && (r = read(fd, buf + got, sizeof buf - got)) > 0)
			got += (size_t)r;
		close(fd);
	}
	t[4] = now();
	for (long i = 0; i < n; i++) {
		struct user_regs_struct regs;
		unsigned long hdr[64];
		ptrace(PTRACE_GETREGS, pid, 0, &regs);
		struct iovec l = { hdr, sizeof hdr }, r = { (void *)regs.rsp, sizeof hdr };
		if (process_vm_readv(pid, &l, 1, &r, 1, 0) != (ssize_t)sizeof hdr || hdr[0] > 60)
			return 1;
		/* argv[0] .. envp[0]: the argv strings (envp[0] follows them) */
		unsigned long a0 = hdr[1], end = hdr[hdr[0] + 2];
		if (end <= a0 || end - a0 > sizeof stack)
			return 1;
		struct iovec l2 = { stack, end - a0 }, r2 = { (void *)a0, end - a0 };
		got2 = (size_t)process_vm_readv(pid, &l2, 1, &r2, 1, 0);
	}
	t[5] = now();
	for (long i = 0; i < n; i++)
		stat(exe, &st);
	t[6] = now();
	for (long i = 0; i < n; i++)
		fstatat(dirfd, "exe", &st, 0);
	t[7] = now();
	printf("mapping check: text+sscanf %.2f us, text+parser %.2f us, PROCMAP_QUERY %s%.2f us\n",
	       (t[1] - t[0]) / n, (t[2] - t[1]) / n, have_query ? "" : "(absent) ",
	       (t[3] - t[2]) / n);
	printf("argv: cmdline %.2f us, GETREGS + 2 process_vm_readv %.2f us (same bytes: %s)\n",
	       (t[4] - t[3]) / n, (t[5] - t[4]) / n,
	       got == got2 && !memcmp(buf, stack, got) ? "yes" : "no");
	printf("exe: stat %.2f us, fstatat from /proc/PID %.2f us\n", (t[6] - t[5]) / n,
	       (t[7] - t[6]) / n);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return 0;
}
