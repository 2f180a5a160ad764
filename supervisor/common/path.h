/*
 * Pure path and flag helpers for the decoders: lexical normalization of paths taken from a sandboxed process, splitting into
 * parent and final component, and validation of the flag words of the
 * gated syscalls (unknown bits are an error: fail closed). No I/O: the
 * symlink-aware resolution in the target's view lives in
 * supervisor/run/target_path.c; these helpers only handle strings.
 *
 * Trust: inputs are target-controlled bytes already bounded to
 * POL_TARGET_MAX_PATH by the reader.
 */
#ifndef ATTESTA_SUP_PATH_H
#define ATTESTA_SUP_PATH_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Lexically normalize an absolute path in place: collapse "//", drop ".",
 * resolve ".." against the preceding component (".." at "/" stays "/"),
 * drop a trailing '/' (except for "/" itself). Only correct when no
 * component is a symlink: use it on paths the kernel already resolved, or
 * for display. 0, or -EINVAL if path is not absolute.
 */
int sup_path_normalize(char *path);

/*
 * Split a path into its parent ("" when there is none, i.e. a bare
 * relative name; "/" for "/x") and its final component, ignoring trailing
 * slashes (*ret_trailing_slash says whether there were any). The final
 * component is copied into name. 0; -EINVAL for "" or a path whose final
 * component is "/" alone; -ENAMETOOLONG if a part does not fit.
 */
int sup_path_split(const char *path, char *parent, size_t parent_size,
		   char *name, size_t name_size, bool *ret_trailing_slash);

/* Flag validation; 0 or -EINVAL with "unknown unlinkat flags 0x4". */
int sup_flags_check_unlinkat(long flags, char *reason, size_t reason_size);
/* renameat2: RENAME_NOREPLACE, RENAME_EXCHANGE, RENAME_WHITEOUT; any
 * other bit (the high 32 bits included) is -EINVAL (docs/decode.md). */
int sup_flags_check_renameat2(long flags, char *reason, size_t reason_size);
int sup_flags_check_execveat(long flags, char *reason, size_t reason_size);
/* MSG_* bits accepted for an emulated send. */
int sup_flags_check_send(long flags, char *reason, size_t reason_size);

#endif
