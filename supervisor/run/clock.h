/*
 * The wall-clock times of audit entries (docs/audit.md): epoch seconds
 * with microsecond resolution, formatted as the reference's ISO-8601.
 */
#ifndef ATTESTA_SUP_CLOCK_H
#define ATTESTA_SUP_CLOCK_H

#include <stddef.h>

/* Seconds since the epoch, microsecond resolution. */
double sup_now(void);

/* Format epoch seconds as "2026-11-23T12:00:00.123456+00:00". */
void sup_iso_time(double epoch, char *buf, size_t size);

#endif
