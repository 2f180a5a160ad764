/*
 * ActionContext lifecycle, class names, the one-line description shown to
 * approvers and written to the audit log, and the JSON form of an action
 * (see action.h; the JSON reader is in action_json.c). Descriptions of
 * syscall actions are built from bytes the sandboxed program chose (file
 * names, argv): they are escaped so no control character, bidi override or
 * invalid UTF-8 reaches an approver's terminal.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cjson/cJSON.h>

#include "action.h"
#include "pystr.h"

static const char *const class_names[] = {
	[POL_ACTION_GENERIC] = "generic",
	[POL_ACTION_EXEC] = "exec",
	[POL_ACTION_UNLINK] = "unlink",
	[POL_ACTION_RMDIR] = "rmdir",
	[POL_ACTION_CONNECT] = "connect",
	[POL_ACTION_SENDTO] = "sendto",
	[POL_ACTION_RENAME] = "rename",
	[POL_ACTION_SOCKET] = "socket",
};

#define N_CLASSES (sizeof(class_names) / sizeof(class_names[0]))

const char *pol_action_class_name(enum pol_action_class action_class)
{
	if ((unsigned)action_class >= N_CLASSES)
		return "unknown";
	return class_names[action_class];
}

int pol_action_class_parse(const char *name, enum pol_action_class *ret_class)
{
	if (!name)
		return -EINVAL;
	for (size_t i = 0; i < N_CLASSES; i++) {
		if (!strcmp(name, class_names[i])) {
			*ret_class = (enum pol_action_class)i;
			return 0;
		}
	}
	return -EINVAL;
}

int pol_strv_push(struct pol_strv *v, const char *s, size_t len)
{
	char *copy;

	if (v->count == v->capacity) {
		size_t cap = v->capacity ? v->capacity * 2 : 8;
		char **items;

		if (cap > SIZE_MAX / sizeof(char *))
			return -ENOMEM;
		items = realloc(v->items, cap * sizeof(char *));
		if (!items)
			return -ENOMEM;
		v->items = items;
		v->capacity = cap;
	}
	copy = malloc(len + 1);
	if (!copy)
		return -ENOMEM;
	if (len)
		memcpy(copy, s, len);
	copy[len] = '\0';
	v->items[v->count++] = copy;
	return 0;
}

void pol_strv_release(struct pol_strv *v)
{
	for (size_t i = 0; i < v->count; i++)
		free(v->items[i]);
	free(v->items);
	v->items = NULL;
	v->count = v->capacity = 0;
}

struct pol_action *pol_action_new(enum pol_action_class action_class)
{
	struct pol_action *action = calloc(1, sizeof(*action));

	if (action)
		action->action_class = action_class;
	return action;
}

void pol_action_free(struct pol_action *action)
{
	if (!action)
		return;
	free(action->function_name);
	pol_strv_release(&action->args);
	free(action->function_doc);
	free(action->agent_id);
	free(action->session_id);
	free(action->environment);
	cJSON_Delete(action->generic_args);
	cJSON_Delete(action->generic_kwargs);
	cJSON_Delete(action->hints);
	free(action->exe);
	free(action->cwd);
	free(action->argv0);
	free(action->path);
	free(action->typed_path);
	free(action->dest_path);
	pol_strv_release(&action->rename_tree);
	free(action->interpreter);
	pol_strv_release(&action->interp_argv);
	free(action->elf_interp);
	free(action->loader_target);
	pol_strv_release(&action->loader_argv);
	pol_strv_release(&action->env);
	pol_strv_release(&action->chain);
	free(action->address);
	free(action->host);
	free(action->libc_entry);
	free(action->libc_command);
	free(action);
}

int pol_action_set(char **field, const char *value)
{
	char *copy = NULL;

	if (value) {
		copy = strdup(value);
		if (!copy)
			return -ENOMEM;
	}
	free(*field);
	*field = copy;
	return 0;
}

/* ---- description ----------------------------------------------------- */

