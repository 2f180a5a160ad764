/*
 * The table of calls a human refused a moment ago (see repeat.h): a ring
 * of SUP_REPEAT_SLOTS keys. A key is the process, the action class, the
 * decided path, address and arguments, separated by NUL bytes, so two
 * calls share a key only if everything that was judged is the same.
 */
#include "supervisor/run/repeat.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct slot {
	char *key;
	size_t len;
	uint64_t at_ms;
	char verdict[24];
};

struct sup_repeat {
	struct slot slots[SUP_REPEAT_SLOTS];
	size_t next;
};

uint64_t sup_repeat_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int sup_repeat_new(struct sup_repeat **ret)
{
	struct sup_repeat *r = calloc(1, sizeof *r);

	if (!r)
		return -ENOMEM;
	*ret = r;
	return 0;
}

void sup_repeat_free(struct sup_repeat *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < SUP_REPEAT_SLOTS; i++)
		free(r->slots[i].key);
	free(r);
}

static void put(char *buf, size_t *len, const char *s)
{
	size_t n = s ? strlen(s) + 1 : 1;

	if (buf) {
		if (s)
			memcpy(buf + *len, s, n);
		else
			buf[*len] = '\0';
	}
	*len += n;
}

/* The key of action (malloc'ed) or NULL on ENOMEM. */
static char *key_of(const struct pol_action *a, size_t *ret_len)
{
	char pid[2][24];
	char *buf = NULL;

	snprintf(pid[0], sizeof pid[0], "%d", (int)(a->tgid ? a->tgid : a->pid));
	snprintf(pid[1], sizeof pid[1], "%d", (int)a->action_class);
	for (int pass = 0; pass < 2; pass++) {
		size_t len = 0;

		put(buf, &len, pid[0]);
		put(buf, &len, pid[1]);
		put(buf, &len, a->path);
		put(buf, &len, a->address);
		put(buf, &len, a->argv0);
		for (size_t i = 0; i < a->args.count; i++)
			put(buf, &len, a->args.items[i]);
		if (pass == 0 && !(buf = malloc(len)))
			return NULL;
		*ret_len = len;
	}
	return buf;
}

void sup_repeat_note(struct sup_repeat *r, const struct pol_action *action, const char *verdict,
		     uint64_t now_ms)
{
	struct slot *s;
	size_t len = 0;
	char *key;

	if (!r || !action || !(key = key_of(action, &len)))
		return; /* not remembered: the next repeat is asked again */
	s = &r->slots[r->next];
	r->next = (r->next + 1) % SUP_REPEAT_SLOTS;
	free(s->key);
	s->key = key;
	s->len = len;
	s->at_ms = now_ms;
	snprintf(s->verdict, sizeof s->verdict, "%s", verdict ? verdict : "denied");
}

const char *sup_repeat_find(const struct sup_repeat *r, const struct pol_action *action,
			    uint64_t now_ms)
{
	const char *found = NULL;
	uint64_t newest = 0;
	size_t len = 0;
	char *key;

	if (!r || !action || !(key = key_of(action, &len)))
		return NULL;
	for (size_t i = 0; i < SUP_REPEAT_SLOTS; i++) {
		const struct slot *s = &r->slots[i];

		if (s->key && s->len == len && now_ms - s->at_ms <= SUP_REPEAT_WINDOW_MS &&
		    s->at_ms >= newest && !memcmp(s->key, key, len)) {
			found = s->verdict;
			newest = s->at_ms;
		}
	}
	free(key);
	return found;
}
