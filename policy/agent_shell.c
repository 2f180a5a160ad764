/*
 * Shell scripts given to sh -c / bash -c / su -c / env -S / watch: split
 * into pipelines of simple commands (quotes, backslashes, comments,
 * operators ; && || | & and newlines, $(...), `...`, <(...) and
 * redirections), then each command goes through agent_analyze_argv. The
 * script is untrusted text from the sandboxed program: it is bounded by
 * POL_AGENT_MAX_SCRIPT, never executed or expanded, and anything the
 * parser cannot follow makes a word Z_OTHER (it keeps its '$'), which
 * never lowers risk. This is not a full POSIX parser; what it does not
 * model (here-doc bodies, functions, aliases) is analyzed as if it were
 * commands, which can only add findings.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "pol_limits.h"

#define SH_MAX_WORDS 256

struct sh_cmd {
	char *words[SH_MAX_WORDS];
	size_t n;
	bool subst_fetch;   /* a $(...) / <(...) in this command downloads */
};

struct sh_state {
	const struct agent_env *env;
	unsigned depth;
	struct agent_result *res;
	/* current pipeline: programs of its stages */
	char stage_prog[16][64];
	size_t stages;
	struct sh_cmd cmd;
	char redirect_pending;  /* '>' when the next word is an output target, '<' input */
};

/* The program a stage runs, looking through assignments and simple
 * wrappers (sudo curl ... | sudo bash). */
static const char *stage_program(char *const *words, size_t n)
{
	static const char *const skip[] = { "sudo", "doas", "env", "nice", "nohup", "time",
					    "command", "exec", "stdbuf", "setsid", "timeout" };

	for (size_t i = 0; i < n; i++) {
		const char *w = words[i], *slash;
		bool wrapper = false;

		if (w[0] == '-' || (strchr(w, '=') && w[0] != '='))
			continue;
		for (size_t k = 0; k < sizeof(skip) / sizeof(skip[0]); k++)
			if (!strcmp(w, skip[k]))
				wrapper = true;
		if (wrapper)
			continue;
		slash = strrchr(w, '/');
		return slash && slash[1] ? slash + 1 : w;
	}
	return "";
}

static bool is_decoder(char *const *words, size_t n)
{
	const char *prog = stage_program(words, n);

	if (!strcmp(prog, "base64") || !strcmp(prog, "base32") || !strcmp(prog, "xxd") ||
	    !strcmp(prog, "openssl") || !strcmp(prog, "gunzip") || !strcmp(prog, "zcat"))
		for (size_t i = 0; i < n; i++)
			if (!strcmp(words[i], "-d") || !strcmp(words[i], "--decode") ||
			    !strcmp(words[i], "-r") || !strcmp(prog, "gunzip") || !strcmp(prog, "zcat"))
				return true;
	return false;
}

static void free_cmd(struct sh_cmd *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->words[i]);
	memset(c, 0, sizeof(*c));
}

/* Finish the current simple command: analyze it and note its program as a
 * pipeline stage. */
static void end_command(struct sh_state *st)
{
	static const char *const keywords[] = { "if", "then", "else", "elif", "fi", "do", "done", "while",
						"until", "!", "{", "}", "time", "esac", "function" };
	struct sh_cmd *c = &st->cmd;
	size_t first = 0;

	for (; first < c->n; first++) {
		bool kw = false;

		for (size_t k = 0; k < sizeof(keywords) / sizeof(keywords[0]); k++)
			if (!strcmp(c->words[first], keywords[k]))
				kw = true;
		if (!kw && !(strchr(c->words[first], '=') && c->words[first][0] != '=' &&
			     c->words[first][0] != '-'))
			break;
	}
	if (first < c->n && (!strcmp(c->words[first], "for") || !strcmp(c->words[first], "case") ||
			     !strcmp(c->words[first], "select")))
		first = c->n; /* loop headers name words, not commands */
	if (first < c->n) {
		const char *prog = stage_program(c->words + first, c->n - first);

		/* A download whose output becomes code: fed to an interpreter,
		 * eval'd, sourced, or run as the command itself ($(curl ...)). */
		if (c->subst_fetch && (agent_is_interpreter(prog) || !strcmp(prog, "eval") ||
				       !strcmp(prog, "source") || !strcmp(prog, ".") || strchr(prog, '$')))
			agent_add(st->res, "remote_code_pipeline", SEV_SEVERE,
				  "%s runs code substituted from a download", prog);
		if (!strcmp(c->words[first], "eval")) {
			char script[2048];
			size_t len = 0;

			script[0] = '\0';
			for (size_t i = first + 1; i < c->n; i++) {
				int n = snprintf(script + len, sizeof(script) - len, "%s%s", len ? " " : "",
						 c->words[i]);

				if (n < 0 || (size_t)n >= sizeof(script) - len)
					break;
				len += (size_t)n;
			}
			agent_analyze_script(st->env, script, st->depth + 1, st->res);
		} else {
			agent_analyze_argv(st->env, (const char *const *)c->words + first, c->n - first,
					   st->depth, false, st->res);
		}
		if (st->stages < 16) {
			snprintf(st->stage_prog[st->stages], sizeof(st->stage_prog[0]), "%s",
				 is_decoder(c->words + first, c->n - first) ? "\001decoder" : prog);
			st->stages++;
		}
	}
	free_cmd(c);
}

