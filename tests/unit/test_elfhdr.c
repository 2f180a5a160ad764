/*
 * Unit tests for the pure ELF header reader (supervisor/common/elfhdr.c)
 * and the dynamic loader's option parser (supervisor/common/ldso_args.c):
 * well-formed 64- and 32-bit headers with and without PT_INTERP, DT_SONAME
 * through PT_DYNAMIC and PT_LOAD, and malformed inputs an agent could
 * write (bad class, wrong e_phentsize, no or too many program headers,
 * headers past the end of the file, PT_INTERP empty, too short, too long
 * or not NUL-terminated); loader options with values, unknown options.
 */
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "supervisor/common/elfhdr.h"
#include "supervisor/common/ldso_args.h"

static unsigned char file[8192];
static size_t file_len;

static int rd(void *ctx, void *buf, size_t len, uint64_t off)
{
	(void)ctx;
	if (off > file_len || len > file_len - off)
		return -ENOEXEC;
	memcpy(buf, file + off, len);
	return 0;
}

/* A 64-bit ET_DYN with phdrs at 64: PT_INTERP (interp), PT_LOAD covering
 * the file at vaddr 0, PT_DYNAMIC with DT_STRTAB/DT_SONAME (soname). */
static void build64(const char *interp, const char *soname)
{
	Elf64_Ehdr eh = { 0 };
	Elf64_Phdr ph[3];
	size_t n = 0;

	memset(file, 0, sizeof file);
	memset(ph, 0, sizeof ph);
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_type = ET_DYN;
	eh.e_machine = EM_X86_64;
	eh.e_phoff = sizeof eh;
	eh.e_phentsize = sizeof(Elf64_Phdr);
	if (interp) {
		ph[n].p_type = PT_INTERP;
		ph[n].p_offset = 1024;
		ph[n].p_filesz = strlen(interp) + 1;
		memcpy(file + 1024, interp, strlen(interp) + 1);
		n++;
	}
	ph[n].p_type = PT_LOAD;
	ph[n].p_offset = 0;
	ph[n].p_vaddr = 0;
	ph[n].p_filesz = sizeof file;
	n++;
	if (soname) {
		Elf64_Dyn dyn[3] = { { DT_STRTAB, { 3000 } }, { DT_SONAME, { 1 } }, { DT_NULL, { 0 } } };
		memcpy(file + 2048, dyn, sizeof dyn);
		memcpy(file + 3001, soname, strlen(soname) + 1);
		ph[n].p_type = PT_DYNAMIC;
		ph[n].p_offset = 2048;
		ph[n].p_filesz = sizeof dyn;
		n++;
	}
	eh.e_phnum = (uint16_t)n;
	memcpy(file, &eh, sizeof eh);
	memcpy(file + sizeof eh, ph, n * sizeof ph[0]);
	file_len = sizeof file;
}

static void test_elf64_interp(void **state)
{
	struct sup_elf_info info;

	(void)state;
	build64("/lib64/ld-linux-x86-64.so.2", NULL);
	assert_true(sup_elf_is_elf(file, file_len));
	/* only the first 64 bytes in the head: the rest through rd */
	assert_int_equal(sup_elf_parse(file, 64, rd, NULL, &info), 0);
	assert_true(info.is64);
	assert_int_equal(info.type, ET_DYN);
	assert_true(info.has_interp);
	assert_string_equal(info.interp, "/lib64/ld-linux-x86-64.so.2");
}

static void test_elf64_static(void **state)
{
	struct sup_elf_info info;

	(void)state;
	build64(NULL, NULL);
	assert_int_equal(sup_elf_parse(file, file_len, rd, NULL, &info), 0);
	assert_false(info.has_interp);
	assert_false(info.has_dynamic);
}

static void test_elf_soname(void **state)
{
	struct sup_elf_info info;
	char so[SUP_ELF_SONAME_MAX];

	(void)state;
	build64(NULL, "ld-linux-x86-64.so.2");
	assert_int_equal(sup_elf_parse(file, file_len, rd, NULL, &info), 0);
	assert_int_equal(sup_elf_soname(&info, rd, NULL, so, sizeof so), 1);
	assert_string_equal(so, "ld-linux-x86-64.so.2");
	assert_true(sup_elf_soname_is_loader(so));
	assert_true(sup_elf_soname_is_loader("ld-musl-x86_64.so.1"));
	assert_true(sup_elf_soname_is_loader("ld64.so.2"));
	assert_false(sup_elf_soname_is_loader("libc.so.6"));
	assert_false(sup_elf_soname_is_loader("ldap.so"));
	/* no DT_SONAME */
	build64(NULL, NULL);
	assert_int_equal(sup_elf_parse(file, file_len, rd, NULL, &info), 0);
	assert_int_equal(sup_elf_soname(&info, rd, NULL, so, sizeof so), 0);
	/* a soname without NUL before the end of its segment */
	build64(NULL, "x");
	assert_int_equal(sup_elf_parse(file, file_len, rd, NULL, &info), 0);
	memset(file + 3001, 'a', sizeof file - 3001);
	assert_int_equal(sup_elf_soname(&info, rd, NULL, so, sizeof so), -ENOEXEC);
}

