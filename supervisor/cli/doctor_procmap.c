/*
 * The doctor's check of PROCMAP_QUERY (Linux 6.11): whether the exec
 * check can read a new image's file-backed mappings with an ioctl on
 * /proc/PID/maps instead of parsing its text (supervisor/run/execmaps.h,
 * docs/doctor.md). Tried on this process's own maps; trusts the kernel.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "supervisor/cli/doctor_probe.h"
#include "supervisor/common/procmap_compat.h"

void doctor_probe_procmap(struct doctor_result *r)
{
	struct sup_procmap_query q;
	struct stat self;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);

	r->err = 0;
	r->status = DOCTOR_MISSING;
	if (fd < 0) {
		r->err = errno;
		snprintf(r->detail, sizeof r->detail, "/proc/self/maps: %s", strerror(errno));
		return;
	}
	/* the first file-backed mapping: this program's own first segment */
	memset(&q, 0, sizeof q);
	q.size = sizeof q;
	q.query_flags = SUP_PROCMAP_QUERY_COVERING_OR_NEXT_VMA | SUP_PROCMAP_QUERY_FILE_BACKED_VMA;
	if (ioctl(fd, SUP_PROCMAP_QUERY, &q) < 0) {
		r->err = errno;
		snprintf(r->detail, sizeof r->detail, "PROCMAP_QUERY: %s", strerror(errno));
	} else if (stat("/proc/self/exe", &self) < 0 || q.inode != (__u64)self.st_ino) {
		snprintf(r->detail, sizeof r->detail, "PROCMAP_QUERY named another file");
	} else {
		r->status = DOCTOR_OK;
		snprintf(r->detail, sizeof r->detail, "read this process's mappings with an ioctl");
	}
	close(fd);
}
