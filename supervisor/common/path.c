/*
 * Pure path and flag helpers for the syscall decoders (see path.h). Inputs
 * are bounded byte strings from a sandboxed process; nothing here touches
 * the file system.
 */
#include "supervisor/common/path.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

int sup_path_normalize(char *path)
{
	char *r = path + 1, *w = path + 1;

	if (path[0] != '/')
		return -EINVAL;
	/* The output [path, w) is "/" or "/a/b" (no trailing '/'). Each
	 * component is written with its leading '/' only once it is known, so
	 * w never overtakes r (every written '/' matches a '/' already read). */
	while (*r) {
		char *seg;
		size_t n;

		while (*r == '/')
			r++;
		if (!*r)
			break;
		seg = r;
		while (*r && *r != '/')
			r++;
		n = (size_t)(r - seg);
		if (n == 1 && seg[0] == '.')
			continue;
		if (n == 2 && seg[0] == '.' && seg[1] == '.') {
			/* drop the last written component and its '/' */
			while (w > path + 1 && w[-1] != '/')
				w--;
			if (w > path + 1)
				w--;
			continue;
		}
		if (w > path + 1)
			*w++ = '/';
		memmove(w, seg, n);
		w += n;
	}
	*w = '\0';
	return 0;
}

int sup_path_split(const char *path, char *parent, size_t parent_size, char *name,
		   size_t name_size, bool *ret_trailing_slash)
{
	size_t len = strlen(path), end, start, plen;
	bool trailing = false;

	if (len == 0)
		return -EINVAL;
	end = len;
	while (end > 0 && path[end - 1] == '/') {
		end--;
		trailing = true;
	}
	if (end == 0)
		return -EINVAL; /* "/" or "///": no final component */
	start = end;
	while (start > 0 && path[start - 1] != '/')
		start--;
	if (end - start + 1 > name_size)
		return -ENAMETOOLONG;
	/* parent: everything before the final component, without trailing
	 * slashes, but "/" stays "/" */
	plen = start;
	while (plen > 1 && path[plen - 1] == '/')
		plen--;
	if (plen + 1 > parent_size)
		return -ENAMETOOLONG;
	memcpy(name, path + start, end - start);
	name[end - start] = '\0';
	memcpy(parent, path, plen);
	parent[plen] = '\0';
	if (ret_trailing_slash)
		*ret_trailing_slash = trailing;
	return 0;
}

static int unknown_flags(const char *what, long bits, char *reason, size_t reason_size)
{
	if (reason && reason_size)
		snprintf(reason, reason_size, "unknown %s flags 0x%lx", what, (unsigned long)bits);
	return -EINVAL;
}

int sup_flags_check_unlinkat(long flags, char *reason, size_t reason_size)
{
	long bad = flags & ~(long)AT_REMOVEDIR;

	/* The kernel takes an int: bits above 32 are ignored by it, but we
	 * refuse them too rather than guess. */
	if (bad)
		return unknown_flags("unlinkat", bad, reason, reason_size);
	return 0;
}

int sup_flags_check_renameat2(long flags, char *reason, size_t reason_size)
{
	long bad = flags & ~(long)(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT);

	/* SECURITY: a flag added by a later kernel could change what the
	 * rename removes: refused, not guessed (fail closed). */
	if (bad)
		return unknown_flags("renameat2", bad, reason, reason_size);
	return 0;
}

int sup_flags_check_execveat(long flags, char *reason, size_t reason_size)
{
	long bad = flags & ~(long)(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);

	if (bad)
		return unknown_flags("execveat", bad, reason, reason_size);
	return 0;
}

int sup_flags_check_send(long flags, char *reason, size_t reason_size)
{
	/* Flags that only change how the data is queued. MSG_OOB, MSG_MORE,
	 * MSG_EOR and MSG_CONFIRM keep their meaning on the copied socket;
	 * MSG_DONTWAIT is honoured by the emulation; MSG_NOSIGNAL is always
	 * added (SIGPIPE is re-raised in the target by the emulation).
	 * MSG_FASTOPEN connects: it is allowed because the destination
	 * address is the decided one. MSG_ZEROCOPY is refused (completion
	 * notifications would go to the supervisor's copy). */
	long ok = MSG_OOB | MSG_DONTROUTE | MSG_DONTWAIT | MSG_EOR | MSG_NOSIGNAL |
		  MSG_MORE | MSG_CONFIRM | MSG_FASTOPEN;
	long bad = flags & ~ok;

	if (bad)
		return unknown_flags("send", bad, reason, reason_size);
	return 0;
}
