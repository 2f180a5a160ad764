/*
 * sup_emulate(): perform an allowed unlink/rmdir/connect/send on behalf of
 * the sandboxed process, on the copies that were decided (docs/SECURITY.md),
 * with the target's credentials, and give the target the call's result.
 *
 * SECURITY: the attacker is the sandboxed program. After the decision it
 * may change its memory (the path, the sockaddr, the msghdr) or the file
 * tree. We use the action's copies only: an unlink acts in the parent
 * directory the decoder opened for the decision (sup_emulate_at), or the
 * parent is reopened from its canonical path with RESOLVE_NO_SYMLINKS (a
 * component swapped for a symlink fails instead of redirecting us); an
 * AF_UNIX socket is opened O_PATH|O_NOFOLLOW and connected to through
 * /proc/self/fd/N; the address is re-encoded from the decided text. Only
 * the payload of a send is read here, and it is not part of the decision;
 * control data is read once more, checked again on our copy and sent with
 * SCM_RIGHTS descriptors replaced by our copies of the same files
 * (cmsg.h, docs/decode.md "Control data").
 */
#include "supervisor/run/emulate.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "policy/pol_limits.h"
#include "supervisor/common/path.h"
#include "supervisor/common/pidfd_compat.h"
#include "supervisor/common/sockaddr.h"
#include "supervisor/run/decode_cache.h"
#include "supervisor/run/decode_path.h"
#include "supervisor/run/decode_proc.h"
#include "supervisor/run/emulate_internal.h"
#include "supervisor/run/gate.h"
#include "supervisor/run/state_protect.h"
#include "supervisor/run/target_mem.h"

struct emu {
	const struct seccomp_notif *req;
	const struct pol_action *action;
	struct sup_proc_status status;
	struct sup_view view;
	int sock;        /* pidfd_getfd copy of the target's socket */
	bool sock_borrowed; /* sock is the decoder's kept_fd: not ours to close */
	int unix_fd;     /* O_PATH of an AF_UNIX socket file */
	struct sockaddr_storage addr;
	socklen_t addr_len;
	bool has_addr;
	int kept_fd;     /* the decoder's parent dir or socket copy (borrowed), or -1 */
	int kept_fd2;    /* a rename's destination parent (borrowed), or -1 */
};

static const struct sup_file_id *forbidden;

void sup_emulate_forbid_socket(const struct sup_file_id *id)
{
	forbidden = id;
}

static void set_result(struct seccomp_notif_resp *resp, const struct seccomp_notif *req,
		       long long val, int err)
{
	memset(resp, 0, sizeof(*resp));
	resp->id = req->id;
	resp->val = err ? 0 : val;
	resp->error = err ? -err : 0;
}

/* Reopen the canonical parent of path; split the final component. A
 * returned positive errno is the target's result, negative is internal. */
static int open_parent(struct emu *e, const char *path, char *name, size_t name_size, int *ret_fd)
{
	char parent[POL_TARGET_MAX_PATH];
	bool trailing;
	int r;

	r = sup_path_split(path, parent, sizeof(parent), name, name_size, &trailing);
	if (r < 0 || parent[0] != '/')
		return -EINVAL;
	r = sup_view_reopen_dir(&e->view, parent, ret_fd);
	if (r == -ELOOP || r == -EXDEV)
		/* SECURITY: a parent became a symlink (or left the target's
		 * root) since the decision: not the decided path any more. */
		return -EPERM;
	if (r < 0)
		return -r;
	return 0;
}

static int emulate_unlink(struct emu *e, struct seccomp_notif_resp *resp)
{
	bool rmdir_ = e->action->action_class == POL_ACTION_RMDIR;
	char name[POL_TARGET_MAX_PATH];
	struct sup_creds_saved saved;
	int pfd = -1, r, rc, err = 0;

	if (!e->action->path)
		return -EINVAL;
	if (e->kept_fd >= 0) {
		/* SECURITY: the directory the decoder resolved and named for
		 * the decision, held open since: renaming it, or swapping a
		 * component of its path for a symlink, cannot move the removal
		 * anywhere else. Only the final component is looked up again. */
		char parent[POL_TARGET_MAX_PATH];
		bool trailing;

		r = sup_path_split(e->action->path, parent, sizeof(parent), name, sizeof(name),
				   &trailing);
		if (r < 0)
			return -EINVAL;
	} else {
		r = open_parent(e, e->action->path, name, sizeof(name), &pfd);
		if (r < 0)
			return r;
		if (r > 0) {
			set_result(resp, e->req, 0, r);
			return 0;
		}
	}
	/* SECURITY: the gate's own files, by identity: the state paths and
	 * what they hold (statepaths.h), and everything the sandbox's
	 * read-only binds protect (state_protect.h); the decision refused
	 * them already (decide.c), this checks the name looked up now. */
	if (sup_state_refuses_at(pfd >= 0 ? pfd : e->kept_fd, name, pfd < 0)) {
		if (pfd >= 0)
			close(pfd);
		set_result(resp, e->req, 0, EPERM);
		return 0;
	}
	r = sup_creds_assume(&e->status, &saved);
	if (r == 0) {
		rc = unlinkat(pfd >= 0 ? pfd : e->kept_fd, name, rmdir_ ? AT_REMOVEDIR : 0);
		err = rc < 0 ? errno : 0;
	}
	sup_creds_restore(&saved);
	if (pfd >= 0)
		close(pfd);
	if (r < 0)
		return r;
	set_result(resp, e->req, 0, err);
	return 0;
}

