/*
 * latency: the per-call latency driver of `make bench` (docs/BENCHMARKS.md).
 * Issues N calls of one kind and prints one line per kind:
 *
 *   OP median_ns p10_ns p90_ns p99_ns samples
 *
 *   latency [-n N] [-d DIR] OP...       OP: unlink unlinkmiss rename connect
 *                                            sendto exec getppid rw socket
 *   latency -c N [-o OP] [-m LIST]      RSS mode: N calls of OP (default
 *                                       sendto); at each count in LIST
 *                                       (comma separated) print the parent's
 *                                       (the supervisor's) VmRSS and VmHWM
 *
 * unlink times unlink(2) of a file created untimed just before; unlinkmiss
 * unlinks a name that does not exist; rename times rename(2) of a file
 * created untimed just before over the previous sample's (an editor's
 * save: the destination exists and is replaced); connect times connect(2) of a fresh
 * TCP socket to a listener in this process (socket, accept and close are
 * untimed); sendto times one 1-byte UDP datagram to a bound socket in this
 * process (drained untimed); exec times fork + execve(/bin/true) + waitpid;
 * getppid and rw are the ungated controls (one sample = a batch of 50 raw
 * getppid calls, or 50 one-byte write+read pairs on a pipe, reported per
 * call); socket times socket(AF_INET, SOCK_STREAM) (close untimed), which
 * the gate passes in BPF (docs/decode.md, "Socket creation"). Each kind warms up with 10% of N first. Trusts nothing: it is the
 * program under test and knows nothing about the gate.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BATCH 50

static const char *workdir = "/tmp";
static char path_buf[4096], dest_buf[4200];

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "latency: %s: %s\n", what, strerror(errno));
	exit(2);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void report(const char *op, uint64_t *v, size_t n, unsigned per)
{
	qsort(v, n, sizeof *v, cmp_u64);
#define Q(q) (v[(size_t)((double)(n - 1) * (q))] / per)
	printf("%s %llu %llu %llu %llu %zu\n", op, (unsigned long long)Q(0.5),
	       (unsigned long long)Q(0.1), (unsigned long long)Q(0.9),
	       (unsigned long long)Q(0.99), n);
#undef Q
	fflush(stdout);
}

/* ---- one sample of each kind ---- */

static uint64_t one_unlink(void)
{
	int fd = open(path_buf, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		die("creat");
	close(fd);
	uint64_t t0 = now_ns();
	if (unlink(path_buf) < 0)
		die("unlink");
	return now_ns() - t0;
}

static uint64_t one_unlinkmiss(void)
{
	uint64_t t0 = now_ns();
	if (unlink(path_buf) == 0 || errno != ENOENT)
		die("unlink of a missing file");
	return now_ns() - t0;
}

static uint64_t one_rename(void)
{
	int fd = open(path_buf, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		die("creat");
	close(fd);
	uint64_t t0 = now_ns();
	if (rename(path_buf, dest_buf) < 0)
		die("rename");
	return now_ns() - t0;
}

static int tcp_listener = -1, udp_sink = -1, udp_src = -1;
static struct sockaddr_in tcp_addr, udp_addr;

static int bound_socket(int type, struct sockaddr_in *addr)
{
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	socklen_t len = sizeof *addr;
	if (fd < 0)
		die("socket");
	memset(addr, 0, sizeof *addr);
	addr->sin_family = AF_INET;
	addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)addr, sizeof *addr) < 0 ||
	    getsockname(fd, (struct sockaddr *)addr, &len) < 0)
		die("bind 127.0.0.1");
	return fd;
}

static uint64_t one_connect(void)
{
	int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c < 0)
		die("socket");
	uint64_t t0 = now_ns();
	if (connect(c, (struct sockaddr *)&tcp_addr, sizeof tcp_addr) < 0)
		die("connect 127.0.0.1");
	uint64_t t = now_ns() - t0;
	/* server end first: TIME_WAIT lands on the listener's port */
	int s = accept4(tcp_listener, NULL, NULL, SOCK_CLOEXEC);
	if (s < 0)
		die("accept4");
	close(s);
	close(c);
	return t;
}

static uint64_t one_sendto(void)
{
	char byte = 'x', sink[64];
	uint64_t t0 = now_ns();
	if (sendto(udp_src, &byte, 1, 0, (struct sockaddr *)&udp_addr, sizeof udp_addr) != 1)
		die("sendto 127.0.0.1");
	uint64_t t = now_ns() - t0;
	if (recv(udp_sink, sink, sizeof sink, 0) != 1)
		die("recv");
	return t;
}

static uint64_t one_exec(void)
{
	static char *const argv[] = { "/bin/true", NULL };
	static char *const envp[] = { NULL };
	int st;
	uint64_t t0 = now_ns();
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		execve("/bin/true", argv, envp);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		die("waitpid");
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "latency: /bin/true failed (status 0x%x)\n", st);
		exit(2);
	}
	return now_ns() - t0;
}

static uint64_t one_getppid(void)
{
	uint64_t t0 = now_ns();
	for (int i = 0; i < BATCH; i++)
		syscall(SYS_getppid);
	return now_ns() - t0;
}

static int rw_pipe[2] = { -1, -1 };

