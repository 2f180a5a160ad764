/*
 * Shared between emulate.c, emulate_rename.c and emulate_send.c. Not a
 * public interface.
 */
#ifndef ATTESTA_SUP_EMULATE_INTERNAL_H
#define ATTESTA_SUP_EMULATE_INTERNAL_H

#include <stdbool.h>
#include <sys/socket.h>
#include <linux/types.h>

#include "policy/action.h"
#include "supervisor/run/decode_path.h"
#include "supervisor/run/decode_proc.h"

/* Rename as decided in action a: in kept_old / kept_new (the decoder's
 * held parent directories, borrowed; -1: reopened from the decided
 * paths), as the target (status). 0 with *ret_err the target's errno
 * (0: renamed), or -errno for an internal failure (the caller denies). */
int sup_emulate_rename(const struct sup_view *view, const struct sup_proc_status *status,
		       const struct pol_action *a, int kept_old, int kept_new, int *ret_err);

/* A sendmsg/sendmmsg to emulate: the notification's numbers and
 * arguments, the socket copy and the decided destination (NULL: none). */
struct sup_emu_send {
	pid_t tid;
	const struct sup_proc_status *status;
	int nr;
	const __u64 *args;
	int sock;
	int socktype;
	const struct sockaddr *addr;
	socklen_t addr_len;
};

/* Send the messages, each with the target's credentials (its control
 * data prepared with ours first). 0 with *ret_val or *ret_err (the
 * target's result), or -errno (internal: the caller denies). */
int sup_emulate_msgs(const struct sup_emu_send *e, long long *ret_val, int *ret_err);

#endif
