/*
 * The reference DefaultRiskScorer, bit for bit (docs/scoring.md, risk.h): five
 * factors, each a score times a weight, summed left to right in double
 * precision and clamped. Its input is an action whose strings come from
 * the sandboxed program or from a context file: the joined argument text
 * is capped (POL_SCORE_MAX_TEXT) and every pattern runs through the bounded
 * regex wrapper, where a match that exhausts its budget counts as a match.
 *
 * Python's re and PCRE2 agree on \w, \b and \d under UCP (checked over all
 * code points, Unicode 14 on both sides), but not on two things, which the
 * patterns below spell out instead of relying on PCRE2_CASELESS or \s:
 * re.IGNORECASE also equates i with U+0130/U+0131, k with U+212A and s
 * with U+017F, and Python's \s also matches U+001C..U+001F and U+0085.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "pol_limits.h"
#include "pystr.h"
#include "regex.h"
#include "risk.h"
#include "warm.h"

#define W_FUNCTION 0.30
#define W_ARGS 0.25
#define W_DOC 0.20
#define W_HINTS 0.15
#define W_NOVELTY 0.10

/* Python's \s for str patterns: str.isspace(). */
#define PY_SPACE "[\\t\\n\\x0b\\f\\r\\x1c-\\x1f \\x{85}\\x{a0}\\x{1680}\\x{2000}-\\x{200a}" \
		 "\\x{2028}\\x{2029}\\x{202f}\\x{205f}\\x{3000}]"

/* A pattern as the reference writes it: "~word" marks a run of letters to
 * be matched as re.IGNORECASE would; everything else is PCRE2 syntax. */
struct ref_pattern {
	const char *spec;
	const char *kind;  /* evidence prefix */
	double score;
};

enum { ARG_PATTERNS = 17, DOC_PATTERNS = 9 };

static const struct ref_pattern arg_patterns[ARG_PATTERNS] = {
	{ "~prod(~uction)?", "sensitive pattern", 0.9 },
	{ "\\.~env\\b", "sensitive pattern", 0.9 },
	{ "~secret", "sensitive pattern", 0.9 },
	{ "~password", "sensitive pattern", 0.9 },
	{ "~token", "sensitive pattern", 0.9 },
	{ "\\b~key\\b", "sensitive pattern", 0.9 },
	{ "~credential", "sensitive pattern", 0.9 },
	{ "\\b~drop\\b", "SQL keyword", 0.9 },
	{ "\\b~delete\\b", "SQL keyword", 0.9 },
	{ "\\b~truncate\\b", "SQL keyword", 0.9 },
	{ "\\b~alter\\b", "SQL keyword", 0.9 },
	{ "rm" PY_SPACE "+-rf\\b", "shell command", 0.9 },
	{ "\\bsudo\\b", "shell command", 0.9 },
	{ "chmod" PY_SPACE "+777\\b", "shell command", 0.9 },
	{ "~https?://", "network pattern", 0.5 },
	{ "[a-zA-Z0-9_.+-]+@[a-zA-Z0-9-]+\\.[a-zA-Z0-9-.]+", "network pattern", 0.5 },
	{ "\\b\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\b", "network pattern", 0.5 },
};

static const struct ref_pattern doc_patterns[DOC_PATTERNS] = {
	{ "~irreversible", "high-risk keyword", 0.85 },
	{ "~permanent", "high-risk keyword", 0.85 },
	{ "~destructive", "high-risk keyword", 0.85 },
	{ "~dangerous", "high-risk keyword", 0.85 },
	{ "~production", "high-risk keyword", 0.85 },
	{ "~critical", "high-risk keyword", 0.85 },
	{ "~careful", "caution keyword", 0.5 },
	{ "~warning", "caution keyword", 0.5 },
	{ "~caution", "caution keyword", 0.5 },
};

static struct pol_regex *arg_re[ARG_PATTERNS];
static struct pol_regex *doc_re[DOC_PATTERNS];
static int patterns_error;
static pthread_once_t patterns_once = PTHREAD_ONCE_INIT;

/* Expand a spec into PCRE2 syntax: after '~', each ASCII letter becomes
 * the class of code points re.IGNORECASE equates with it (the trailing
 * "s?" of https is a letter too: the '?' stays a quantifier). */
