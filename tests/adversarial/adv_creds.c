/*
 * adv_creds: the agent changes a thread's credentials after the gate has
 * seen (and may have cached) them, then asks for removals that its old
 * credentials would allow and its new ones would not (docs/decode.md,
 * "Credential epochs"; docs/SECURITY.md). The gate emulates an approved
 * removal with the caller's credentials, so every result must be the
 * kernel's own: tests/adversarial/creds.sh runs this natively and under
 * the gate and compares the lines.
 *
 * Run as root in a directory holding (set up by creds.sh):
 *   root/   root:root 0755        r0..r39
 *   nobody/ 65534:65534 0755      n0..n39
 *   grp/    65533:4242 0070       g0..g39
 *
 * Usage: adv_creds all      every case below (root)
 *        adv_creds user     what a non-root agent can try (--user)
 *        adv_creds execd P  (internal) the image a non-leader thread
 *                           exec'd into: remove P
 * Prints "CASE <name> rc=<n> errno=<n>" per removal and "TIDREUSE
 * <hit|miss>"; exit 0, or 3 on a setup error.
 */
#include "adv.h"

#include <grp.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define NOBODY 65534
#define GROUP 4242

static char self_exe[4096];

static void rm_case(const char *name, const char *path)
{
	long rc = syscall(SYS_unlinkat, AT_FDCWD, path, 0);
	int e = rc < 0 ? errno : 0;

	dprintf(1, "CASE %s rc=%ld errno=%d\n", name, rc < 0 ? -1L : rc, e);
}

static void die(const char *what)
{
	dprintf(2, "adv_creds: %s: %s\n", what, strerror(errno));
	_exit(ADV_SETUP);
}

/* This thread's effective (and, if perm, permitted) capabilities minus
 * the ones that bypass file permissions (raw capget/capset: this thread
 * only). raise: put them back into the effective set. */
static void dac_caps(bool drop, bool perm)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	const uint32_t dac = 1u << CAP_DAC_OVERRIDE | 1u << CAP_DAC_READ_SEARCH | 1u << CAP_FOWNER;

	if (syscall(SYS_capget, &hdr, d) < 0)
		die("capget");
	if (drop) {
		d[0].effective &= ~dac;
		if (perm)
			d[0].permitted &= ~dac;
	} else {
		d[0].effective |= dac & d[0].permitted;
	}
	if (syscall(SYS_capset, &hdr, d) < 0)
		die("capset");
}

static void run_thread(void *(*fn)(void *), void *arg)
{
	pthread_t t;

	if (pthread_create(&t, NULL, fn, arg) != 0 || pthread_join(t, NULL) != 0)
		die("thread");
}

/* setresuid in one thread (raw: the others keep root). */
static void *t_setresuid(void *arg)
{
	(void)arg;
	rm_case("resuid-before-root", "root/r0");
	if (syscall(SYS_setresuid, NOBODY, NOBODY, NOBODY) < 0)
		die("setresuid");
	rm_case("resuid-after-root", "root/r1");
	rm_case("resuid-after-nobody", "nobody/n0");
	return NULL;
}

/* capset: same uids, fewer capabilities, then back. */
static void *t_capset(void *arg)
{
	(void)arg;
	rm_case("capset-before-nobody", "nobody/n1");
	dac_caps(true, false);
	rm_case("capset-dropped-nobody", "nobody/n2");
	rm_case("capset-dropped-nobody2", "nobody/n3");
	dac_caps(false, false);
	rm_case("capset-raised-nobody", "nobody/n4");
	return NULL;
}

/* setgroups: same uids and capabilities, other groups. */
static void *t_setgroups(void *arg)
{
	gid_t g = GROUP;

	(void)arg;
	if (syscall(SYS_setgroups, 1, &g) < 0)
		die("setgroups");
	dac_caps(true, false);
	rm_case("groups-member-grp", "grp/g0");
	rm_case("groups-member-grp2", "grp/g1");
	if (syscall(SYS_setgroups, 0, NULL) < 0)
		die("setgroups");
	rm_case("groups-dropped-grp", "grp/g2");
	if (syscall(SYS_setgroups, 1, &g) < 0)
		die("setgroups");
	rm_case("groups-again-grp", "grp/g3");
	return NULL;
}

/* setfsuid: only the file-system uid (and the capabilities it clears). */
static void *t_setfsuid(void *arg)
{
	(void)arg;
	rm_case("fsuid-before-root", "root/r2");
	syscall(SYS_setfsuid, NOBODY);
	rm_case("fsuid-after-root", "root/r3");
	rm_case("fsuid-after-nobody", "nobody/n5");
	return NULL;
}