/* Finish a pipeline: fetch | shell and decode | shell are findings. */
static void end_pipeline(struct sh_state *st)
{
	end_command(st);
	for (size_t i = 0; i < st->stages; i++) {
		bool fetch = agent_is_fetcher(st->stage_prog[i]);
		bool decode = !strcmp(st->stage_prog[i], "\001decoder");

		if (!fetch && !decode)
			continue;
		for (size_t j = i + 1; j < st->stages; j++) {
			if (!agent_is_interpreter(st->stage_prog[j]))
				continue;
			agent_add(st->res, fetch ? "remote_code_pipeline" : "decoded_code_pipeline",
				  SEV_SEVERE, "%s output piped into %s", fetch ? st->stage_prog[i] : "decoded data",
				  st->stage_prog[j]);
		}
	}
	st->stages = 0;
}

static void add_word(struct sh_state *st, const char *text, size_t len)
{
	struct sh_cmd *c = &st->cmd;
	char *w;

	if (st->redirect_pending) {
		char target[POL_TARGET_MAX_PATH];
		enum agent_zone z;
		enum agent_sev sev;

		snprintf(target, sizeof(target), "%.*s", (int)len, text);
		if (st->redirect_pending == '>' && target[0] != '&') {
			z = agent_path_zone(st->env, target, NULL, 0);
			sev = agent_effect_sev(E_WRITE, z);
			if (sev > SEV_SAFE)
				agent_add(st->res, "redirect_overwrite", sev, "output redirected to %s '%s'",
					  agent_zone_name(z), target);
		}
		st->redirect_pending = 0;
		return;
	}
	if (c->n >= SH_MAX_WORDS)
		return;
	w = strndup(text, len);
	if (w)
		c->words[c->n++] = w;
}

/* Find the end of a $( ... ) starting after "$(": balanced parentheses,
 * quotes skipped. Returns the index of the closing ')' or len. */
static size_t match_paren(const char *s, size_t i, size_t len)
{
	int level = 1;

	for (; i < len; i++) {
		if (s[i] == '\\') {
			i++;
		} else if (s[i] == '\'') {
			while (++i < len && s[i] != '\'')
				;
		} else if (s[i] == '(') {
			level++;
		} else if (s[i] == ')' && --level == 0) {
			return i;
		}
	}
	return len;
}

/* Analyze a substitution's text and note whether it downloads. */
static void substitution(struct sh_state *st, const char *text, size_t len)
{
	char *inner = strndup(text, len);
	struct agent_result sub = { .n = 0 };

	if (!inner)
		return;
	agent_analyze_script(st->env, inner, st->depth + 1, &sub);
	for (size_t i = 0; i < sub.n; i++)
		agent_add(st->res, sub.items[i].rule, sub.items[i].sev, "%s", sub.items[i].evidence);
	st->res->visited += sub.visited;
	/* A download in a substitution: is a fetcher the program of any part? */
	for (const char *p = inner; *p; p++) {
		size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyz0-9");
		char word[32];

		if (n && n < sizeof(word) && (p == inner || strchr(" \t|;&(/", p[-1]))) {
			memcpy(word, p, n);
			word[n] = '\0';
			if (agent_is_fetcher(word))
				st->cmd.subst_fetch = true;
		}
		if (n)
			p += n - 1;
	}
	free(inner);
}

