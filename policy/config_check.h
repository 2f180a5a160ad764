/*
 * Checks of a loaded config that the schema walk does not make, shared by
 * attesta-run (which refuses to start) and `attesta config check` (which
 * refuses first, with file:line:column): docs/config.md "What attesta-run
 * refuses". Warnings are what is valid but probably a mistake.
 */
#ifndef ATTESTA_CONFIG_CHECK_H
#define ATTESTA_CONFIG_CHECK_H

#include "config.h"
#include "diag.h"

/* What attesta-run refuses in a config that loads: an attestation mode
 * other than off (not supported yet), a gate.approval_group that names no
 * group. 0, or -EOPNOTSUPP / -ENOENT with diag located at the key. */
int pol_config_check_run(const struct pol_config *config, struct pol_diag *diag);

/* Point diag at a key of config's file ("gate.environment",
 * "risk.amplifiers"): its value's line and column, if the file still has
 * it. diag->file is set to the file; the message is kept. */
void pol_config_locate(const struct pol_config *config, const char *key, struct pol_diag *diag);

/* Call warn for each probable mistake: an environment name attesta does
 * not know (the multiplier silently becomes 1.0), with a did-you-mean; an
 * amplifier without `target` (it matches the name only);
 * trust.max_age_seconds without trust.backend postgres. Returns how many. */
typedef void (*pol_config_warn_fn)(const struct pol_diag *warning, void *ctx);
unsigned pol_config_warnings(const struct pol_config *config, pol_config_warn_fn warn, void *ctx);

#endif
