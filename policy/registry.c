/*
 * The enrollment registry front end: names of statuses and rollout states,
 * validation of node ids and references, and dispatch to the file or
 * PostgreSQL backend. Trusts nothing it is given: every id is checked here,
 * once, before any backend sees it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pol_limits.h"
#include "registry_internal.h"

static const char *const status_names[] = { "active", "revoked" };
static const char *const rollout_names[] = { "none",	 "pending",  "acknowledged",
					     "active",	 "rollback", "failed" };

const char *pol_node_status_name(enum pol_node_status status)
{
	return (unsigned)status < 2 ? status_names[status] : "?";
}

int pol_node_status_parse(const char *name, enum pol_node_status *ret_status)
{
	for (unsigned i = 0; name && i < 2; i++) {
		if (!strcmp(name, status_names[i])) {
			*ret_status = (enum pol_node_status)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *pol_rollout_state_name(enum pol_rollout_state state)
{
	return (unsigned)state < 6 ? rollout_names[state] : "?";
}

int pol_rollout_state_parse(const char *name, enum pol_rollout_state *ret_state)
{
	for (unsigned i = 0; name && i < 6; i++) {
		if (!strcmp(name, rollout_names[i])) {
			*ret_state = (enum pol_rollout_state)i;
			return 0;
		}
	}
	return -EINVAL;
}

void pol_enrollment_release(struct pol_enrollment *row)
{
	if (!row)
		return;
	free(row->node_id);
	free(row->enrollment_ref);
	row->node_id = NULL;
	row->enrollment_ref = NULL;
}

bool pol_registry_name_valid(const char *name)
{
	size_t n = name ? strnlen(name, POL_REGISTRY_MAX_NAME + 1) : 0;

	if (n == 0 || n > POL_REGISTRY_MAX_NAME)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
			continue;
		if (!strchr("._:@/+=-", c))
			return false;
	}
	return true;
}

int registry_apply(struct pol_enrollment *row, const struct registry_change *change)
{
	char *s;

	switch (change->kind) {
	case REGISTRY_ENROLL:
		s = strdup(change->enrollment_ref);
		if (!s)
			return -ENOMEM;
		if (!row->node_id && !(row->node_id = strdup(change->node_id))) {
			free(s);
			return -ENOMEM;
		}
		free(row->enrollment_ref);
		row->enrollment_ref = s;
		row->status = POL_NODE_ACTIVE;
		row->enrolled_at = change->now;
		break;
	case REGISTRY_REVOKE:
		row->status = POL_NODE_REVOKED;
		break;
	case REGISTRY_ROLLOUT:
		row->rollout_state = change->rollout;
		break;
	}
	row->updated_at = change->now;
	return 0;
}

int pol_registry_open(const char *spec, const char *conninfo,
		      struct pol_registry **ret_registry, struct pol_diag *diag)
{
	struct pol_registry *registry;
	int r;

	if (!spec || !*spec)
		spec = POL_REGISTRY_DEFAULT_PATH;
	registry = calloc(1, sizeof(*registry));
	if (!registry)
		return -ENOMEM;
	if (!strcmp(spec, POL_REGISTRY_POSTGRES))
		r = registry_pg_open(registry, conninfo, diag);
	else
		r = registry_file_open(registry, spec);
	if (r < 0) {
		if (r == -ENOMEM)
			pol_diag_set(diag, spec, 0, 0, "out of memory");
		pol_registry_free(registry);
		return r;
	}
	*ret_registry = registry;
	return 0;
}

void pol_registry_free(struct pol_registry *registry)
{
	if (!registry)
		return;
	if (registry->ops && registry->ops->free)
		registry->ops->free(registry);
	free(registry->description);
	free(registry->path);
	free(registry);
}

const char *pol_registry_describe(const struct pol_registry *registry)
{
	return registry->description ? registry->description : "?";
}

static int check_node(const char *node_id, struct pol_diag *diag)
{
	if (!pol_registry_name_valid(node_id))
		return pol_diag_set(diag, "", 0, 0,
				    "invalid node id (1-%d bytes of A-Z a-z 0-9 . _ : @ / + = -)",
				    POL_REGISTRY_MAX_NAME);
	return 0;
}

int pol_registry_lookup(struct pol_registry *registry, const char *node_id,
			struct pol_enrollment *ret_row, struct pol_diag *diag)
{
	int r = check_node(node_id, diag);

	return r < 0 ? r : registry->ops->lookup(registry, node_id, ret_row, diag);
}

static int change(struct pol_registry *registry, const struct registry_change *c,
		  struct pol_diag *diag)
{
	int r = check_node(c->node_id, diag);

	return r < 0 ? r : registry->ops->change(registry, c, diag);
}

int pol_registry_enroll(struct pol_registry *registry, const char *node_id,
			const char *enrollment_ref, double now, struct pol_diag *diag)
{
	struct registry_change c = { .kind = REGISTRY_ENROLL, .node_id = node_id,
				     .enrollment_ref = enrollment_ref, .now = now };

	if (!pol_registry_name_valid(enrollment_ref))
		return pol_diag_set(diag, "", 0, 0,
				    "invalid enrollment ref (1-%d bytes of A-Z a-z 0-9 . _ : @ / + = -)",
				    POL_REGISTRY_MAX_NAME);
	return change(registry, &c, diag);
}

int pol_registry_revoke(struct pol_registry *registry, const char *node_id, double now,
			struct pol_diag *diag)
{
	struct registry_change c = { .kind = REGISTRY_REVOKE, .node_id = node_id, .now = now };

	return change(registry, &c, diag);
}

int pol_registry_set_rollout(struct pol_registry *registry, const char *node_id,
			     enum pol_rollout_state state, double now, struct pol_diag *diag)
{
	struct registry_change c = { .kind = REGISTRY_ROLLOUT, .node_id = node_id,
				     .rollout = state, .now = now };

	if ((unsigned)state > POL_ROLLOUT_FAILED)
		return -EINVAL;
	return change(registry, &c, diag);
}
