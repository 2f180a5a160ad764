/*
 * Names as the file system stores them (docs/decode.md, "Case-insensitive
 * file systems"). On a file system or directory that looks names up
 * without regard to case (vfat, exfat, ntfs3, SMB, FUSE, casefolded
 * ext4/tmpfs/f2fs, XFS ascii-ci), "protected/x" reaches the entry stored
 * as "PROTECTED/x": a decision must read the stored name, not the
 * spelling the agent chose (docs/SECURITY.md).
 *
 * Trust: the spelling is the target's; the directory entries and inode
 * numbers are the file system's (a FUSE or network file system may not
 * report inode numbers faithfully: see sup_fold_names()).
 */
#ifndef ATTESTA_SUP_DECODE_FOLD_H
#define ATTESTA_SUP_DECODE_FOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "supervisor/run/decode_path.h"

/*
 * Does the lookup of spelled in directory dir (any fd, O_PATH is fine)
 * ignore case? target is the stat of what that lookup reached (NULL: it
 * is stat'ed here when needed). 1 when it folds: FUSE, SMB, vfat, exfat,
 * ntfs, hfs and isofs by type; any other file system (NFS included) when
 * spelled with its ASCII letters' case swapped reaches the same inode.
 * 0 when it does not, when spelled has no ASCII letter on a file
 * system that is not folding by type, or (without a probe) when the
 * kernel cannot fold that type at all (decode_foldsb.h). -errno on failure.
 * *ret_weak_ino is set for file systems whose inode numbers may not match
 * between readdir and stat (FUSE, SMB).
 */
int sup_fold_dir_folds(int dir, const char *spelled, const struct stat *target,
		       bool *ret_weak_ino);

/*
 * The name under which directory dir (any fd) stores the object want
 * (its stat) that the lookup of spelled reached: spelled itself when an
 * entry has exactly that name and is want; otherwise the one entry that
 * is want and equals spelled under ASCII case folding; otherwise the one
 * entry that is want (Unicode folding or normalization); on a file system
 * with weak inode numbers, failing all of these, the one entry equal to
 * spelled under ASCII case folding. At most POL_FOLD_MAX_DIR_ENTRIES
 * entries are read and POL_FOLD_MAX_CANDIDATES stat'ed.
 * 0 and out (NUL-terminated), or -E2BIG (directory or candidates over the
 * cap), -ENOTUNIQ (several entries could be it), -ENOENT (none is),
 * -ENAMETOOLONG (out too small), -errno (directory unreadable).
 */
int sup_fold_find_stored(int dir, const char *spelled, const struct stat *want, bool weak_ino,
			 char *out, size_t out_size);

/*
 * Rewrite a removal's names to the stored ones. pfd is the parent
 * directory the decoder resolved and holds open, canon its absolute path
 * in the target's view, name the final component (an entry of pfd).
 * When the lookup of name in pfd folds case, name is replaced by the
 * stored name, and every component of canon whose parent directory folds
 * is replaced by its stored name, walking up from pfd with ".." (across
 * mount points) to the target's root. When it does not fold, nothing is
 * read beyond one fstatfs and (for a name with ASCII letters, on a file
 * system that may fold on this kernel: decode_foldsb.h) one fstatat of
 * the case-swapped spelling. A name that does not exist is left as it
 * is (the caller answers ENOENT). 0, or -errno with why filled (a
 * sentence for the audit reason): the errors of sup_fold_find_stored(),
 * -ENAMETOOLONG when a stored path does not fit.
 */
int sup_fold_names(const struct sup_view *view, int pfd, char *canon, size_t canon_size,
		   char *name, size_t name_size, char *why, size_t why_size);

/*
 * sup_fold_names() for the object fd whose absolute path in the target's
 * view (read back from the kernel) is path: its parent is reopened from
 * the target's root (sup_view_reopen_dir) and must still hold that very
 * object under that name, then path is rewritten in place to the stored
 * names. Used for the program of an exec and its interpreter. A path
 * that is not absolute (an anonymous object) is left alone, and so is an
 * object on a file system that cannot fold on this kernel and is not a
 * mount point itself (decode_foldsb.h: nothing is reopened). 0 or -errno
 * with why filled (-ESTALE: renamed since it was read back).
 */
int sup_fold_fd_path(const struct sup_view *view, int fd, char *path, size_t path_size, char *why,
		     size_t why_size);

#endif
