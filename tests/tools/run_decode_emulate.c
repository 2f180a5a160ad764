/*
 * A minimal stand-alone gate for testing the decoders and the emulation
 * without attesta-run's policy or audit: `run_decode_emulate [-d] -- PROG
 * ARGS` runs PROG under a seccomp user-notification filter on the gated
 * syscalls, decodes every notification with sup_decode(), prints one line
 * per call to stderr ("decode: ..."), and answers: exec -> CONTINUE,
 * everything else -> sup_emulate(), or with -d (deny mode) EPERM for every
 * gated call except the first exec. Trusts PROG no more than the gate
 * does; it is a test tool, not a sandbox (no bypass filtering).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <poll.h>
#include <unistd.h>

#include "policy/action.h"
#include "supervisor/run/decode.h"
#include "supervisor/run/emulate.h"

static const int gated[] = { SYS_execve, SYS_execveat, SYS_unlink, SYS_unlinkat, SYS_rmdir,
			     SYS_connect, SYS_sendto, SYS_sendmsg, SYS_sendmmsg };

static int install_filter(void)
{
	struct sock_filter f[4 + 2 * sizeof(gated) / sizeof(gated[0]) + 2];
	size_t n = 0, ng = sizeof(gated) / sizeof(gated[0]);
	struct sock_fprog prog;

	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, arch));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, nr));
	for (size_t i = 0; i < ng; i++)
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
						      (unsigned)gated[i], (unsigned char)(ng - i), 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF);
	prog.len = (unsigned short)n;
	prog.filter = f;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			    SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
}

static void print_action(int r, const struct pol_action *a, const char *reason)
{
	fprintf(stderr, "decode: r=%d", r);
	if (r < 0 || sup_decode_fails_errno(r)) {
		fprintf(stderr, " errno=%d reason='%s'\n", sup_decode_fails_errno(r),
			r < 0 ? reason : "");
		return;
	}
	fprintf(stderr, " class=%s fn=%s", pol_action_class_name(a->action_class),
		a->function_name ? a->function_name : "-");
	if (a->path)
		fprintf(stderr, " path=%s", a->path);
	if (a->argv0)
		fprintf(stderr, " argv0=%s", a->argv0);
	for (size_t i = 0; i < a->args.count; i++)
		fprintf(stderr, " arg=%s", a->args.items[i]);
	for (size_t i = 0; i < a->env.count; i++)
		fprintf(stderr, " env=%s", a->env.items[i]);
	if (a->exec_anonymous)
		fprintf(stderr, " anonymous=1");
	if (a->file.known)
		fprintf(stderr, " file=%s size=%llu owner=%u", a->file.type,
			(unsigned long long)a->file.size, (unsigned)a->file.owner);
	if (a->address)
		fprintf(stderr, " family=%d addr=%s port=%u", a->family, a->address, a->port);
	if (a->socktype)
		fprintf(stderr, " socktype=%d", a->socktype);
	if (a->action_class == POL_ACTION_EXEC && a->chain.count)
		fprintf(stderr, " chain0=%s", a->chain.items[0]);
	fprintf(stderr, "\n");
}

int main(int argc, char **argv)
{
	struct sup_decode_opts opts = { 0 };
	struct pol_strv envnames = { 0 };
	int sp[2], listener, status, argi = 1, deny = 0, first_exec = 1;
	pid_t child;

	while (argi < argc && argv[argi][0] == '-') {
		if (strcmp(argv[argi], "--") == 0) {
			argi++;
			break;
		}
		if (strcmp(argv[argi], "-d") == 0)
			deny = 1;
		else if (strcmp(argv[argi], "-e") == 0 && argi + 1 < argc) {
			argi++;
			pol_strv_push(&envnames, argv[argi], strlen(argv[argi]));
		}
		argi++;
	}
	if (argi >= argc) {
		fprintf(stderr, "usage: run_decode_emulate [-d] [-e NAME] -- PROG ARGS\n");
		return 2;
	}
	opts.env_vars = &envnames;
	signal(SIGPIPE, SIG_IGN);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
		return 125;
	child = fork();
	if (child == 0) {
		int l;

		close(sp[0]);
		l = install_filter();
		/* sendmsg is gated now: pass the number, the parent takes the
		 * fd with pidfd_getfd, then tells us to go on */
		if (l < 0 || write(sp[1], &l, sizeof(l)) != sizeof(l) ||
		    read(sp[1], &l, sizeof(l)) != sizeof(l))
			_exit(125);
		close(l);
		close(sp[1]);
		execvp(argv[argi], argv + argi);
		_exit(127);
	}
	close(sp[1]);
	{
		int num = -1, pidfd = (int)syscall(SYS_pidfd_open, child, 0);

		if (read(sp[0], &num, sizeof(num)) != sizeof(num) || pidfd < 0)
			return 125;
		listener = (int)syscall(SYS_pidfd_getfd, pidfd, num, 0);
		close(pidfd);
		if (write(sp[0], &num, sizeof(num)) != sizeof(num))
			return 125;
	}
	close(sp[0]);
	if (listener < 0)
		return 125;
	for (;;) {
		struct seccomp_notif req;
		struct seccomp_notif_resp resp;
		struct pol_action *a = NULL;
		struct pollfd pfd = { .fd = listener, .events = POLLIN };
		char reason[256] = "";
		int r;

		if (waitpid(child, &status, WNOHANG) == child)
			break;
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		if (pfd.revents & POLLHUP)
			continue;
		memset(&req, 0, sizeof(req));
		if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
			continue;
		r = sup_decode(listener, &req, &opts, &a, reason, sizeof(reason));
		print_action(r, a, reason);
		memset(&resp, 0, sizeof(resp));
		resp.id = req.id;
		if (r < 0) {
			resp.error = -EPERM;
		} else if (sup_decode_fails_errno(r)) {
			resp.error = -sup_decode_fails_errno(r);
		} else if (a->action_class == POL_ACTION_EXEC) {
			if (deny && !first_exec)
				resp.error = -EPERM;
			else
				resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
			first_exec = 0;
		} else if (deny && r == SUP_DECODE_GATED) {
			resp.error = -EPERM;
		} else {
			int e = sup_emulate(listener, &req, a, &resp);

			if (e < 0) {
				fprintf(stderr, "emulate: failed %s\n", strerror(-e));
				memset(&resp, 0, sizeof(resp));
				resp.id = req.id;
				resp.error = -EPERM;
			} else {
				fprintf(stderr, "emulate: val=%lld error=%d\n", (long long)resp.val,
					resp.error);
			}
		}
		pol_action_free(a);
		ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
	}
	pol_strv_release(&envnames);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}