/* Reference: f"{name}({', '.join(repr(a) ... + f'{k}={v!r}')})". */
static int describe_generic(const struct pol_action *action, struct pol_text *out)
{
	const cJSON *item;
	bool first = true;
	int r;

	if ((r = pol_text_append_str(out, action->function_name ? action->function_name : "")) < 0 ||
	    (r = pol_text_append(out, "(", 1)) < 0)
		return r;
	if (action->generic_args) {
		cJSON_ArrayForEach(item, action->generic_args) {
			if ((!first && (r = pol_text_append(out, ", ", 2)) < 0) ||
			    (r = pol_py_repr(item, out)) < 0)
				return r;
			first = false;
		}
	} else {
		for (size_t i = 0; i < action->args.count; i++) {
			const char *a = action->args.items[i];

			if ((!first && (r = pol_text_append(out, ", ", 2)) < 0) ||
			    (r = pol_py_repr_string(a, strlen(a), out)) < 0)
				return r;
			first = false;
		}
	}
	cJSON_ArrayForEach(item, action->generic_kwargs) {
		if ((!first && (r = pol_text_append(out, ", ", 2)) < 0) ||
		    (r = pol_text_append_str(out, item->string ? item->string : "")) < 0 ||
		    (r = pol_text_append(out, "=", 1)) < 0 || (r = pol_py_repr(item, out)) < 0)
			return r;
		first = false;
	}
	return pol_text_append(out, ")", 1);
}

static bool shell_safe_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("_@%+=:,./-~", c) != NULL;
}

/* Append one word as a shell would need it to be typed: bare when it is
 * made of safe characters, '...' when it only holds printable text, and
 * $'...' with \xHH escapes when it holds anything an approver's terminal
 * would interpret or hide (control characters, bidi overrides, invalid
 * UTF-8). SECURITY: the sandboxed program controls these bytes and would
 * otherwise be able to repaint the approval prompt. */
static int append_word(struct pol_text *out, const char *word)
{
	size_t len = strlen(word), i = 0;
	bool bare = len > 0, printable = true;
	int r;

	while (i < len) {
		uint32_t cp;
		size_t n = pol_utf8_next(word + i, len - i, &cp);

		if (n == 0 || !pol_py_printable(word + i, n)) {
			printable = false;
			bare = false;
			break;
		}
		if (n == 1 && !shell_safe_byte((unsigned char)word[i]))
			bare = false;
		i += n;
	}
	if (bare)
		return pol_text_append(out, word, len);
	if (printable) {
		if ((r = pol_text_append(out, "'", 1)) < 0)
			return r;
		for (i = 0; i < len; i++) {
			r = word[i] == '\'' ? pol_text_append(out, "'\\''", 4)
					    : pol_text_append(out, word + i, 1);
			if (r < 0)
				return r;
		}
		return pol_text_append(out, "'", 1);
	}
	if ((r = pol_text_append(out, "$'", 2)) < 0)
		return r;
	for (i = 0; i < len;) {
		uint32_t cp;
		size_t n = pol_utf8_next(word + i, len - i, &cp);
		char esc[8];

		if (n == 1 && (word[i] == '\'' || word[i] == '\\')) {
			esc[0] = '\\';
			esc[1] = word[i];
			r = pol_text_append(out, esc, 2);
		} else if (n > 0 && pol_py_printable(word + i, n)) {
			r = pol_text_append(out, word + i, n);
		} else {
			/* Every byte of an unprintable or invalid sequence. */
			if (n == 0)
				n = 1;
			for (size_t k = 0; k < n && r >= 0; k++) {
				snprintf(esc, sizeof(esc), "\\x%02x", (unsigned char)word[i + k]);
				r = pol_text_append(out, esc, 4);
			}
		}
		if (r < 0)
			return r;
		i += n;
	}
	return pol_text_append(out, "'", 1);
}

