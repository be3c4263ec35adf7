/* versions.c -- zone versions and their contents for AXFR/IXFR out (see versions.h).
 *
 * DESIGN
 * Zone content at version time T is {n : added(n) <= T and T - first_seen(n) < W}, so the
 * difference between any two versions is one pass over the names. first_seen and added
 * both live in the core's index (policy/index.c): the index stamps each name with the time
 * it entered (nindex_set_clock, set by policy/nod.c after the last version made). Names
 * that left the 24 h window go from the index to its history (policy/history.h): packed
 * records in batches ordered by when they left, kept 24 h, because an IXFR from a version
 * up to 24 h old must still list the deletions of names that left the window since. The
 * index's arena is in the order names were added and the history in the order they left,
 * so both are serial-ordered deltas, and a walk for version time T skips the history
 * batches whose names had all left every window by T. The stamps, the versions and the
 * floor are stored (policy/nod.c), so a restart keeps IXFR exact; names stored without a
 * stamp (before the history was kept) count as always there, and the floor is then.
 * A first_seen lowered for a known name (an import of older data) changes older versions'
 * contents, so versions before it are forgotten (clients get AXFR-style answers).
 *
 * Why not a journal of per-zone, per-version diffs: with min-interval 5 s a day holds
 * ~17 000 versions per zone, and every name would be written in it about twenty times (in
 * and out of each of the nine zones, and the DNSBL code changes); condensing them at
 * request time costs more than one pass over the names. The contents are a pure function
 * of (first_seen, added, T), so one record per name -- in the index while it is in a
 * window, in the history for a day after -- is all the history needs.
 */
#include "policy/versions.h"

#include <stdlib.h>
#include <string.h>

#include "policy/window.h"

struct ver {
	uint32_t serial;
	int64_t vtime;
};

struct zhist {
	struct ver *v;
	size_t n, cap;
};

struct versions {
	nindex_t *ix;      /* the core's index (borrowed, set by versions_sync) */
	const allow_t *allow; /* borrowed: entries applying at T leave names out */
	uint64_t lowered;  /* nindex_lowered() at the last sync */
	struct zhist z[VERSIONS_ZONES];
	int64_t floor;     /* versions older than this cannot be diffed exactly */
	int64_t last_purge;
	int synced;
	int floor_set;     /* versions_set_floor() was called */
};

/* ---- lists ---- */

void xfr_list_init(struct xfr_list *l)
{
	memset(l, 0, sizeof *l);
}

void xfr_list_free(struct xfr_list *l)
{
	free(l->buf);
	memset(l, 0, sizeof *l);
}

/* Entry layout: len, code, a_only, first_seen (8 bytes, little endian), rel. */
#define ENT_HDR 11

int xfr_list_add(struct xfr_list *l, const uint8_t *rel, size_t len, int64_t fs, int code,
	int a_only)
{
	if (len > 255)
		return -1;
	if (l->len + ENT_HDR + len > l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 4096;
		while (nc < l->len + ENT_HDR + len)
			nc *= 2;
		uint8_t *nb = realloc(l->buf, nc);
		if (!nb)
			return -1;
		l->buf = nb;
		l->cap = nc;
	}
	uint8_t *p = l->buf + l->len;
	p[0] = (uint8_t)len;
	p[1] = (uint8_t)code;
	p[2] = (uint8_t)(a_only != 0);
	uint64_t u = (uint64_t)fs;
	for (int i = 0; i < 8; i++)
		p[3 + i] = (uint8_t)(u >> (8 * i));
	memcpy(p + ENT_HDR, rel, len);
	l->len += ENT_HDR + len;
	l->count++;
	return 0;
}

int xfr_list_next(const struct xfr_list *l, size_t *pos, struct xfr_entry *e)
{
	if (*pos + ENT_HDR > l->len)
		return 0;
	const uint8_t *p = l->buf + *pos;
	e->len = p[0];
	e->code = p[1];
	e->a_only = p[2];
	uint64_t u = 0;
	for (int i = 0; i < 8; i++)
		u |= (uint64_t)p[3 + i] << (8 * i);
	e->first_seen = (int64_t)u;
	e->rel = p + ENT_HDR;
	*pos += ENT_HDR + e->len;
	return 1;
}

