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

#include "fleet_common.h"

#if defined(__has_include) && __has_include(<libpq-fe.h>)
#include <libpq-fe.h>
#endif

bool fleet_opts_take(struct fleet_opts *opts, int c, const char *arg)
{
	switch (c) {
	case 'c': opts->config_path = arg; return true;
	case 'r': opts->registry = arg; return true;
	case 'D': opts->database = arg; return true;
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

/* SECURITY: a password on the command line is in every user's `ps`
 * (docs/fleet.md, "Where things come from"): refused; it belongs in
 * ~/.pgpass, PGPASSFILE or PGPASSWORD. Without libpq nothing is parsed
 * (nothing connects either). */
static bool conninfo_has_password(const char *conninfo)
{
	bool found = false;
#if defined(__has_include) && __has_include(<libpq-fe.h>)
	PQconninfoOption *o = PQconninfoParse(conninfo, NULL);

	/* unparsable: libpq will refuse it too; look for the word anyway */
	if (!o)
		return strstr(conninfo, "password") != NULL || strchr(conninfo, '@') != NULL;
	for (PQconninfoOption *p = o; p->keyword; p++)
		if (!strcmp(p->keyword, "password") && p->val && *p->val)
			found = true;
	PQconninfoFree(o);
#else
	(void)conninfo;
#endif
	return found;
}

int fleet_load_config(const struct fleet_opts *opts, struct pol_config **ret_config)
{
	struct pol_diag diag = { 0 };
	int r;

	*ret_config = NULL;
	if (opts->database && conninfo_has_password(opts->database)) {
		fprintf(stderr, "attesta: --database must not carry a password (the command line "
			"is visible to every user in ps): use ~/.pgpass, PGPASSFILE or PGPASSWORD\n");
		return 1;
	}
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

const char *fleet_node_id(const struct fleet_opts *opts, const struct pol_config *config)
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

int fleet_read_file(const char *path, size_t cap, char **ret_buf, size_t *ret_len)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -EINVAL;
		goto out;
	}
	if ((unsigned long long)st.st_size > cap) {
		r = -EFBIG;
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*ret_buf = buf;
	*ret_len = len;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return r;
}

double fleet_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
