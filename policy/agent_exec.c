/*
 * exec analysis of the built-in "agent" profile: an argv (from the
 * sandboxed program: untrusted, already bounded by the supervisor) is
 * unwrapped through wrappers (sudo, env, xargs, nice, timeout ...) and
 * shells (sh -c STRING is parsed by agent_shell.c), then matched against
 * the rule table of agent_rules.c. Each matching rule's operands are
 * classified by zone (agent_paths.c). Nesting is capped by
 * POL_AGENT_MAX_DEPTH; deeper nesting is itself a finding (fail closed).
 * Wrappers and shell options are in agent_wrap.c.
 */
#include <fnmatch.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "agent_rules.h"
#include "catalog.h"
#include "pol_limits.h"
#include "regex.h"
#include "warm.h"

#define MAX_WORDS 256

/* --- compiled "~regex" specs, built once ---------------------------------- */

#define MAX_SPEC_REGEX 64
static struct { const char *spec; struct pol_regex *re; } spec_regex[MAX_SPEC_REGEX];
static size_t n_spec_regex;
static pthread_once_t spec_once = PTHREAD_ONCE_INIT;

static void compile_list(const char *list)
{
	const char *tilde;

	if (!list || n_spec_regex >= MAX_SPEC_REGEX)
		return;
	tilde = strstr(list, "~");
	if (!tilde || (tilde != list && tilde[-1] != ','))
		return;
	/* A "~" spec runs to the end of the list. */
	if (pol_regex_compile(tilde + 1, POL_REGEX_CASELESS, &spec_regex[n_spec_regex].re,
			      NULL, 0, NULL) == 0)
		spec_regex[n_spec_regex++].spec = tilde;
}

static void compile_specs(void)
{
	for (const struct agent_rule *r = agent_rules; r->cmd; r++) {
		compile_list(r->any);
		compile_list(r->also);
		compile_list(r->none);
	}
}

void pol_agent_warm(void)
{
	pthread_once(&spec_once, compile_specs);
}

static const struct pol_regex *spec_re(const char *spec)
{
	for (size_t i = 0; i < n_spec_regex; i++)
		if (spec_regex[i].spec == spec)
			return spec_regex[i].re;
	return NULL;
}

/* --- parsed command --------------------------------------------------- */

struct parsed {
	const char *prog;
	const char *const *args;   /* argv[1..] */
	size_t nargs;
	const char *words[MAX_WORDS]; /* operands in order */
	size_t nwords;
	const struct agent_cmd_opts *opts;
	char joined[2048];            /* args joined by spaces, for ~regex */
};

static bool glob_list_match(const char *list, const char *name)
{
	char buf[256];
	const char *p = list;

	while (*p) {
		size_t n = strcspn(p, "|");

		if (n < sizeof(buf)) {
			memcpy(buf, p, n);
			buf[n] = '\0';
			if (!fnmatch(buf, name, 0))
				return true;
		}
		p += n;
		if (*p == '|')
			p++;
	}
	return false;
}

static const struct agent_cmd_opts *find_opts(const char *prog)
{
	for (const struct agent_cmd_opts *o = agent_cmd_opts; o->cmd; o++)
		if (!strcmp(o->cmd, prog))
			return o;
	return NULL;
}

static bool long_takes_arg(const struct agent_cmd_opts *o, const char *name, size_t len)
{
	char key[80];

	if (!o || len + 3 > sizeof(key))
		return false;
	key[0] = ' ';
	memcpy(key + 1, name, len);
	key[len + 1] = ' ';
	key[len + 2] = '\0';
	return strstr(o->long_with_arg, key) != NULL;
}

static void parse_command(struct parsed *pc, const char *prog, const char *const *args, size_t nargs)
{
	bool options = true;
	size_t len = 0;

	memset(pc, 0, sizeof(*pc));
	pc->prog = prog;
	pc->args = args;
	pc->nargs = nargs;
	pc->opts = find_opts(prog);
	for (size_t i = 0; i < nargs; i++) {
		int n = snprintf(pc->joined + len, sizeof(pc->joined) - len, "%s%s", len ? " " : "", args[i]);

		if (n > 0 && (size_t)n < sizeof(pc->joined) - len)
			len += (size_t)n;
	}
	for (size_t i = 0; i < nargs; i++) {
		const char *a = args[i];

		if (options && !strcmp(a, "--")) {
			options = false;
			continue;
		}
		if (options && a[0] == '-' && a[1] && !(pc->opts && pc->opts->single_dash_long)) {
			if (a[1] == '-') {
				if (!strchr(a, '=') && long_takes_arg(pc->opts, a + 2, strlen(a + 2)))
					i++;
				continue;
			}
			/* Short cluster: a letter that takes a value ends it; if it is
			 * last, the value is the next argument. */
			for (const char *c = a + 1; *c; c++) {
				if (pc->opts && strchr(pc->opts->short_with_arg, *c)) {
					if (!c[1])
						i++;
					break;
				}
			}
			continue;
		}
		if (options && pc->opts && pc->opts->single_dash_long && a[0] == '-' && a[1])
			continue;
		if (pc->nwords < MAX_WORDS)
			pc->words[pc->nwords++] = a;
	}
}

