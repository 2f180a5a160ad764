/*
 * Can this process's children use seccomp user notification? attesta-run
 * asks before it launches PROG: where the answer is no (an old kernel, a
 * container whose own seccomp profile refuses seccomp(2) or the
 * NEW_LISTENER flag, a kernel built without it) it falls back to the
 * shim-only mode, loudly (docs/shim.md). The probe forks a child that
 * sets NO_NEW_PRIVS and loads a one-instruction allow-all filter with
 * SECCOMP_FILTER_FLAG_NEW_LISTENER, then exits; nothing else runs under
 * the filter. Trusts only the kernel's answer.
 */
#ifndef ATTESTA_SUP_NOTIFYPROBE_H
#define ATTESTA_SUP_NOTIFYPROBE_H

#include <stddef.h>

/* 0 when user notification works, else -errno of the failing step (the
 * errno seccomp(2) or prctl returned in the child, -ECHILD if the child
 * could not report), with a one-line reason in reason[size]. */
int sup_notify_probe(char *reason, size_t size);

#endif
