/*
 * Pure ELF header reader (see elfhdr.h). Fields are copied out with
 * memcpy (no alignment assumed) from buffers the callback filled; every
 * offset is checked for overflow before a read.
 */
#include "supervisor/common/elfhdr.h"

#include <elf.h>
#include <errno.h>
#include <string.h>

bool sup_elf_is_elf(const void *head, size_t head_len)
{
	return head_len >= SELFMAG && memcmp(head, ELFMAG, SELFMAG) == 0;
}

/* Read len bytes at off: from head when inside it, else through rd. */
static int get(const void *head, size_t head_len, sup_elf_read_fn rd, void *ctx, void *buf,
	       size_t len, uint64_t off)
{
	if (off + len < off)
		return -ENOEXEC;
	if (off + len <= head_len) {
		memcpy(buf, (const char *)head + off, len);
		return 0;
	}
	return rd ? rd(ctx, buf, len, off) : -ENOEXEC;
}

/* One program header, both classes, as 64-bit values. */
struct phdr {
	uint32_t type;
	uint64_t offset, vaddr, filesz;
};

static void phdr_at(const unsigned char *p, bool is64, struct phdr *h)
{
	if (is64) {
		Elf64_Phdr x;
		memcpy(&x, p, sizeof x);
		h->type = x.p_type;
		h->offset = x.p_offset;
		h->vaddr = x.p_vaddr;
		h->filesz = x.p_filesz;
	} else {
		Elf32_Phdr x;
		memcpy(&x, p, sizeof x);
		h->type = x.p_type;
		h->offset = x.p_offset;
		h->vaddr = x.p_vaddr;
		h->filesz = x.p_filesz;
	}
}

int sup_elf_parse(const void *head, size_t head_len, sup_elf_read_fn rd, void *ctx,
		  struct sup_elf_info *info)
{
	unsigned char ident[EI_NIDENT];
	uint64_t phoff;
	uint16_t phnum, phentsize;
	int r;

	memset(info, 0, sizeof *info);
	if ((r = get(head, head_len, rd, ctx, ident, sizeof ident, 0)) < 0)
		return r;
	if (memcmp(ident, ELFMAG, SELFMAG) != 0 || ident[EI_DATA] != ELFDATA2LSB ||
	    (ident[EI_CLASS] != ELFCLASS64 && ident[EI_CLASS] != ELFCLASS32))
		return -ENOEXEC;
	info->is64 = ident[EI_CLASS] == ELFCLASS64;
	if (info->is64) {
		Elf64_Ehdr eh;
		if ((r = get(head, head_len, rd, ctx, &eh, sizeof eh, 0)) < 0)
			return r;
		info->type = eh.e_type;
		info->machine = eh.e_machine;
		info->entry = eh.e_entry;
		phoff = eh.e_phoff;
		phnum = eh.e_phnum;
		phentsize = eh.e_phentsize;
		if (phentsize != sizeof(Elf64_Phdr))
			return -ENOEXEC;
	} else {
		Elf32_Ehdr eh;
		if ((r = get(head, head_len, rd, ctx, &eh, sizeof eh, 0)) < 0)
			return r;
		info->type = eh.e_type;
		info->machine = eh.e_machine;
		info->entry = eh.e_entry;
		phoff = eh.e_phoff;
		phnum = eh.e_phnum;
		phentsize = eh.e_phentsize;
		if (phentsize != sizeof(Elf32_Phdr))
			return -ENOEXEC;
	}
	size_t size = (size_t)phnum * phentsize;
	if (phnum == 0 || size > SUP_ELF_PHDRS_MAX || phoff + size < phoff)
		return -ENOEXEC;
	struct phdr interp = { 0 };
	unsigned char chunk[64 * sizeof(Elf64_Phdr)];
	const size_t per = sizeof chunk / phentsize;
	for (size_t first = 0; first < phnum; first += per) {
		size_t n = phnum - first < per ? phnum - first : per;
		if ((r = get(head, head_len, rd, ctx, chunk, n * phentsize,
			     phoff + first * phentsize)) < 0)
			return r;
		for (size_t i = 0; i < n; i++) {
			struct phdr h;
			phdr_at(chunk + i * phentsize, info->is64, &h);
			if (h.type == PT_INTERP && interp.type == 0) {
				interp = h;
			} else if (h.type == PT_DYNAMIC && !info->has_dynamic) {
				info->has_dynamic = true;
				info->dyn_offset = h.offset;
				info->dyn_size = h.filesz;
			} else if (h.type == PT_LOAD && info->n_loads < SUP_ELF_MAX_LOADS) {
				info->loads[info->n_loads].vaddr = h.vaddr;
				info->loads[info->n_loads].offset = h.offset;
				info->loads[info->n_loads].filesz = h.filesz;
				info->n_loads++;
			}
		}
	}
	if (interp.type == PT_INTERP) {
		if (interp.filesz < 2 || interp.filesz > SUP_ELF_INTERP_MAX)
			return -ENOEXEC;
		if ((r = get(head, head_len, rd, ctx, info->interp, (size_t)interp.filesz,
			     interp.offset)) < 0)
			return r;
		if (info->interp[interp.filesz - 1] != '\0' || info->interp[0] == '\0')
			return -ENOEXEC;
		info->has_interp = true;
	}
	return 0;
}

