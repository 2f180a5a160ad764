/*
 * PROCMAP_QUERY (Linux 6.11): an ioctl on an open /proc/PID/maps that
 * answers one mapping at a time in binary, newer than some
 * distributions' kernel headers (Debian 12 ships 6.1 headers). Values
 * and layout are the kernel's ABI (include/uapi/linux/fs.h); the struct
 * is the first, 104-byte version: the ioctl is extensible by its size
 * field, so a newer kernel fills exactly these fields.
 */
#ifndef ATTESTA_PROCMAP_COMPAT_H
#define ATTESTA_PROCMAP_COMPAT_H

#include <linux/types.h>
#include <sys/ioctl.h>

/* the mapping covering query_addr, or the next one above it */
#define SUP_PROCMAP_QUERY_COVERING_OR_NEXT_VMA 0x10
/* only mappings of a file (skipping anonymous ones, stack, vdso) */
#define SUP_PROCMAP_QUERY_FILE_BACKED_VMA 0x20

struct sup_procmap_query {
	__u64 size;        /* in: sizeof(struct sup_procmap_query) */
	__u64 query_flags; /* in */
	__u64 query_addr;  /* in */
	__u64 vma_start;   /* out */
	__u64 vma_end;     /* out */
	__u64 vma_flags;   /* out */
	__u64 vma_page_size;
	__u64 vma_offset;
	__u64 inode;       /* out: as the maps text's inode column */
	__u32 dev_major;   /* out: as its dev column (the superblock's) */
	__u32 dev_minor;
	__u32 vma_name_size; /* in/out: 0, no name asked for */
	__u32 build_id_size; /* in/out: 0, no build id asked for */
	__u64 vma_name_addr;
	__u64 build_id_addr;
};

_Static_assert(sizeof(struct sup_procmap_query) == 104, "procmap_query, first version");

#define SUP_PROCMAP_QUERY _IOWR('f', 17, struct sup_procmap_query)

#endif
