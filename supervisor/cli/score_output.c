/*
 * `attesta score` output (score_output.h). Strings in the output come from
 * the action (argv, paths: bytes from the user, maybe not UTF-8) and from
 * profile files: JSON escapes them with invalid bytes written as Python's
 * surrogateescape would (\udcXX); the text table replaces control bytes
 * so a hostile argument cannot drive the terminal.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/config.h"
#include "policy/pystr.h"
#include "score_output.h"

static int put_json_string(struct pol_text *t, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	int r = pol_text_append(t, "\"", 1);

	for (size_t i = 0; r == 0 && i < n;) {
		unsigned char c = (unsigned char)s[i];
		char esc[16];
		uint32_t cp;
		size_t k;

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			r = pol_text_append(t, esc, 2);
			i++;
		} else if (c < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			r = pol_text_append_str(t, esc);
			i++;
		} else if (c < 0x80) {
			r = pol_text_append(t, s + i, 1);
			i++;
		} else if ((k = pol_utf8_next(s + i, n - i, &cp)) > 0) {
			r = pol_text_append(t, s + i, k);
			i += k;
		} else {
			snprintf(esc, sizeof(esc), "\\udc%02x", c);
			r = pol_text_append_str(t, esc);
			i++;
		}
	}
	return r ?: pol_text_append(t, "\"", 1);
}

static int put_float(struct pol_text *t, double v)
{
	char buf[40];

	pol_py_float_repr(v, buf, sizeof(buf));
	return pol_text_append_str(t, buf);
}

static int put_key(struct pol_text *t, const char *key, bool first)
{
	int r = first ? 0 : pol_text_append(t, ", ", 2);

	return r ?: put_json_string(t, key) ?: pol_text_append(t, ": ", 2);
}

int score_print_json(FILE *out, const struct pol_action *action, const struct pol_decision *d)
{
	const struct pol_assessment *a = &d->assessment;
	struct pol_text t = { .data = NULL };
	char *desc = pol_action_describe(action);
	char num[32];
	int r;

	r = pol_text_append(&t, "{", 1) ?: put_key(&t, "score", true) ?: put_float(&t, a->score) ?:
	    put_key(&t, "level", false) ?: put_json_string(&t, pol_level_name(a->level)) ?:
	    put_key(&t, "factors", false) ?: pol_text_append(&t, "[", 1);
	for (size_t i = 0; r == 0 && i < a->n_factors; i++) {
		const struct pol_factor *f = &a->factors[i];

		r = pol_text_append_str(&t, i ? ", {" : "{") ?: put_key(&t, "name", true) ?:
		    put_json_string(&t, f->name) ?: put_key(&t, "contribution", false) ?:
		    put_float(&t, f->contribution) ?: put_key(&t, "description", false) ?:
		    put_json_string(&t, f->description) ?: put_key(&t, "evidence", false);
		if (r == 0)
			r = f->evidence ? put_json_string(&t, f->evidence) : pol_text_append_str(&t, "null");
		if (r == 0)
			r = pol_text_append(&t, "}", 1);
	}
	snprintf(num, sizeof(num), "%u", d->approvers_required);
	if (r == 0)
		r = pol_text_append(&t, "]", 1) ?: put_key(&t, "challenge", false) ?:
		    put_json_string(&t, d->blocked ? "blocked" : pol_challenge_name(d->challenge)) ?:
		    put_key(&t, "approvers_required", false) ?: pol_text_append_str(&t, num) ?:
		    put_key(&t, "minimum_review_seconds", false) ?: put_float(&t, d->minimum_review_seconds) ?:
		    put_key(&t, "blocked", false) ?: pol_text_append_str(&t, d->blocked ? "true" : "false") ?:
		    put_key(&t, "critical_action", false) ?:
		    pol_text_append_str(&t, d->critical_action ? "true" : "false") ?:
		    put_key(&t, "raw_score", false) ?: put_float(&t, d->raw_score) ?:
		    put_key(&t, "raw_level", false) ?: put_json_string(&t, pol_level_name(d->raw_level)) ?:
		    put_key(&t, "trust", false) ?: put_float(&t, d->trust) ?:
		    put_key(&t, "scorer", false) ?: put_json_string(&t, a->scorer_name) ?:
		    put_key(&t, "action", false) ?: put_json_string(&t, desc ? desc : "") ?:
		    put_key(&t, "reason", false) ?: put_json_string(&t, d->reason) ?:
		    pol_text_append(&t, "}\n", 2);
	if (r == 0 && fwrite(t.data, 1, t.len, out) != t.len)
		r = -EIO;
	free(desc);
	pol_text_release(&t);
	return r;
}

/* Copy s into buf with control bytes shown as '?'. */
static const char *printable(const char *s, char *buf, size_t size)
{
	size_t i = 0;

	for (; s && *s && i + 1 < size; s++)
		buf[i++] = (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s;
	buf[i] = '\0';
	return buf;
}

int score_print_text(FILE *out, const struct pol_action *action, const struct pol_decision *d)
{
	const struct pol_assessment *a = &d->assessment;
	char *desc = pol_action_describe(action);
	char b1[512], b2[1024];

	fprintf(out, "action     %s\n", printable(desc ? desc : "?", b1, sizeof(b1)));
	fprintf(out, "score      %.4f  %s%s\n", a->score, pol_level_name(a->level),
		d->raw_level != a->level ? " (before trust: " : "");
	if (d->raw_level != a->level)
		fprintf(out, "           %.4f %s)\n", d->raw_score, pol_level_name(d->raw_level));
	if (d->blocked)
		fprintf(out, "challenge  blocked: denied without a prompt\n");
	else if (d->challenge == POL_CHALLENGE_MULTI_PARTY)
		fprintf(out, "challenge  multi_party (%u approvers)\n", d->approvers_required);
	else
		fprintf(out, "challenge  %s\n", pol_challenge_name(d->challenge));
	if (d->minimum_review_seconds > 0)
		fprintf(out, "review     at least %g s\n", d->minimum_review_seconds);
	fprintf(out, "reason     %s\n\n", printable(d->reason, b1, sizeof(b1)));
	fprintf(out, "%-26s %9s  %s\n", "factor", "change", "description");
	for (size_t i = 0; i < a->n_factors; i++) {
		const struct pol_factor *f = &a->factors[i];

		fprintf(out, "%-26s %+9.4f  %s\n", f->name, f->contribution,
			printable(f->description, b2, sizeof(b2)));
		if (f->evidence && f->evidence[0])
			fprintf(out, "%-26s %9s  evidence: %s\n", "", "", printable(f->evidence, b2, sizeof(b2)));
	}
	free(desc);
	return ferror(out) ? -EIO : 0;
}