/* File offset of virtual address vaddr (inside a PT_LOAD's file bytes). */
static int vaddr_offset(const struct sup_elf_info *info, uint64_t vaddr, uint64_t *off,
			uint64_t *avail)
{
	for (size_t i = 0; i < info->n_loads; i++) {
		const struct sup_elf_load *l = &info->loads[i];
		if (vaddr >= l->vaddr && vaddr - l->vaddr < l->filesz) {
			*off = l->offset + (vaddr - l->vaddr);
			*avail = l->filesz - (vaddr - l->vaddr);
			return *off < l->offset ? -ENOEXEC : 0;
		}
	}
	return -ENOEXEC;
}

int sup_elf_soname(const struct sup_elf_info *info, sup_elf_read_fn rd, void *ctx, char *buf,
		   size_t size)
{
	const size_t ent = info->is64 ? sizeof(Elf64_Dyn) : sizeof(Elf32_Dyn);
	uint64_t strtab = 0, soname = 0;
	bool have_strtab = false, have_soname = false;
	int r;

	if (size == 0)
		return -EINVAL;
	buf[0] = '\0';
	if (!info->has_dynamic)
		return 0;
	size_t count = (size_t)(info->dyn_size / ent);
	if (count > 4096)
		count = 4096;
	for (size_t i = 0; i < count; i++) {
		int64_t tag;
		uint64_t val;
		if (info->is64) {
			Elf64_Dyn d;
			if ((r = rd(ctx, &d, sizeof d, info->dyn_offset + i * ent)) < 0)
				return r;
			tag = d.d_tag;
			val = d.d_un.d_val;
		} else {
			Elf32_Dyn d;
			if ((r = rd(ctx, &d, sizeof d, info->dyn_offset + i * ent)) < 0)
				return r;
			tag = d.d_tag;
			val = d.d_un.d_val;
		}
		if (tag == DT_NULL)
			break;
		if (tag == DT_STRTAB && !have_strtab) {
			strtab = val;
			have_strtab = true;
		} else if (tag == DT_SONAME && !have_soname) {
			soname = val;
			have_soname = true;
		}
	}
	if (!have_soname)
		return 0;
	if (!have_strtab || strtab + soname < strtab)
		return -ENOEXEC;
	uint64_t off, avail;
	if ((r = vaddr_offset(info, strtab + soname, &off, &avail)) < 0)
		return r;
	size_t want = avail < size - 1 ? (size_t)avail : size - 1;
	if ((r = rd(ctx, buf, want, off)) < 0)
		return r;
	buf[want] = '\0';
	if (strlen(buf) == want) { /* no NUL within the bound */
		buf[0] = '\0';
		return -ENOEXEC;
	}
	return 1;
}

static bool has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

bool sup_elf_soname_is_loader(const char *soname)
{
	/* glibc: ld-linux-x86-64.so.2, ld-linux.so.2, ld-linux-aarch64.so.1,
	 * ld64.so.2, ld.so.1; musl: ld-musl-x86_64.so.1; old glibc ld-2.31.so */
	if (!has_prefix(soname, "ld-") && !has_prefix(soname, "ld64.so") &&
	    !has_prefix(soname, "ld.so"))
		return false;
	return strstr(soname, ".so") != NULL;
}
