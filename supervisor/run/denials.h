/*
 * Denials the user can see (docs/attesta-run.md, "Denials on stderr"):
 * with --renderer none a denied call would otherwise show only as the
 * program's own "Operation not permitted". One line per denial on
 * attesta-run's stderr (what, risk, reason, and the command that shows
 * why), at most SUP_DENIALS_SHOWN of them, and a summary at exit when
 * anything was denied. --quiet turns both off. Loop thread only.
 */
#ifndef ATTESTA_SUP_DENIALS_H
#define ATTESTA_SUP_DENIALS_H

struct sup_loop;
struct sup_held;

#define SUP_DENIALS_SHOWN 100

/* A held call was denied (after its audit entry was written). */
void sup_denials_say(struct sup_loop *loop, const struct sup_held *held, const char *source,
		     const char *reason);

/* At exit: "N gated calls decided: A approved, D denied" when D > 0. */
void sup_denials_summary(const struct sup_loop *loop, const char *audit_path);

#endif