void agent_analyze_script(const struct agent_env *env, const char *script, unsigned depth,
			  struct agent_result *res)
{
	struct sh_state *st;
	size_t len = strnlen(script, POL_AGENT_MAX_SCRIPT + 1), i = 0;
	char *word;
	size_t wl = 0;
	bool in_word = false;

	if (len > POL_AGENT_MAX_SCRIPT || depth > POL_AGENT_MAX_DEPTH) {
		agent_add(res, "too_complex", SEV_HIGH, "script too long or too deeply nested to analyze");
		return;
	}
	st = calloc(1, sizeof(*st));
	word = malloc(len + 1);
	if (!st || !word) {
		agent_add(res, "internal_error", SEV_HIGH, "out of memory analyzing a script");
		goto out;
	}
	st->env = env;
	st->depth = depth;
	st->res = res;
#define FLUSH() do { if (in_word) { add_word(st, word, wl); wl = 0; in_word = false; } } while (0)
	while (i < len) {
		char ch = script[i];

		if (ch == '\\' && i + 1 < len) {
			if (script[i + 1] != '\n')
				word[wl++] = script[i + 1];
			in_word = true;
			i += 2;
		} else if (ch == '\'') {
			size_t end = i + 1;

			while (end < len && script[end] != '\'')
				word[wl++] = script[end++];
			in_word = true;
			i = end + 1;
		} else if (ch == '"') {
			i++;
			in_word = true;
			while (i < len && script[i] != '"') {
				if (script[i] == '\\' && i + 1 < len && strchr("\\\"$`", script[i + 1])) {
					word[wl++] = script[i + 1];
					i += 2;
				} else if (script[i] == '$' && i + 1 < len && script[i + 1] == '(') {
					size_t end = match_paren(script, i + 2, len);

					substitution(st, script + i + 2, end - i - 2);
					word[wl++] = '$';
					i = end + 1;
				} else {
					word[wl++] = script[i++];
				}
			}
			i++;
		} else if ((ch == '$' || ch == '<' || ch == '>') && i + 1 < len && script[i + 1] == '(') {
			size_t end = match_paren(script, i + 2, len);

			substitution(st, script + i + 2, end - i - 2);
			word[wl++] = '$';
			in_word = true;
			i = end + 1;
		} else if (ch == '`') {
			size_t end = i + 1;

			while (end < len && script[end] != '`')
				end++;
			substitution(st, script + i + 1, end - i - 1);
			word[wl++] = '$';
			in_word = true;
			i = end + 1;
		} else if (ch == '#' && !in_word) {
			while (i < len && script[i] != '\n')
				i++;
		} else if (ch == ' ' || ch == '\t') {
			FLUSH();
			i++;
		} else if (ch == '>' || ch == '<') {
			/* 2>file, &>file: a pure number before is the fd, not a word. */
			bool fd_only = in_word;

			for (size_t k = 0; k < wl && fd_only; k++)
				fd_only = (word[k] >= '0' && word[k] <= '9') || word[k] == '&';
			if (fd_only) {
				wl = 0;
				in_word = false;
			}
			FLUSH();
			if (ch == '<' && i + 1 < len && script[i + 1] == '<')
				i++; /* here-doc: the delimiter is skipped like an input */
			while (i + 1 < len && strchr(">|&", script[i + 1]))
				i++;
			st->redirect_pending = ch;
			i++;
		} else if (ch == '|' || ch == ';' || ch == '&' || ch == '\n' || ch == '(' || ch == ')') {
			FLUSH();
			if (ch == '|' && !(i + 1 < len && script[i + 1] == '|')) {
				end_command(st);
				if (i + 1 < len && script[i + 1] == '&')
					i++;
			} else {
				end_pipeline(st);
				if (i + 1 < len && (script[i + 1] == ch))
					i++;
			}
			i++;
		} else {
			word[wl++] = ch;
			in_word = true;
			i++;
		}
	}
	FLUSH();
#undef FLUSH
	end_pipeline(st);
out:
	if (st)
		free_cmd(&st->cmd);
	free(st);
	free(word);
}
