/*
 * The mapping half of the exec check (execcheck.h, docs/SECURITY.md): at
 * PTRACE_EVENT_EXEC of a program whose identity /proc/PID/exe already
 * confirmed, only the approved program and the approved ELF interpreter
 * may be mapped, and the mapping at AT_BASE must be that interpreter.
 *
 * The file-backed mappings are read with the PROCMAP_QUERY ioctl on
 * /proc/PID/maps where the kernel has it (6.11+; probed on the first
 * check, remembered for the process), else from the maps text. Both give
 * the same list (start, end, device, inode of every mapping with an
 * inode, in address order) to one judge, so the verdicts and reasons do
 * not depend on how the list was read. ATTESTA_PROCMAP_QUERY=off always
 * reads the text; =stats says at exit how many checks each way answered;
 * =off,stats both.
 *
 * Trusts the kernel's answers about pid's mm (the ioctl, the maps text,
 * the saved auxiliary vector): none of them is memory the target writes.
 * Called by the event loop's thread only (the probe result and counters
 * are process-wide).
 */
#ifndef ATTESTA_SUP_EXECMAPS_H
#define ATTESTA_SUP_EXECMAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* What the check accepts; path and ipath name the files in reasons. */
struct sup_execmaps_want {
	const char *path;
	dev_t dev; /* the program, as stat() of /proc/PID/exe */
	ino_t ino;
	bool want_interp; /* a dynamic ELF: its PT_INTERP must be mapped */
	dev_t idev;
	ino_t iino;
	const char *ipath;
};

enum sup_execmaps_how {
	SUP_EXECMAPS_AUTO,  /* PROCMAP_QUERY if the kernel has it, else text */
	SUP_EXECMAPS_TEXT,  /* /proc/PID/maps text (tests) */
	SUP_EXECMAPS_QUERY, /* PROCMAP_QUERY only; -ENOTTY without it (tests) */
};

/* 0 if pid's mappings are what want allows; -EPERM with reason filled
 * (cannot read them, an unapproved file, the wrong interpreter at
 * AT_BASE, the approved interpreter missing, an interpreter where none was
 * approved); -ENOTTY only for SUP_EXECMAPS_QUERY on a kernel without it. */
int sup_execmaps_check(pid_t pid, const struct sup_execmaps_want *want,
		       enum sup_execmaps_how how, char *reason, size_t reason_size);

#endif
