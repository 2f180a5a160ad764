/*
 * The audit shipper of attesta-run (docs/audit.md "Shipping to
 * PostgreSQL"): a helper thread that copies the durable entries of the
 * gate's own log into the fleet database. It never sits on the decision
 * path: it reads the log through its own descriptor, takes no lock the
 * writer takes, and a database that is slow, down or refusing only
 * delays shipping (retried with back-off); `attesta audit ship` catches
 * up later from the same stored cursor.
 */
#ifndef ATTESTA_RUN_SHIPPER_H
#define ATTESTA_RUN_SHIPPER_H

struct pol_config;
struct sup_shipper;

/* Start shipping audit_path when audit.ship is set (or ATTESTA_AUDIT_SHIP
 * is 1/on; 0/off turns it off): *ret stays NULL when shipping is off.
 * The node id is node_opt (--node-id), else $ATTESTA_NODE_ID, else
 * attestation.node_id; the database fleet.database, else libpq's
 * environment. Call after the last fork() of the process, with every
 * signal blocked in the caller or not: the thread blocks all of its own.
 * 0, or -EINVAL with why (no or a bad node id), -EPERM (PGPASSWORD is
 * set: PROG would inherit it), -errno. */
int sup_shipper_start(const struct pol_config *config, const char *node_opt,
		      const char *audit_path, struct sup_shipper **ret, char *why, size_t why_size);
/* Ship what the log holds now (bounded by ATTESTA_AUDIT_SHIP_DRAIN_MS,
 * default 5000 ms, when the database is reachable), then stop the thread
 * and free. Call after the log is closed (every entry durable). NULL is
 * a no-op. */
void sup_shipper_stop(struct sup_shipper *s);

#endif
