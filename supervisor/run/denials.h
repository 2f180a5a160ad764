/*
 * Denials the user can see (docs/attesta-run.md, "Denials on stderr"):
 * with --renderer none a denied call would otherwise show only as the
 * program's own "Operation not permitted". One line per denial on
 * attesta-run's stderr (what, risk, reason, and the command that shows
 * why), at most SUP_DENIALS_SHOWN of them, and a summary at exit when
 * anything was denied or held for a human, and the note that a torn audit
 * log tail was repaired at start. --quiet turns them off. Loop thread only.
 */
#ifndef ATTESTA_SUP_DENIALS_H
#define ATTESTA_SUP_DENIALS_H

#include <stdbool.h>

struct sup_loop;
struct sup_held;

#define SUP_DENIALS_SHOWN 100

/* A held call was denied (after its audit entry was written). */
void sup_denials_say(struct sup_loop *loop, const struct sup_held *held, const char *source,
		     const char *reason);

/* At exit: "N gated calls decided: A approved, D denied; H held for a
 * human, S s waiting in all", when anything was denied or held for a
 * human (a clean run prints nothing). */
void sup_denials_summary(const struct sup_loop *loop, const char *audit_path);

/* At start, after the audit log was opened: say so when its torn last
 * line was repaired (policy/audit.h never prints). */
struct pol_audit_log;
void sup_denials_audit_opened(const struct pol_audit_log *audit, const char *audit_path,
			      bool quiet);

#endif
