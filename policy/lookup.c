/* lookup.c -- the contents of the published zones, computed from the index and the time.
 * Pure functions: the same index and time always give the same answer.
 * Pure: reads the index, never writes it, never touches the store. */
#include "policy/lookup.h"

#include <string.h>

#include "policy/window.h"

static int in_window(int64_t now, int64_t fs, int64_t w)
{
	return now - fs < w; /* a future first_seen (clock skew) counts as age 0 */
}

/* Offset of the next label. */
static size_t next_label(const uint8_t *rel, size_t i)
{
	return i + 1 + (size_t)rel[i];
}

static int last_label_is(const uint8_t *rel, size_t len, const char *label)
{
	size_t l = strlen(label), i = 0, last = 0;
	while (i < len) {
		last = i;
		i = next_label(rel, i);
	}
	return len > 0 && rel[last] == l && last + 1 + l == len &&
	       memcmp(rel + last + 1, label, l) == 0;
}

/* Name n is in the zone of window w: indexed, in the window, not allowed; *fs set. */
static int held(const nindex_t *ix, const allow_t *al, const uint8_t *n, size_t len,
	int64_t now, int64_t w, int64_t *fs)
{
	return nindex_get(ix, n, len, fs) && in_window(now, *fs, w) &&
	       !allow_match_now(al, n, len);
}

enum nod_match dnsbl_lookup(const nindex_t *ix, const allow_t *al, const uint8_t *rel,
	size_t len, int64_t now, int64_t *first_seen, int *code)
{
	if (len == 0)
		return NOD_NODATA;
	/* RFC 5782 section 5: TEST must be listed, INVALID must not be. */
	if (len == 5 && memcmp(rel, "\004test", 5) == 0) {
		*first_seen = 0;
		*code = 2;
		return NOD_LISTED;
	}
	if (last_label_is(rel, len, "invalid") || allow_match_now(al, rel, len))
		return NOD_NXDOMAIN;
	/* The name itself, then each ancestor: Postfix asks for the whole sender domain, so
	 * mail.x.se is listed with x.se's data. The longest listed match wins. */
	for (size_t i = 0; i < len; i = next_label(rel, i)) {
		int64_t fs;
		if (held(ix, al, rel + i, len - i, now, WINDOW_MAX_SECS, &fs)) {
			*first_seen = fs;
			*code = window_code(now - fs);
			return NOD_LISTED;
		}
	}
	/* An empty non-terminal must answer NODATA, or QNAME-minimising resolvers stop at
	 * the NXDOMAIN for "se" and never ask for "x.se" (RFC 8020). */
	int64_t newest;
	if (nindex_ancestor(ix, rel, len, &newest) && in_window(now, newest, WINDOW_MAX_SECS))
		return NOD_NODATA;
	return NOD_NXDOMAIN;
}

enum nod_match rpz_lookup(const nindex_t *ix, const allow_t *al, int w, const uint8_t *rel,
	size_t len, int64_t now)
{
	int64_t W = window_secs[w], fs;
	if (len == 0)
		return NOD_NODATA;
	/* The zone holds "n CNAME ." and "*.n CNAME ." for each n in the window. */
	if (held(ix, al, rel, len, now, W, &fs))
		return NOD_LISTED;
	if (nindex_ancestor(ix, rel, len, &fs) && in_window(now, fs, W))
		return NOD_NODATA;
	size_t parent = next_label(rel, 0);
	if (rel[0] == 1 && rel[1] == '*' && parent < len &&
	    held(ix, al, rel + parent, len - parent, now, W, &fs))
		return NOD_LISTED; /* the wildcard owner itself */
	/* Find the closest encloser (RFC 4592 3.3.1): the longest existing ancestor. A
	 * listed one owns a wildcard that synthesises the CNAME; an empty non-terminal or a
	 * wildcard node has no wildcard child, so the name does not exist. */
	for (size_t i = parent; i < len; i = next_label(rel, i)) {
		if (held(ix, al, rel + i, len - i, now, W, &fs))
			return NOD_LISTED;
		if (nindex_ancestor(ix, rel + i, len - i, &fs) && in_window(now, fs, W))
			return NOD_NXDOMAIN;
		size_t p = next_label(rel, i);
		if (rel[i] == 1 && rel[i + 1] == '*' && p < len &&
		    held(ix, al, rel + p, len - p, now, W, &fs))
			return NOD_NXDOMAIN;
	}
	return NOD_NXDOMAIN;
}
