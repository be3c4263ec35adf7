/* obsfast.h -- a quick reading of an observations batch in the plain shape noddctl and
 * most feeds send: a JSON array of objects with only "domain", "first_seen" and "source",
 * strings of printable ASCII without escapes, first_seen a non-negative integer; or that
 * array as "observations" of an object whose only other key may be "baseline" (true or
 * false), as `noddctl import --baseline` sends it. A body in any other shape (escapes,
 * other keys, null, a key twice, non-ASCII text, numbers with a sign, fraction or
 * exponent, trailing bytes) is declined, and the caller reads it with jansson as before,
 * which also gives every error message: this reader never refuses anything itself. It
 * checks JSON syntax only; what the values mean (a host name, a time in range) is the
 * caller's to check. */
#ifndef NODD_OBSFAST_H
#define NODD_OBSFAST_H

#include <stddef.h>
#include <stdint.h>

/* One object of the batch; the strings point into the body (not NUL-terminated). */
struct obsfast_item {
	const char *domain;
	size_t dlen;
	const char *source;   /* NULL when absent */
	size_t slen;
	int64_t first_seen;   /* -1 when absent */
};

/* Read body. Returns the number of objects with *items (malloc'd, the caller frees; NULL
 * for an empty array) and *baseline (1 for "baseline": true, else 0), or -1 when the body
 * is not in the plain shape or memory ran out (*items NULL, *baseline 0). */
long obsfast_read(const char *body, size_t len, struct obsfast_item **items, int *baseline);

#endif
