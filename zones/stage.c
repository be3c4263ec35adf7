/* stage.c -- see stage.h. One buffer and one array of offsets instead of a row per record
 * in a temporary table: a TLD's AXFR staged in sqlite spent most of its time in B-tree
 * inserts in arrival order, which is not the copy's key order. An owner's records come
 * together in a transfer, so its text is kept once (a TLD's delegation has two or three
 * records: about an eighth of the stage). */
#include "zones/stage.h"

#include <stdlib.h>
#include <string.h>

#include "lib/grow.h"

#define HEAD 8 /* rdlen, type, ttl */

void stage_init(struct stage *s)
{
	memset(s, 0, sizeof *s);
}

void stage_clear(struct stage *s)
{
	free(s->buf);
	free(s->ix);
	stage_init(s);
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	return grow_array(p, cap, need, elem);
}

int stage_add(struct stage *s, const struct zone_rr *rr)
{
	/* the owner of the record before again: a reference instead of the text */
	int again = s->have_last && strcmp(rr->owner, (const char *)s->buf + s->last + HEAD + 1) == 0;
	size_t ol = again ? 4 : strlen(rr->owner) + 1, need = s->len + HEAD + 1 + ol + rr->rdlen;
	if (need > UINT32_MAX || rr->rdlen > 65535 || grow((void **)&s->buf, &s->cap, need, 1) < 0 ||
	    grow((void **)&s->ix, &s->ixcap, s->n + 1, sizeof *s->ix) < 0)
		return -1;
	uint8_t *p = s->buf + s->len;
	uint16_t rdlen = (uint16_t)rr->rdlen, type = rr->type;
	memcpy(p, &rdlen, 2);
	memcpy(p + 2, &type, 2);
	memcpy(p + 4, &rr->ttl, 4);
	p[HEAD] = (uint8_t)again;
	if (again) {
		memcpy(p + HEAD + 1, &s->last, 4);
	} else {
		memcpy(p + HEAD + 1, rr->owner, ol);
		s->last = (uint32_t)s->len;
		s->have_last = 1;
	}
	if (rr->rdlen)
		memcpy(p + HEAD + 1 + ol, rr->rd, rr->rdlen);
	s->ix[s->n++] = (uint32_t)s->len;
	s->len = need;
	s->sorted = 0;
	return 0;
}

/* The owner text of the record at off. */
static const char *owner_at(const uint8_t *buf, uint32_t off)
{
	const uint8_t *p = buf + off;
	if (!p[HEAD])
		return (const char *)p + HEAD + 1;
	uint32_t at;
	memcpy(&at, p + HEAD + 1, 4);
	return (const char *)buf + at + HEAD + 1;
}

static uint16_t type_at(const uint8_t *buf, uint32_t off)
{
	uint16_t type;
	memcpy(&type, buf + off + 2, 2);
	return type;
}

static void view(const uint8_t *buf, uint32_t off, struct zone_rr *out)
{
	const uint8_t *p = buf + off;
	uint16_t rdlen;
	memcpy(&rdlen, p, 2);
	memcpy(&out->ttl, p + 4, 4);
	out->type = type_at(buf, off);
	out->rdlen = rdlen;
	out->owner = owner_at(buf, off);
	out->rd = p[HEAD] ? p + HEAD + 5 : (const uint8_t *)out->owner + strlen(out->owner) + 1;
}

void stage_get(const struct stage *s, size_t i, struct zone_rr *out)
{
	view(s->buf, s->ix[i], out);
}

static int bytes_cmp(const void *a, size_t al, const void *b, size_t bl)
{
	size_t n = al < bl ? al : bl;
	int r = n ? memcmp(a, b, n) : 0;
	return r ? r : (al > bl) - (al < bl);
}

int zone_rr_key_cmp(const struct zone_rr *a, const struct zone_rr *b)
{
	/* bytes, the shorter first: sqlite's BINARY (one text for the records of an owner) */
	int r = a->owner == b->owner ? 0 : strcmp(a->owner, b->owner);
	if (r)
		return r;
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	return bytes_cmp(a->rd, a->rdlen, b->rd, b->rdlen);
}

/* Key order, then arrival order (the offsets grow with it): a total order, so the first
 * received of equal records comes first whatever the sort. */
static int ix_cmp(const void *x, const void *y, void *arg)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	/* owner and type first: the rdata's place (a strlen) only on a tie */
	const char *oa = owner_at(arg, a), *ob = owner_at(arg, b);
	int r = oa == ob ? 0 : strcmp(oa, ob);
	if (r)
		return r;
	uint16_t ta = type_at(arg, a), tb = type_at(arg, b);
	if (ta != tb)
		return ta < tb ? -1 : 1;
	struct zone_rr ra, rb;
	view(arg, a, &ra);
	view(arg, b, &rb);
	r = zone_rr_key_cmp(&ra, &rb);
	return r ? r : (a > b) - (a < b);
}

int stage_sort(struct stage *s)
{
	if (s->sorted || !s->n)
		return 0;
	qsort_r(s->ix, s->n, sizeof *s->ix, ix_cmp, s->buf);
	size_t w = 1;
	struct zone_rr prev, cur;
	view(s->buf, s->ix[0], &prev);
	for (size_t i = 1; i < s->n; i++) {
		view(s->buf, s->ix[i], &cur);
		if (zone_rr_key_cmp(&prev, &cur) != 0) {
			s->ix[w++] = s->ix[i];
			prev = cur;
		}
	}
	s->n = w;
	s->sorted = 1;
	return 0;
}