/* prctl changes what a later exec or setuid gives, not the effective
 * set now: keep-caps, the bounding and ambient sets. */
static void *t_prctl(void *arg)
{
	(void)arg;
	rm_case("prctl-before-nobody", "nobody/n7");
	prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0);
	prctl(PR_CAPBSET_DROP, CAP_DAC_OVERRIDE, 0, 0, 0);
	prctl(PR_CAPBSET_DROP, CAP_FOWNER, 0, 0, 0);
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	rm_case("prctl-after-nobody", "nobody/n8");
	return NULL;
}

/* A non-zero uid that holds capabilities: kept across setresuid
 * (SECBIT_NO_SETUID_FIXUP), or kept in the permitted set (keep-caps)
 * and raised again; then dropped. */
static void *t_nofixup(void *arg)
{
	(void)arg;
	if (prctl(PR_SET_SECUREBITS, SECBIT_NO_SETUID_FIXUP, 0, 0, 0) < 0)
		die("securebits");
	rm_case("nofixup-before-root", "root/r7");
	if (syscall(SYS_setresuid, NOBODY, NOBODY, NOBODY) < 0)
		die("setresuid");
	rm_case("nofixup-nobody-caps-root", "root/r8");
	dac_caps(true, false);
	rm_case("nofixup-nobody-nocaps-root", "root/r9");
	return NULL;
}

static void *t_keepcaps(void *arg)
{
	(void)arg;
	prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0);
	if (syscall(SYS_setresuid, NOBODY, NOBODY, NOBODY) < 0)
		die("setresuid");
	rm_case("keepcaps-nobody-root", "root/r15");
	dac_caps(false, false);
	rm_case("keepcaps-raised-root", "root/r16");
	dac_caps(true, false);
	rm_case("keepcaps-dropped-root", "root/r17");
	return NULL;
}

/* glibc's setgroups/setresuid in a process with threads: every thread
 * changes (SIGSETXID), each through its own system call. */
static pthread_barrier_t bar;
static void *t_glibc(void *arg)
{
	long i = (long)arg;
	char name[64], path[64];

	dac_caps(true, false);
	snprintf(name, sizeof name, "glibc%ld-member-grp", i);
	snprintf(path, sizeof path, "grp/g%ld", 10 + i);
	rm_case(name, path);
	pthread_barrier_wait(&bar); /* main: setgroups(0) */
	pthread_barrier_wait(&bar);
	snprintf(name, sizeof name, "glibc%ld-nogroups-grp", i);
	snprintf(path, sizeof path, "grp/g%ld", 20 + i);
	rm_case(name, path);
	pthread_barrier_wait(&bar); /* main: setresuid(nobody) */
	pthread_barrier_wait(&bar);
	snprintf(name, sizeof name, "glibc%ld-nobody-nobody", i);
	snprintf(path, sizeof path, "nobody/n%ld", 10 + i);
	rm_case(name, path);
	snprintf(name, sizeof name, "glibc%ld-nobody-root", i);
	snprintf(path, sizeof path, "root/r%ld", 10 + i);
	rm_case(name, path);
	return NULL;
}

static void case_glibc(void)
{
	pid_t pid = fork();
	gid_t g = GROUP;

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		pthread_t t[3];

		if (setgroups(1, &g) < 0)
			die("setgroups");
		pthread_barrier_init(&bar, NULL, 4);
		for (long i = 0; i < 3; i++)
			if (pthread_create(&t[i], NULL, t_glibc, (void *)i) != 0)
				die("thread");
		pthread_barrier_wait(&bar);
		if (setgroups(0, NULL) < 0)
			die("setgroups");
		pthread_barrier_wait(&bar);
		pthread_barrier_wait(&bar);
		if (setresuid(NOBODY, NOBODY, NOBODY) < 0)
			die("setresuid");
		pthread_barrier_wait(&bar);
		for (int i = 0; i < 3; i++)
			pthread_join(t[i], NULL);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
}

/* A thread that had full capabilities exits; a new one gets its tid (by
 * ns_last_pid) with the same uids but without the permission-bypassing
 * capabilities, and makes no credential call of its own: it is made by
 * a creator thread that dropped them long before. */