static int expand_spec(const char *spec, char *out, size_t size)
{
	size_t o = 0;
	bool caseless = false;

	for (const char *p = spec; *p; p++) {
		char c = *p;
		char piece[32];
		int n;

		if (c == '~') {
			caseless = true;
			continue;
		}
		if (caseless && c >= 'a' && c <= 'z') {
			const char *extra = c == 'i' ? "\\x{130}\\x{131}" : c == 'k' ? "\\x{212a}"
							 : c == 's' ? "\\x{17f}" : "";
			n = snprintf(piece, sizeof(piece), "[%c%c%s]", c, c - 'a' + 'A', extra);
		} else {
			if (!(c >= 'a' && c <= 'z'))
				caseless = caseless && (c == '(' || c == ')' || c == '?');
			n = snprintf(piece, sizeof(piece), "%c", c);
		}
		if (n < 0 || o + (size_t)n + 1 > size)
			return -E2BIG;
		memcpy(out + o, piece, (size_t)n);
		o += (size_t)n;
	}
	out[o] = '\0';
	return 0;
}

static int compile_set(const struct ref_pattern *set, size_t n, struct pol_regex **re)
{
	char expanded[POL_REGEX_MAX_PATTERN];
	int r;

	for (size_t i = 0; i < n; i++) {
		if ((r = expand_spec(set[i].spec, expanded, sizeof(expanded))) < 0)
			return r;
		if ((r = pol_regex_compile(expanded, 0, &re[i], NULL, 0, NULL)) < 0)
			return r;
	}
	return 0;
}

static void patterns_init(void)
{
	patterns_error = compile_set(arg_patterns, ARG_PATTERNS, arg_re);
	if (!patterns_error)
		patterns_error = compile_set(doc_patterns, DOC_PATTERNS, doc_re);
}

void pol_risk_warm(void)
{
	pthread_once(&patterns_once, patterns_init);
}

/* ---- assessment ------------------------------------------------------- */

void pol_assessment_init(struct pol_assessment *a)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->scorer_name, sizeof(a->scorer_name), "default");
}

void pol_assessment_release(struct pol_assessment *a)
{
	for (size_t i = 0; i < a->n_factors; i++) {
		free(a->factors[i].description);
		free(a->factors[i].evidence);
	}
	free(a->factors);
	a->factors = NULL;
	a->n_factors = a->capacity = 0;
}

int pol_assessment_add(struct pol_assessment *a, const char *name, double contribution,
		       const char *description, const char *evidence)
{
	struct pol_factor *f;

	if (a->n_factors == a->capacity) {
		size_t cap = a->capacity ? a->capacity * 2 : 8;
		struct pol_factor *factors = realloc(a->factors, cap * sizeof(*factors));

		if (!factors)
			return -ENOMEM;
		a->factors = factors;
		a->capacity = cap;
	}
	f = &a->factors[a->n_factors];
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->contribution = contribution;
	f->description = strdup(description ? description : "");
	f->evidence = evidence ? strdup(evidence) : NULL;
	if (!f->description || (evidence && !f->evidence)) {
		free(f->description);
		free(f->evidence);
		return -ENOMEM;
	}
	a->n_factors++;
	return 0;
}

/* ---- Python helpers ------------------------------------------------------ */

/* Python's min(a, b) / max(a, b): the first argument wins ties and NaN
 * comparisons, exactly as the builtins iterate. */
static double py_min(double a, double b)
{
	return b < a ? b : a;
}

static double py_max(double a, double b)
{
	return b > a ? b : a;
}

/* _clamp(v) = max(0.0, min(1.0, v)); NaN becomes 1.0 this way. */
static double py_clamp(double v)
{
	return py_max(0.0, py_min(1.0, v));
}

/* ---- arguments text ---------------------------------------------------- */

/* The parts _flatten_args() produces: generic_args (or the string args
 * when there is no JSON array), then the values of generic_kwargs. */