static int describe_syscall(const struct pol_action *action, struct pol_text *out)
{
	const char *target = NULL;
	int r;

	if ((r = pol_text_append_str(out, pol_action_class_name(action->action_class))) < 0)
		return r;
	switch (action->action_class) {
	case POL_ACTION_EXEC:
		if ((r = pol_text_append(out, " ", 1)) < 0 ||
		    (r = append_word(out, action->function_name ? action->function_name : "")) < 0)
			return r;
		for (size_t i = 0; i < action->args.count; i++)
			if ((r = pol_text_append(out, " ", 1)) < 0 ||
			    (r = append_word(out, action->args.items[i])) < 0)
				return r;
		if (action->exec_anonymous)
			r = pol_text_append_str(out, " (anonymous executable)");
		return r;
	case POL_ACTION_UNLINK:
	case POL_ACTION_RMDIR:
		target = action->path ? action->path : action->args.count ? action->args.items[0] : "";
		if ((r = pol_text_append(out, " ", 1)) < 0)
			return r;
		return append_word(out, target);
	case POL_ACTION_RENAME:
		target = action->path ? action->path : action->args.count ? action->args.items[0] : "";
		if ((r = pol_text_append(out, " ", 1)) < 0 || (r = append_word(out, target)) < 0 ||
		    (r = pol_text_append(out, " ", 1)) < 0)
			return r;
		target = action->dest_path ? action->dest_path
			 : action->args.count > 1 ? action->args.items[1] : "";
		if ((r = append_word(out, target)) < 0)
			return r;
		if (action->rename_exchange)
			return pol_text_append_str(out, " (exchange)");
		if (action->rename_replaces)
			return pol_text_append_str(out, " (replaces it)");
		return 0;
	case POL_ACTION_CONNECT:
	case POL_ACTION_SENDTO:
		target = action->args.count ? action->args.items[0] : action->address ? action->address : "";
		if ((r = pol_text_append(out, " ", 1)) < 0 || (r = append_word(out, target)) < 0)
			return r;
		if (action->host) {
			if ((r = pol_text_append(out, " (", 2)) < 0 ||
			    (r = append_word(out, action->host)) < 0 ||
			    (r = pol_text_append_str(out, action->host_verified ? ")" : ", unverified)")) < 0)
				return r;
		}
		return 0;
	case POL_ACTION_SOCKET:
		/* family, type, protocol: names chosen by the decoder */
		for (size_t i = 0; i < action->args.count; i++)
			if ((r = pol_text_append(out, " ", 1)) < 0 ||
			    (r = append_word(out, action->args.items[i])) < 0)
				return r;
		return 0;
	default:
		return 0;
	}
}

char *pol_action_describe(const struct pol_action *action)
{
	struct pol_text out = { 0 };
	int r;

	if (action->action_class == POL_ACTION_GENERIC)
		r = describe_generic(action, &out);
	else
		r = describe_syscall(action, &out);
	if (r < 0) {
		pol_text_release(&out);
		return NULL;
	}
	return pol_text_steal(&out);
}

/* ---- JSON form --------------------------------------------------------- */

static bool add_str(cJSON *obj, const char *key, const char *value)
{
	return (value ? cJSON_AddStringToObject(obj, key, value) : cJSON_AddNullToObject(obj, key)) != NULL;
}

static bool add_strv(cJSON *obj, const char *key, const struct pol_strv *v)
{
	cJSON *arr = cJSON_AddArrayToObject(obj, key);

	if (!arr)
		return false;
	for (size_t i = 0; i < v->count; i++) {
		cJSON *s = cJSON_CreateString(v->items[i]);

		if (!s || !cJSON_AddItemToArray(arr, s)) {
			cJSON_Delete(s);
			return false;
		}
	}
	return true;
}

static bool add_copy(cJSON *obj, const char *key, const cJSON *value, bool array)
{
	cJSON *copy = value ? cJSON_Duplicate(value, 1) : array ? cJSON_CreateArray() : cJSON_CreateObject();

	if (!copy || !cJSON_AddItemToObject(obj, key, copy)) {
		cJSON_Delete(copy);
		return false;
	}
	return true;
}

static const char *family_name(int family)
{
	switch (family) {
	case AF_INET:
		return "inet";
	case AF_INET6:
		return "inet6";
	case AF_UNIX:
		return "unix";
	default:
		return NULL;
	}
}