/* ---- versions ---- */

versions_t *versions_new(void)
{
	return calloc(1, sizeof(versions_t));
}

void versions_set_allow(versions_t *v, const allow_t *a)
{
	v->allow = a;
}

void versions_free(versions_t *v)
{
	if (!v)
		return;
	for (int z = 0; z < VERSIONS_ZONES; z++)
		free(v->z[z].v);
	free(v);
}

static int hist_push(struct zhist *h, uint32_t serial, int64_t vtime)
{
	if (h->n && h->v[h->n - 1].serial == serial) {
		h->v[h->n - 1].vtime = vtime;
		return 0;
	}
	if (h->n == h->cap) {
		size_t nc = h->cap ? h->cap * 2 : 64;
		struct ver *nv = realloc(h->v, nc * sizeof *nv);
		if (!nv)
			return -1;
		h->v = nv;
		h->cap = nc;
	}
	h->v[h->n].serial = serial;
	h->v[h->n].vtime = vtime;
	h->n++;
	return 0;
}

static void hist_trim(struct zhist *h, int64_t before)
{
	size_t drop = 0;
	while (drop + 1 < h->n && h->v[drop].vtime < before)
		drop++;
	if (drop) {
		memmove(h->v, h->v + drop, (h->n - drop) * sizeof *h->v);
		h->n -= drop;
	}
}

int versions_sync(versions_t *v, nindex_t *ix, unsigned mask, const uint32_t *serial,
	const int64_t *vtime, int64_t now)
{
	v->ix = ix;
	uint64_t lowered = nindex_lowered(ix);
	if (v->synced && lowered != v->lowered) {
		/* Older versions' contents moved: they can no longer be diffed exactly. The
		 * versions made now (after the move) can; their time may be ahead of now when the
		 * wall clock was stepped back (policy/nod.c). */
		int64_t floor = INT64_MAX;
		for (int z = 0; z < VERSIONS_ZONES; z++)
			if ((mask & (1u << z)) && vtime[z] < floor)
				floor = vtime[z];
		v->floor = floor == INT64_MAX ? now : floor;
	}
	v->lowered = lowered;
	for (int z = 0; z < VERSIONS_ZONES; z++) {
		if (mask & (1u << z)) {
			if (hist_push(&v->z[z], serial[z], vtime[z]) < 0)
				return -1;
		} else if (!v->synced) {
			if (hist_push(&v->z[z], serial[z], vtime[z]) < 0)
				return -1;
		}
	}
	if (!v->synced) {
		/* Without a stored history, what clients hold from before the start cannot be
		 * known: AXFR-style for them. */
		if (!v->floor_set)
			v->floor = now;
		v->synced = 1;
	}
	if (now - v->last_purge >= 60) {
		v->last_purge = now;
		for (int z = 0; z < VERSIONS_ZONES; z++)
			hist_trim(&v->z[z], now - VERSIONS_KEEP_SECS);
	}
	return 0;
}

int versions_add(versions_t *v, int zone, uint32_t serial, int64_t vtime)
{
	if (zone < 0 || zone >= VERSIONS_ZONES)
		return -1;
	return hist_push(&v->z[zone], serial, vtime);
}

void versions_set_floor(versions_t *v, int64_t floor)
{
	if (!v->floor_set || floor > v->floor)
		v->floor = floor;
	v->floor_set = 1;
}

int versions_find(const versions_t *v, int zone, uint32_t serial, int64_t *vtime)
{
	if (zone < 0 || zone >= VERSIONS_ZONES)
		return 0;
	/* A first_seen moved since the last sync: no version can be diffed before the next
	 * one (made at once by policy/nod.c, whose tick syncs here). */
	if (v->synced && v->ix && nindex_lowered(v->ix) != v->lowered)
		return 0;
	const struct zhist *h = &v->z[zone];
	for (size_t i = h->n; i-- > 0;) {
		if (h->v[i].serial != serial)
			continue;
		if (h->v[i].vtime < v->floor)
			return 0;
		*vtime = h->v[i].vtime;
		return 1;
	}
	return 0;
}

size_t versions_names(const versions_t *v)
{
	return v->ix ? nindex_count(v->ix) : 0;
}

