/*
 * Shared plumbing of the fleet commands: config, registry and node id
 * resolution, diagnostics, bounded file reads. Trusts its arguments no more
 * than any user input; the registry and bundles are parsed by policy/.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "fleet_common.h"

#if defined(__has_include) && __has_include(<libpq-fe.h>)
#include <libpq-fe.h>
#endif

const char *fleet_cli_database(const char *arg)
{
	bool password = false;
#if defined(__has_include) && __has_include(<libpq-fe.h>)
	PQconninfoOption *opts = PQconninfoParse(arg, NULL);

	/* unparsable: libpq refuses it too; look for the word anyway */
	if (!opts)
		password = strstr(arg, "password") != NULL || strchr(arg, '@') != NULL;
	for (PQconninfoOption *o = opts; o && o->keyword; o++)
		if (!strcmp(o->keyword, "password") && o->val && o->val[0])
			password = true;
	PQconninfoFree(opts);
#else
	password = strstr(arg, "password") != NULL;
#endif
	if (password) {
		fprintf(stderr, "attesta: --database must not hold a password (anyone can read it "
				"in ps): put it in ~/.pgpass or $PGPASSFILE, or in fleet.database\n");
		exit(CLI_EXIT_USAGE);
	}
	return arg;
}

bool fleet_opts_take(struct fleet_opts *opts, int c, const char *arg)
{
	switch (c) {
	case 'c': opts->config_path = arg; return true;
	case 'r': opts->registry = arg; return true;
	case 'D': opts->database = fleet_cli_database(arg); return true;
	case 'n': opts->node_id = arg; return true;
	case 'j': opts->json = true; return true;
	default: return false;
	}
}

void fleet_print_diag(const struct pol_diag *diag, const char *what, int r)
{
	char buf[1200];

	if (diag->message[0]) {
		pol_diag_format(diag, buf, sizeof(buf));
		fprintf(stderr, "attesta: %s\n", buf);
	} else {
		fprintf(stderr, "attesta: %s: %s\n", what, strerror(r < 0 ? -r : r));
	}
}

int fleet_load_config(const struct fleet_opts *opts, struct pol_config **ret_config)
{
	struct pol_diag diag = { 0 };
	int r;

	*ret_config = NULL;
	r = pol_config_load_or_default(opts->config_path, ret_config, &diag);

	if (r < 0) {
		fleet_print_diag(&diag, opts->config_path ? opts->config_path : "config", r);
		return 1;
	}
	return 0;
}

int fleet_open_registry(const struct fleet_opts *opts, const struct pol_config *config,
			struct pol_registry **ret_registry)
{
	struct pol_diag diag = { 0 };
	const char *spec = opts->registry ? opts->registry : config->registry;
	const char *conninfo = opts->database ? opts->database : config->fleet_database;
	int r;

	r = pol_registry_open(spec, conninfo, ret_registry, &diag);
	if (r < 0) {
		fleet_print_diag(&diag, "registry", r);
		return 1;
	}
	return 0;
}

/* --node-id, else $ATTESTA_NODE_ID, else attestation.node_id; NULL if none. */
static const char *fleet_node_id(const struct fleet_opts *opts, const struct pol_config *config)
{
	const char *env = getenv("ATTESTA_NODE_ID");

	if (opts->node_id)
		return opts->node_id;
	if (env && *env)
		return env;
	return config->node_id;
}

const char *fleet_require_node_id(const struct fleet_opts *opts, const struct pol_config *config,
				  const char *command, const char *verb)
{
	const char *node_id = fleet_node_id(opts, config);

	if (!node_id)
		fprintf(stderr, "attesta: %s %s needs a node id (--node-id, ATTESTA_NODE_ID or "
				"attestation.node_id)\n", command, verb);
	return node_id;
}

double fleet_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
