/*
 * `attesta audit verify`: check a log with pol_audit_verify() and say
 * exactly what was checked (docs/audit.md). It never reports "intact" for
 * what it did not check: entries that carry MACs and no key to check them
 * is "not verified" (exit 2) unless --no-mac asks for the plain chain on
 * purpose; a session that started and has no closing entry while its
 * supervisor is gone makes the trail incomplete (exit 1). The log is
 * untrusted: nothing from it reaches the terminal unfiltered.
 *
 * Exit codes: 0 intact, 1 broken or incomplete, 2 unreadable log or key,
 * MACs that could not be checked, or a usage error.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "cmd_audit.h"
#include "commands.h"

struct session_note {
	uint64_t line;
	enum pol_audit_problem problem;
	char detail[256];
};

struct verify_out {
	bool json;
	uint64_t *broken;
	size_t n_broken, cap;
	uint64_t last_line;
	bool first_problem;
	struct session_note *notes;  /* session reports, printed after */
	size_t n_notes, notes_cap;
};

static void json_str(const char *s)
{
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7F)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

/* SECURITY: details quote the log (an entry or session id); no control
 * characters from a hostile log reach the terminal. */
static void shown(char *dst, size_t size, const char *detail)
{
	snprintf(dst, size, "%s", detail);
	for (char *p = dst; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7F)
			*p = '?';
}

static void keep_note(struct verify_out *out, uint64_t line, enum pol_audit_problem problem,
		      const char *detail)
{
	if (out->n_notes == out->notes_cap) {
		size_t cap = out->notes_cap ? out->notes_cap * 2 : 16;
		struct session_note *n = realloc(out->notes, cap * sizeof(*n));

		if (!n)
			return; /* the counts in the result still say it */
		out->notes = n;
		out->notes_cap = cap;
	}
	out->notes[out->n_notes].line = line;
	out->notes[out->n_notes].problem = problem;
	shown(out->notes[out->n_notes].detail, sizeof(out->notes[0].detail), detail);
	out->n_notes++;
}

static void on_problem(void *ctx, uint64_t line, enum pol_audit_problem problem,
		       const char *detail)
{
	struct verify_out *out = ctx;
	char text[256];

	if (problem == POL_AUDIT_P_SESSION_UNCLOSED || problem == POL_AUDIT_P_SESSION_RUNNING) {
		keep_note(out, line, problem, detail);
		return;
	}
	if (line != UINT64_MAX && (out->n_broken == 0 || out->last_line != line)) {
		if (out->n_broken == out->cap) {
			size_t cap = out->cap ? out->cap * 2 : 64;
			uint64_t *b = realloc(out->broken, cap * sizeof(*b));

			if (b) {
				out->broken = b;
				out->cap = cap;
			}
		}
		if (out->n_broken < out->cap)
			out->broken[out->n_broken++] = line;
		out->last_line = line;
	}
	if (out->json) {
		printf("%s{\"line\":", out->first_problem ? "" : ",");
		if (line == UINT64_MAX)
			printf("null");
		else
			printf("%llu", (unsigned long long)line);
		printf(",\"problem\":\"%s\",\"detail\":", pol_audit_problem_name(problem));
		json_str(detail);
		putchar('}');
		out->first_problem = false;
		return;
	}
	shown(text, sizeof(text), detail);
	if (line == UINT64_MAX)
		printf("log: %s: %s\n", pol_audit_problem_name(problem), text);
	else
		printf("line %llu: %s: %s\n", (unsigned long long)line,
		       pol_audit_problem_name(problem), text);
}

enum verdict { V_INTACT, V_BROKEN, V_INCOMPLETE, V_UNVERIFIED };

static const char *const verdict_names[] = { "intact", "broken", "incomplete", "unverified" };

static void print_json_tail(const struct audit_cli *cli, const struct verify_out *out,
			    const struct pol_audit_verify_result *res, enum verdict v)
{
	printf("],\"intact\":%s,\"total\":%llu,\"entries\":%llu,\"broken\":[",
	       !res->problems && (!res->macs_unchecked || cli->no_mac) ? "true" : "false",
	       (unsigned long long)res->lines, (unsigned long long)res->entries);
	for (size_t i = 0; i < out->n_broken; i++)
		printf("%s%llu", i ? "," : "", (unsigned long long)out->broken[i]);
	printf("],\"head_checked\":%s,\"mac_checked\":%s,\"macs_unchecked\":%llu,\"no_mac\":%s,"
	       "\"continuation\":%s,\"sessions\":%llu,\"complete\":%s,\"open_sessions\":[",
	       res->head_checked ? "true" : "false", cli->key ? "true" : "false",
	       (unsigned long long)res->macs_unchecked, cli->no_mac ? "true" : "false",
	       res->continuation ? "true" : "false", (unsigned long long)res->sessions,
	       res->sessions_unclosed ? "false" : "true");
	for (size_t i = 0; i < out->n_notes; i++) {
		printf("%s{\"line\":%llu,\"state\":\"%s\",\"detail\":", i ? "," : "",
		       (unsigned long long)out->notes[i].line,
		       out->notes[i].problem == POL_AUDIT_P_SESSION_UNCLOSED ? "died" : "running");
		json_str(out->notes[i].detail);
		putchar('}');
	}
	printf("],\"status\":\"%s\"}\n", verdict_names[v]);
}