static int args_parts(const struct pol_action *action, struct pol_text *out, size_t *ret_count)
{
	size_t count = 0;
	const cJSON *item;
	int r;

	if (action->generic_args) {
		cJSON_ArrayForEach(item, action->generic_args) {
			if ((count && (r = pol_text_append(out, " ", 1)) < 0) || (r = pol_py_str(item, out)) < 0)
				return r;
			count++;
		}
	} else {
		for (size_t i = 0; i < action->args.count; i++) {
			if ((count && (r = pol_text_append(out, " ", 1)) < 0) ||
			    (r = pol_text_append_str(out, action->args.items[i])) < 0)
				return r;
			count++;
		}
	}
	cJSON_ArrayForEach(item, action->generic_kwargs) {
		if ((count && (r = pol_text_append(out, " ", 1)) < 0) || (r = pol_py_str(item, out)) < 0)
			return r;
		count++;
	}
	if (!out->data && (r = pol_text_append(out, "", 0)) < 0)
		return r;
	*ret_count = count;
	return 0;
}

char *pol_risk_args_text(const struct pol_action *action)
{
	struct pol_text text = { 0 };
	size_t count;

	if (args_parts(action, &text, &count) < 0) {
		pol_text_release(&text);
		return NULL;
	}
	return pol_text_steal(&text);
}

/* ---- factors ----------------------------------------------------------- */

struct factor_result {
	double score;
	struct pol_text evidence;
};

static const char *const destructive_verbs[] = { "delete", "remove", "drop", "destroy", "purge",
						  "truncate", "kill", NULL };
static const char *const mutating_verbs[] = { "write", "update", "modify", "set", "create", "send",
					      "deploy", "push", "execute", "run", NULL };
static const char *const read_verbs[] = { "read", "get", "list", "fetch", "search", "find", "check", NULL };

/* tok.lower() == verb. Only ASCII letters and U+212A KELVIN SIGN (which
 * lowers to 'k') lower to ASCII, and every verb is ASCII. */
static bool token_is(const char *tok, size_t len, const char *verb)
{
	size_t i = 0;

	for (; i < len && *verb; verb++) {
		unsigned char c = (unsigned char)tok[i];

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if (c == 0xe2 && i + 2 < len && (unsigned char)tok[i + 1] == 0x84 &&
		    (unsigned char)tok[i + 2] == 0xaa) {
			if (*verb != 'k')
				return false;
			i += 3;
			continue;
		}
		if (c != (unsigned char)*verb)
			return false;
		i++;
	}
	return i == len && !*verb;
}

static const char *verb_of(const char *tok, size_t len, const char *const *set)
{
	for (; *set; set++)
		if (token_is(tok, len, *set))
			return *set;
	return NULL;
}

