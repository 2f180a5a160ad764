/*
 * Wall-clock times of audit entries (clock.h).
 */
#include "supervisor/run/clock.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

double sup_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)(ts.tv_nsec / 1000) / 1e6;
}

void sup_iso_time(double epoch, char *buf, size_t size)
{
	/* the date and time of day change once a second: formatted then
	 * (gmtime_r, strftime) and kept per thread; the microseconds are
	 * written directly (docs/BENCHMARKS.md, "Session 5") */
	static __thread time_t cached_secs;
	static __thread size_t cached_len; /* 0: nothing cached */
	static __thread char cached[40];
	time_t secs = (time_t)floor(epoch);
	long usec = lround((epoch - (double)secs) * 1e6);
	if (usec >= 1000000) {
		secs++;
		usec -= 1000000;
	}
	if (!cached_len || secs != cached_secs) {
		struct tm tm;
		gmtime_r(&secs, &tm);
		cached_len = strftime(cached, sizeof cached, "%Y-%m-%dT%H:%M:%S", &tm);
		cached_secs = secs;
	}
	if (usec < 0 || !cached_len || cached_len + sizeof ".000000+00:00" > size) {
		snprintf(buf, size, "%s.%06ld+00:00", cached, usec); /* truncated as before */
		return;
	}
	char *o = buf + cached_len;
	memcpy(buf, cached, cached_len);
	*o++ = '.';
	for (int i = 5; i >= 0; i--) {
		o[i] = (char)('0' + usec % 10);
		usec /= 10;
	}
	memcpy(o + 6, "+00:00", sizeof "+00:00");
}
