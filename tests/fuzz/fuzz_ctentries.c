/* fuzz_ctentries.c -- libFuzzer target: arbitrary bytes as a get-entries body for the
 * plain-shape reader (ct/entriesfast.h), with and without extra_data decoded. Whenever it
 * accepts a body, ct_entries_parse_json (jansson) must accept it too and give the same
 * entries, leaf_input and extra_data byte for byte; when it declines, it must not have
 * given any entry, and it never stops unless the callback asked. */
#include <stdlib.h>
#include <string.h>

#include "ct/entriesfast.h"

#define MAXE 4096

struct seen {
	size_t n, stop_at;
	uint8_t *leaf[MAXE], *extra[MAXE];
	size_t leaflen[MAXE], extralen[MAXE];
	int have_extra;
};

static uint8_t *dup_bytes(const uint8_t *p, size_t n)
{
	uint8_t *d = malloc(n ? n : 1);
	if (!d)
		abort();
	if (n)
		memcpy(d, p, n);
	return d;
}

static int keep(void *ctx, const uint8_t *leaf, size_t len, const uint8_t *extra, size_t elen)
{
	struct seen *s = ctx;
	if (s->n >= MAXE)
		return 1;
	if (s->have_extra != (extra != NULL))
		abort();
	s->leaf[s->n] = dup_bytes(leaf, len);
	s->leaflen[s->n] = len;
	s->extra[s->n] = extra ? dup_bytes(extra, elen) : NULL;
	s->extralen[s->n] = elen;
	s->n++;
	return s->n == s->stop_at;
}

static void clear(struct seen *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->leaf[i]);
		free(s->extra[i]);
	}
	s->n = 0;
}

static int same(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	return al == bl && (al == 0 || memcmp(a, b, al) == 0);
}

static void check(const char *body, size_t len, int want_extra, struct ct_entries_buf *buf)
{
	static struct seen fast, slow;
	fast.have_extra = want_extra;
	fast.stop_at = 0;
	long n = ct_entries_fast(body, len, want_extra, keep, &fast, buf);
	if (n == CT_ENTRIES_DECLINED) {
		if (fast.n != 0)
			abort();
		return;
	}
	if (n == CT_ENTRIES_STOPPED) {
		if (fast.n != MAXE)
			abort(); /* stopped without being asked */
		clear(&fast);
		return;
	}
	slow.have_extra = 1;
	slow.stop_at = 0;
	struct nodd_err e = { NODD_OK, "" };
	int rc = ct_entries_parse_json(body, len, keep, &slow, &e);
	if (rc < 0 || (size_t)rc != (size_t)n || fast.n != slow.n)
		abort();
	for (size_t i = 0; i < fast.n; i++) {
		if (!same(fast.leaf[i], fast.leaflen[i], slow.leaf[i], slow.leaflen[i]))
			abort();
		if (want_extra && !same(fast.extra[i], fast.extralen[i], slow.extra[i],
			    slow.extralen[i]))
			abort();
	}
	clear(&fast);
	clear(&slow);
	/* stopping at the first entry: one given, then STOPPED */
	if (n > 0) {
		fast.stop_at = 1;
		if (ct_entries_fast(body, len, want_extra, keep, &fast, buf) != CT_ENTRIES_STOPPED ||
		    fast.n != 1)
			abort();
		clear(&fast);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of exactly size bytes, so ASan sees any read past the body */
	char *body = malloc(size ? size : 1);
	if (!body)
		abort();
	if (size)
		memcpy(body, data, size);
	struct ct_entries_buf buf = { 0 };
	check(body, size, 0, &buf);
	check(body, size, 1, &buf);
	ct_entries_buf_free(&buf);
	free(body);
	return 0;
}
