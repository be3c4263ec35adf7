/* test_versions.c -- zone versions for IXFR: applying the condensed diff from every earlier
 * version to that version's content gives the current content exactly, never deleting a
 * name the client lacks nor adding one it has; lowered first_seen forgets old versions. */
#include <stdlib.h>
#include <string.h>

#include "policy/versions.h"
#include "policy/window.h"
#include "tap.h"

/* A zone copy as a client holds it: a set of (name, code) strings. */
#define MAXN 4096
struct copy {
	char *k[MAXN];
	int n;
};

static void key_of(const struct xfr_entry *e, char *buf, size_t n, int with_code)
{
	size_t l = e->len < n - 8 ? e->len : n - 8;
	memcpy(buf, e->rel, l);
	if (with_code)
		buf[l++] = (char)('0' + e->code);
	buf[l] = '\0';
	for (size_t i = 0; i < l; i++)
		if (buf[i] < 32)
			buf[i] = '.';
}

static int copy_find(const struct copy *c, const char *k)
{
	for (int i = 0; i < c->n; i++)
		if (strcmp(c->k[i], k) == 0)
			return i;
	return -1;
}

static void copy_free(struct copy *c)
{
	for (int i = 0; i < c->n; i++)
		free(c->k[i]);
	c->n = 0;
}

static void copy_from(struct copy *c, const struct xfr_list *l, int with_code)
{
	size_t pos = 0;
	struct xfr_entry e;
	char k[300];
	while (xfr_list_next(l, &pos, &e)) {
		key_of(&e, k, sizeof k, with_code);
		c->k[c->n++] = strdup(k);
	}
}

/* Apply del then add; returns the number of exactness violations. */
static int copy_apply(struct copy *c, const struct xfr_list *del, const struct xfr_list *add,
	int with_code)
{
	int bad = 0;
	size_t pos = 0;
	struct xfr_entry e;
	char k[300];
	while (xfr_list_next(del, &pos, &e)) {
		key_of(&e, k, sizeof k, with_code);
		int i = copy_find(c, k);
		if (i < 0) {
			bad++; /* "del not exact": BIND would fail the IXFR */
			continue;
		}
		free(c->k[i]);
		c->k[i] = c->k[--c->n];
	}
	pos = 0;
	while (xfr_list_next(add, &pos, &e)) {
		key_of(&e, k, sizeof k, with_code);
		if (copy_find(c, k) >= 0) {
			bad++;
			continue;
		}
		c->k[c->n++] = strdup(k);
	}
	return bad;
}

static int copy_equal(const struct copy *a, const struct copy *b)
{
	if (a->n != b->n)
		return 0;
	for (int i = 0; i < a->n; i++)
		if (copy_find(b, a->k[i]) < 0)
			return 0;
	return 1;
}

static void put(nindex_t *ix, const char *name, int64_t fs)
{
	uint8_t w[256];
	size_t l = 0;
	const char *p = name;
	while (*p) {
		const char *d = strchr(p, '.');
		size_t n = d ? (size_t)(d - p) : strlen(p);
		w[l++] = (uint8_t)n;
		memcpy(w + l, p, n);
		l += n;
		p += n + (d ? 1 : 0);
	}
	nindex_put(ix, w, l, fs, NULL);
}

static int bytes_equal(const struct xfr_list *a, const struct xfr_list *b)
{
	return a->count == b->count && a->len == b->len &&
		(a->len == 0 || memcmp(a->buf, b->buf, a->len) == 0);
}

/* The same records (name, DNSBL code, A-only flag, first_seen), in any order. */
static int lists_equal(const struct xfr_list *a, const struct xfr_list *b)
{
	if (a->count != b->count || a->len != b->len)
		return 0;
	size_t pa = 0;
	struct xfr_entry x, y;
	while (xfr_list_next(a, &pa, &x)) {
		size_t pb = 0;
		int found = 0;
		while (!found && xfr_list_next(b, &pb, &y))
			found = x.len == y.len && x.code == y.code && x.a_only == y.a_only &&
				x.first_seen == y.first_seen && memcmp(x.rel, y.rel, x.len) == 0;
		if (!found)
			return 0;
	}
	return 1;
}

