/*
 * Which file system types cannot look names up without regard to case on
 * the running kernel, so that the case-swapped probe of decode_fold.c
 * can be skipped (docs/decode.md, "Case-insensitive file systems").
 *
 * Trust: the kernel's own feature list in sysfs (not writable by the
 * target); the f_type of an fstatfs on a descriptor the decoder holds.
 */
#ifndef ATTESTA_SUP_DECODE_FOLDSB_H
#define ATTESTA_SUP_DECODE_FOLDSB_H

#include <stdbool.h>
#include <stdint.h>

/* true when no directory of a file system of this type (statfs f_type)
 * can fold case on this kernel: ext4, tmpfs or f2fs when the kernel lists
 * the file system's features without "casefold". false when it may, or
 * when that cannot be told (every other type). */
bool sup_fold_type_never(uint32_t f_type);

#endif
