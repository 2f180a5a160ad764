/*
 * Unit tests for the exec check's mapping verification
 * (supervisor/run/execmaps.c): the PROCMAP_QUERY reader and the maps
 * text reader give the same list of file-backed mappings, and so the same
 * verdicts and reasons, on real processes: a fresh image stopped at its
 * exec (dynamic /bin/true; the loader run as a static program) judged
 * against the right identities, a swapped program, a swapped loader, no
 * loader approved, a loader approved but absent; a running process that
 * maps other files (libraries, a deleted file, a memfd, shared anonymous
 * memory). ATTESTA_PROCMAP_QUERY=off reads the text. The hand parser of
 * the text accepts the kernel's lines and refuses broken ones.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "supervisor/run/execmaps.c"

#define LOADER "/lib64/ld-linux-x86-64.so.2"

static bool have_query(void)
{
	struct map m[EXECMAPS_MAX];
	return collect_query(getpid(), m, EXECMAPS_MAX) != -ENOTTY;
}

/* pid's maps text is past what the text reader takes (its size or its
 * file-backed mappings): so under ASan, whose runtime maps a great deal
 * into every process of a sanitized build. */
static bool past_text_limits(pid_t pid)
{
	char path[64], line[4096];
	size_t bytes = 0, files = 0;
	FILE *fp;

	snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
	if (!(fp = fopen(path, "re")))
		return false;
	while (fgets(line, sizeof line, fp)) {
		unsigned long ino = 0;
		bytes += strlen(line);
		if (sscanf(line, "%*s %*s %*s %*s %lu", &ino) == 1 && ino)
			files++;
	}
	fclose(fp);
	return bytes >= EXECMAPS_TEXT_MAX || files > EXECMAPS_MAX;
}

/* Both readers agree on pid's list. */
static void same_lists(pid_t pid)
{
	struct map a[EXECMAPS_MAX], b[EXECMAPS_MAX];
	if (past_text_limits(pid))
		skip();
	int na = collect_text(pid, a, EXECMAPS_MAX);
	int nb = collect_query(pid, b, EXECMAPS_MAX);
	assert_true(na > 0);
	assert_int_equal(na, nb);
	for (int i = 0; i < na; i++) {
		assert_int_equal(a[i].start, b[i].start);
		assert_int_equal(a[i].end, b[i].end);
		assert_int_equal(a[i].ino, b[i].ino);
		assert_int_equal(a[i].maj, b[i].maj);
		assert_int_equal(a[i].min, b[i].min);
	}
}

/* pid judged against want both ways: the same rc and reason; rc as
 * expected, and the reason containing what (NULL: rc 0). */
static void same_verdict(pid_t pid, const struct sup_execmaps_want *want, const char *what)
{
	char r1[512] = "", r2[512] = "";
	int a = sup_execmaps_check(pid, want, SUP_EXECMAPS_TEXT, r1, sizeof r1);
	int b = sup_execmaps_check(pid, want, SUP_EXECMAPS_QUERY, r2, sizeof r2);
	assert_int_equal(a, b);
	assert_string_equal(r1, r2);
	if (!what) {
		assert_int_equal(a, 0);
	} else {
		assert_int_equal(a, -EPERM);
		if (!strstr(r1, what))
			fail_msg("reason '%s' does not say '%s'", r1, what);
	}
}

/* A child stopped right after its exec of argv[0] (not one instruction
 * of the new image run). */
static pid_t exec_stopped(char *const argv[])
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		execv(argv[0], argv);
		_exit(127);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSTOPPED(st) && WSTOPSIG(st) == SIGTRAP);
	return pid;
}

static void end_child(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void ident(const char *path, dev_t *dev, ino_t *ino)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	*dev = st.st_dev;
	*ino = st.st_ino;
}

static void test_fresh_dynamic_image_same_verdicts(void **state)
{
	(void)state;
	if (!have_query() || access(LOADER, X_OK) < 0)
		skip();
	char *argv[] = { "/bin/true", NULL };
	pid_t pid = exec_stopped(argv);
	char exe[64];
	snprintf(exe, sizeof exe, "/proc/%d/exe", (int)pid);
	struct sup_execmaps_want w = { .path = "/bin/true", .want_interp = true, .ipath = LOADER };
	ident(exe, &w.dev, &w.ino);
	ident(LOADER, &w.idev, &w.iino);
	same_lists(pid);
	same_verdict(pid, &w, NULL);
	/* the loader swapped after the decision (another file approved) */
	struct sup_execmaps_want sw = w;
	ident("/bin/sh", &sw.idev, &sw.iino);
	same_verdict(pid, &sw, "is not the approved");
	/* the program swapped: its mapping is not the approved file */
	struct sup_execmaps_want sp = w;
	sp.ino = w.ino + 1;
	same_verdict(pid, &sp, "that was not approved");
	/* approved as static, an interpreter was mapped */
	struct sup_execmaps_want ns = w;
	ns.want_interp = false;
	same_verdict(pid, &ns, "'(none)'");
	end_child(pid);
}

static void test_fresh_static_image_same_verdicts(void **state)
{
	(void)state;
	if (!have_query() || access(LOADER, X_OK) < 0)
		skip();
	char *argv[] = { LOADER, "--help", NULL };
	pid_t pid = exec_stopped(argv);
	char exe[64];
	snprintf(exe, sizeof exe, "/proc/%d/exe", (int)pid);
	struct sup_execmaps_want w = { .path = LOADER, .ipath = "/bin/sh" };
	ident(exe, &w.dev, &w.ino);
	same_lists(pid);
	same_verdict(pid, &w, NULL);
	/* a dynamic program approved, no interpreter mapped */
	struct sup_execmaps_want wi = w;
	wi.want_interp = true;
	ident("/bin/sh", &wi.idev, &wi.iino);
	same_verdict(pid, &wi, "is not mapped");
	end_child(pid);
}