static uint64_t one_rw(void)
{
	char b = 'x';
	uint64_t t0 = now_ns();
	for (int i = 0; i < BATCH; i++) {
		if (write(rw_pipe[1], &b, 1) != 1 || read(rw_pipe[0], &b, 1) != 1)
			die("pipe write/read");
	}
	return now_ns() - t0;
}

static uint64_t one_socket(void)
{
	uint64_t t0 = now_ns();
	long fd = syscall(SYS_socket, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	uint64_t t = now_ns() - t0;
	if (fd < 0)
		die("socket");
	close((int)fd);
	return t;
}

struct op {
	const char *name;
	uint64_t (*one)(void);
	unsigned per;   /* calls per sample */
	unsigned scale; /* samples = N / scale (exec is ~100x slower) */
};

static const struct op ops[] = {
	{ "unlink", one_unlink, 1, 1 },     { "unlinkmiss", one_unlinkmiss, 1, 1 },
	{ "rename", one_rename, 1, 1 },
	{ "connect", one_connect, 1, 1 },   { "sendto", one_sendto, 1, 1 },
	{ "exec", one_exec, 1, 10 },        { "getppid", one_getppid, BATCH, 1 },
	{ "rw", one_rw, BATCH, 1 },         { "socket", one_socket, 1, 1 },
};

static void setup(void)
{
	snprintf(path_buf, sizeof path_buf, "%s/latency.%d.tmp", workdir, (int)getpid());
	snprintf(dest_buf, sizeof dest_buf, "%s.renamed", path_buf);
	tcp_listener = bound_socket(SOCK_STREAM, &tcp_addr);
	if (listen(tcp_listener, 128) < 0)
		die("listen");
	udp_sink = bound_socket(SOCK_DGRAM, &udp_addr);
	udp_src = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (udp_src < 0 || pipe2(rw_pipe, O_CLOEXEC) < 0)
		die("socket/pipe");
}

static void run_op(const struct op *op, long n)
{
	size_t samples = (size_t)(n / op->scale), warm = samples / 10;
	if (samples < 20)
		samples = 20;
	if (warm < 5)
		warm = 5;
	uint64_t *v = calloc(samples, sizeof *v);
	if (!v)
		die("calloc");
	for (size_t i = 0; i < warm; i++)
		op->one();
	for (size_t i = 0; i < samples; i++)
		v[i] = op->one();
	report(op->name, v, samples, op->per);
	free(v);
}

static const struct op *find_op(const char *name)
{
	for (size_t k = 0; k < sizeof ops / sizeof *ops; k++)
		if (!strcmp(name, ops[k].name))
			return &ops[k];
	fprintf(stderr, "latency: unknown op '%s'\n", name);
	return NULL;
}

/* Print "calls=N rss_kib=R hwm_kib=H" for the parent (the supervisor). */
static void print_parent_rss(long calls)
{
	char status[64], line[256];
	long rss = -1, hwm = -1;
	snprintf(status, sizeof status, "/proc/%d/status", (int)getppid());
	FILE *f = fopen(status, "re");
	if (f) {
		while (fgets(line, sizeof line, f)) {
			if (!strncmp(line, "VmRSS:", 6))
				rss = strtol(line + 6, NULL, 10);
			else if (!strncmp(line, "VmHWM:", 6))
				hwm = strtol(line + 6, NULL, 10);
		}
		fclose(f);
	}
	printf("rss calls=%ld rss_kib=%ld hwm_kib=%ld\n", calls, rss, hwm);
	fflush(stdout);
}

static int rss_mode(const struct op *op, long n, const char *marks)
{
	char *list = strdup(marks), *save = NULL;
	long next[32];
	size_t nmarks = 0, m = 0;
	if (!list)
		die("strdup");
	for (char *t = strtok_r(list, ",", &save); t && nmarks < 32; t = strtok_r(NULL, ",", &save))
		next[nmarks++] = strtol(t, NULL, 10);
	free(list);
	print_parent_rss(0);
	uint64_t t0 = now_ns();
	for (long i = 1; i <= n; i++) {
		op->one();
		if (m < nmarks && i == next[m]) {
			print_parent_rss(i);
			m++;
		}
	}
	printf("rss_total_ns %llu\n", (unsigned long long)(now_ns() - t0));
	return 0;
}

int main(int argc, char **argv)
{
	long n = 2000, rss_calls = 0;
	const char *marks = "", *rss_op = "sendto";
	int opt;

	while ((opt = getopt(argc, argv, "n:d:c:m:o:")) != -1) {
		switch (opt) {
		case 'n': n = strtol(optarg, NULL, 10); break;
		case 'd': workdir = optarg; break;
		case 'c': rss_calls = strtol(optarg, NULL, 10); break;
		case 'm': marks = optarg; break;
		case 'o': rss_op = optarg; break;
		default:
			fprintf(stderr, "usage: latency [-n N] [-d DIR] OP... | latency -c N [-m LIST]\n");
			return 2;
		}
	}
	setup();
	if (rss_calls > 0) {
		const struct op *op = find_op(rss_op);
		return op ? rss_mode(op, rss_calls, marks) : 2;
	}
	for (int i = optind; i < argc; i++) {
		const struct op *op = find_op(argv[i]);
		if (!op)
			return 2;
		run_op(op, n);
	}
	unlink(dest_buf); /* the last rename's destination, if any */
	return 0;
}
