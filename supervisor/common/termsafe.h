/*
 * Making agent-chosen text safe to print on a human's terminal. argv,
 * paths and host names come from the sandboxed agent, which could embed
 * escape sequences that move the cursor, rewrite a prompt or set the
 * window title; every renderer (the tty prompt, `attesta pending` and
 * `attesta approve`, the "held #ID" line on stderr) passes them through
 * sup_term_safe() first. Pure; trusts nothing in its input.
 */
#ifndef ATTESTA_SUP_TERMSAFE_H
#define ATTESTA_SUP_TERMSAFE_H

#include <stddef.h>

/* Copy in to out (size bytes, always NUL-terminated, truncated with
 * "..." when it does not fit): C0 controls, DEL, C1 controls (U+0080 to
 * U+009F) and bytes that are not valid UTF-8 become visible escapes
 * ("\x1b", "\t", "\n"); everything else is kept. Returns out. */
char *sup_term_safe(const char *in, char *out, size_t size);

#endif
