/*
 * The agent installs its own seccomp filter with
 * SECCOMP_FILTER_FLAG_NEW_LISTENER for unlink/unlinkat and answers every
 * notification with SECCOMP_USER_NOTIF_FLAG_CONTINUE from a second
 * thread. The newest filter's listener is asked first, so if the gate
 * lets this filter in, the agent approves its own calls.
 *
 *   adv_nested [plain|highbits|tsync] PATH
 *     plain     seccomp(SET_MODE_FILTER, NEW_LISTENER, prog)
 *     highbits  the same with junk in the upper 32 bits of the operation
 *               and flags arguments (the kernel reads unsigned ints; a
 *               filter comparing all 64 bits sees another value)
 *     tsync     NEW_LISTENER | TSYNC_ESRCH | TSYNC
 *
 * Then removes PATH. Exits as adv.h says for the seccomp call if it was
 * refused, else for the removal. Attacker code.
 */
#include "adv.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>

#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif

static int g_listener = -1;

static void *answer(void *unused)
{
	(void)unused;
	for (;;) {
		struct seccomp_notif req;
		struct seccomp_notif_resp resp;
		memset(&req, 0, sizeof req);
		if (ioctl(g_listener, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
			if (errno == EINTR || errno == ENOENT)
				continue;
			return NULL;
		}
		memset(&resp, 0, sizeof resp);
		resp.id = req.id;
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		ioctl(g_listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
	}
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: adv_nested plain|highbits|tsync PATH\n");
		return ADV_SETUP;
	}
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_unlink, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_unlinkat, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
	};
	struct sock_fprog prog = { .len = sizeof f / sizeof f[0], .filter = f };
	unsigned long op = SECCOMP_SET_MODE_FILTER, flags = SECCOMP_FILTER_FLAG_NEW_LISTENER;
	if (!strcmp(argv[1], "highbits")) {
		op |= 0x100000000UL;
		flags |= 0x100000000UL;
	} else if (!strcmp(argv[1], "tsync")) {
		flags |= SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
	}
	/* Without NO_NEW_PRIVS an unprivileged filter is refused; the gate
	 * has set it already, set it anyway for the native control. */
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	long fd = syscall(SYS_seccomp, op, flags, &prog);
	int code = adv_result("seccomp-new-listener", fd, errno);
	if (fd < 0)
		return code;
	g_listener = (int)fd;
	pthread_t t;
	if (pthread_create(&t, NULL, answer, NULL) != 0)
		adv_die("pthread_create");
	long rc = adv_unlink(argv[2]);
	return adv_result("unlink-self-approved", rc, errno);
}
