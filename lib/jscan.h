/* jscan.h -- the two steps every hand-written reader of one plain JSON shape shares (the
 * observation batches of server/obsfast.c, the get-entries bodies of ct/entriesfast.c):
 * a bounded cursor over the body, JSON whitespace skipped, one expected character taken.
 * Knows no shape and never reads past end; what a reader does not accept it declines, and
 * its caller reads the body with jansson. */
#ifndef NODD_LIB_JSCAN_H
#define NODD_LIB_JSCAN_H

struct jscan {
	const char *p, *end;
};

/* Past the whitespace JSON allows between tokens (space, tab, newline, return). */
static inline void jscan_ws(struct jscan *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

/* Consume c after whitespace: 1, or 0 (nothing consumed but the whitespace) when c is not
 * next. */
static inline int jscan_take(struct jscan *r, char c)
{
	jscan_ws(r);
	if (r->p < r->end && *r->p == c) {
		r->p++;
		return 1;
	}
	return 0;
}

#endif
