/* stage.c -- see stage.h. One buffer and one array of offsets instead of a row per record
 * in a temporary table: a TLD's AXFR staged in sqlite spent most of its time in B-tree
 * inserts in arrival order, which is not the copy's key order. An owner's records come
 * together in a transfer, so an owner is kept once per group of its records, and the
 * sort moves one offset per group (a TLD's delegation has two or three records). */
#include "zones/stage.h"

#include <stdlib.h>
#include <string.h>

#include "lib/dname.h"
#include "lib/grow.h"
#include "zones/rrtext.h"

enum { OWNER_WHOLE, OWNER_UNDER, OWNER_APEX }; /* a group's kind byte */
#define GROUP_MAX 255 /* records in a group (its count byte); more start another */

/* A record of the owner being read (stage_iter). */
struct stage_rec {
	const uint8_t *rd; /* as kept */
	uint32_t off;      /* where it is in buf: the order received */
	uint32_t ttl;
	uint16_t type, len;
	uint8_t sfx;       /* the zone's name follows rd */
};

void stage_init(struct stage *s)
{
	memset(s, 0, sizeof *s);
}

void stage_clear(struct stage *s)
{
	free(s->buf);
	free(s->ix);
	free(s->dotzone);
	free(s->last);
	stage_init(s);
}