static bool short_present(const struct parsed *pc, char letter)
{
	bool single = pc->opts && pc->opts->single_dash_long;

	for (size_t i = 0; i < pc->nargs; i++) {
		const char *a = pc->args[i];

		if (!strcmp(a, "--"))
			break;
		if (a[0] != '-' || a[1] == '-' || !a[1])
			continue;
		if (single) {
			if (a[1] == letter && !a[2])
				return true;
			continue;
		}
		for (const char *c = a + 1; *c; c++) {
			if (*c == letter)
				return true;
			if (pc->opts && strchr(pc->opts->short_with_arg, *c))
				break;
		}
	}
	return false;
}

static bool spec_match(const struct parsed *pc, const char *spec, size_t len)
{
	char s[128];

	if (spec[0] == '~') {
		const struct pol_regex *re = spec_re(spec);

		/* SECURITY: a spec whose regex failed to compile matches (fail closed). */
		return !re || pol_regex_search(re, pc->joined, strlen(pc->joined), NULL, NULL) != 0;
	}
	if (len >= sizeof(s))
		return false;
	memcpy(s, spec, len);
	s[len] = '\0';
	if (s[0] == '@' || s[0] == '^') {
		for (size_t i = 0; i < pc->nargs; i++) {
			if (s[0] == '@' && !strcmp(pc->args[i], s + 1))
				return true;
			if (s[0] == '^' && !strncmp(pc->args[i], s + 1, len - 1))
				return true;
		}
		return false;
	}
	if (s[0] == '-' && s[1] == '-') {
		bool prefix = s[len - 1] == '*';
		size_t n = prefix ? len - 1 : len;

		for (size_t i = 0; i < pc->nargs; i++) {
			const char *a = pc->args[i];

			if (!strcmp(a, "--"))
				break;
			if (!strncmp(a, s, n) && (prefix || a[n] == '\0' || a[n] == '='))
				return true;
		}
		return false;
	}
	if (s[0] == '-' && s[1] && !s[2])
		return short_present(pc, s[1]);
	if (s[0] == '-') { /* single-dash long option, exact */
		for (size_t i = 0; i < pc->nargs; i++)
			if (!strcmp(pc->args[i], s))
				return true;
	}
	return false;
}

/* Does any spec of the list match? NULL list: true for "any"/"also". */
static bool specs_match(const struct parsed *pc, const char *list)
{
	const char *p = list;

	while (*p) {
		size_t n;

		if (*p == '~')
			return spec_match(pc, p, strlen(p));
		n = strcspn(p, ",");
		if (n && spec_match(pc, p, n))
			return true;
		p += n;
		if (*p == ',')
			p++;
	}
	return false;
}

static bool sub_alternative_match(const struct parsed *pc, const char *alt, size_t len)
{
	char buf[128], *save = NULL, *tok;
	size_t pos = 0;

	if (len >= sizeof(buf))
		return false;
	memcpy(buf, alt, len);
	buf[len] = '\0';
	for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save), pos++)
		if (pos >= pc->nwords || fnmatch(tok, pc->words[pos], 0))
			return false;
	return true;
}

static bool sub_match(const struct parsed *pc, const char *sub)
{
	const char *p = sub;

	while (*p) {
		size_t n = strcspn(p, "|");

		if (sub_alternative_match(pc, p, n))
			return true;
		p += n;
		if (*p == '|')
			p++;
	}
	return false;
}

static size_t sub_positions(const char *sub)
{
	size_t n = 1;

	for (const char *p = sub; *p && *p != '|'; p++)
		if (*p == ' ')
			n++;
	return n;
}

/* Operands of a rule. Returns how many were put in ops. */
static size_t select_operands(const struct parsed *pc, const struct agent_rule *r,
			      const char **ops, size_t max)
{
	size_t n = 0, first = r->sub ? sub_positions(r->sub) : 0;

	switch (r->ops) {
	case OPS_NONE:
		break;
	case OPS_ALL:
	case OPS_SKIP1:
		for (size_t i = first + (r->ops == OPS_SKIP1); i < pc->nwords && n < max; i++)
			ops[n++] = pc->words[i];
		break;
	case OPS_LAST:
		if (pc->nwords >= first + 2)
			ops[n++] = pc->words[pc->nwords - 1];
		break;
	case OPS_BUT_LAST:
		for (size_t i = first; i + 1 < pc->nwords && n < max; i++)
			ops[n++] = pc->words[i];
		break;
	case OPS_DD_OF:
		for (size_t i = 0; i < pc->nargs && n < max; i++)
			if (!strncmp(pc->args[i], "of=", 3))
				ops[n++] = pc->args[i] + 3;
		break;
	case OPS_FIND:
		for (size_t i = 0; i < pc->nargs && n < max; i++) {
			const char *a = pc->args[i];

			if (a[0] == '-' || a[0] == '(' || a[0] == '!')
				break;
			ops[n++] = a;
		}
		if (!n)
			ops[n++] = ".";
		break;
	}
	return n;
}

