/*
 * Python 3.11 str() and repr() of JSON values, as the reference scorer and
 * ActionContext.description compute them on the values json.loads would
 * produce: a JSON string is a str, an integer literal an int, a number with
 * a fraction or exponent a float, true/false/null are True/False/None, an
 * array a list, an object a dict (insertion order).
 *
 * Integer or float: a cJSON number whose valuestring holds its lexical form
 * (pol_action_from_json() keeps it there) is an int when that form has no
 * '.', 'e' or 'E' and a float otherwise; a number built in code without a
 * lexical form is an int when it is integral and below 2^53 in magnitude.
 *
 * Strings are UTF-8. Bytes that are not valid UTF-8 (paths and argv from a
 * target) are treated as Python's surrogateescape handler treats them: repr
 * shows each as '\udcXX'. Pure functions, thread-safe.
 */
#ifndef ATTESTA_PYSTR_H
#define ATTESTA_PYSTR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cJSON;

/* A growable text buffer; data is NUL-terminated after every successful
 * append. Zero-initialize, release with pol_text_release(). */
struct pol_text {
	char *data;
	size_t len;
	size_t cap;
};

int pol_text_append(struct pol_text *text, const char *bytes, size_t len);
int pol_text_append_str(struct pol_text *text, const char *s);
void pol_text_release(struct pol_text *text);
/* Hand the buffer to the caller (never NULL on success: "" if empty). */
char *pol_text_steal(struct pol_text *text);

/* Python repr() of a float: shortest round-trip digits, "100.0", "1e-05",
 * "1e+16", "-0.0", "inf", "nan". buf must hold 32 bytes; returns the
 * length written. Independent of the C locale. */
size_t pol_py_float_repr(double value, char *buf, size_t size);

/* Python repr() of a str given as UTF-8 bytes (quote selection and
 * escapes of Python 3.11). Appends to out. 0 or -ENOMEM. */
int pol_py_repr_string(const char *s, size_t len, struct pol_text *out);

/* str() / repr() of a JSON value. Appends to out. 0, -ENOMEM, or -EINVAL
 * for a cJSON node type that has no Python equivalent (raw, invalid). */
int pol_py_str(const struct cJSON *value, struct pol_text *out);
int pol_py_repr(const struct cJSON *value, struct pol_text *out);

/* Decode one strict UTF-8 sequence at s (n > 0 bytes available): its
 * length, or 0 when the byte at s starts no valid sequence (overlong,
 * surrogate, above U+10FFFF, truncated). */
size_t pol_utf8_next(const char *s, size_t n, uint32_t *ret_cp);
/* Python's str.isprintable() for the one code point encoded in s[0..n). */
bool pol_py_printable(const char *s, size_t n);

/* strtod() in the C locale, whatever the process locale is. */
double pol_strtod_c(const char *s);

#endif
