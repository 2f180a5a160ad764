/*
 * Socket family names for gate.allow_socket_families (docs/config.md) and
 * for the `socket` action's arguments (docs/decode.md): the kernel's
 * address families by lower-case name ("packet", "vsock", "alg", ...)
 * plus two names that select part of AF_INET/AF_INET6: "raw" (SOCK_RAW)
 * and "sctp" (IPPROTO_SCTP). Pure lookups over a static table; no I/O,
 * thread-safe.
 */
#ifndef ATTESTA_POL_SOCKFAM_H
#define ATTESTA_POL_SOCKFAM_H

#include <stdbool.h>

/* The name of address family number family ("inet6", "packet"), or NULL
 * when the number has no name in the table. */
const char *pol_sockfam_family_name(int family);

/* Is name a value gate.allow_socket_families accepts: a family name from
 * the table, "raw" or "sctp"? */
bool pol_sockfam_is_name(const char *name);

#endif