/* Over two days of versions every 20 minutes, names arriving at every version (some with
 * old first_seen values), an index whose purge moves names out of the 24 h window into
 * its history gives, for every zone and every version still diffable, the same records in
 * the content and in the IXFR diff as an index that keeps every name 48 h (the order
 * is the same too when names came in first_seen order); a version older than
 * the history is not diffable (the client gets an AXFR-style answer). */
static void history_matches_full_index(int in_order)
{
	const int64_t T0 = 1760000000, DAY = 86400;
	nindex_t *full = nindex_new(), *ix = nindex_new();
	versions_t *vf = versions_new(), *vh = versions_new();
	ok(full && ix && vf && vh && nindex_keep_history(ix, DAY) == 0, "two indexes");
	uint32_t serial[NOD_ZONE_COUNT];
	int64_t vtime[NOD_ZONE_COUNT], times[200];
	int nt = 0, k = 0, bad_sync = 0;
	char name[64];
	for (int64_t t = T0; t <= T0 + 2 * DAY + 3600; t += 1200) {
		nindex_set_clock(full, t);
		nindex_set_clock(ix, t);
		for (int j = 0; j < 6; j++, k++) {
			snprintf(name, sizeof name, "h%d.x%d.se", k, k % 7);
			static const int64_t back[6] = { 1000, 200, 0, 0, 0, 0 };
			int64_t fs = in_order ? t - back[j]
				: t - (k % 6 == 0 ? 80000 : k % 6 == 1 ? 200 : k % 6 == 2 ? 4000 : 0);
			put(full, name, fs);
			put(ix, name, fs);
		}
		for (int z = 0; z < NOD_ZONE_COUNT; z++) {
			serial[z] = (uint32_t)t;
			vtime[z] = t;
		}
		bad_sync += versions_sync(vf, full, 0xff, serial, vtime, t) < 0;
		bad_sync += versions_sync(vh, ix, 0xff, serial, vtime, t) < 0;
		nindex_purge(full, t - 2 * DAY - 120);
		nindex_purge(ix, t - DAY - 120);
		times[nt++] = t;
	}
	is_int(bad_sync, 0, "%d versions made", nt);
	ok(nindex_history_count(ix) > 0 && nindex_count(ix) < nindex_count(full),
		"names left the index for its history");
	int64_t last = times[nt - 1];
	int diffable = 0, same = 0, tried = 0, too_old = 0, as_axfr = 0;
	for (int z = 0; z <= NOD_ZONE_DNSBL; z++) {
		for (int i = 0; i < nt - 1; i++) {
			int64_t vt;
			int found = versions_find(vh, z, (uint32_t)times[i], &vt);
			if (last - times[i] > VERSIONS_KEEP_SECS + 1200) {
				too_old += !found;
				continue;
			}
			if (!found)
				continue;
			diffable++;
			struct xfr_list d1, a1, d2, a2, c1, c2;
			xfr_list_init(&d1);
			xfr_list_init(&a1);
			xfr_list_init(&d2);
			xfr_list_init(&a2);
			xfr_list_init(&c1);
			xfr_list_init(&c2);
			versions_diff(vf, z, vt, last, &d1, &a1);
			versions_diff(vh, z, vt, last, &d2, &a2);
			versions_content(vf, z, vt, &c1);
			versions_content(vh, z, vt, &c2);
			tried++;
			/* IXFR from the version applied to its AXFR content = the current AXFR */
			struct xfr_list cur;
			xfr_list_init(&cur);
			versions_content(vh, z, last, &cur);
			struct copy have = { { 0 }, 0 }, want = { { 0 }, 0 };
			copy_from(&have, &c2, z == NOD_ZONE_DNSBL);
			copy_from(&want, &cur, z == NOD_ZONE_DNSBL);
			as_axfr += copy_apply(&have, &d2, &a2, z == NOD_ZONE_DNSBL) == 0 &&
				copy_equal(&have, &want);
			copy_free(&have);
			copy_free(&want);
			xfr_list_free(&cur);
			same += in_order ? bytes_equal(&d1, &d2) && bytes_equal(&a1, &a2) &&
				bytes_equal(&c1, &c2)
				: lists_equal(&d1, &d2) && lists_equal(&a1, &a2) && lists_equal(&c1, &c2);
			xfr_list_free(&d1);
			xfr_list_free(&a1);
			xfr_list_free(&d2);
			xfr_list_free(&a2);
			xfr_list_free(&c1);
			xfr_list_free(&c2);
		}
	}
	ok(diffable > 8 * 60, "every version of the last day is diffable (%d)", diffable);
	is_int(same, tried, "content and diff from each: the same %s as with every name kept",
		in_order ? "bytes (names came in first_seen order)" : "records");
	is_int(as_axfr, tried, "IXFR from each version, applied to it, gives the current AXFR");
	ok(too_old > 8 * 30, "versions older than the history are not diffable (%d)", too_old);
	versions_free(vf);
	versions_free(vh);
	nindex_free(full);
	nindex_free(ix);
}