static int64_t zone_window(int zone)
{
	return zone < WINDOW_COUNT ? window_secs[zone] : WINDOW_MAX_SECS;
}

/* RFC 5782 section 5: names under "invalid" are never listed in the DNSBL zone. */
static int under_invalid(const uint8_t *rel, size_t len)
{
	size_t i = 0, last = 0;
	while (i < len) {
		last = i;
		i += 1 + (size_t)rel[i];
	}
	return len >= 8 && rel[last] == 7 && memcmp(rel + last + 1, "invalid", 7) == 0;
}

struct walk_ctx {
	const versions_t *v;
	int zone;
	int64_t t1, t2, w;
	struct xfr_list *del, *add;
	int err;
};

static int code_at(int64_t t, int64_t fs)
{
	return window_code(t - fs);
}

static void content_cb(void *ctx, const uint8_t *rel, size_t len, int64_t fs, int64_t added)
{
	struct walk_ctx *c = ctx;
	if (c->t2 - fs >= c->w || added > c->t2 || allow_match_at(c->v->allow, rel, len, c->t2))
		return;
	int dnsbl = c->zone == NOD_ZONE_DNSBL;
	if (dnsbl && under_invalid(rel, len))
		return;
	if (xfr_list_add(c->add, rel, len, fs, dnsbl ? code_at(c->t2, fs) : 0, 0) < 0)
		c->err = 1;
}

/* The allow zone: its owners, each a CNAME rpz-passthru. */
static int allow_cb(void *ctx, const uint8_t *owner, size_t len, int in1, int in2)
{
	struct walk_ctx *c = ctx;
	if (in1 == in2 && c->del)
		return 0;
	struct xfr_list *l = in2 ? c->add : c->del;
	return xfr_list_add(l, owner, len, 0, 0, 0) < 0 ? -1 : 0;
}

int versions_content(const versions_t *v, int zone, int64_t t, struct xfr_list *out)
{
	struct walk_ctx c = { v, zone, 0, t, zone_window(zone), NULL, out, 0 };
	if (zone == NOD_ZONE_ALLOW)
		return allow_zone_walk(v->allow, t, t, allow_cb, &c);
	if (v->ix)
		nindex_foreach_added(v->ix, t - c.w, content_cb, &c);
	return c.err ? -1 : 0;
}

static void diff_cb(void *ctx, const uint8_t *rel, size_t len, int64_t fs, int64_t a)
{
	struct walk_ctx *c = ctx;
	int in1 = a <= c->t1 && c->t1 - fs < c->w;
	int in2 = a <= c->t2 && c->t2 - fs < c->w;
	if (!in1 && !in2)
		return;
	in1 = in1 && !allow_match_at(c->v->allow, rel, len, c->t1);
	in2 = in2 && !allow_match_at(c->v->allow, rel, len, c->t2);
	if (!in1 && !in2)
		return;
	int dnsbl = c->zone == NOD_ZONE_DNSBL;
	if (dnsbl && under_invalid(rel, len))
		return;
	int code1 = dnsbl ? code_at(c->t1, fs) : 0, code2 = dnsbl ? code_at(c->t2, fs) : 0;
	int rc = 0;
	if (in1 && !in2)
		rc = xfr_list_add(c->del, rel, len, fs, code1, 0);
	else if (!in1 && in2)
		rc = xfr_list_add(c->add, rel, len, fs, code2, 0);
	else if (code1 != code2)
		rc = xfr_list_add(c->del, rel, len, fs, code1, 1) |
		     xfr_list_add(c->add, rel, len, fs, code2, 1);
	if (rc < 0)
		c->err = 1;
}

int versions_diff(const versions_t *v, int zone, int64_t t1, int64_t t2, struct xfr_list *del,
	struct xfr_list *add)
{
	struct walk_ctx c = { v, zone, t1, t2, zone_window(zone), del, add, 0 };
	if (zone == NOD_ZONE_ALLOW)
		return allow_zone_walk(v->allow, t1, t2, allow_cb, &c);
	if (v->ix)
		nindex_foreach_added(v->ix, t1 - c.w, diff_cb, &c);
	return c.err ? -1 : 0;
}