/* The decided destination as a sockaddr (AF_UNIX path names through an
 * O_PATH fd). Positive errno: the target's result. */
static int build_addr(struct emu *e)
{
	const struct pol_action *a = e->action;
	int r;

	if (!a->address)
		return 0; /* no destination (connected socket) */
	if (a->family == AF_UNIX && a->address[0] == '/') {
		char name[POL_TARGET_MAX_PATH];
		struct sockaddr_un *sun = (struct sockaddr_un *)&e->addr;
		struct stat st;
		int pfd = -1;

		r = open_parent(e, a->address, name, sizeof(name), &pfd);
		if (r != 0)
			return r;
		e->unix_fd = openat(pfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		r = e->unix_fd < 0 ? errno : 0;
		close(pfd);
		if (r)
			return r;
		if (fstat(e->unix_fd, &st) < 0)
			return -errno;
		if (S_ISLNK(st.st_mode))
			return -EPERM; /* was canonical when decided: swapped since */
		if (!S_ISSOCK(st.st_mode))
			return ECONNREFUSED; /* what the kernel answers */
		if (forbidden && forbidden->known && st.st_dev == forbidden->dev &&
		    st.st_ino == forbidden->ino)
			return EPERM; /* the approval socket, renamed since the decision */
		memset(sun, 0, sizeof(*sun));
		sun->sun_family = AF_UNIX;
		snprintf(sun->sun_path, sizeof(sun->sun_path), "/proc/self/fd/%d", e->unix_fd);
		e->addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
					  strlen(sun->sun_path) + 1);
	} else {
		r = sup_sockaddr_encode(a->family, a->address, a->port, &e->addr, &e->addr_len);
		if (r < 0)
			return r;
	}
	e->has_addr = true;
	return 0;
}


static int emulate_net(struct emu *e, struct seccomp_notif_resp *resp)
{
	const __u64 *arg = e->req->data.args;
	struct sup_creds_saved saved;
	int pidfd, r, target_err = 0;
	long long val = 0;

	if (e->kept_fd >= 0) {
		/* SECURITY: the socket the decoder took and judged (its type),
		 * not whatever the target's fd number names now. */
		e->sock = e->kept_fd;
		e->sock_borrowed = true;
		r = 0;
	} else {
		/* the calling thread's table (decode_proc.h) */
		pidfd = sup_pidfd_open_caller((pid_t)e->req->pid, e->status.tgid);
		if (pidfd < 0)
			return -ESRCH;
		e->sock = (int)syscall(SYS_pidfd_getfd, pidfd, (int)arg[0], 0);
		r = e->sock < 0 ? -errno : 0;
		close(pidfd);
	}
	if (r == -EBADF) {
		set_result(resp, e->req, 0, EBADF);
		return 0;
	}
	if (r < 0)
		return r;
	r = build_addr(e);
	if (r > 0) {
		set_result(resp, e->req, 0, r);
		return 0;
	}
	if (r < 0)
		return r;
	if (e->req->data.nr == SYS_sendmsg || e->req->data.nr == SYS_sendmmsg) {
		struct sup_emu_send send = {
			.tid = (pid_t)e->req->pid,
			.status = &e->status,
			.nr = e->req->data.nr,
			.args = e->req->data.args,
			.sock = e->sock,
			.socktype = e->action->socktype,
			.addr = e->has_addr ? (const struct sockaddr *)&e->addr : NULL,
			.addr_len = e->addr_len,
		};

		r = sup_emulate_msgs(&send, &val, &target_err);
		if (r < 0)
			return r;
		set_result(resp, e->req, val, target_err);
		return 0;
	}
	r = sup_creds_assume(&e->status, &saved);
	if (r < 0)
		goto restore;
	switch (e->req->data.nr) {
	case SYS_connect:
		if (!e->has_addr) {
			r = -EINVAL;
			break;
		}
		/* A non-blocking socket answers EINPROGRESS here exactly as it
		 * would in the target: the open file description is shared. */
		if (connect(e->sock, (struct sockaddr *)&e->addr, e->addr_len) < 0)
			target_err = errno;
		break;
	case SYS_sendto: {
		struct iovec iov = { .iov_base = (void *)(uintptr_t)arg[1], .iov_len = arg[2] };
		/* one local iovec describing the target buffer: gather() reads
		 * an iovec array from the target, so send it the long way */
		size_t wanted = iov.iov_len;
		char *buf = NULL;
		size_t n = wanted < POL_TARGET_MAX_SEND_BYTES ? wanted : POL_TARGET_MAX_SEND_BYTES;
		ssize_t s;

		if (wanted > n && e->action->socktype != SOCK_STREAM) {
			target_err = EMSGSIZE;
			break;
		}
		buf = malloc(n ? n : 1);
		if (!buf) {
			r = -ENOMEM;
			break;
		}
		s = n ? sup_target_read(e->req->pid, arg[1], buf, n) : 0;
		if (s == 0)
			s = sendto(e->sock, buf, n, (int)arg[3] | MSG_NOSIGNAL,
				   e->has_addr ? (struct sockaddr *)&e->addr : NULL,
				   e->has_addr ? e->addr_len : 0);
		else
			errno = -(int)s, s = -1;
		if (s < 0) {
			target_err = errno;
			if (target_err == EPIPE && !((int)arg[3] & MSG_NOSIGNAL))
				syscall(SYS_tgkill, e->status.tgid, e->req->pid, SIGPIPE);
		} else {
			val = s;
		}
		free(buf);
		break;
	}
	default:
		r = -EINVAL;
		break;
	}
restore:
	sup_creds_restore(&saved);
	if (r < 0)
		return r;
	set_result(resp, e->req, val, target_err);
	return 0;
}