int main(void)
{
	history_matches_full_index(1);
	history_matches_full_index(0);
	const int64_t T0 = 1760000000;
	nindex_t *ix = nindex_new();
	versions_t *v = versions_new();
	ok(ix && v, "created");

	/* Names at start (loaded): some near the 5m edge, some older. */
	put(ix, "start-a.se", T0 - 290);
	put(ix, "start-b.se", T0 - 3000);
	put(ix, "start-c.se", T0 - 86390);
	uint32_t serial[NOD_ZONE_COUNT];
	int64_t vtime[NOD_ZONE_COUNT];
	for (int z = 0; z < NOD_ZONE_COUNT; z++) {
		serial[z] = (uint32_t)T0;
		vtime[z] = T0;
	}
	ok(versions_sync(v, ix, 0, serial, vtime, T0) == 0, "first sync");
	int64_t t1;
	ok(!versions_find(v, 0, (uint32_t)T0 - 1, &t1), "unknown serial is not found");

	/* Versions every 7 s for 12 minutes, with names arriving at various first_seen values
	 * (including old ones imported late) and ageing across edges. */
	int64_t times[200];
	int nt = 0;
	char name[64];
	int k = 0;
	for (int64_t t = T0 + 7; t <= T0 + 720; t += 7) {
		nindex_set_clock(ix, t); /* as nod does: names committed before the version at t */
		for (int j = 0; j < 3; j++) {
			snprintf(name, sizeof name, "n%d.example.se", k);
			int64_t fs = t - (k % 5 == 0 ? 295 : k % 5 == 1 ? 598 : k % 5 == 2 ? 0 : k % 5 == 3 ? 3590 : 86395);
			put(ix, name, fs);
			k++;
		}
		for (int z = 0; z < NOD_ZONE_COUNT; z++) {
			serial[z] = (uint32_t)t;
			vtime[z] = t;
		}
		ok(versions_sync(v, ix, 0xff, serial, vtime, t) == 0, "sync at +%lld", (long long)(t - T0));
		times[nt++] = t;
	}

	/* From every version to the last one, for every zone: diff applied to that version's
	 * content equals the last content, with no inexact operation. */
	int64_t last = times[nt - 1];
	int all_exact = 1, all_equal = 1, any_del = 0, any_add = 0, code_changes = 0;
	for (int z = 0; z <= NOD_ZONE_DNSBL; z++) {
		int with_code = z == NOD_ZONE_DNSBL;
		struct xfr_list cur;
		xfr_list_init(&cur);
		versions_content(v, z, last, &cur);
		struct copy want = { { 0 }, 0 };
		copy_from(&want, &cur, with_code);
		for (int i = 0; i < nt - 1; i++) {
			int64_t vt;
			if (!versions_find(v, z, (uint32_t)times[i], &vt) || vt != times[i]) {
				all_equal = 0;
				continue;
			}
			struct xfr_list old, del, add;
			xfr_list_init(&old);
			xfr_list_init(&del);
			xfr_list_init(&add);
			versions_content(v, z, vt, &old);
			struct copy c = { { 0 }, 0 };
			copy_from(&c, &old, with_code);
			versions_diff(v, z, vt, last, &del, &add);
			any_del |= del.count > 0;
			any_add |= add.count > 0;
			if (with_code) {
				size_t p = 0;
				struct xfr_entry e;
				while (xfr_list_next(&del, &p, &e))
					code_changes += e.a_only;
			}
			if (copy_apply(&c, &del, &add, with_code))
				all_exact = 0;
			if (!copy_equal(&c, &want))
				all_equal = 0;
			copy_free(&c);
			xfr_list_free(&old);
			xfr_list_free(&del);
			xfr_list_free(&add);
		}
		copy_free(&want);
		xfr_list_free(&cur);
	}
	ok(all_exact, "every diff is exact (no delete of an absent name, no re-add)");
	ok(all_equal, "every old version + diff = the current version, in all 8 zones");
	ok(any_del && any_add, "diffs hold both deletions (ageing) and additions");
	ok(code_changes > 0, "DNSBL code changes appear as A-only delete/add pairs");

	/* Content rule: a name put in the index after the last sync is not in the current
	 * version (it has no "added" yet), and start names count as always added. */
	nindex_set_clock(ix, last + 1); /* nod stamps names after the last version made */
	put(ix, "late.se", last - 1);
	struct xfr_list c5;
	xfr_list_init(&c5);
	versions_content(v, 6, last, &c5);
	size_t p = 0;
	struct xfr_entry e;
	int saw_late = 0, saw_start = 0;
	while (xfr_list_next(&c5, &p, &e)) {
		saw_late |= e.len == 8 && memcmp(e.rel, "\004late\002se", 8) == 0;
		saw_start |= e.len == 11 && memcmp(e.rel, "\007start-b\002se", 11) == 0;
	}
	ok(!saw_late, "a name committed after the last version is not in it");
	ok(saw_start, "names loaded at start are in the 24h zone");
	xfr_list_free(&c5);

	/* A restart with the stored history: the versions loaded back are diffable from the
	 * floor on, and the diff from them is the same as before the restart. */
	{
		versions_t *r = versions_new();
		int64_t floor = times[10];
		int added_all = 1;
		for (int i = 0; i < nt; i++)
			for (int z = 0; z < 8; z++)
				added_all &= versions_add(r, z, (uint32_t)times[i], times[i]) == 0;
		ok(added_all, "stored versions added back");
		versions_set_floor(r, floor);
		ok(versions_sync(r, ix, 0, serial, vtime, last + 3) == 0, "first sync after restart");
		int64_t vt = 0;
		ok(versions_find(r, 7, (uint32_t)times[20], &vt) && vt == times[20],
			"a version from before the restart is found");
		ok(!versions_find(r, 7, (uint32_t)times[5], &vt), "a version older than the floor is not");
		struct xfr_list d1, a1, d2, a2;
		xfr_list_init(&d1);
		xfr_list_init(&a1);
		xfr_list_init(&d2);
		xfr_list_init(&a2);
		versions_diff(v, 7, times[20], last, &d1, &a1);
		versions_diff(r, 7, times[20], last, &d2, &a2);
		ok(d1.len == d2.len && a1.len == a2.len && (a1.len + d1.len) > 0 &&
			memcmp(d1.buf, d2.buf, d1.len) == 0 && memcmp(a1.buf, a2.buf, a1.len) == 0,
			"the diff after the restart equals the one before");
		xfr_list_free(&d1);
		xfr_list_free(&a1);
		xfr_list_free(&d2);
		xfr_list_free(&a2);
		ok(versions_add(r, NOD_ZONE_COUNT, 1, 1) < 0, "a bad zone is refused");
		versions_free(r);
	}

	/* A lowered first_seen forgets the versions before it. */
	ok(versions_find(v, 0, (uint32_t)times[0], &t1), "old version known before");
	put(ix, "n1.example.se", T0 - 50000);
	ok(!versions_find(v, 0, (uint32_t)times[nt - 1], &t1),
		"after a first_seen moved, not even the current version is diffable until the sync");
	for (int z = 0; z < NOD_ZONE_COUNT; z++) {
		serial[z] = (uint32_t)(last + 7);
		vtime[z] = last + 7;
	}
	versions_sync(v, ix, 0xff, serial, vtime, last + 7);
	ok(!versions_find(v, 0, (uint32_t)times[0], &t1), "forgotten after a first_seen moved");
	ok(versions_find(v, 0, (uint32_t)(last + 7), &t1) && t1 == last + 7, "the new version is known");
	ok(!versions_find(v, 0, (uint32_t)T0, &t1), "versions from before the start are not diffable");

	versions_free(v);
	nindex_free(ix);
	return tap_done();
}
