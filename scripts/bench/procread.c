/*
 * Cost of reading a process's /proc files as the supervisor does per
 * decision (docs/BENCHMARKS.md, "Session 4"): pread of an open
 * /proc/PID/status, stat and comm, N times each, mean microseconds.
 * Usage: procread PID [N]
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static const char *const names[] = { "status", "stat", "comm" };
	static char buf[65536];
	char path[64];
	long n = argc > 2 ? atol(argv[2]) : 20000;

	if (argc < 2 || n <= 0) {
		fprintf(stderr, "usage: procread PID [N]\n");
		return 2;
	}
	for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
		snprintf(path, sizeof path, "/proc/%s/%s", argv[1], names[k]);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			perror(path);
			return 1;
		}
		double t = now();
		for (long i = 0; i < n; i++)
			if (pread(fd, buf, sizeof buf, 0) <= 0) {
				perror(path);
				return 1;
			}
		printf("%s %.2f us\n", names[k], (now() - t) / (double)n * 1e6);
		close(fd);
	}
	return 0;
}