static void print_text(const struct audit_cli *cli, const struct verify_out *out,
		       const struct pol_audit_verify_result *res)
{
	bool macs_present = cli->key || res->macs_unchecked;

	if (res->problems) {
		printf("audit log '%s': %llu entries, BROKEN (%llu problems)\nbroken lines:",
		       cli->log_path, (unsigned long long)res->lines,
		       (unsigned long long)res->problems);
		for (size_t i = 0; i < out->n_broken; i++)
			printf("%s%llu", i ? "," : " ", (unsigned long long)out->broken[i]);
		printf("%s\n", out->n_broken ? "" : " (none: see the log-level problems above)");
		if (res->macs_unchecked && !cli->no_mac)
			printf("MACs not checked: no key (audit.hmac_key_file)\n");
	} else if (res->macs_unchecked && !cli->no_mac) {
		printf("audit log '%s': %llu entries, NOT VERIFIED: MACs not checked: no key "
		       "(audit.hmac_key_file)\n"
		       "  %llu entries carry a MAC; without the key a log rewritten by someone "
		       "without it (entries edited, chain and head recomputed) looks the same.\n"
		       "  Give the key (-c FILE or ./attesta.yaml with audit.hmac_key_file, or "
		       "--key FILE), or --no-mac to check the plain chain only.\n",
		       cli->log_path, (unsigned long long)res->lines,
		       (unsigned long long)res->macs_unchecked);
	} else {
		printf("audit log '%s': %llu entries, chain intact%s%s%s\n", cli->log_path,
		       (unsigned long long)res->lines, cli->key ? ", macs valid" : "",
		       res->head_checked ? ", head file matches" : "",
		       res->continuation ? " (continues a rotated log)" : "");
		if (cli->no_mac && res->macs_unchecked)
			printf("note: MACs not checked (--no-mac): %llu entries carry a MAC; the "
			       "plain chain shows the log is consistent, not that no one without "
			       "the key rewrote it\n", (unsigned long long)res->macs_unchecked);
		else if (!macs_present)
			printf("note: the log has no MACs (audit.hmac_key_file is not set): the "
			       "chain detects damage and partial edits, not a rewrite of the "
			       "whole log by someone who can write it\n");
	}
	for (size_t i = 0; i < out->n_notes; i++)
		printf("line %llu: %s\n", (unsigned long long)out->notes[i].line,
		       out->notes[i].detail);
	if (res->sessions_unclosed)
		printf("trail INCOMPLETE: %llu session%s ended without a closing entry\n",
		       (unsigned long long)res->sessions_unclosed,
		       res->sessions_unclosed == 1 ? "" : "s");
}

int audit_cli_verify(struct audit_cli *cli)
{
	struct verify_out out = { .json = cli->json, .first_problem = true };
	struct pol_audit_verify_result res;
	unsigned flags = POL_AUDIT_VERIFY_THREADS;
	enum verdict v;
	int r;

	if (cli->no_head)
		flags |= POL_AUDIT_VERIFY_NO_HEAD;
	if (cli->no_sessions)
		flags |= POL_AUDIT_VERIFY_NO_SESSIONS;
	if (cli->json) {
		printf("{\"path\":");
		json_str(cli->log_path);
		printf(",\"problems\":[");
	}
	r = pol_audit_verify(cli->log_path, cli->key, cli->key_len, flags, on_problem, &out, &res);
	if (r < 0) {
		if (cli->json)
			printf("],\"status\":\"unreadable\",\"error\":\"%s\"}\n", strerror(-r));
		fprintf(stderr, "attesta: cannot read audit log '%s': %s\n", cli->log_path,
			strerror(-r));
		free(out.broken);
		free(out.notes);
		return AUDIT_EXIT_UNREADABLE;
	}
	/* what was found wrong first, then what could not be checked */
	if (res.problems)
		v = V_BROKEN;
	else if (res.sessions_unclosed)
		v = V_INCOMPLETE;
	else if (res.macs_unchecked && !cli->no_mac)
		v = V_UNVERIFIED;
	else
		v = V_INTACT;
	if (cli->json)
		print_json_tail(cli, &out, &res, v);
	else
		print_text(cli, &out, &res);
	free(out.broken);
	free(out.notes);
	return v == V_INTACT ? CLI_EXIT_OK : v == V_UNVERIFIED ? AUDIT_EXIT_UNREADABLE
							     : AUDIT_EXIT_BROKEN;
}
