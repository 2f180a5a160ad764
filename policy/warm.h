/*
 * One-time initialisation that the policy modules otherwise do lazily on
 * their first use (compiled built-in patterns and their JIT code, the C
 * locale, the regex match context, OpenSSL's digest, the time zone).
 * attesta-run calls pol_warm_up() on a helper thread while it loads its
 * configuration and starts PROG, so the first decision does not pay for
 * it. Calling it is never required: every module still initialises
 * itself on first use. Each function is idempotent and thread-safe.
 */
#ifndef ATTESTA_POL_WARM_H
#define ATTESTA_POL_WARM_H

void pol_risk_warm(void);    /* risk.c: the reference scorer's patterns */
void pol_agent_warm(void);   /* agent_exec.c: the agent profile's rule patterns */
void pol_pystr_warm(void);   /* pystr.c: C locale, printable-text pattern */
void pol_regex_warm(void);   /* regex.c: match context */
void pol_audit_warm(void);   /* audit_entry.c: SHA-256 fetched once, tzset, own identity */

/* All of the above. */
void pol_warm_up(void);

#endif