/* A running process maps more than its program and loader: libraries,
 * a deleted file, a memfd, shared anonymous memory. */
static void test_extra_files_same_lists_and_verdicts(void **state)
{
	(void)state;
	if (!have_query())
		skip();
	char tmp[] = "/tmp/execmaps-unit.XXXXXX";
	int fd = mkstemp(tmp);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 8192), 0);
	void *f = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE, fd, 0);
	assert_true(f != MAP_FAILED);
	unlink(tmp);
	close(fd);
	int mfd = memfd_create("execmaps", MFD_CLOEXEC);
	assert_true(mfd >= 0 && ftruncate(mfd, 4096) == 0);
	void *mf = mmap(NULL, 4096, PROT_READ, MAP_SHARED, mfd, 0);
	assert_true(mf != MAP_FAILED);
	close(mfd);
	void *sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(sh != MAP_FAILED);
	same_lists(getpid());
	struct sup_execmaps_want w = { .path = "test", .want_interp = true, .ipath = LOADER };
	ident("/proc/self/exe", &w.dev, &w.ino);
	ident(LOADER, &w.idev, &w.iino);
	same_verdict(getpid(), &w, "that was not approved");
	/* a stopped child holding the same mappings */
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		raise(SIGSTOP);
		_exit(0);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, WUNTRACED), pid);
	same_lists(pid);
	same_verdict(pid, &w, "that was not approved");
	end_child(pid);
	munmap(f, 8192);
	munmap(mf, 4096);
	munmap(sh, 4096);
}

static void test_env_off_reads_text(void **state)
{
	(void)state;
	char reason[256];
	struct sup_execmaps_want w = { .path = "test", .ipath = "" };
	ident("/proc/self/exe", &w.dev, &w.ino);
	query_state = -1;
	setenv("ATTESTA_PROCMAP_QUERY", "off", 1);
	unsigned long t = n_text, q = n_query;
	assert_int_equal(sup_execmaps_check(getpid(), &w, SUP_EXECMAPS_AUTO, reason, sizeof reason),
			 -EPERM);
	assert_int_equal(n_text, t + 1);
	assert_int_equal(n_query, q);
	unsetenv("ATTESTA_PROCMAP_QUERY");
	query_state = -1;
	assert_int_equal(sup_execmaps_check(getpid(), &w, SUP_EXECMAPS_AUTO, reason, sizeof reason),
			 -EPERM);
	if (have_query())
		assert_int_equal(n_query, q + 1);
	else
		assert_int_equal(n_text, t + 2); /* probed, fell back */
}

static void test_parse_line(void **state)
{
	(void)state;
	static const struct {
		const char *line;
		bool ok;
		unsigned long long start, end, ino;
		unsigned maj, min;
	} cases[] = {
		{ "55d0c8a00000-55d0c8a02000 r--p 00000000 fe:01 1311031                    /usr/bin/true",
		  true, 0x55d0c8a00000ULL, 0x55d0c8a02000ULL, 1311031, 0xfe, 1 },
		{ "7ffd1e5f2000-7ffd1e613000 rw-p 00000000 00:00 0                          [stack]",
		  true, 0x7ffd1e5f2000ULL, 0x7ffd1e613000ULL, 0, 0, 0 },
		{ "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0", true,
		  0xffffffffff600000ULL, 0xffffffffff601000ULL, 0, 0, 0 },
		{ "00400000-00401000 r-xp 00000000 103:1ffff 18446744073709551615 /x", true,
		  0x400000, 0x401000, 18446744073709551615ULL, 0x103, 0x1ffff },
		{ "00400000-00401000 r-xp 00000000 08:01 18446744073709551616 /x", false, 0, 0, 0, 0, 0 },
		{ "00400000-00401000 r-xp 00000000 08:01 12x /x", false, 0, 0, 0, 0, 0 },
		{ "00400000-00401000 r-xp 00000000 08:01", false, 0, 0, 0, 0, 0 },
		{ "00400000-00401000 r-xp 00000000 0801 5", false, 0, 0, 0, 0, 0 },
		{ "00400000 00401000 r-xp 00000000 08:01 5", false, 0, 0, 0, 0, 0 },
		{ "00400000-00401000 r-xpxxxx 00000000 08:01 5", false, 0, 0, 0, 0, 0 },
		{ "100000000000000000-1 r-xp 0 08:01 5", false, 0, 0, 0, 0, 0 },
		{ "-1000 r-xp 0 08:01 5", false, 0, 0, 0, 0, 0 },
		{ "", false, 0, 0, 0, 0, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct map m;
		const char *l = cases[i].line;
		bool ok = parse_line(l, l + strlen(l), &m);
		if (ok != cases[i].ok)
			fail_msg("case %zu '%s': %d", i, l, ok);
		if (!ok)
			continue;
		assert_int_equal(m.start, cases[i].start);
		assert_int_equal(m.end, cases[i].end);
		assert_int_equal(m.ino, cases[i].ino);
		assert_int_equal(m.maj, cases[i].maj);
		assert_int_equal(m.min, cases[i].min);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fresh_dynamic_image_same_verdicts),
		cmocka_unit_test(test_fresh_static_image_same_verdicts),
		cmocka_unit_test(test_extra_files_same_lists_and_verdicts),
		cmocka_unit_test(test_env_off_reads_text),
		cmocka_unit_test(test_parse_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
