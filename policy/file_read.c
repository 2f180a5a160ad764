/*
 * The bounded whole-file reader (file_read.h). Reads into a buffer that
 * starts at the file's reported size and grows by doubling up to cap + 1:
 * one byte past the cap is enough to know the file is too big, whatever
 * st_size said.
 */
#include "file_read.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int pol_file_read_fd(int fd, size_t cap, unsigned flags, char **ret_buf, size_t *ret_len)
{
	struct stat st;
	size_t size, len = 0;
	char *buf;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (!S_ISREG(st.st_mode) && !(flags & POL_READ_ANY_TYPE))
		return -EINVAL;
	if (S_ISREG(st.st_mode) && st.st_size > 0 && (unsigned long long)st.st_size > cap)
		return -EFBIG;
	/* room for the reported size (or a page), one byte past it, and the NUL */
	size = S_ISREG(st.st_mode) && st.st_size > 0 ? (size_t)st.st_size + 2 : 4096;
	if (size > cap + 2)
		size = cap + 2;
	buf = malloc(size);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (len == size - 1) {
			char *grown;

			if (len > cap)
				break;
			size = size > (cap + 2) / 2 ? cap + 2 : size * 2;
			grown = realloc(buf, size);
			if (!grown) {
				free(buf);
				return -ENOMEM;
			}
			buf = grown;
		}
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int r = -errno;

			free(buf);
			return r;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > cap) {
		free(buf);
		return -EFBIG;
	}
	buf[len] = '\0';
	*ret_buf = buf;
	*ret_len = len;
	return 0;
}

int pol_file_read(const char *path, size_t cap, unsigned flags, char **ret_buf, size_t *ret_len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	int r;

	if (fd < 0)
		return -errno;
	r = pol_file_read_fd(fd, cap, flags, ret_buf, ret_len);
	close(fd);
	return r;
}

const char *pol_file_read_strerror(int r)
{
	switch (r) {
	case -EFBIG:
		return "larger than its size limit";
	case -EINVAL:
		return "not a regular file";
	case -EISDIR:
		return "a directory";
	default:
		return strerror(-r);
	}
}
