/*
 * Socket family names (see sockfam.h). The numbers are the kernel's AF_*
 * values (include/linux/socket.h), stable ABI; the table is written out
 * here so that the policy library does not depend on which of them the
 * build machine's libc headers define.
 */
#include "sockfam.h"

#include <stddef.h>
#include <string.h>

static const char *const family_names[] = {
	[0] = "unspec",      [1] = "unix",       [2] = "inet",        [3] = "ax25",
	[4] = "ipx",         [5] = "appletalk",  [6] = "netrom",      [7] = "bridge",
	[8] = "atmpvc",      [9] = "x25",        [10] = "inet6",      [11] = "rose",
	[12] = "decnet",     [13] = "netbeui",   [14] = "security",   [15] = "key",
	[16] = "netlink",    [17] = "packet",    [18] = "ash",        [19] = "econet",
	[20] = "atmsvc",     [21] = "rds",       [22] = "sna",        [23] = "irda",
	[24] = "pppox",      [25] = "wanpipe",   [26] = "llc",        [27] = "ib",
	[28] = "mpls",       [29] = "can",       [30] = "tipc",       [31] = "bluetooth",
	[32] = "iucv",       [33] = "rxrpc",     [34] = "isdn",       [35] = "phonet",
	[36] = "ieee802154", [37] = "caif",      [38] = "alg",        [39] = "nfc",
	[40] = "vsock",      [41] = "kcm",       [42] = "qipcrtr",    [43] = "smc",
	[44] = "xdp",        [45] = "mctp",
};

#define N_FAMILIES (sizeof(family_names) / sizeof(family_names[0]))

const char *pol_sockfam_family_name(int family)
{
	if (family < 0 || (size_t)family >= N_FAMILIES)
		return NULL;
	return family_names[family];
}

bool pol_sockfam_is_name(const char *name)
{
	if (!name)
		return false;
	if (!strcmp(name, "raw") || !strcmp(name, "sctp"))
		return true;
	/* "unspec" names no socket: socket(AF_UNSPEC) fails in the kernel. */
	for (size_t i = 1; i < N_FAMILIES; i++)
		if (!strcmp(name, family_names[i]))
			return true;
	return false;
}
