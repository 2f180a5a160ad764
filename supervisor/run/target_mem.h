/*
 * Bounded reads of a sandboxed process's memory: strings, pointer arrays
 * (argv, envp), fixed structures. process_vm_readv first, /proc/PID/mem
 * only when process_vm_readv says EPERM. Every read is capped by the
 * caller (limits from policy/pol_limits.h); a read that faults, a process
 * that is gone or an unterminated string is an error, never a partial
 * result.
 *
 * Trust: addresses and contents are attacker-controlled; nothing returned
 * is assumed NUL-free or terminated except where stated.
 */
#ifndef ATTESTA_SUP_TARGET_MEM_H
#define ATTESTA_SUP_TARGET_MEM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "policy/action.h"

/* Read exactly len bytes at addr. 0, -EFAULT (unmapped / short),
 * -ESRCH (gone), -EPERM (not allowed), -EIO. */
int sup_target_read(pid_t pid, uint64_t addr, void *buf, size_t len);

/* Read a NUL-terminated string of at most max_len bytes (without the
 * NUL) into buf (size >= max_len + 1), crossing pages safely. Writes the
 * length to *ret_len. -E2BIG when no NUL within max_len, else as above. */
int sup_target_read_string(pid_t pid, uint64_t addr, char *buf, size_t max_len,
			   size_t *ret_len);

/* Read a NULL-terminated array of string pointers (argv/envp): at most
 * max_count strings and max_bytes bytes in total (NULs included) appended
 * to *ret_strv. addr 0 is an empty array (Linux allows argv == NULL).
 * -E2BIG beyond the caps; errors leave *ret_strv with partial contents the
 * caller must release. */
int sup_target_read_strv(pid_t pid, uint64_t addr, size_t max_count, size_t max_bytes,
			 struct pol_strv *ret_strv);

#endif