static size_t put_varint(uint8_t *p, uint32_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

static uint32_t get_varint(const uint8_t **p)
{
	uint32_t v = 0;
	for (int sh = 0;; sh += 7) {
		uint8_t b = *(*p)++;
		v |= (uint32_t)(b & 0x7F) << sh;
		if (!(b & 0x80))
			return v;
	}
}

/* The zone's name, kept for shortening owners and rdata. -1 when memory runs out. */
static int set_zone(struct stage *s, const char *zone)
{
	size_t zl = strlen(zone);
	if (!zl)
		return 0;
	if (!(s->dotzone = malloc(zl + 2)))
		return -1;
	s->dotzone[0] = '.';
	memcpy(s->dotzone + 1, zone, zl + 1);
	s->dzlen = zl + 1;
	int wl = dname_text_to_wire(zone, s->zwire);
	s->zwlen = wl > 1 ? (size_t)wl : 0;
	return 0;
}

/* Open a group for owner at the end of buf (room checked by the caller). */
static void open_group(struct stage *s, const char *owner, size_t ol)
{
	uint8_t *p = s->buf + s->len;
	s->ix[s->n++] = (uint32_t)s->len;
	if (s->dotzone && strcmp(owner, s->dotzone + 1) == 0) {
		p[0] = OWNER_APEX;
		ol = 0;
	} else if (s->dotzone && ol > s->dzlen && strcmp(owner + ol - s->dzlen, s->dotzone) == 0) {
		p[0] = OWNER_UNDER;
		ol -= s->dzlen;
	} else {
		p[0] = OWNER_WHOLE;
	}
	memcpy(p + 1, owner, ol);
	p[1 + ol] = 0;
	p[2 + ol] = 0; /* the count */
	s->group = (uint32_t)(s->len + 2 + ol);
	s->len += 3 + ol;
	s->open = 1;
}

int stage_add(struct stage *s, const char *zone, const struct zone_rr *rr)
{
	if (!s->last) {
		if (!(s->last = malloc(RRTEXT_OWNER_MAX)) || (zone && !s->dotzone && set_zone(s, zone) < 0))
			return -1;
		s->last[0] = 0;
		s->ttl0 = rr->ttl;
	}
	size_t ol = strlen(rr->owner);
	if (ol >= RRTEXT_OWNER_MAX || rr->rdlen > 65535)
		return -1;
	int again = s->open && s->buf[s->group] < GROUP_MAX && strcmp(rr->owner, s->last) == 0;
	size_t need = s->len + (again ? 0 : 3 + ol) + 3 + 3 + 4 + rr->rdlen;
	if (need > UINT32_MAX || grow_array(&s->buf, &s->cap, need, 1) < 0 ||
	    grow_array(&s->ix, &s->ixcap, s->n + 1, sizeof *s->ix) < 0)
		return -1;
	if (!again) {
		open_group(s, rr->owner, ol);
		memcpy(s->last, rr->owner, ol + 1);
	}
	size_t len = rr->rdlen;
	int sfx = s->zwlen && len >= s->zwlen &&
		memcmp(rr->rd + len - s->zwlen, s->zwire, s->zwlen) == 0;
	if (sfx)
		len -= s->zwlen;
	int own = rr->ttl != s->ttl0;
	uint8_t *p = s->buf + s->len;
	p += put_varint(p, (uint32_t)rr->type << 2 | (uint32_t)sfx << 1 | (uint32_t)own);
	p += put_varint(p, (uint32_t)len);
	if (own) {
		memcpy(p, &rr->ttl, 4);
		p += 4;
	}
	if (len)
		memcpy(p, rr->rd, len);
	s->len = (size_t)(p - s->buf) + len;
	s->buf[s->group]++;
	s->records++;
	s->sorted = 0;
	return 0;
}

/* Compare the byte strings a1 a2 and b1 b2 (each two pieces): bytes, the shorter first. */
static int cat_cmp(const uint8_t *a1, size_t a1l, const uint8_t *a2, size_t a2l,
	const uint8_t *b1, size_t b1l, const uint8_t *b2, size_t b2l)
{
	size_t al = a1l + a2l, bl = b1l + b2l, n = al < bl ? al : bl;
	for (size_t i = 0; i < n;) {
		const uint8_t *pa = i < a1l ? a1 + i : a2 + (i - a1l);
		const uint8_t *pb = i < b1l ? b1 + i : b2 + (i - b1l);
		size_t k = (i < a1l ? a1l : al) - i, kb = (i < b1l ? b1l : bl) - i;
		if (kb < k)
			k = kb;
		if (n - i < k)
			k = n - i;
		int r = memcmp(pa, pb, k);
		if (r)
			return r;
		i += k;
	}
	return (al > bl) - (al < bl);
}

/* What follows a group's text in its owner's name. */
static const char *owner_tail(const struct stage *s, uint8_t kind)
{
	return kind == OWNER_UNDER ? s->dotzone : kind == OWNER_APEX ? s->dotzone + 1 : "";
}

/* The owners of the groups at a and b, in key order; then the order received. */
static int group_cmp(const struct stage *s, uint32_t a, uint32_t b)
{
	const uint8_t *pa = s->buf + a, *pb = s->buf + b;
	const uint8_t *x = pa + 1, *y = pb + 1;
	/* the names begin with the texts, which decide when they differ before either ends */
	while (*x && *x == *y)
		x++, y++;
	if (*x && *y)
		return *x < *y ? -1 : 1;
	if (!*x && !*y && pa[0] == pb[0]) /* the same text and tail: one owner */
		return (a > b) - (a < b);
	const char *ta = owner_tail(s, pa[0]), *tb = owner_tail(s, pb[0]);
	int r = cat_cmp(pa + 1, strlen((const char *)pa + 1), (const uint8_t *)ta, strlen(ta),
		pb + 1, strlen((const char *)pb + 1), (const uint8_t *)tb, strlen(tb));
	return r ? r : (a > b) - (a < b);
}

/* A merge sort of v[0..n) (tmp holds n): a run already in order costs one comparison. */
static void msort(const struct stage *s, uint32_t *v, uint32_t *tmp, size_t n)
{
	if (n <= 12) {
		for (size_t i = 1; i < n; i++) {
			uint32_t x = v[i];
			size_t j = i;
			for (; j && group_cmp(s, v[j - 1], x) > 0; j--)
				v[j] = v[j - 1];
			v[j] = x;
		}
		return;
	}
	size_t h = n / 2;
	msort(s, v, tmp, h);
	msort(s, v + h, tmp, n - h);
	if (group_cmp(s, v[h - 1], v[h]) < 0)
		return;
	memcpy(tmp, v, h * sizeof *v);
	size_t i = 0, j = h, k = 0;
	while (i < h && j < n)
		v[k++] = group_cmp(s, v[j], tmp[i]) < 0 ? v[j++] : tmp[i++];
	while (i < h)
		v[k++] = tmp[i++];
}

int stage_sort(struct stage *s)
{
	if (s->sorted || s->n < 2) {
		s->sorted = 1;
		return 0;
	}
	uint32_t *tmp = malloc((s->n / 2 + 1) * sizeof *tmp);
	if (!tmp)
		return -1;
	msort(s, s->ix, tmp, s->n);
	free(tmp);
	s->sorted = 1;
	s->open = 0; /* a record added now starts a group of its own */
	return 0;
}

int stage_iter_begin(const struct stage *s, struct stage_iter *it)
{
	memset(it, 0, sizeof *it);
	it->s = s;
	it->rd = malloc(65536 + sizeof s->zwire);
	return it->rd && (s->sorted || s->n < 2) ? 0 : -1;
}

void stage_iter_end(struct stage_iter *it)
{
	free(it->rec);
	free(it->owner);
	free(it->rd);
	memset(it, 0, sizeof *it);
}

/* Two records of an owner in key order; then the order received. */
static int rec_cmp(const void *x, const void *y, void *arg)
{
	const struct stage_rec *a = x, *b = y;
	const struct stage *s = arg;
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	int r = cat_cmp(a->rd, a->len, s->zwire, a->sfx ? s->zwlen : 0, b->rd, b->len, s->zwire,
		b->sfx ? s->zwlen : 0);
	return r ? r : (a->off > b->off) - (a->off < b->off);
}

/* The records of the group at off appended to it->rec. -1 when memory runs out. */
static int take_group(struct stage_iter *it, uint32_t off)
{
	const struct stage *s = it->s;
	const uint8_t *p = s->buf + off + 1;
	p += strlen((const char *)p) + 1;
	unsigned count = *p++;
	if (grow_array(&it->rec, &it->reccap, it->nrec + count, sizeof *it->rec) < 0)
		return -1;
	for (unsigned k = 0; k < count; k++) {
		struct stage_rec *r = &it->rec[it->nrec++];
		r->off = (uint32_t)(p - s->buf);
		uint32_t v = get_varint(&p);
		r->type = (uint16_t)(v >> 2);
		r->sfx = (uint8_t)(v >> 1 & 1);
		r->len = (uint16_t)get_varint(&p);
		r->ttl = s->ttl0;
		if (v & 1) {
			memcpy(&r->ttl, p, 4);
			p += 4;
		}
		r->rd = p;
		p += r->len;
	}
	return 0;
}

/* The next owner's records into it->rec, sorted, each once. 0 at the end, 1, or -1. */
static int next_owner(struct stage_iter *it)
{
	const struct stage *s = it->s;
	it->nrec = it->at = 0;
	if (it->g >= s->n)
		return 0;
	const uint8_t *g = s->buf + s->ix[it->g];
	const char *text = (const char *)g + 1, *tail = owner_tail(s, g[0]);
	size_t tl = strlen(text), ll = strlen(tail);
	if (grow_array(&it->owner, &it->ownercap, tl + ll + 1, 1) < 0)
		return -1;
	memcpy(it->owner, text, tl);
	memcpy(it->owner + tl, tail, ll + 1);
	/* every group of the owner: the same kind and text (they are next to each other) */
	do {
		if (take_group(it, s->ix[it->g++]) < 0)
			return -1;
	} while (it->g < s->n && s->buf[s->ix[it->g]] == g[0] &&
		 strcmp((const char *)s->buf + s->ix[it->g] + 1, text) == 0);
	struct stage_rec *r = it->rec;
	if (it->nrec > 8) {
		qsort_r(r, it->nrec, sizeof *r, rec_cmp, (void *)s);
	} else {
		for (size_t i = 1; i < it->nrec; i++) {
			struct stage_rec x = r[i];
			size_t j = i;
			for (; j && rec_cmp(&r[j - 1], &x, (void *)s) > 0; j--)
				r[j] = r[j - 1];
			r[j] = x;
		}
	}
	size_t w = 1;
	for (size_t i = 1; i < it->nrec; i++) {
		struct stage_rec *a = &r[w - 1], *b = &r[i];
		if (a->type != b->type || cat_cmp(a->rd, a->len, s->zwire, a->sfx ? s->zwlen : 0,
			    b->rd, b->len, s->zwire, b->sfx ? s->zwlen : 0) != 0)
			r[w++] = *b;
	}
	it->nrec = w;
	return 1;
}

int stage_iter_next(struct stage_iter *it, struct zone_rr *out)
{
	if (it->at == it->nrec) {
		int rc = next_owner(it);
		if (rc <= 0)
			return rc;
	}
	const struct stage_rec *r = &it->rec[it->at++];
	out->owner = it->owner;
	out->type = r->type;
	out->ttl = r->ttl;
	out->rdlen = r->len;
	out->rd = r->rd;
	if (r->sfx) {
		memcpy(it->rd, r->rd, r->len);
		memcpy(it->rd + r->len, it->s->zwire, it->s->zwlen);
		out->rd = it->rd;
		out->rdlen += it->s->zwlen;
	}
	return 1;
}

int zone_rr_key_cmp(const struct zone_rr *a, const struct zone_rr *b)
{
	/* bytes, the shorter first: sqlite's BINARY (one text for the records of an owner) */
	int r = a->owner == b->owner ? 0 : strcmp(a->owner, b->owner);
	if (r)
		return r;
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	return cat_cmp(a->rd, a->rdlen, NULL, 0, b->rd, b->rdlen, NULL, 0);
}
