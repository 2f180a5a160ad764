/*
 * concurrency: the scale driver of `make bench` (docs/BENCHMARKS.md).
 * Forks P processes of T threads each; every thread issues C gated calls
 * as fast as it can, timing each one: with -o unlink (default) it unlinks
 * a file it created untimed just before (a full decision: scored, audited,
 * emulated); with -o unlinkmiss it unlinks a name that does not exist (the
 * gate decodes it and lets the kernel answer ENOENT). Prints
 *
 *   concurrency procs=P threads=T calls=N wall_ns=W calls_per_s=R
 *               median_ns=M p99_ns=Q max_ns=X
 *
 *   concurrency [-p 8] [-t 8] [-c 500] [-d DIR] [-o unlink|unlinkmiss]
 *
 * Samples go to one shared anonymous mapping (no IPC on the hot path);
 * all threads start together on a process-shared barrier. Trusts nothing:
 * it is the program under test.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct shared {
	pthread_barrier_t start;
	uint64_t t_start, t_end[64 * 64];
	uint64_t samples[]; /* procs * threads * calls */
};

static struct shared *sh;
static long nprocs = 8, nthreads = 8, ncalls = 500;
static const char *workdir = "/tmp";
static int create_first = 1;

struct worker {
	long index; /* global thread index */
	char path[256];
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *run_thread(void *arg)
{
	struct worker *w = arg;
	uint64_t *out = sh->samples + w->index * ncalls;
	pthread_barrier_wait(&sh->start);
	for (long i = 0; i < ncalls; i++) {
		if (create_first) {
			int fd = open(w->path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
			if (fd < 0) {
				fprintf(stderr, "concurrency: creat '%s': %s\n", w->path, strerror(errno));
				_exit(2);
			}
			close(fd);
		}
		uint64_t t0 = now_ns();
		if (create_first ? unlink(w->path) != 0 : unlink(w->path) == 0 || errno != ENOENT) {
			fprintf(stderr, "concurrency: unlink '%s': %s\n", w->path, strerror(errno));
			_exit(2);
		}
		out[i] = now_ns() - t0;
	}
	sh->t_end[w->index] = now_ns();
	return NULL;
}

static void run_process(long p)
{
	pthread_t tid[64];
	struct worker w[64];
	for (long t = 0; t < nthreads; t++) {
		w[t].index = p * nthreads + t;
		snprintf(w[t].path, sizeof w[t].path, "%s/conc-missing.%ld.%ld", workdir,
			 (long)getpid(), t);
		if (pthread_create(&tid[t], NULL, run_thread, &w[t]) != 0)
			_exit(2);
	}
	for (long t = 0; t < nthreads; t++)
		pthread_join(tid[t], NULL);
	_exit(0);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	pthread_barrierattr_t ba;
	int opt;
	while ((opt = getopt(argc, argv, "p:t:c:d:o:")) != -1) {
		switch (opt) {
		case 'p': nprocs = strtol(optarg, NULL, 10); break;
		case 't': nthreads = strtol(optarg, NULL, 10); break;
		case 'c': ncalls = strtol(optarg, NULL, 10); break;
		case 'd': workdir = optarg; break;
		case 'o': create_first = strcmp(optarg, "unlinkmiss") != 0; break;
		default:
			fprintf(stderr, "usage: concurrency [-p P] [-t T] [-c C] [-d DIR] "
				"[-o unlink|unlinkmiss]\n");
			return 2;
		}
	}
	if (nprocs < 1 || nprocs > 64 || nthreads < 1 || nthreads > 64 || ncalls < 1)
		return 2;
	size_t total = (size_t)(nprocs * nthreads * ncalls);
	size_t size = sizeof *sh + total * sizeof(uint64_t);
	sh = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 2;
	pthread_barrierattr_init(&ba);
	pthread_barrierattr_setpshared(&ba, PTHREAD_PROCESS_SHARED);
	/* +1: the parent releases everyone once all are forked */
	pthread_barrier_init(&sh->start, &ba, (unsigned)(nprocs * nthreads + 1));

	for (long p = 0; p < nprocs; p++) {
		pid_t pid = fork();
		if (pid < 0)
			return 2;
		if (pid == 0)
			run_process(p);
	}
	pthread_barrier_wait(&sh->start);
	sh->t_start = now_ns();
	int failed = 0, st;
	while (wait(&st) > 0)
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			failed = 1;
	if (failed) {
		fprintf(stderr, "concurrency: a worker failed\n");
		return 1;
	}
	uint64_t end = 0;
	for (long i = 0; i < nprocs * nthreads; i++)
		if (sh->t_end[i] > end)
			end = sh->t_end[i];
	uint64_t wall = end - sh->t_start;
	qsort(sh->samples, total, sizeof(uint64_t), cmp_u64);
	printf("concurrency op=%s procs=%ld threads=%ld calls=%zu wall_ns=%llu calls_per_s=%.0f "
	       "median_ns=%llu p99_ns=%llu max_ns=%llu\n",
	       create_first ? "unlink" : "unlinkmiss", nprocs, nthreads, total, (unsigned long long)wall,
	       (double)total * 1e9 / (double)wall,
	       (unsigned long long)sh->samples[total / 2],
	       (unsigned long long)sh->samples[(size_t)((double)(total - 1) * 0.99)],
	       (unsigned long long)sh->samples[total - 1]);
	return 0;
}
