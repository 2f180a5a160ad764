/*
 * Wall-clock times of audit entries (clock.h).
 */
#include "supervisor/run/clock.h"

#include <math.h>
#include <stdio.h>
#include <time.h>

double sup_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)(ts.tv_nsec / 1000) / 1e6;
}

void sup_iso_time(double epoch, char *buf, size_t size)
{
	time_t secs = (time_t)floor(epoch);
	long usec = lround((epoch - (double)secs) * 1e6);
	if (usec >= 1000000) {
		secs++;
		usec -= 1000000;
	}
	struct tm tm;
	gmtime_r(&secs, &tm);
	char date[32];
	strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, size, "%s.%06ld+00:00", date, usec);
}
