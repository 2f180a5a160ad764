/*
 * File system types that cannot fold case on this kernel (see
 * decode_foldsb.h and docs/decode.md, "Case-insensitive file systems").
 *
 * SECURITY: ext4, tmpfs and f2fs fold only in directories marked
 * casefold, which needs the kernel's Unicode tables (CONFIG_UNICODE). The
 * kernel says whether it has them: each of these file systems lists a
 * "casefold" feature under /sys/fs/TYPE/features only when it can mount
 * or make casefolded directories. No features directory (an older
 * kernel, no sysfs, the module not loaded yet) means "unknown": probed as
 * before. Read once; a kernel does not gain Unicode support while running.
 */
#include "supervisor/run/decode_foldsb.h"

#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#define FOLDSB_EXT4 0xef53u  /* EXT2/3/4_SUPER_MAGIC */
#define FOLDSB_TMPFS 0x01021994u
#define FOLDSB_F2FS 0xf2f52010u

static pthread_once_t once = PTHREAD_ONCE_INIT;
static bool never_ext4, never_tmpfs, never_f2fs;

/* The features directory exists and has no "casefold" entry. */
static bool kernel_lacks(const char *features_dir, const char *casefold)
{
	struct stat st;

	return stat(features_dir, &st) == 0 && S_ISDIR(st.st_mode) &&
	       access(casefold, F_OK) != 0;
}

static void probe_kernel(void)
{
	never_ext4 = kernel_lacks("/sys/fs/ext4/features", "/sys/fs/ext4/features/casefold");
	never_tmpfs = kernel_lacks("/sys/fs/tmpfs/features", "/sys/fs/tmpfs/features/casefold");
	never_f2fs = kernel_lacks("/sys/fs/f2fs/features", "/sys/fs/f2fs/features/casefold");
}

bool sup_fold_type_never(uint32_t f_type)
{
	pthread_once(&once, probe_kernel);
	switch (f_type) {
	case FOLDSB_EXT4:
		return never_ext4;
	case FOLDSB_TMPFS:
		return never_tmpfs;
	case FOLDSB_F2FS:
		return never_f2fs;
	default:
		return false;
	}
}
