/*
 * Sealed programs (docs/SECURITY.md, exec verification; docs/decode.md,
 * "ELF interpreter and the dynamic loader"): an approved exec whose
 * program and ELF interpreter nothing in the sandbox can change, so that
 * the mapping check at PTRACE_EVENT_EXEC (execcheck.c: /proc/PID/auxv and
 * /proc/PID/maps) can be left out. The identity and argv checks are never
 * left out: the path and argv are re-read by the kernel from the target's
 * memory, which another task may change after the decision (race_exec.sh),
 * so the ptrace stop stays for every exec.
 *
 * Sealed means:
 *  - the sandbox is unprivileged: PROG, latched when the launcher hands
 *    it over (sup_execcheck_track), had no uid 0 (real, effective, saved, fs), no capability in
 *    any set and NO_NEW_PRIVS (launch.c sets it for every sandboxed task);
 *    every task of the sandbox descends from it and can gain neither;
 *  - the program file is a regular file owned by root with no group or
 *    other write bit (with a POSIX ACL the group bits are its mask, so no
 *    named entry can write either), on a local disk file system (ext2/3/4,
 *    XFS, btrfs, erofs, squashfs: not FUSE, network or proc, whose server
 *    or daemon decides what a name and an inode are);
 *  - its PT_INTERP, absolute, walked component by component from the
 *    sandbox's root: every directory searched, every symlink followed and
 *    the interpreter itself owned by root, without group or other write,
 *    on such a file system, no ".." — and the file reached is the one the
 *    decoder resolved for the decision.
 * The agent has no mount rights (the filter refuses mount, the new mount
 * API and namespaces; NO_NEW_PRIVS disables fusermount), so no component
 * can be covered either. Root outside the sandbox is trusted (it could
 * change the files of any approved program anyway).
 *
 * Cache: the result per program identity (device, inode, mtime, ctime:
 * any change of the file, its mode or owner changes ctime), learned only
 * for a program on a local disk (a hit needs no fstatfs); the walk of
 * its interpreter is redone when the decoder's interpreter differs.
 */
#ifndef ATTESTA_SUP_EXECSEAL_H
#define ATTESTA_SUP_EXECSEAL_H

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

struct sup_execseal;

/* 0 or -ENOMEM. */
int sup_execseal_new(struct sup_execseal **ret);
void sup_execseal_free(struct sup_execseal *seal);

/* Latch whether the sandbox is unprivileged from tid's credentials, once:
 * the first call must name PROG (sup_execcheck_track() of the launched
 * child, or the first thread seized for an exec), whose credentials are
 * final and bound every other task of the sandbox. */
void sup_execseal_latch(struct sup_execseal *seal, pid_t tid);

/*
 * Can the image that thread tid is about to exec be trusted to map only
 * prog (fd of the program the decoder resolved, st its fstat) and, when
 * want_interp, the interpreter of identity idev:iino? false on any doubt
 * or error, and before sup_execseal_latch() found the sandbox
 * unprivileged.
 */
bool sup_execseal_fixed(struct sup_execseal *seal, pid_t tid, int prog, const struct stat *st,
			bool want_interp, dev_t idev, ino_t iino);

#endif
