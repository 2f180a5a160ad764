/*
 * gate_loop: many gated calls, fast: N times, create DIR/f (ungated) and
 * unlink it (gated, auto-approved by the default policy inside the
 * workspace). For the audit shipping test (tests/integration/
 * audit_ship_postgres.sh) and its measurements: one audit entry per call.
 *
 *   gate_loop DIR N
 *
 * Prints "done N SECONDS" and exits 0, or 1 at the first failed call.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct timespec a, b;
	char path[4096];
	long n;

	if (argc != 3 || (n = strtol(argv[2], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: gate_loop DIR N\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/f", argv[1]);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++) {
		int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);

		if (fd < 0 || close(fd) < 0 || unlink(path) < 0) {
			fprintf(stderr, "gate_loop: call %ld: %m\n", i);
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("done %ld %.3f\n", n, (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9);
	return 0;
}