/* Apply the rules to one unwrapped command. Returns true if the command is
 * known harmless (and nothing risky matched). */
static bool apply_rules(const struct agent_env *env, const struct parsed *pc,
			bool operands_unknown, struct agent_result *res)
{
	const struct pol_catalog_entry *entry = pol_catalog_lookup(pc->prog);
	bool safe = entry && (entry->flags & POL_CAT_READONLY), risky = false;
	const char *ops[MAX_WORDS];

	pthread_once(&spec_once, compile_specs);
	if (safe) {
		/* Read-only programs: only reading secrets is a finding. */
		for (size_t i = 0; i < pc->nwords; i++) {
			enum agent_zone z = agent_path_zone(env, pc->words[i], NULL, 0);
			enum agent_sev sev = agent_effect_sev(E_READ, z);

			if (sev > SEV_SAFE) {
				agent_add(res, "read_secrets", sev, "%s reads %s '%s'", pc->prog,
					  agent_zone_name(z), pc->words[i]);
				risky = true;
			}
		}
	}
	for (const struct agent_rule *r = agent_rules; r->cmd; r++) {
		enum agent_sev sev = r->sev, worst_op = SEV_NONE;
		char worst_word[128] = "";
		enum agent_zone worst_zone = Z_OTHER;
		size_t n;
		bool all_ops_safe = true;

		if (!r->name || !glob_list_match(r->cmd, pc->prog))
			continue;
		if (r->sub && !sub_match(pc, r->sub))
			continue;
		if (r->any && !specs_match(pc, r->any))
			continue;
		if (r->also && !specs_match(pc, r->also))
			continue;
		if (r->none && specs_match(pc, r->none))
			continue;
		n = select_operands(pc, r, ops, MAX_WORDS);
		if (!n && operands_unknown && r->ops != OPS_NONE) {
			ops[0] = "$UNKNOWN";
			n = 1;
		}
		for (size_t i = 0; i < n && r->effect != E_NONE; i++) {
			enum agent_zone z = agent_path_zone(env, ops[i], NULL, 0);
			enum agent_sev s = agent_effect_sev(r->effect, z);

			if (s != SEV_SAFE)
				all_ops_safe = false;
			if (s > worst_op) {
				worst_op = s;
				worst_zone = z;
				snprintf(worst_word, sizeof(worst_word), "%s", ops[i]);
			}
		}
		if (sev == SEV_SAFE) {
			safe = true;
			continue;
		}
		if (worst_op > SEV_SAFE && worst_op >= sev) {
			agent_add(res, r->name, worst_op, "%s %s on %s '%s'", pc->prog, r->name,
				  agent_zone_name(worst_zone), worst_word);
			risky = true;
		} else if (sev > SEV_SAFE) {
			agent_add(res, r->name, sev, "%s %s", pc->prog, pc->joined);
			risky = true;
		} else if (r->effect != E_NONE && n && all_ops_safe) {
			safe = true;
		}
	}
	return safe && !risky;
}

void agent_analyze_argv(const struct agent_env *env, const char *const *argv, size_t argc,
			unsigned depth, bool operands_unknown, struct agent_result *res)
{
	struct parsed *pc;
	const char *prog;

	if (!argc)
		return;
	if (depth > POL_AGENT_MAX_DEPTH || res->visited >= POL_AGENT_MAX_COMMANDS) {
		agent_add(res, "too_complex", SEV_HIGH, "command nesting beyond what the analysis follows");
		return;
	}
	prog = agent_base_name(argv[0]);
	res->visited++;
	if (agent_is_wrapper(prog)) {
		if (agent_unwrap(env, prog, argv + 1, argc - 1, depth, res)) {
			res->commands++;
			res->safe_commands++;
		}
		return;
	}
	if (agent_is_shell(prog)) {
		const char *script = agent_shell_script(argv + 1, argc - 1);

		if (script)
			agent_analyze_script(env, script, depth + 1, res);
		else
			res->commands++; /* runs a file or stdin: not known harmless */
		return;
	}
	res->commands++;
	pc = malloc(sizeof(*pc));
	if (!pc) {
		agent_add(res, "internal_error", SEV_HIGH, "out of memory analyzing '%s'", prog);
		return;
	}
	parse_command(pc, prog, argv + 1, argc - 1);
	if (apply_rules(env, pc, operands_unknown, res))
		res->safe_commands++;
	free(pc);
}
