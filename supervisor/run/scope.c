/*
 * The approval scope table of a session (see scope.h). Exec scopes are
 * keyed by the process (tgid plus its start time from /proc/PID/stat, so
 * a reused pid is a different process); session grants by the action key
 * of supervisor/common/scope.h. Trusts the decoded actions as bounded by
 * the decoders; reads nothing from the target but its start time.
 */
#include "supervisor/run/scope.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy/audit.h"
#include "supervisor/common/scope.h"

struct exec_scope {
	pid_t tgid;
	unsigned long long start_time;
	enum pol_level level;
	char entry_id[64];
	struct pol_strv paths;
};

struct session_grant {
	char *key;
	enum pol_level level;
	char entry_id[64];
};

struct sup_scope_table {
	struct exec_scope execs[SUP_SCOPE_MAX];
	size_t n_execs;
	struct session_grant grants[SUP_SCOPE_MAX];
	size_t n_grants;
};

/* Field 22 of /proc/PID/stat (policy/audit_session.c); 0 when unreadable. */
static unsigned long long start_time(pid_t pid)
{
	uint64_t ticks;
	bool exited;

	return pol_audit_proc_start_ticks((int)pid, &ticks, &exited) == 0 ? ticks : 0;
}

int sup_scope_table_new(struct sup_scope_table **ret_table)
{
	struct sup_scope_table *t = calloc(1, sizeof *t);
	if (!t)
		return -ENOMEM;
	*ret_table = t;
	return 0;
}

void sup_scope_table_free(struct sup_scope_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n_execs; i++)
		pol_strv_release(&t->execs[i].paths);
	for (size_t i = 0; i < t->n_grants; i++)
		free(t->grants[i].key);
	free(t);
}

static void drop_exec(struct sup_scope_table *t, size_t i)
{
	pol_strv_release(&t->execs[i].paths);
	t->execs[i] = t->execs[--t->n_execs];
	memset(&t->execs[t->n_execs], 0, sizeof t->execs[0]);
}

void sup_scope_exec_seen(struct sup_scope_table *t, pid_t tgid)
{
	for (size_t i = 0; i < t->n_execs;) {
		if (t->execs[i].tgid == tgid)
			drop_exec(t, i);
		else
			i++;
	}
}

int sup_scope_add_exec(struct sup_scope_table *t, const struct pol_action *exec,
		       enum pol_level level, const char *entry_id)
{
	pid_t tgid = exec->tgid ? exec->tgid : exec->pid;
	sup_scope_exec_seen(t, tgid);
	if (t->n_execs >= SUP_SCOPE_MAX)
		return -ENOSPC;
	struct exec_scope *s = &t->execs[t->n_execs];
	memset(s, 0, sizeof *s);
	if (sup_scope_argv_paths(&exec->args, exec->cwd, &s->paths) < 0) {
		pol_strv_release(&s->paths);
		return -ENOMEM;
	}
	if (!s->paths.count)
		return 0; /* names nothing: covers nothing */
	s->tgid = tgid;
	s->start_time = start_time(tgid);
	s->level = level;
	snprintf(s->entry_id, sizeof s->entry_id, "%s", entry_id ? entry_id : "");
	t->n_execs++;
	return 0;
}

static bool under_any(const struct pol_strv *paths, const char *norm)
{
	for (size_t k = 0; k < paths->count; k++)
		if (sup_scope_path_under(norm, paths->items[k]))
			return true;
	return false;
}

const char *sup_scope_exec_covers(const struct sup_scope_table *t,
				  const struct pol_action *removal, enum pol_level level)
{
	pid_t tgid = removal->tgid ? removal->tgid : removal->pid;
	bool rename_ = removal->action_class == POL_ACTION_RENAME;
	char norm[4096 + 1], dest[4096 + 1];
	if ((removal->action_class != POL_ACTION_UNLINK &&
	     removal->action_class != POL_ACTION_RMDIR && !rename_) || !removal->path ||
	    sup_scope_normalize(removal->path, "/", norm, sizeof norm) < 0)
		return NULL;
	/* a rename (a removal, docs/decode.md) is covered only when both of
	 * its paths are under what the approved command named (`mv a b/`) */
	if (rename_ && (!removal->dest_path ||
			sup_scope_normalize(removal->dest_path, "/", dest, sizeof dest) < 0))
		return NULL;
	for (size_t i = 0; i < t->n_execs; i++) {
		const struct exec_scope *s = &t->execs[i];
		if (s->tgid != tgid)
			continue;
		if (level > s->level)
			return NULL;
		if (under_any(&s->paths, norm) && (!rename_ || under_any(&s->paths, dest)))
			return s->entry_id;
		return NULL;
	}
	return NULL;
}

bool sup_scope_exec_current(struct sup_scope_table *t, const struct pol_action *removal)
{
	pid_t tgid = removal->tgid ? removal->tgid : removal->pid;
	for (size_t i = 0; i < t->n_execs; i++) {
		if (t->execs[i].tgid != tgid)
			continue;
		if (t->execs[i].start_time == start_time(tgid))
			return true;
		drop_exec(t, i); /* a new process with a reused pid */
		return false;
	}
	return false;
}

int sup_scope_grant_session(struct sup_scope_table *t, const struct pol_action *action,
			    enum pol_level level, const char *entry_id)
{
	if (t->n_grants >= SUP_SCOPE_MAX)
		return -ENOSPC;
	char *key = sup_scope_action_key(action);
	if (!key)
		return -ENOMEM;
	struct session_grant *g = &t->grants[t->n_grants++];
	g->key = key;
	g->level = level;
	snprintf(g->entry_id, sizeof g->entry_id, "%s", entry_id ? entry_id : "");
	return 0;
}

const char *sup_scope_session_covers(const struct sup_scope_table *t, const struct pol_action *action,
				     enum pol_level level)
{
	if (!t->n_grants)
		return NULL;
	char *key = sup_scope_action_key(action);
	const char *found = NULL;
	for (size_t i = 0; key && i < t->n_grants && !found; i++)
		if (level <= t->grants[i].level && !strcmp(t->grants[i].key, key))
			found = t->grants[i].entry_id;
	free(key);
	return found;
}
