/*
 * The verdict of a socket()/socketpair() the filter held because its
 * family, type or protocol is one the connect/sendto decoder cannot judge
 * (raw and packet sockets, SCTP, AF_VSOCK, AF_ALG, ...; see
 * supervisor/common/sockgate.h and docs/decode.md, "Socket creation").
 * Not scored: gate.allow_socket_families decides, default deny; the
 * decision is audited like every other (write-ahead, fail closed).
 */
#include <stdio.h>
#include <string.h>

#include "policy/config.h"
#include "supervisor/common/sockgate.h"
#include "supervisor/run/verdict.h"
#include "supervisor/run/verdict_entry.h"

int sup_verdict_socket(struct sup_loop *loop, struct sup_held *held)
{
	const struct pol_config *config = loop->config;
	const __u64 *arg = held->req.data.args;
	const struct pol_action *a = held->action;
	char why[200];
	const char *by = sup_socket_allowed_by((const char *const *)config->allow_socket_families.items,
					       config->allow_socket_families.count, (int)arg[0],
					       (int)arg[1], (int)arg[2]);
	const char *fam = a->args.count > 0 ? a->args.items[0] : "?";
	const char *type = a->args.count > 1 ? a->args.items[1] : "?";
	const char *proto = a->args.count > 2 ? a->args.items[2] : "?";

	if (by) {
		snprintf(why, sizeof why, "%s socket (%s, protocol %s) allowed by "
			 "gate.allow_socket_families '%s'", fam, type, proto, by);
		return sup_verdict_finish(loop, held, true, "approved", "policy", why, NULL);
	}
	snprintf(why, sizeof why, "%s socket (%s, protocol %s) is decided at creation and "
		 "gate.allow_socket_families does not allow it", fam, type, proto);
	/* shadow / audit_only: record what enforce would do, let it run */
	if (config->mode != POL_MODE_ENFORCE) {
		char shadow[260];

		snprintf(shadow, sizeof shadow, "%s: would deny: %s",
			 sup_policy_mode_name(config->mode), why);
		return sup_verdict_finish(loop, held, true, "approved", "policy", shadow, NULL);
	}
	return sup_verdict_finish(loop, held, false, "denied", "policy", why, NULL);
}