static bool add_syscall_fields(cJSON *obj, const struct pol_action *a)
{
	bool ok = cJSON_AddNumberToObject(obj, "pid", a->pid) && cJSON_AddNumberToObject(obj, "tgid", a->tgid) &&
		  cJSON_AddNumberToObject(obj, "ppid", a->ppid) && add_str(obj, "exe", a->exe) &&
		  add_str(obj, "cwd", a->cwd) && add_strv(obj, "chain", &a->chain);

	if (!ok)
		return false;
	/* Shim context: present only when the shim reported it. */
	if (a->libc_entry && !cJSON_AddStringToObject(obj, "libc_entry", a->libc_entry))
		return false;
	if (a->libc_command && !cJSON_AddStringToObject(obj, "libc_command", a->libc_command))
		return false;
	if (a->interpreter && !cJSON_AddStringToObject(obj, "interpreter", a->interpreter))
		return false;
	if (a->elf_interp && !cJSON_AddStringToObject(obj, "elf_interp", a->elf_interp))
		return false;
	if (a->loader_target && !cJSON_AddStringToObject(obj, "loader_target", a->loader_target))
		return false;
	switch (a->action_class) {
	case POL_ACTION_EXEC:
		return add_str(obj, "argv0", a->argv0) && add_str(obj, "path", a->path) &&
		       cJSON_AddBoolToObject(obj, "exec_anonymous", a->exec_anonymous) &&
		       add_strv(obj, "env", &a->env);
	case POL_ACTION_UNLINK:
	case POL_ACTION_RMDIR: {
		cJSON *file;

		if (!add_str(obj, "path", a->path))
			return false;
		if (!a->file.known)
			return cJSON_AddNullToObject(obj, "file") != NULL;
		file = cJSON_AddObjectToObject(obj, "file");
		return file && cJSON_AddStringToObject(file, "type", a->file.type) &&
		       cJSON_AddNumberToObject(file, "size", (double)a->file.size) &&
		       cJSON_AddNumberToObject(file, "owner", a->file.owner);
	}
	case POL_ACTION_RENAME:
		return add_str(obj, "path", a->path) && add_str(obj, "dest_path", a->dest_path) &&
		       cJSON_AddBoolToObject(obj, "replaces", a->rename_replaces) &&
		       cJSON_AddBoolToObject(obj, "exchange", a->rename_exchange) &&
		       cJSON_AddNumberToObject(obj, "rename_flags", a->rename_flags);
	case POL_ACTION_CONNECT:
	case POL_ACTION_SENDTO:
		return add_str(obj, "family", family_name(a->family)) &&
		       cJSON_AddNumberToObject(obj, "socktype", a->socktype) &&
		       add_str(obj, "address", a->address) && cJSON_AddNumberToObject(obj, "port", a->port) &&
		       add_str(obj, "host", a->host) && cJSON_AddBoolToObject(obj, "host_verified", a->host_verified);
	default:
		return true;
	}
}

cJSON *pol_action_to_json(const struct pol_action *a)
{
	cJSON *obj = cJSON_CreateObject();
	bool generic = a->action_class == POL_ACTION_GENERIC;
	bool ok;

	if (!obj)
		return NULL;
	ok = cJSON_AddStringToObject(obj, "action_class", pol_action_class_name(a->action_class)) &&
	     add_str(obj, "function_name", a->function_name ? a->function_name : "") &&
	     (generic && a->generic_args ? add_copy(obj, "args", a->generic_args, true)
					 : add_strv(obj, "args", &a->args)) &&
	     add_copy(obj, "kwargs", a->generic_kwargs, false) && add_str(obj, "function_doc", a->function_doc) &&
	     add_copy(obj, "hints", a->hints, false) && add_str(obj, "agent_id", a->agent_id) &&
	     add_str(obj, "session_id", a->session_id) &&
	     add_str(obj, "environment", a->environment ? a->environment : "development");
	if (ok && !generic)
		ok = add_syscall_fields(obj, a);
	if (ok && a->intercepted_at > 0)
		ok = cJSON_AddNumberToObject(obj, "intercepted_at", a->intercepted_at) != NULL;
	if (!ok) {
		cJSON_Delete(obj);
		return NULL;
	}
	return obj;
}