static bool is_lower_or_digit(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_separator(char c)
{
	return c == '_' || c == '.' || c == '-' || c == '/';
}

/* _extract_verbs(): a '_' goes before every ASCII capital that follows an
 * ASCII lowercase letter or digit, then the name splits on runs of
 * _ . - /. Neither step can split a UTF-8 sequence, so tokens are byte
 * ranges of the name. */
static int score_function_name(const char *name, struct factor_result *res)
{
	static const char *const *const sets[] = { destructive_verbs, mutating_verbs, read_verbs };
	static const char *const labels[] = { "destructive verbs: ", "mutating verbs: ", "read verbs: " };
	static const double scores[] = { 0.95, 0.55, 0.1 };
	size_t len = strlen(name), n_tokens = 0;
	int r;

	for (unsigned s = 0; s < 3; s++) {
		size_t hits = 0, start = 0;

		n_tokens = 0;
		while (start < len) {
			size_t end = start;
			const char *verb;

			if (is_separator(name[start])) {
				start++;
				continue;
			}
			while (end < len && !is_separator(name[end]) &&
			       !(end > start && name[end] >= 'A' && name[end] <= 'Z' &&
				 is_lower_or_digit(name[end - 1])))
				end++;
			n_tokens++;
			verb = verb_of(name + start, end - start, sets[s]);
			if (verb) {
				if ((hits++ == 0 && (r = pol_text_append_str(&res->evidence, labels[s])) < 0) ||
				    (hits > 1 && (r = pol_text_append(&res->evidence, ", ", 2)) < 0) ||
				    (r = pol_text_append_str(&res->evidence, verb)) < 0)
					return r;
			}
			start = end;
		}
		if (hits) {
			res->score = scores[s];
			return 0;
		}
	}
	if (n_tokens == 0) {
		res->score = 0.5;
		return pol_text_append_str(&res->evidence, "no recognisable tokens");
	}
	res->score = 0.4;
	return pol_text_append_str(&res->evidence, "no known verb category matched");
}

/* Run a pattern set over text; max_score over matches, evidence joined
 * with "; " as the reference does. */
static int scan_patterns(const struct ref_pattern *set, struct pol_regex *const *re, size_t n,
			 const char *text, size_t len, struct factor_result *res, bool *ret_any)
{
	double max_score = 0.0;
	bool any = false;
	int r;

	for (size_t i = 0; i < n; i++) {
		size_t start = 0, end = 0;
		int m = pol_regex_search(re[i], text, len, &start, &end);

		if (m == -ENOMEM)
			return m;
		if (m == 0)
			continue;
		if ((any && (r = pol_text_append(&res->evidence, "; ", 2)) < 0) ||
		    (r = pol_text_append_str(&res->evidence, set[i].kind)) < 0)
			return r;
		if (m > 0) {
			if ((r = pol_text_append(&res->evidence, " '", 2)) < 0 ||
			    (r = pol_text_append(&res->evidence, text + start, end - start)) < 0 ||
			    (r = pol_text_append(&res->evidence, "'", 1)) < 0)
				return r;
		} else if ((r = pol_text_append_str(&res->evidence, " (match budget exceeded)")) < 0) {
			/* budget exhausted: counted as a match, fail closed */
			return r;
		}
		max_score = py_max(max_score, set[i].score);
		any = true;
	}
	res->score = max_score;
	*ret_any = any;
	return 0;
}

static int score_arguments(const struct pol_action *action, struct factor_result *res)
{
	struct pol_text text = { 0 };
	size_t count = 0, len;
	bool any;
	int r;

	pthread_once(&patterns_once, patterns_init);
	if (patterns_error)
		return patterns_error;
	if ((r = args_parts(action, &text, &count)) < 0)
		goto out;
	if (count == 0) {
		res->score = 0.0;
		r = pol_text_append_str(&res->evidence, "no arguments");
		goto out;
	}
	len = text.len;
	if (len > POL_SCORE_MAX_TEXT) {
		/* Cut on a UTF-8 boundary so the tail is no stray byte. */
		len = POL_SCORE_MAX_TEXT;
		while (len > 0 && ((unsigned char)text.data[len] & 0xc0) == 0x80)
			len--;
	}
	if ((r = scan_patterns(arg_patterns, arg_re, ARG_PATTERNS, text.data, len, res, &any)) < 0)
		goto out;
	if (!any) {
		res->score = 0.05;
		r = pol_text_append_str(&res->evidence, "arguments appear benign");
	}
	if (r >= 0 && len < text.len) {
		char note[64];

		snprintf(note, sizeof(note), " (text cut at %zu of %zu bytes)", len, text.len);
		r = pol_text_append_str(&res->evidence, note);
	}
out:
	pol_text_release(&text);
	return r;
}

static int score_docstring(const char *doc, struct factor_result *res)
{
	bool any;
	int r;

	if (!doc || !*doc) {
		res->score = 0.1;
		return pol_text_append_str(&res->evidence, "no docstring available");
	}
	pthread_once(&patterns_once, patterns_init);
	if (patterns_error)
		return patterns_error;
	if ((r = scan_patterns(doc_patterns, doc_re, DOC_PATTERNS, doc, strlen(doc), res, &any)) < 0)
		return r;
	if (!any) {
		res->score = 0.05;
		return pol_text_append_str(&res->evidence, "docstring contains no risk keywords");
	}
	return 0;
}

/* Booleans add 0.3 when true; ints and floats add min(v / 10000, 1) * 0.8;
 * anything else is ignored. JSON true/false are bool, never int. */
static int score_hints(const cJSON *hints, struct factor_result *res)
{
	const cJSON *item;
	double total = 0.0;
	bool any = false;
	int r;

	if (!hints || !hints->child) {
		res->score = 0.0;
		return pol_text_append_str(&res->evidence, "no hints provided");
	}
	cJSON_ArrayForEach(item, hints) {
		const char *key = item->string ? item->string : "";
		char buf[400]; /* "%.2f" of -DBL_MAX is 316 bytes */

		if (cJSON_IsBool(item)) {
			if (!cJSON_IsTrue(item))
				continue;
			total += 0.3;
			if ((any && (r = pol_text_append(&res->evidence, "; ", 2)) < 0) ||
			    (r = pol_text_append_str(&res->evidence, key)) < 0 ||
			    (r = pol_text_append_str(&res->evidence, "=True (+0.30)")) < 0)
				return r;
			any = true;
		} else if (cJSON_IsNumber(item)) {
			/* int / 10000 is correctly rounded in Python; so is the
			 * double division for |int| <= 2^53, and beyond that the
			 * quotient is far past the 1.0 cap (or hopelessly
			 * negative), so the rounding cannot show. */
			double contribution = py_min(item->valuedouble / 10000.0, 1.0) * 0.8;

			total += contribution;
			if ((any && (r = pol_text_append(&res->evidence, "; ", 2)) < 0) ||
			    (r = pol_text_append_str(&res->evidence, key)) < 0 ||
			    (r = pol_text_append(&res->evidence, "=", 1)) < 0 ||
			    (r = pol_py_str(item, &res->evidence)) < 0)
				return r;
			snprintf(buf, sizeof(buf), " (+%.2f)", contribution);
			if ((r = pol_text_append_str(&res->evidence, buf)) < 0)
				return r;
			any = true;
		}
	}
	if (!any) {
		res->score = 0.0;
		return pol_text_append_str(&res->evidence, "hints contained no scorable values");
	}
	res->score = py_clamp(total);
	return 0;
}

static int score_novelty(unsigned calls, struct factor_result *res)
{
	char buf[64];

	if (calls == 0)
		res->score = 0.9;
	else if (calls >= 10)
		res->score = 0.1;
	else
		res->score = 0.9 - ((double)calls / 10.0) * 0.8;
	snprintf(buf, sizeof(buf), "seen %u time(s) before", calls);
	return pol_text_append_str(&res->evidence, buf);
}

int pol_risk_score_reference(const struct pol_action *action, unsigned novelty_calls,
			     struct pol_assessment *ret)
{
	static const char *const names[5] = { "function_name", "arguments", "docstring", "hints", "novelty" };
	static const char *const descriptions[5] = {
		"Risk inferred from the function name verbs.",
		"Risk inferred from argument values.",
		"Risk inferred from the function docstring.",
		"Risk inferred from caller-supplied hints.",
		"Risk due to function call novelty.",
	};
	static const double weights[5] = { W_FUNCTION, W_ARGS, W_DOC, W_HINTS, W_NOVELTY };
	struct factor_result res[5];
	struct pol_assessment a;
	double total = 0.0;
	int r;

	memset(res, 0, sizeof(res));
	pol_assessment_init(&a);
	if ((r = score_function_name(action->function_name ? action->function_name : "", &res[0])) < 0 ||
	    (r = score_arguments(action, &res[1])) < 0 || (r = score_docstring(action->function_doc, &res[2])) < 0 ||
	    (r = score_hints(action->hints, &res[3])) < 0 || (r = score_novelty(novelty_calls, &res[4])) < 0)
		goto out;
	for (unsigned i = 0; i < 5; i++) {
		/* Python: factor.contribution = score * weight, then
		 * sum(contributions) from 0, one addition at a time. */
		double contribution = res[i].score * weights[i];

		total += contribution;
		if ((r = pol_assessment_add(&a, names[i], contribution, descriptions[i], res[i].evidence.data)) < 0)
			goto out;
	}
	a.score = py_clamp(total);
	a.level = pol_level_from_score(a.score);
	*ret = a;
	memset(&a, 0, sizeof(a));
out:
	pol_assessment_release(&a);
	for (unsigned i = 0; i < 5; i++)
		pol_text_release(&res[i].evidence);
	return r;
}
