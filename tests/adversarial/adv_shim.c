/*
 * Attacks on the shim socket (the SOCK_SEQPACKET descriptor named by
 * ATTESTA_SHIM_FD that the preload library annotates calls through). The
 * shim is context, never authority: whatever arrives on it, the gate
 * must keep deciding from the kernel's view.
 *
 *   adv_shim close   close the socket, then make the calls
 *   adv_shim flood   100,000 datagrams of garbage (random lengths up to
 *                    2 KiB, some starting with the protocol magic), and
 *                    sendmsg with SCM_RIGHTS descriptors, then the calls
 *
 * The calls: remove "PROTECTED.txt" (must be denied) and "ok.txt" (must
 * work: the supervisor is still alive and deciding). Exits 0 when both
 * came out right, 1 when the forbidden removal worked, 2 when the allowed
 * one failed, 77-style 3 when there is no shim socket. Attacker code.
 */
#include "adv.h"

#include <sys/socket.h>

int main(int argc, char **argv)
{
	const char *env = getenv("ATTESTA_SHIM_FD");
	if (argc != 2) {
		fprintf(stderr, "usage: adv_shim close|flood\n");
		return ADV_SETUP;
	}
	if (!env || !*env) {
		adv_say("SETUP no ATTESTA_SHIM_FD in the environment\n");
		return ADV_SETUP;
	}
	int fd = atoi(env);
	adv_say("INFO shim fd %d\n", fd);
	if (!strcmp(argv[1], "close")) {
		long c = close(fd);
		adv_result("close", c, errno);
	} else {
		unsigned char buf[2048];
		unsigned seed = (unsigned)getpid();
		long sent = 0, refused = 0;
		for (int i = 0; i < 100000; i++) {
			size_t len = 1 + (size_t)(rand_r(&seed) % (int)sizeof buf);
			for (size_t k = 0; k < len; k++)
				buf[k] = (unsigned char)rand_r(&seed);
			if (i % 3 == 0 && len >= 8)
				memcpy(buf, "ATSH\x01\x00\x01\x00", 8); /* magic, version, type */
			if (syscall(SYS_sendto, fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL, NULL, 0) >= 0)
				sent++;
			else
				refused++;
		}
		adv_say("INFO garbage datagrams sent=%ld refused=%ld\n", sent, refused);
		/* descriptors pushed at the supervisor */
		int fds[64];
		for (int i = 0; i < 64; i++)
			fds[i] = STDERR_FILENO;
		char cbuf[CMSG_SPACE(sizeof fds)];
		long ok = 0;
		for (int i = 0; i < 50; i++) {
			struct iovec iov = { buf, 16 };
			struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
					     .msg_controllen = sizeof cbuf };
			struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(sizeof fds);
			memcpy(CMSG_DATA(c), fds, sizeof fds);
			if (syscall(SYS_sendmsg, fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
				ok++;
		}
		adv_say("INFO SCM_RIGHTS messages sent=%ld\n", ok);
	}
	long rc = adv_unlink("PROTECTED.txt");
	int bad = adv_result("forbidden", rc, errno);
	rc = adv_unlink("ok.txt");
	int good = adv_result("allowed", rc, errno);
	if (bad == ADV_OK)
		return 1;
	return good == ADV_OK ? 0 : 2;
}
