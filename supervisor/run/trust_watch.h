/*
 * Shared trust for attesta-run (trust.backend: postgres; docs/trust.md,
 * "Trust in the fleet database"): the agent's trust record is read from
 * the fleet database by a helper thread into a cache, refreshed on every
 * change (LISTEN attesta_trust) and at least every max_age / 2; the loop
 * thread reads the cache (a mutex and an in-memory computation, never a
 * database round trip). A cache older than trust.max_age_seconds is not
 * used: the trust is then 0, the value of a revoked agent, so a database
 * outage never raises trust. Outcomes of human decisions are queued and
 * sent by the same thread (at most once).
 */
#ifndef ATTESTA_SUP_TRUST_WATCH_H
#define ATTESTA_SUP_TRUST_WATCH_H

#include <stdbool.h>

struct sup_gate;
struct sup_trust_pg;
struct pol_config;

/* With trust.backend postgres: read the agent's record once (a failure is
 * a warning: the trust is 0 until a read succeeds), start the thread and
 * set gate->trust_pg. Otherwise nothing. 0 or -errno (message printed). */
int sup_trust_pg_setup(struct sup_gate *gate, const struct pol_config *config);

/* The agent's trust now (the loop thread; never waits for the database). */
double sup_trust_pg_score(struct sup_trust_pg *t, const char *agent_id, double now);

/* Queue one human decision for the database (never blocks). */
void sup_trust_pg_record(struct sup_trust_pg *t, bool approved);

/* Stop the thread (sending what is queued if connected) and free. */
void sup_trust_pg_free(struct sup_trust_pg *t);

#endif
