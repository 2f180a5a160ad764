/*
 * Unit tests for supervisor/run/decode_fold.c: finding the name a
 * directory stores for what a spelling reached (docs/decode.md,
 * "Case-insensitive file systems"). The directories here are on a
 * case-sensitive file system; folding is played with hard links (an
 * entry that is the same inode under another spelling) and with a
 * "reached" inode that no entry has (a FUSE file system whose inode
 * numbers differ between lookups). tests/adversarial/casefold.sh covers
 * a real case-insensitive mount.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "supervisor/run/decode_fold.c"
#include "supervisor/run/decode_foldsb.c"

/* decode_path.c's, for a view whose root is ours */
int sup_view_reopen_dir(const struct sup_view *view, const char *canonical, int *ret_fd)
{
	int fd;

	(void)view;
	fd = open(canonical, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*ret_fd = fd;
	return 0;
}

static char dir_path[64];
static int dirfd_;

static int setup(void **state)
{
	(void)state;
	snprintf(dir_path, sizeof(dir_path), "/tmp/attesta-test-fold.XXXXXX");
	if (!mkdtemp(dir_path))
		return -1;
	dirfd_ = open(dir_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return dirfd_ < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	DIR *d;
	struct dirent *e;

	(void)state;
	d = opendir(dir_path);
	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlinkat(dirfd_, e->d_name, 0);
	if (d)
		closedir(d);
	rmdir(dir_path);
	close(dirfd_);
	return 0;
}

static void mkfile(const char *name)
{
	int fd = openat(dirfd_, name, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	close(fd);
}

static void mklink(const char *from, const char *to)
{
	assert_int_equal(linkat(dirfd_, from, dirfd_, to, 0), 0);
}

static struct stat stat_of(const char *name)
{
	struct stat st;

	assert_int_equal(fstatat(dirfd_, name, &st, AT_SYMLINK_NOFOLLOW), 0);
	return st;
}

static void test_sup_fold_dir_folds_case_sensitive(void **state)
{
	struct stat st;
	bool weak = true;

	(void)state;
	mkfile("target.txt");
	mkfile("123");
	st = stat_of("target.txt");
	assert_int_equal(sup_fold_dir_folds(dirfd_, "target.txt", &st, &weak), 0);
	assert_false(weak);
	st = stat_of("123");
	assert_int_equal(sup_fold_dir_folds(dirfd_, "123", &st, &weak), 0);
	/* another file under the swapped spelling is not folding */
	mkfile("TARGET.TXT");
	st = stat_of("target.txt");
	assert_int_equal(sup_fold_dir_folds(dirfd_, "target.txt", &st, &weak), 0);
}

/* The test directory's file system cannot fold on this kernel. */
static bool tmp_never_folds(void)
{
	struct statfs sfs;

	return fstatfs(dirfd_, &sfs) == 0 && sup_fold_type_never((uint32_t)sfs.f_type);
}

static void test_sup_fold_dir_folds_same_inode_swapped(void **state)
{
	struct stat st;
	bool weak;

	(void)state;
	mkfile("Name");
	mklink("Name", "nAME");
	st = stat_of("Name");
	/* where the kernel cannot fold this file system (decode_foldsb.c) the
	 * probe is not made: a hard link under another spelling is not a fold */
	assert_int_equal(sup_fold_dir_folds(dirfd_, "Name", &st, &weak), tmp_never_folds() ? 0 : 1);
}

static void test_sup_fold_find_stored_exact(void **state)
{
	struct stat st;
	char out[NAME_MAX + 1];

	(void)state;
	mkfile("PROTECTED");
	mklink("PROTECTED", "protected");
	st = stat_of("protected");
	assert_int_equal(sup_fold_find_stored(dirfd_, "protected", &st, false, out, sizeof(out)), 0);
	assert_string_equal(out, "protected");
}

static void test_sup_fold_find_stored_folded(void **state)
{
	struct stat st;
	char out[NAME_MAX + 1];

	(void)state;
	mkfile("PROTECTED");
	mkfile("other");
	st = stat_of("PROTECTED");
	assert_int_equal(sup_fold_find_stored(dirfd_, "protected", &st, false, out, sizeof(out)), 0);
	assert_string_equal(out, "PROTECTED");
	assert_int_equal(sup_fold_find_stored(dirfd_, "protected", &st, false, out, 9),
			 -ENAMETOOLONG);
	/* a hard link under an unrelated name does not win over the folded one */
	mklink("PROTECTED", "alias");
	assert_int_equal(sup_fold_find_stored(dirfd_, "Protected", &st, false, out, sizeof(out)), 0);
	assert_string_equal(out, "PROTECTED");
}

static void test_sup_fold_find_stored_unicode_by_inode(void **state)
{
	struct stat st;
	char out[NAME_MAX + 1];

	(void)state;
	/* the file system folded a spelling ASCII folding does not know
	 * ("\xe2\x84\xaa" KELVIN SIGN for "K"): found by its inode */
	mkfile("K.txt");
	st = stat_of("K.txt");
	assert_int_equal(sup_fold_find_stored(dirfd_, "\xe2\x84\xaa.txt", &st, false, out,
					      sizeof(out)), 0);
	assert_string_equal(out, "K.txt");
	/* two names for that inode, neither equal to the spelling: refused */
	mklink("K.txt", "PROTECTED.txt");
	assert_int_equal(sup_fold_find_stored(dirfd_, "\xe2\x84\xaa.txt", &st, false, out,
					      sizeof(out)), -ENOTUNIQ);
}

static void test_sup_fold_find_stored_weak_inodes(void **state)
{
	struct stat st;
	char out[NAME_MAX + 1];
	int fd;

	(void)state;
	mkfile("PROTECTED");
	/* what the lookup reached has an inode number no entry has */
	fd = openat(dirfd_, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	close(fd);
	assert_int_equal(sup_fold_find_stored(dirfd_, "protected", &st, false, out, sizeof(out)),
			 -ENOENT);
	assert_int_equal(sup_fold_find_stored(dirfd_, "protected", &st, true, out, sizeof(out)), 0);
	assert_string_equal(out, "PROTECTED");
	mkfile("Protected");
	assert_int_equal(sup_fold_find_stored(dirfd_, "protected", &st, true, out, sizeof(out)),
			 -ENOTUNIQ);
	/* nothing equal under folding: refused, never guessed */
	assert_int_equal(sup_fold_find_stored(dirfd_, "unrelated", &st, true, out, sizeof(out)),
			 -ENOENT);
}

static void test_sup_fold_find_stored_candidate_cap(void **state)
{
	struct stat st;
	char out[NAME_MAX + 1], name[32];
	int i;

	(void)state;
	mkfile("f");
	for (i = 0; i < POL_FOLD_MAX_CANDIDATES; i++) {
		snprintf(name, sizeof(name), "link%d", i);
		mklink("f", name);
	}
	st = stat_of("f");
	assert_int_equal(sup_fold_find_stored(dirfd_, "\xe2\x84\xaa", &st, false, out, sizeof(out)),
			 -E2BIG);
}

static void test_sup_fold_names_case_sensitive_unchanged(void **state)
{
	struct sup_view view = { .rootfd = -1 };
	char canon[POL_TARGET_MAX_PATH], name[NAME_MAX + 1], why[256];

	(void)state;
	mkfile("target.txt");
	view.rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(view.rootfd >= 0);
	snprintf(canon, sizeof(canon), "%s", dir_path);
	snprintf(name, sizeof(name), "target.txt");
	assert_int_equal(sup_fold_names(&view, dirfd_, canon, sizeof(canon), name, sizeof(name),
					why, sizeof(why)), 0);
	assert_string_equal(canon, dir_path);
	assert_string_equal(name, "target.txt");
	/* a name without letters: the directory above is probed instead */
	mkfile("123");
	snprintf(name, sizeof(name), "123");
	assert_int_equal(sup_fold_names(&view, dirfd_, canon, sizeof(canon), name, sizeof(name),
					why, sizeof(why)), 0);
	assert_string_equal(canon, dir_path);
	assert_string_equal(name, "123");
	/* a missing name is left for the caller's ENOENT */
	snprintf(name, sizeof(name), "missing");
	assert_int_equal(sup_fold_names(&view, dirfd_, canon, sizeof(canon), name, sizeof(name),
					why, sizeof(why)), 0);
	assert_string_equal(name, "missing");
	close(view.rootfd);
}

static void test_sup_fold_names_rewrites_final_and_walks_up(void **state)
{
	struct sup_view view = { .rootfd = -1 };
	char canon[POL_TARGET_MAX_PATH], name[NAME_MAX + 1], why[256];

	(void)state;
	/* "TARGET.TXT" is a second name of "target.txt": the directory
	 * answers like a folding one for this file */
	mkfile("target.txt");
	mklink("target.txt", "TARGET.TXT");
	view.rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(view.rootfd >= 0);
	snprintf(canon, sizeof(canon), "%s", dir_path);
	snprintf(name, sizeof(name), "target.txt");
	assert_int_equal(sup_fold_names(&view, dirfd_, canon, sizeof(canon), name, sizeof(name),
					why, sizeof(why)), 0);
	assert_string_equal(name, "target.txt"); /* the exact entry exists */
	assert_string_equal(canon, dir_path);     /* /tmp does not fold */
	close(view.rootfd);
}

static void test_fuse_needs_search(void **state)
{
	(void)state;
	assert_false(fuse_needs_search("target.txt"));
	assert_false(fuse_needs_search("a-b_c.d"));
	assert_true(fuse_needs_search("123"));               /* no letter to swap */
	assert_true(fuse_needs_search("caf\xc3\xa9"));        /* Unicode folding, NFC/NFD */
	assert_true(fuse_needs_search("\xe2\x84\xaa"));       /* KELVIN SIGN */
	assert_true(fuse_needs_search("PROTECTED.txt."));    /* trailing dot */
	assert_true(fuse_needs_search("PROTECTED.txt "));    /* trailing space */
	assert_true(fuse_needs_search("PROTEC~1.TXT"));      /* an 8.3 alias */
	assert_true(fuse_needs_search(""));
}

static void test_sup_fold_fd_path(void **state)
{
	struct sup_view view = { .rootfd = -1 };
	char path[POL_TARGET_MAX_PATH], why[256];
	int fd;

	(void)state;
	mkfile("prog");
	view.rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(view.rootfd >= 0);
	fd = openat(dirfd_, "prog", O_PATH | O_CLOEXEC);
	assert_true(fd >= 0);
	snprintf(path, sizeof(path), "%s/prog", dir_path);
	assert_int_equal(sup_fold_fd_path(&view, fd, path, sizeof(path), why, sizeof(why)), 0);
	assert_true(strstr(path, "/prog") != NULL);
	/* renamed since it was read back: refused */
	assert_int_equal(renameat(dirfd_, "prog", dirfd_, "other"), 0);
	mkfile("prog");
	snprintf(path, sizeof(path), "%s/prog", dir_path);
	if (tmp_never_folds()) {
		/* nothing to look up: the name read back stands */
		assert_int_equal(sup_fold_fd_path(&view, fd, path, sizeof(path), why, sizeof(why)),
				 0);
	} else {
		assert_int_equal(sup_fold_fd_path(&view, fd, path, sizeof(path), why, sizeof(why)),
				 -ESTALE);
		assert_non_null(strstr(why, "cannot find"));
	}
	/* an anonymous object is left alone */
	snprintf(path, sizeof(path), "anon_inode:[memfd]");
	assert_int_equal(sup_fold_fd_path(&view, fd, path, sizeof(path), why, sizeof(why)), 0);
	close(fd);
	close(view.rootfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sup_fold_dir_folds_case_sensitive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sup_fold_dir_folds_same_inode_swapped, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sup_fold_find_stored_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sup_fold_find_stored_folded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sup_fold_find_stored_unicode_by_inode, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sup_fold_find_stored_weak_inodes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sup_fold_find_stored_candidate_cap, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sup_fold_names_case_sensitive_unchanged, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sup_fold_names_rewrites_final_and_walks_up, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sup_fold_fd_path, setup, teardown),
		cmocka_unit_test(test_fuse_needs_search),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
