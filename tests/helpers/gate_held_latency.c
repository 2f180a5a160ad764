/*
 * gate_held_latency: one thread makes a call that waits for a human
 * (unlink HELD), while another thread, once the first has started,
 * unlinks N files DIR/a<i> (auto-approved) and times each call. Prints
 *   "held errno=E seconds=S"   (the held unlink's result and duration)
 *   "auto n=N failed=F max_ms=M during_held=0|1"
 * during_held=1 means every auto call finished while the held one was
 * still waiting. A correctness check that nothing serializes behind the
 * held call, not a benchmark.
 *
 *   gate_held_latency HELD DIR N
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static const char *held_path;
static atomic_int held_done;
static int held_errno;
static double held_seconds;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *held_thread(void *arg)
{
	(void)arg;
	double t0 = now();
	held_errno = unlink(held_path) < 0 ? errno : 0;
	held_seconds = now() - t0;
	atomic_store(&held_done, 1);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: gate_held_latency HELD DIR N\n");
		return 2;
	}
	held_path = argv[1];
	int n = atoi(argv[3]);
	if (n < 1 || n > 100000)
		return 2;
	char path[4096];
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof path, "%s/a%d", argv[2], i);
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0) {
			perror(path);
			return 2;
		}
		close(fd);
	}
	pthread_t t;
	if (pthread_create(&t, NULL, held_thread, NULL) != 0)
		return 2;
	usleep(300 * 1000); /* let the held call reach the supervisor */
	double max = 0;
	int failed = 0;
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof path, "%s/a%d", argv[2], i);
		double t0 = now();
		if (unlink(path) < 0)
			failed++;
		double dt = now() - t0;
		if (dt > max)
			max = dt;
	}
	int during = !atomic_load(&held_done);
	pthread_join(t, NULL);
	printf("held errno=%d seconds=%.3f\n", held_errno, held_seconds);
	printf("auto n=%d failed=%d max_ms=%.3f during_held=%d\n", n, failed, max * 1000, during);
	return 0;
}
