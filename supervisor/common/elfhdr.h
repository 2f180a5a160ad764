/*
 * Pure ELF header reader for exec decoding (docs/decode.md, "ELF
 * interpreter and the dynamic loader"): from the first bytes of a file
 * and a bounded read callback, the file's type, whether it names an
 * interpreter (PT_INTERP, as the kernel's binfmt_elf reads it) and, for
 * a shared object, its DT_SONAME. 64-bit and 32-bit little-endian ELF.
 *
 * Trust: the file is attacker-controlled (the agent writes it). Every
 * offset and size is checked before use, reads are bounded, and anything
 * binfmt_elf would not accept in the fields read here is -ENOEXEC (the
 * caller denies). No allocation; no I/O except through the callback.
 */
#ifndef ATTESTA_SUP_ELFHDR_H
#define ATTESTA_SUP_ELFHDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* binfmt_elf: PT_INTERP's p_filesz is at most PATH_MAX and at least 2. */
#define SUP_ELF_INTERP_MAX 4096
/* Program headers read at most (binfmt_elf refuses more than 64 KiB). */
#define SUP_ELF_PHDRS_MAX 65536
#define SUP_ELF_SONAME_MAX 256
#define SUP_ELF_MAX_LOADS 16

/* Read exactly len bytes at offset off of the file: 0, or -errno (a short
 * read is -ENOEXEC). */
typedef int (*sup_elf_read_fn)(void *ctx, void *buf, size_t len, uint64_t off);

struct sup_elf_load {
	uint64_t vaddr, offset, filesz;
};

struct sup_elf_info {
	bool is64;
	uint16_t type;                 /* ET_EXEC, ET_DYN, ... */
	uint16_t machine;
	uint64_t entry;
	bool has_interp;
	char interp[SUP_ELF_INTERP_MAX]; /* PT_INTERP, NUL-terminated */
	bool has_dynamic;
	uint64_t dyn_offset, dyn_size;  /* PT_DYNAMIC in the file */
	size_t n_loads;                 /* PT_LOAD segments (first SUP_ELF_MAX_LOADS) */
	struct sup_elf_load loads[SUP_ELF_MAX_LOADS];
};

/* Does head (the file's first head_len bytes) start with the ELF magic? */
bool sup_elf_is_elf(const void *head, size_t head_len);

/*
 * Parse the ELF header and program headers. head holds the first head_len
 * bytes of the file; bytes beyond it are read through rd. 0 and *info, or
 * -ENOEXEC (malformed: bad class or byte order, e_phentsize not the
 * header size, program headers empty or over 64 KiB or out of the file,
 * PT_INTERP shorter than 2, longer than 4096 bytes, not NUL-terminated
 * or empty), or rd's error. Only the first PT_INTERP counts (binfmt_elf).
 */
int sup_elf_parse(const void *head, size_t head_len, sup_elf_read_fn rd, void *ctx,
		  struct sup_elf_info *info);

/*
 * The DT_SONAME of a parsed ELF (found through PT_DYNAMIC and the PT_LOAD
 * that maps DT_STRTAB), at most SUP_ELF_SONAME_MAX - 1 bytes, into buf.
 * 1 found, 0 none (no PT_DYNAMIC or no DT_SONAME), -ENOEXEC malformed,
 * or rd's error. At most 4096 dynamic entries are read.
 */
int sup_elf_soname(const struct sup_elf_info *info, sup_elf_read_fn rd, void *ctx, char *buf,
		   size_t size);

/* Is soname a dynamic loader's ("ld-linux*.so*", "ld-musl-*.so*",
 * "ld64.so*", "ld.so*", "ld-*.so*")? */
bool sup_elf_soname_is_loader(const char *soname);

#endif
