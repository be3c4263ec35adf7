/* obsfast.c -- the plain-shape reader of observation batches (see obsfast.h). Owns the
 * JSON syntax of that one shape; must not accept anything jansson would read differently
 * (tests/fuzz/fuzz_obsfast.c compares the two on every input it accepts).
 *
 * Why by hand: jansson builds a value per string and per object and frees them all again;
 * for an import that was half of the daemon's time per name, more than the store. */
#include "server/obsfast.h"

#include <stdlib.h>
#include <string.h>

#include "lib/jscan.h"

/* A string of printable ASCII without escapes: 0 with the slice, -1 otherwise. */
static int plain_string(struct jscan *r, const char **s, size_t *len)
{
	if (!jscan_take(r, '"'))
		return -1;
	const char *b = r->p;
	while (r->p < r->end && *r->p != '"') {
		unsigned char c = (unsigned char)*r->p;
		if (c < 0x20 || c > 0x7e || c == '\\')
			return -1;
		r->p++;
	}
	if (r->p == r->end)
		return -1;
	*s = b;
	*len = (size_t)(r->p - b);
	r->p++;
	return 0;
}

/* 0 or a digit string without a leading zero, at most 18 digits (fits int64). */
static int plain_uint(struct jscan *r, int64_t *v)
{
	jscan_ws(r);
	const char *b = r->p;
	int64_t x = 0;
	while (r->p < r->end && *r->p >= '0' && *r->p <= '9' && r->p - b < 19)
		x = x * 10 + (*r->p++ - '0');
	size_t n = (size_t)(r->p - b);
	if (n == 0 || n > 18 || (n > 1 && *b == '0'))
		return -1;
	/* a number goes on with a fraction or an exponent: not plain */
	if (r->p < r->end && (*r->p == '.' || *r->p == 'e' || *r->p == 'E'))
		return -1;
	*v = x;
	return 0;
}

/* One object: each known key at most once, "domain" present. */
static int read_object(struct jscan *r, struct obsfast_item *it)
{
	it->domain = it->source = NULL;
	it->dlen = it->slen = 0;
	it->first_seen = -1;
	int have_fs = 0;
	if (!jscan_take(r, '{'))
		return -1;
	if (jscan_take(r, '}'))
		return -1; /* no domain */
	do {
		const char *k;
		size_t kl;
		if (plain_string(r, &k, &kl) < 0 || !jscan_take(r, ':'))
			return -1;
		if (kl == 6 && memcmp(k, "domain", 6) == 0 && !it->domain) {
			if (plain_string(r, &it->domain, &it->dlen) < 0)
				return -1;
		} else if (kl == 6 && memcmp(k, "source", 6) == 0 && !it->source) {
			if (plain_string(r, &it->source, &it->slen) < 0)
				return -1;
		} else if (kl == 10 && memcmp(k, "first_seen", 10) == 0 && !have_fs) {
			if (plain_uint(r, &it->first_seen) < 0)
				return -1;
			have_fs = 1;
		} else {
			return -1;
		}
	} while (jscan_take(r, ','));
	return jscan_take(r, '}') && it->domain ? 0 : -1;
}

/* The array of objects, from '[' to ']'. */
static long read_array(struct jscan *r, size_t len, struct obsfast_item **items)
{
	if (!jscan_take(r, '['))
		return -1;
	size_t n = 0, cap = 0;
	struct obsfast_item *v = NULL;
	if (!jscan_take(r, ']')) {
		do {
			if (n == cap) {
				/* about 60 bytes per object: one allocation for most bodies */
				size_t nc = cap ? cap * 2 : len / 48 + 16;
				struct obsfast_item *nv = realloc(v, nc * sizeof *nv);
				if (!nv)
					goto decline;
				v = nv;
				cap = nc;
			}
			if (read_object(r, &v[n]) < 0)
				goto decline;
			n++;
		} while (jscan_take(r, ','));
		if (!jscan_take(r, ']'))
			goto decline;
	}
	*items = v;
	return (long)n;
decline:
	free(v);
	return -1;
}

/* true or false: 1 or 0; -1 for anything else */
static int read_bool(struct jscan *r)
{
	jscan_ws(r);
	size_t left = (size_t)(r->end - r->p);
	if (left >= 4 && memcmp(r->p, "true", 4) == 0) {
		r->p += 4;
		return 1;
	}
	if (left >= 5 && memcmp(r->p, "false", 5) == 0) {
		r->p += 5;
		return 0;
	}
	return -1;
}

/* {"observations": [...], "baseline": true|false}, in either order, "baseline" optional */
static long read_options(struct jscan *r, size_t len, struct obsfast_item **items, int *baseline)
{
	long n = -1;
	int b = -1;
	if (!jscan_take(r, '{'))
		return -1;
	do {
		const char *k;
		size_t kl;
		if (plain_string(r, &k, &kl) < 0 || !jscan_take(r, ':'))
			goto decline;
		if (kl == 12 && memcmp(k, "observations", 12) == 0 && n < 0) {
			if ((n = read_array(r, len, items)) < 0)
				goto decline;
		} else if (kl == 8 && memcmp(k, "baseline", 8) == 0 && b < 0) {
			if ((b = read_bool(r)) < 0)
				goto decline;
		} else {
			goto decline;
		}
	} while (jscan_take(r, ','));
	if (!jscan_take(r, '}') || n < 0)
		goto decline;
	*baseline = b == 1;
	return n;
decline:
	free(*items);
	*items = NULL;
	return -1;
}

long obsfast_read(const char *body, size_t len, struct obsfast_item **items, int *baseline)
{
	*items = NULL;
	*baseline = 0;
	struct jscan r = { body, body + len };
	jscan_ws(&r);
	long n = r.p < r.end && *r.p == '{' ? read_options(&r, len, items, baseline)
		: read_array(&r, len, items);
	if (n < 0)
		return -1;
	jscan_ws(&r);
	if (r.p != r.end) {
		free(*items);
		*items = NULL;
		*baseline = 0;
		return -1;
	}
	return n;
}