int sup_emulate(int listener_fd, const struct seccomp_notif *req,
		const struct pol_action *action, struct seccomp_notif_resp *ret_resp)
{
	return sup_emulate_at(listener_fd, req, action, -1, ret_resp);
}

int sup_emulate_at(int listener_fd, const struct seccomp_notif *req,
		   const struct pol_action *action, int kept_fd,
		   struct seccomp_notif_resp *ret_resp)
{
	return sup_emulate_at2(listener_fd, req, action, kept_fd, -1, ret_resp);
}

int sup_emulate_at2(int listener_fd, const struct seccomp_notif *req,
		    const struct pol_action *action, int kept_fd, int kept_fd2,
		    struct seccomp_notif_resp *ret_resp)
{
	struct seccomp_notif_resp resp;
	struct sup_tfacts *facts = NULL;
	struct emu e;
	int r;
	enum pol_action_class want;

	(void)listener_fd;
	memset(&e, 0, sizeof(e));
	e.req = req;
	e.action = action;
	e.sock = -1;
	e.unix_fd = -1;
	e.view.rootfd = -1;
	e.kept_fd = kept_fd;
	e.kept_fd2 = kept_fd2;
	switch (req->data.nr) {
	case SYS_unlink:
		want = POL_ACTION_UNLINK;
		break;
	case SYS_rmdir:
		want = POL_ACTION_RMDIR;
		break;
	case SYS_unlinkat:
		want = ((int)req->data.args[2] & AT_REMOVEDIR) ? POL_ACTION_RMDIR : POL_ACTION_UNLINK;
		break;
	case SYS_rename:
	case SYS_renameat:
	case SYS_renameat2:
		want = POL_ACTION_RENAME;
		break;
	case SYS_connect:
		want = POL_ACTION_CONNECT;
		break;
	case SYS_sendto:
	case SYS_sendmsg:
	case SYS_sendmmsg:
		want = POL_ACTION_SENDTO;
		break;
	default:
		return -EINVAL;
	}
	if (!action || action->action_class != want)
		return -EINVAL;
	/* The decoder of this notification read the status and validated the
	 * root already (see decode_cache.h for why that is still true). */
	facts = sup_tfacts_acquire_for((pid_t)req->pid, req->id);
	if (!facts) {
		r = sup_tfacts_acquire((pid_t)req->pid, req->id, &facts);
		if (r < 0)
			return r == -ESRCH ? -ESRCH : r;
	}
	e.status = *sup_tfacts_status(facts);
	r = sup_tfacts_view(facts, &e.view);
	if (r < 0)
		goto out;
	if (want == POL_ACTION_UNLINK || want == POL_ACTION_RMDIR) {
		r = emulate_unlink(&e, &resp);
	} else if (want == POL_ACTION_RENAME) {
		int err = 0;

		r = sup_emulate_rename(&e.view, &e.status, action, e.kept_fd, e.kept_fd2, &err);
		if (r == 0)
			set_result(&resp, req, 0, err);
	} else
		r = emulate_net(&e, &resp);
	if (r == 0)
		*ret_resp = resp;
out:
	if (e.sock >= 0 && !e.sock_borrowed)
		close(e.sock);
	if (e.unix_fd >= 0)
		close(e.unix_fd);
	sup_view_release(&e.view);
	sup_tfacts_release(facts);
	return r;
}