static void test_elf32_interp(void **state)
{
	Elf32_Ehdr eh = { 0 };
	Elf32_Phdr ph = { 0 };
	struct sup_elf_info info;

	(void)state;
	memset(file, 0, sizeof file);
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS32;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_type = ET_EXEC;
	eh.e_machine = EM_386;
	eh.e_phoff = sizeof eh;
	eh.e_phentsize = sizeof ph;
	eh.e_phnum = 1;
	ph.p_type = PT_INTERP;
	ph.p_offset = 200;
	ph.p_filesz = sizeof "/lib/ld-linux.so.2";
	memcpy(file, &eh, sizeof eh);
	memcpy(file + sizeof eh, &ph, sizeof ph);
	memcpy(file + 200, "/lib/ld-linux.so.2", sizeof "/lib/ld-linux.so.2");
	file_len = 400;
	assert_int_equal(sup_elf_parse(file, file_len, rd, NULL, &info), 0);
	assert_false(info.is64);
	assert_true(info.has_interp);
	assert_string_equal(info.interp, "/lib/ld-linux.so.2");
}

static Elf64_Phdr *phdr0(void)
{
	return (Elf64_Phdr *)(file + sizeof(Elf64_Ehdr));
}

static void test_elf_malformed(void **state)
{
	struct sup_elf_info info;
	Elf64_Ehdr *eh = (Elf64_Ehdr *)file;

	(void)state;
	/* bad class, big endian */
	build64("/x", NULL);
	file[EI_CLASS] = 7;
	assert_int_equal(sup_elf_parse(file, file_len, rd, NULL, &info), -ENOEXEC);
	build64("/x", NULL);
	file[EI_DATA] = ELFDATA2MSB;
	assert_int_equal(sup_elf_parse(file, file_len, rd, NULL, &info), -ENOEXEC);
	/* wrong e_phentsize, no program headers, too many */
	build64("/x", NULL);
	eh->e_phentsize = 40;
	assert_int_equal(sup_elf_parse(file, file_len, rd, NULL, &info), -ENOEXEC);
	build64("/x", NULL);
	eh->e_phnum = 0;
	assert_int_equal(sup_elf_parse(file, file_len, rd, NULL, &info), -ENOEXEC);
	build64("/x", NULL);
	eh->e_phnum = 65535;
	assert_int_equal(sup_elf_parse(file, file_len, rd, NULL, &info), -ENOEXEC);
	/* program headers past the end, and an overflowing offset */
	build64("/x", NULL);
	eh->e_phoff = sizeof file - 8;
	assert_int_equal(sup_elf_parse(file, file_len, rd, NULL, &info), -ENOEXEC);
	build64("/x", NULL);
	eh->e_phoff = UINT64_MAX - 8;
	assert_int_equal(sup_elf_parse(file, file_len, rd, NULL, &info), -ENOEXEC);
	/* PT_INTERP: too short, too long, not NUL-terminated, empty, past EOF */
	build64("/x", NULL);
	phdr0()->p_filesz = 1;
	assert_int_equal(sup_elf_parse(file, file_len, rd, NULL, &info), -ENOEXEC);
	build64("/x", NULL);
	phdr0()->p_filesz = SUP_ELF_INTERP_MAX + 1;
	assert_int_equal(sup_elf_parse(file, file_len, rd, NULL, &info), -ENOEXEC);
	build64("/x", NULL);
	phdr0()->p_filesz = 2; /* "/x" without its NUL */
	assert_int_equal(sup_elf_parse(file, file_len, rd, NULL, &info), -ENOEXEC);
	build64("/x", NULL);
	file[1024] = '\0';
	assert_int_equal(sup_elf_parse(file, file_len, rd, NULL, &info), -ENOEXEC);
	build64("/x", NULL);
	phdr0()->p_offset = sizeof file - 1;
	assert_int_equal(sup_elf_parse(file, file_len, rd, NULL, &info), -ENOEXEC);
	/* truncated file: only part of the ELF header */
	build64("/x", NULL);
	assert_int_equal(sup_elf_parse(file, 20, NULL, NULL, &info), -ENOEXEC);
	assert_false(sup_elf_is_elf("#!/bin/sh", 9));
}

static void test_ldso_parse(void **state)
{
	struct sup_ldso_args a;
	char why[200];
	char *v1[] = { "ld.so", "--argv0", "ls", "--library-path", "/x", "--preload", "/a.so:/b.so",
		       "./prog", "--help", NULL };
	char *v2[] = { "ld.so", "--frob", "./prog", NULL };
	char *v3[] = { "ld.so", "--help", NULL };
	char *v4[] = { "ld.so", "--audit", NULL };
	char *v5[] = { "ld.so", "--", "./prog", NULL };
	char *v6[] = { "ld.so", "-x", NULL };

	(void)state;
	assert_int_equal(sup_ldso_parse(v1, 9, &a, why, sizeof why), 0);
	assert_int_equal(a.prog, 7);
	assert_string_equal(a.argv0, "ls");
	assert_true(a.library_path);
	assert_int_equal(a.n_preload, 1);
	assert_string_equal(a.preload[0], "/a.so:/b.so");
	assert_int_equal(sup_ldso_parse(v2, 3, &a, why, sizeof why), -EINVAL);
	assert_int_equal(sup_ldso_parse(v3, 2, &a, why, sizeof why), 0);
	assert_int_equal(a.prog, 0);
	assert_true(a.exits);
	assert_int_equal(sup_ldso_parse(v4, 2, &a, why, sizeof why), -EINVAL);
	assert_int_equal(sup_ldso_parse(v5, 3, &a, why, sizeof why), 0);
	assert_int_equal(a.prog, 2);
	assert_int_equal(sup_ldso_parse(v6, 2, &a, why, sizeof why), 0);
	assert_int_equal(a.prog, 1); /* a single dash word is the program */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_elf64_interp),
		cmocka_unit_test(test_elf64_static),
		cmocka_unit_test(test_elf_soname),
		cmocka_unit_test(test_elf32_interp),
		cmocka_unit_test(test_elf_malformed),
		cmocka_unit_test(test_ldso_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