static pid_t gettid_raw(void) { return (pid_t)syscall(SYS_gettid); }
static volatile pid_t seen_tid;
static volatile bool tid_hit;
static pthread_barrier_t tid_bar;
static void *t_tid_first(void *arg)
{
	seen_tid = gettid_raw();
	if (arg)
		rm_case(arg, "nobody/n20");
	else
		syscall(SYS_unlinkat, AT_FDCWD, "nobody/n20", 0);
	return NULL;
}
static void *t_tid_second(void *arg)
{
	(void)arg;
	if (gettid_raw() == seen_tid) {
		tid_hit = true;
		rm_case("tidreuse-nocaps-nobody", "nobody/n21");
	}
	return NULL;
}
static void *t_tid_creator(void *arg)
{
	int fd = (int)(long)arg;

	dac_caps(true, true);
	for (;;) {
		char v[32];
		pthread_t t;

		pthread_barrier_wait(&tid_bar); /* W: a thread's tid is free */
		if (seen_tid <= 0)
			return NULL;
		int n = snprintf(v, sizeof v, "%d", (int)seen_tid - 1);
		if (pwrite(fd, v, (size_t)n, 0) != n)
			die("ns_last_pid write");
		if (pthread_create(&t, NULL, t_tid_second, NULL) != 0)
			die("thread");
		pthread_join(t, NULL);
		pthread_barrier_wait(&tid_bar);
	}
}

static void case_tid_reuse(void)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		int fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
		pthread_t creator;

		if (fd < 0)
			die("ns_last_pid");
		pthread_barrier_init(&tid_bar, NULL, 2);
		if (pthread_create(&creator, NULL, t_tid_creator, (void *)(long)fd) != 0)
			die("thread");
		for (int attempt = 0; attempt < 200 && !tid_hit; attempt++) {
			char p[64];

			if (attempt)
				syscall(SYS_mknodat, AT_FDCWD, "nobody/n20", S_IFREG | 0644, 0);
			run_thread(t_tid_first, attempt ? NULL : "tidreuse-full-nobody");
			snprintf(p, sizeof p, "/proc/self/task/%d", (int)seen_tid);
			for (int i = 0; i < 1000 && access(p, F_OK) == 0; i++)
				usleep(100);
			pthread_barrier_wait(&tid_bar);
			pthread_barrier_wait(&tid_bar);
		}
		dprintf(1, "TIDREUSE %s\n", tid_hit ? "hit" : "miss");
		seen_tid = 0;
		pthread_barrier_wait(&tid_bar);
		pthread_join(creator, NULL);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
}

/* A non-leader thread without the permission-bypassing capabilities
 * (permitted too, so exec gives them not back) execs: it takes the
 * leader's tid, whose full-capability credentials the gate has seen. */
static void *t_exec(void *arg)
{
	char *argv[] = { self_exe, "execd", arg, NULL };

	dac_caps(true, true);
	for (int c = CAP_DAC_OVERRIDE; c <= CAP_FOWNER; c++)
		prctl(PR_CAPBSET_DROP, c, 0, 0, 0);
	syscall(SYS_execve, self_exe, argv, (char *[]){ NULL });
	die("execve");
	return NULL;
}

static void case_exec(void)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		pthread_t t;

		rm_case("exec-leader-nobody", "nobody/n30");
		if (pthread_create(&t, NULL, t_exec, "nobody/n31") != 0)
			die("thread");
		pthread_join(t, NULL); /* never: the exec ends this thread */
		_exit(3);
	}
	waitpid(pid, NULL, 0);
}

int main(int argc, char **argv)
{
	ssize_t n = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);

	if (n <= 0)
		die("readlink");
	self_exe[n] = '\0';
	if (argc == 3 && !strcmp(argv[1], "execd")) {
		rm_case("exec-nonleader-nobody", argv[2]);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "user")) {
		/* not root: nothing to drop; the gate's answers must still be
		 * the kernel's, thread after thread */
		rm_case("user-root", "root/r30");
		rm_case("user-own", "own/o0");
		run_thread(t_capset, NULL);
		return 0;
	}
	if (argc != 2 || strcmp(argv[1], "all"))
		return ADV_SETUP;
	run_thread(t_setresuid, NULL);
	rm_case("main-still-root", "root/r5");
	run_thread(t_capset, NULL);
	rm_case("main-still-full-nobody", "nobody/n6");
	run_thread(t_setgroups, NULL);
	run_thread(t_setfsuid, NULL);
	run_thread(t_prctl, NULL);
	run_thread(t_nofixup, NULL);
	run_thread(t_keepcaps, NULL);
	rm_case("main-still-root2", "root/r6");
	case_glibc();
	case_tid_reuse();
	case_exec();
	return 0;
}
