/*
 * The pinning walk of an exec's typed path, remembered (docs/decode.md,
 * "Pinned programs: the walk cache"; docs/SECURITY.md, row 110).
 *
 * decode_pin.c asks, for every exec, whether the path the caller typed
 * reaches the decided file through links, directories and a file the
 * agent cannot change (decode_loader.c: resolve_fixed). That walk costs
 * ~6 system calls per component (~33 for /bin/true). Its answer is a
 * function of: the caller's credentials (fsuid, fsgid, groups, the
 * capabilities that write anything), the session's start, the path, and
 * for every step of the walk the directory searched and the entry found
 * (owner, group, mode, POSIX ACL, symlink target, file system). This
 * cache records the steps (the parent step, the name, and the statx
 * identity of what was found: device, inode, mount id, mode, owner,
 * group, size, mtime, ctime) and, on the next exec of the same path with
 * the same credentials, re-stats each step from its recorded parent
 * (one statx per step, no open/fstatfs/getxattr/readlink/close) and
 * reuses the answer only if every step is the same.
 *
 * SECURITY: why a change is always seen. Whatever changes the answer
 * changes a recorded step: a chmod, chown or ACL change updates the
 * inode's ctime; a rename, unlink, link or new entry in a directory
 * updates the directory's ctime and mtime; a replaced entry has another
 * inode (or, if the number is reused, a ctime of its creation); a
 * symlink's target cannot be rewritten in place; a mount on or over a
 * component changes the device, inode or mount id found at that step;
 * the walk starts at the sandbox's root, whose identity is a step too.
 * Timestamps come from a coarse clock, so a change made in the same
 * tick as the entry's previous change could leave ctime equal: a walk is
 * remembered only when every recorded ctime and mtime is older than
 * SUP_PINCACHE_MARGIN_S seconds before the walk began; a later change
 * then gets a timestamp at or after the walk (minus one tick), never
 * equal to the recorded one. A walk through ".." or a relative path is
 * never remembered. Any failure is a miss (the full walk runs).
 *
 * Thread-safety: one mutex; the recorded directories are held open (O_PATH)
 * by the cache, at most SUP_PINCACHE_ENTRIES * SUP_PINCACHE_STEPS fds.
 */
#ifndef ATTESTA_SUP_EXEC_PINCACHE_H
#define ATTESTA_SUP_EXEC_PINCACHE_H

#include <stdbool.h>
#include <sys/types.h>

#define SUP_PINCACHE_ENTRIES 32
#define SUP_PINCACHE_STEPS 16
#define SUP_PINCACHE_NAMES 1024
/* longer than any file system's timestamp granularity (ext4 without
 * fine-grained timestamps: one jiffy; FAT: 2 s) */
#define SUP_PINCACHE_MARGIN_S 3

struct sup_proc_status;
struct sup_pin_trace;

/* A recorder for one walk, or NULL (-ENOMEM: the walk runs untraced). */
struct sup_pin_trace *sup_pin_trace_new(void);
/* The walk starts at rootfd (the target's root). */
void sup_pin_trace_begin(struct sup_pin_trace *t, int rootfd);
/* The walk cannot be remembered (a relative path, "..", an error). */
void sup_pin_trace_fail(struct sup_pin_trace *t);
/* name was looked up in the current directory and found at fd. */
void sup_pin_trace_step(struct sup_pin_trace *t, const char *name, int fd);
/* The walk goes on in the directory fd just recorded (it is kept). */
void sup_pin_trace_descend(struct sup_pin_trace *t, int fd);
/* An absolute symlink: the walk goes on from the root. */
void sup_pin_trace_restart(struct sup_pin_trace *t);
/* The walk ended (fixed or not): remember it for path and creds
 * (by_root: the rule for an agent that may write any file). Frees t. */
void sup_pin_trace_store(struct sup_pin_trace *t, const char *path,
			 const struct sup_proc_status *creds, bool by_root, bool fixed);
/* Frees t without remembering (NULL is a no-op). */
void sup_pin_trace_free(struct sup_pin_trace *t);

/*
 * The remembered walk of path for creds (by_root as above), if every
 * step still is what was recorded: true with *ret_fixed and the identity
 * of the file the walk ends at. false: not remembered, or changed (the
 * entry is dropped).
 */
bool sup_pincache_lookup(int rootfd, const char *path, const struct sup_proc_status *creds,
			 bool by_root, bool *ret_fixed, dev_t *ret_dev, ino_t *ret_ino);

/* Counters for tests and benchmarks: lookups answered, walks recorded. */
void sup_pincache_stats(unsigned long *ret_hits, unsigned long *ret_stored);

#endif
