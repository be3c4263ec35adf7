/* entriesfast.c -- the plain-shape reader of get-entries bodies (see entriesfast.h). Owns
 * the JSON syntax of that one shape; must not accept anything ct_entries_parse_json would
 * read differently (tests/fuzz/fuzz_ctentries.c compares the two on every body it accepts).
 *
 * Why by hand: jansson builds and frees a string value per leaf_input and extra_data
 * (together a few kilobytes per entry) and checks them as UTF-8; reading a log, that was
 * most of the daemon's time per entry. Here the body is scanned once for its shape and its
 * base64, then each leaf_input is decoded into one reused buffer; extra_data, which nodd
 * does not use, is only checked. */
#include "ct/entriesfast.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base64.h"
#include "lib/jscan.h"

struct ct_entries_slice {
	size_t leaf_off, leaf_len, extra_off, extra_len;
};

void ct_entries_buf_free(struct ct_entries_buf *b)
{
	free(b->leaf);
	free(b->extra);
	free(b->sl);
	memset(b, 0, sizeof *b);
}

/* A string at r that ct_base64_decode accepts, checked in the one pass over it: base64
 * characters, at most two '=' at the end, a multiple of 4 in all; no escape, no other
 * character. 0 with its slice, or -1. */
static int b64_string(struct jscan *r, const char *base, size_t *off, size_t *len)
{
	if (!jscan_take(r, '"'))
		return -1;
	const char *b = r->p;
	while (r->p < r->end && base64_alphabet[(unsigned char)*r->p])
		r->p++;
	for (int pad = 0; pad < 2 && r->p < r->end && *r->p == '='; pad++)
		r->p++;
	if (r->p == r->end || *r->p != '"' || (r->p - b) % 4 != 0)
		return -1;
	*off = (size_t)(b - base);
	*len = (size_t)(r->p - b);
	r->p++;
	return 0;
}

/* A quoted key at r: 1 leaf_input, 2 extra_data, 3 entries, 0 anything else, -1 when
 * not a plain string followed by ':'. */
static int key(struct jscan *r)
{
	if (!jscan_take(r, '"'))
		return -1;
	const char *b = r->p;
	while (r->p < r->end && ((*r->p >= 'a' && *r->p <= 'z') || *r->p == '_'))
		r->p++;
	if (r->p == r->end || *r->p != '"')
		return -1;
	size_t n = (size_t)(r->p - b);
	r->p++;
	if (!jscan_take(r, ':'))
		return -1;
	if (n == 10 && memcmp(b, "leaf_input", 10) == 0)
		return 1;
	if (n == 10 && memcmp(b, "extra_data", 10) == 0)
		return 2;
	if (n == 7 && memcmp(b, "entries", 7) == 0)
		return 3;
	return 0;
}

/* One entry object: both keys exactly once, no other. 0, or -1. */
static int read_entry(struct jscan *r, const char *base, struct ct_entries_slice *s)
{
	int have = 0;
	if (!jscan_take(r, '{'))
		return -1;
	do {
		int k = key(r);
		if (k != 1 && k != 2)
			return -1;
		if (have & k)
			return -1; /* a duplicate key: jansson's reader refuses the body */
		have |= k;
		if (k == 1 ? b64_string(r, base, &s->leaf_off, &s->leaf_len)
			   : b64_string(r, base, &s->extra_off, &s->extra_len))
			return -1;
	} while (jscan_take(r, ','));
	return jscan_take(r, '}') && have == 3 ? 0 : -1;
}

/* p (cap elements of size bytes) with room for need: the same or a larger copy, or NULL
 * (p untouched) when out of memory. */
static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return p;
	size_t nc = *cap ? *cap * 2 : 1024;
	if (nc < need)
		nc = need;
	if (nc > SIZE_MAX / size)
		return NULL;
	void *np = realloc(p, nc * size);
	if (np)
		*cap = nc;
	return np;
}

/* The shape of the whole body; *n slices in buf->sl. 0, or -1. */
static int scan(const char *body, size_t len, struct ct_entries_buf *buf, size_t *n)
{
	struct jscan r = { body, body + len };
	*n = 0;
	if (!jscan_take(&r, '{') || key(&r) != 3 || !jscan_take(&r, '['))
		return -1;
	if (!jscan_take(&r, ']')) {
		do {
			void *ns = grow(buf->sl, &buf->slcap, *n + 1, sizeof *buf->sl);
			if (!ns)
				return -1;
			buf->sl = ns;
			if (read_entry(&r, body, &buf->sl[*n]) < 0)
				return -1;
			(*n)++;
		} while (jscan_take(&r, ','));
		if (!jscan_take(&r, ']'))
			return -1;
	}
	if (!jscan_take(&r, '}'))
		return -1;
	jscan_ws(&r);
	return r.p == r.end ? 0 : -1;
}

long ct_entries_fast(const char *body, size_t len, int want_extra, ct_entry_cb cb, void *ctx,
	struct ct_entries_buf *buf)
{
	size_t n;
	if (scan(body, len, buf, &n) < 0)
		return CT_ENTRIES_DECLINED;
	/* every string was checked by the scan: a decline gives no entry */
	size_t leafmax = 0, extramax = 0;
	for (size_t i = 0; i < n; i++) {
		if (buf->sl[i].leaf_len > leafmax)
			leafmax = buf->sl[i].leaf_len;
		if (buf->sl[i].extra_len > extramax)
			extramax = buf->sl[i].extra_len;
	}
	void *lp = grow(buf->leaf, &buf->leafcap, leafmax / 4 * 3 + 1, 1);
	if (lp)
		buf->leaf = lp;
	void *ep = want_extra ? grow(buf->extra, &buf->extracap, extramax / 4 * 3 + 1, 1) : NULL;
	if (ep)
		buf->extra = ep;
	if (n > (size_t)LONG_MAX || !lp || (want_extra && !ep))
		return CT_ENTRIES_DECLINED;
	for (size_t i = 0; i < n; i++) {
		const struct ct_entries_slice *s = &buf->sl[i];
		/* b64_string checks ct_base64_decode's rule: these cannot fail (the fuzz target
		 * checks it), and if one did the body stops short instead of giving bad bytes */
		long l = ct_base64_decode(body + s->leaf_off, s->leaf_len, buf->leaf, buf->leafcap);
		long el = want_extra ? ct_base64_decode(body + s->extra_off, s->extra_len, buf->extra,
			buf->extracap) : 0;
		if (l < 0 || el < 0)
			return CT_ENTRIES_STOPPED;
		if (cb(ctx, buf->leaf, (size_t)l, want_extra ? buf->extra : NULL, (size_t)el) != 0)
			return CT_ENTRIES_STOPPED;
	}
	return (long)n;
}
