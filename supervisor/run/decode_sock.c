/*
 * Decoder for socket() and socketpair() of the kinds the filter sends to
 * the supervisor (supervisor/common/sockgate.h): family, type and protocol
 * are register arguments, so nothing is read from the target's memory;
 * the action's args are their names (docs/decode.md, "Socket creation").
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "supervisor/common/sockgate.h"
#include "supervisor/run/decode_internal.h"

int sup_decode_socket(struct sup_decode_ctx *ctx, struct pol_action **ret_action)
{
	const __u64 *arg = ctx->req->data.args;
	/* the kernel reads the three arguments as ints */
	const int family = (int)arg[0], type = (int)arg[1], protocol = (int)arg[2];
	struct sup_socket_names names;
	struct pol_action *a = pol_action_new(POL_ACTION_SOCKET);
	int r;

	if (!a)
		return sup_decode_fail(ctx, -ENOMEM, "out of memory");
	sup_socket_names(family, type, protocol, &names);
	a->family = family;
	a->socktype = type;
	if ((r = pol_action_set(&a->function_name, "socket")) < 0 ||
	    (r = pol_strv_push(&a->args, names.family, strlen(names.family))) < 0 ||
	    (r = pol_strv_push(&a->args, names.type, strlen(names.type))) < 0 ||
	    (r = pol_strv_push(&a->args, names.protocol, strlen(names.protocol))) < 0) {
		pol_action_free(a);
		return sup_decode_fail(ctx, r, "out of memory");
	}
	*ret_action = a;
	return SUP_DECODE_GATED;
}
