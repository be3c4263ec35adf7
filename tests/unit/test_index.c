/* test_index.c -- the in-memory index: put/get, earliest time, ancestors, purge, counts,
 * growth of the table, the bulk load, the time range, ageing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/dname.h"
#include "policy/index.h"
#include "tests/unit/tap.h"

static size_t rel(const char *text, uint8_t *w)
{
	int l = dname_text_to_wire(text, w);
	return (size_t)l - 1;
}

static void count_cb(void *ctx, const uint8_t *r, size_t len, int64_t fs)
{
	(void)r; (void)len; (void)fs;
	(*(size_t *)ctx)++;
}

/* The outcome of nindex_put (set = 0) or nindex_set (set = 1), or -1 when it failed. */
static int put_outcome(nindex_t *ix, const uint8_t *w, size_t l, int64_t fs, int set)
{
	enum nindex_outcome o;
	return (set ? nindex_set : nindex_put)(ix, w, l, fs, &o) == 0 ? (int)o : -1;
}

/* Names that share a hash fragment cannot be made on purpose (the hash is seeded), so
 * collisions are exercised by volume: 300k names in a table that grows from 16 slots
 * probe past many occupied slots and wrap around the end of the slot array. */
static void growth_and_collisions(void)
{
	nindex_t *ix = nindex_new();
	uint8_t w[DNAME_MAX_WIRE];
	char buf[64];
	int64_t fs;
	int bad = 0;
	for (int i = 0; i < 300000; i++) {
		snprintf(buf, sizeof buf, "g%x.%s", (unsigned)i * 2654435761u, i % 2 ? "se" : "nu");
		size_t l = rel(buf, w);
		if (nindex_put(ix, w, l, 1700000000 + i, NULL) != 0)
			bad++;
	}
	is_int(bad, 0, "300k puts");
	is_int(nindex_count(ix), 300000, "every name counted once through the growth");
	bad = 0;
	for (int i = 0; i < 300000; i++) {
		snprintf(buf, sizeof buf, "g%x.%s", (unsigned)i * 2654435761u, i % 2 ? "se" : "nu");
		size_t l = rel(buf, w);
		if (!nindex_get(ix, w, l, &fs) || fs != 1700000000 + i)
			bad++;
		snprintf(buf, sizeof buf, "g%x.%s", (unsigned)i * 2654435761u, i % 2 ? "nu" : "se");
		l = rel(buf, w);
		int64_t other = 0;
		/* the same label under the other TLD: absent unless it is another i's name */
		if (nindex_get(ix, w, l, &other) && (other - 1700000000) % 2 == i % 2)
			bad++;
	}
	is_int(bad, 0, "every name found with its own time, none under the other TLD");
	/* memory: a constant per name plus the name (about 26 bytes + the name at most load) */
	size_t per = nindex_memory(ix) / 300000;
	ok(per < 60, "bytes per name %zu < 60 (names of 13-15 octets)", per);
	nindex_free(ix);
}

/* Excluded names (the allow-list's) make no ancestor: on put, in a bulk load, through a
 * purge rebuild, and after nindex_ancestors_rebuild when the exclusion changes. */
static const char *excluded_suffix; /* names ending so are excluded; NULL: none */

static int exclude_cb(void *ctx, const uint8_t *name, size_t len)
{
	(void)ctx;
	uint8_t w[DNAME_MAX_WIRE];
	if (!excluded_suffix)
		return 0;
	size_t l = rel(excluded_suffix, w);
	return len >= l && memcmp(name + len - l, w, l) == 0;
}

static int has_anc(nindex_t *ix, const char *name)
{
	uint8_t w[DNAME_MAX_WIRE];
	size_t l = rel(name, w);
	return nindex_ancestor(ix, w, l, NULL);
}

static void excluded_names(void)
{
	uint8_t w[DNAME_MAX_WIRE];
	for (int bulk = 0; bulk < 2; bulk++) {
		excluded_suffix = "x.a.se";
		nindex_t *ix = nindex_new();
		nindex_set_exclude(ix, exclude_cb, NULL);
		if (bulk)
			nindex_bulk_begin(ix);
		nindex_put(ix, w, rel("www.x.a.se", w), 1000, NULL);
		nindex_put(ix, w, rel("y.b.se", w), 1000, NULL);
		nindex_put(ix, w, rel("old.c.se", w), 500, NULL);
		if (bulk)
			nindex_bulk_end(ix);
		const char *how = bulk ? "bulk" : "put";
		ok(nindex_get(ix, w, rel("www.x.a.se", w), NULL), "%s: an excluded name is held", how);
		ok(!has_anc(ix, "x.a.se") && !has_anc(ix, "a.se"),
		   "%s: the parents only an excluded name has do not exist", how);
		ok(has_anc(ix, "b.se") && has_anc(ix, "se"), "%s: the others' parents do", how);
		excluded_suffix = NULL;
		is_int(nindex_ancestors_rebuild(ix), 0, "%s: rebuild with nothing excluded", how);
		ok(has_anc(ix, "x.a.se") && has_anc(ix, "a.se"), "%s: the parents are back", how);
		excluded_suffix = "b.se";
		is_int(nindex_ancestors_rebuild(ix), 0, "%s: rebuild with b.se excluded", how);
		ok(!has_anc(ix, "b.se") && has_anc(ix, "a.se") && has_anc(ix, "se"),
		   "%s: the parents follow the exclusion", how);
		/* a purge of more than half the names rebuilds the tables */
		is_int(nindex_purge(ix, 999), 1, "%s: purge of the oldest", how);
		nindex_put(ix, w, rel("z.b.se", w), 2000, NULL);
		is_int(nindex_purge(ix, 1500), 2, "%s: purge rebuilding the tables", how);
		ok(!has_anc(ix, "b.se") && !has_anc(ix, "a.se") && !has_anc(ix, "se"),
		   "%s: after the rebuild the excluded name still makes no parent", how);
		nindex_free(ix);
	}
	excluded_suffix = NULL;
}

/* The start-up load: appended unchecked, found only after nindex_bulk_end, a name given
 * twice kept once with its earlier time, and inserts after the load go on as usual. */
static void bulk_load(void)
{
	nindex_t *ix = nindex_new();
	uint8_t w[DNAME_MAX_WIRE];
	char buf[64];
	int64_t fs, added;
	nindex_bulk_begin(ix);
	for (int i = 0; i < 5000; i++) {
		snprintf(buf, sizeof buf, "b%d.x.se", i);
		size_t l = rel(buf, w);
		nindex_set_clock(ix, i % 2 ? INT64_MIN : 1700000000 + i);
		nindex_put(ix, w, l, 1700000000 + i, NULL);
	}
	size_t l = rel("b7.x.se", w);
	nindex_put(ix, w, l, 1600000000, NULL); /* again, earlier */
	l = rel("b8.x.se", w);
	nindex_put(ix, w, l, 1800000000, NULL); /* again, later */
	ok(!nindex_get(ix, w, l, NULL), "not found before the load ends");
	is_int(nindex_bulk_end(ix), 0, "bulk end");
	is_int(nindex_count(ix), 5000, "a name loaded twice counts once");
	l = rel("b7.x.se", w);
	ok(nindex_get(ix, w, l, &fs) && fs == 1600000000, "the earlier of two loaded times");
	l = rel("b8.x.se", w);
	ok(nindex_get(ix, w, l, &fs) && fs == 1700000008, "a later time loaded again is ignored");
	ok(nindex_get_added(ix, w, l, &added) && added == 1700000008, "added stamp loaded");
	l = rel("b9.x.se", w);
	ok(nindex_get_added(ix, w, l, &added) && added == INT64_MIN, "\"always there\" loaded");
	ok(nindex_ancestor(ix, (const uint8_t *)"\001x\002se", 5, &fs) && fs == 1700004999,
		"ancestors built at the end of the load");
	is_int(nindex_count_since(ix, 1700000000 + 4989), 10, "counts after the load");
	size_t n = 0;
	nindex_foreach(ix, count_cb, &n);
	is_int(n, 5000, "foreach skips the duplicate");
	l = rel("after.se", w);
	enum nindex_outcome o;
	ok(nindex_put(ix, w, l, 1700009999, &o) == 0 && o == NINDEX_ADDED, "put after the load");
	l = rel("b3.x.se", w);
	ok(nindex_put(ix, w, l, 1700000003, &o) == 0 && o == NINDEX_KNOWN, "a loaded name is known");
	nindex_free(ix);

	/* a load of one name leaves arrays sized for one: the next puts grow them */
	ix = nindex_new();
	nindex_bulk_begin(ix);
	l = rel("one.se", w);
	nindex_put(ix, w, l, 1700000000, NULL);
	is_int(nindex_bulk_end(ix), 0, "bulk end of one name");
	int bad = 0;
	for (int i = 0; i < 3000; i++) {
		snprintf(buf, sizeof buf, "more%d.se", i);
		l = rel(buf, w);
		bad += nindex_put(ix, w, l, 1700000001 + i, NULL) != 0;
	}
	is_int(bad, 0, "puts after a load of one name");
	is_int(nindex_count_since(ix, 1700000000), 3000, "their times counted");
	is_int(nindex_purge(ix, 1700002999), 3000, "purge leaves one name");
	for (int i = 0; i < 3000; i++) {
		snprintf(buf, sizeof buf, "again%d.se", i);
		l = rel(buf, w);
		bad += nindex_put(ix, w, l, 1700010000 + i, NULL) != 0;
	}
	is_int(bad, 0, "puts after a purge that left one name");
	is_int(nindex_count(ix), 3001, "all counted");
	nindex_free(ix);
}

/* Times outside 1952-2088 read back as the end of the range; order is kept. */
static void time_range(void)
{
	nindex_t *ix = nindex_new();
	uint8_t w[DNAME_MAX_WIRE];
	int64_t fs;
	size_t l = rel("old.se", w);
	nindex_put(ix, w, l, -5000000000LL, NULL);
	ok(nindex_get(ix, w, l, &fs) && fs < -500000000LL && fs > -600000000LL,
		"a time before 1952 reads back as 1952");
	l = rel("far.se", w);
	nindex_put(ix, w, l, INT64_MAX, NULL);
	ok(nindex_get(ix, w, l, &fs) && fs > 3700000000LL && fs < 3800000000LL,
		"a time after 2088 reads back as 2088");
	l = rel("now.se", w);
	nindex_put(ix, w, l, 1764000000, NULL);
	ok(nindex_get(ix, w, l, &fs) && fs == 1764000000, "a time of today exact");
	is_int(nindex_count_since(ix, INT64_MIN), 3, "count since the beginning of time");
	is_int(nindex_count_since(ix, 1763999999), 2, "count since a second ago");
	is_int(nindex_count_since(ix, 1764000000), 1, "count since now");
	is_int(nindex_count_since(ix, INT64_MAX), 0, "count since the end of time");
	is_int(nindex_purge(ix, 1763999999), 1, "purge up to a second ago");
	ok(nindex_get(ix, w, l, NULL), "the name of now stays");
	nindex_free(ix);
}

/* Names leave by ageing: purge after purge, the survivors stay found and the rest gone,
 * while names keep arriving. */
static void ageing(void)
{
	nindex_t *ix = nindex_new();
	uint8_t w[DNAME_MAX_WIRE];
	char buf[64];
	int bad = 0;
	for (int round = 0; round < 6; round++) {
		for (int i = 0; i < 20000; i++) {
			snprintf(buf, sizeof buf, "a%d-%d.ch", round, i);
			size_t l = rel(buf, w);
			nindex_put(ix, w, l, 1700000000 + round * 100000 + i, NULL);
		}
		if (round >= 2 && nindex_purge(ix, 1700000000 + (round - 1) * 100000 - 1) != 20000)
			bad++;
	}
	is_int(bad, 0, "each purge removes one round of names");
	is_int(nindex_count(ix), 40000, "two rounds left");
	for (int round = 0; round < 6; round++)
		for (int i = 0; i < 20000; i += 97) {
			snprintf(buf, sizeof buf, "a%d-%d.ch", round, i);
			size_t l = rel(buf, w);
			if (nindex_get(ix, w, l, NULL) != (round >= 4))
				bad++;
		}
	is_int(bad, 0, "the aged names gone, the young ones found");
	nindex_free(ix);
}

struct seen {
	int64_t since;
	size_t live, hist, bad;
};

static void added_cb(void *ctx, const uint8_t *r, size_t len, int64_t fs, int64_t added)
{
	struct seen *s = ctx;
	(void)r; (void)len;
	if (added != fs)
		s->bad++;
	if (fs > s->since)
		s->live++;
	else
		s->hist++;
}

/* Purges that remove names one by one: names out of first_seen order (late imports of old
 * times, times reset to newer), deep names sharing ancestors; after every purge each
 * name is present exactly when its time is newer than the purge's, an ancestor exactly when
 * a present name is below it (with the newest time below it), and every name removed is in
 * the history until the history forgets its purge. */
static void purge_one_by_one(void)
{
	enum { N = 30000 };
	static int64_t truth[N];
	nindex_t *ix = nindex_new();
	ok(nindex_keep_history(ix, 5000) == 0, "history kept");
	uint8_t w[DNAME_MAX_WIRE];
	char buf[64];
	srand(7);
	for (int i = 0; i < N; i++) {
		/* mostly in order; every 50th an old time imported late */
		truth[i] = i % 50 == 0 ? 100000 + i - rand() % 20000 : 100000 + i;
		snprintf(buf, sizeof buf, "n%d.g%d.se", i, i % 300);
		size_t l = rel(buf, w);
		nindex_set_clock(ix, truth[i]);
		nindex_put(ix, w, l, truth[i], NULL);
	}
	int bad = 0, anc_bad = 0;
	size_t removed = 0;
	for (int step = 1; step <= 12; step++) {
		int64_t before = 100000 + step * 2000;
		if (step == 6) {
			/* a reset to a newer time: the name survives among the removed ones */
			for (int i = 1; i < 200; i += 7) {
				snprintf(buf, sizeof buf, "n%d.g%d.se", i, i % 300);
				size_t l = rel(buf, w);
				nindex_set_clock(ix, 200000 + i);
				nindex_set(ix, w, l, 200000 + i, NULL);
				truth[i] = 200000 + i;
				removed--; /* removed at the first purge, back now */
			}
		}
		long r = nindex_purge(ix, before);
		size_t want = 0, left = 0;
		int64_t newest[300];
		for (int g = 0; g < 300; g++)
			newest[g] = 0;
		for (int i = 0; i < N; i++) {
			if (truth[i] > before) {
				left++;
				if (truth[i] > newest[i % 300])
					newest[i % 300] = truth[i];
			}
			snprintf(buf, sizeof buf, "n%d.g%d.se", i, i % 300);
			size_t l = rel(buf, w);
			int64_t fs = 0;
			if (nindex_get(ix, w, l, &fs) != (truth[i] > before) ||
			    (truth[i] > before && fs != truth[i])) {
				if (bad++ < 3)
					printf("# step %d: %s (%lld) wrong\n", step, buf, (long long)truth[i]);
			}
		}
		want = (size_t)(N - (long)left) - removed;
		if (r < 0 || (size_t)r != want) {
			printf("# step %d: %ld removed, want %zu\n", step, r, want);
			bad++;
		}
		removed += (size_t)(r > 0 ? r : 0);
		for (int g = 0; g < 300; g++) {
			snprintf(buf, sizeof buf, "g%d.se", g);
			size_t l = rel(buf, w);
			int64_t nw = 0;
			int has = nindex_ancestor(ix, w, l, &nw);
			/* a reset's ancestors are rebuilt by the purge that follows it (stale) */
			if (has != (newest[g] > 0) || (has && nw != newest[g]))
				anc_bad++;
		}
		if (nindex_count(ix) != left) {
			printf("# step %d: count %zu, want %zu\n", step, nindex_count(ix), left);
			bad++;
		}
	}
	is_int(bad, 0, "names present exactly when newer than the purge, with their times");
	is_int(anc_bad, 0, "ancestors present exactly over present names, newest time below");
	struct seen s = { 100000 + 12 * 2000, 0, 0, 0 };
	nindex_foreach_added(ix, INT64_MIN, added_cb, &s);
	is_int((long long)s.live, (long long)nindex_count(ix), "the walk sees every name held");
	ok(s.hist == nindex_history_count(ix) && s.hist > 0 && s.bad == 0,
		"the walk sees every name of the history, with its added stamp");
	struct seen late = { 100000 + 12 * 2000, 0, 0, 0 };
	nindex_foreach_added(ix, 100000 + 12 * 2000 - 1, added_cb, &late);
	ok(late.hist < s.hist, "a walk from a later time skips the older history batches");
	ok(nindex_history_memory(ix) > 0 && nindex_history_memory(ix) < nindex_memory(ix),
		"history memory counted in the index's");
	nindex_free(ix);
}

int main(void)
{
	growth_and_collisions();
	purge_one_by_one();
	excluded_names();
	bulk_load();
	time_range();
	ageing();

	nindex_t *ix = nindex_new();
	uint8_t w[DNAME_MAX_WIRE];
	int64_t fs;
	size_t l = rel("x.se", w);
	is_int(put_outcome(ix, w, l, 1000, 0), NINDEX_ADDED, "new name");
	is_int(put_outcome(ix, w, l, 2000, 0), NINDEX_KNOWN, "known name");
	ok(nindex_get(ix, w, l, &fs) && fs == 1000, "later time does not replace the earlier");
	is_int(put_outcome(ix, w, l, 900, 0), NINDEX_KNOWN, "earlier time");
	ok(nindex_get(ix, w, l, &fs) && fs == 900, "earlier time kept");
	is_int(put_outcome(ix, w, 0, 1, 0), -1, "empty name refused");
	is_int(put_outcome(ix, (const uint8_t *)"\005ab", 3, 1, 0), -1, "bad label length refused");

	l = rel("a.b.c.se", w);
	nindex_put(ix, w, l, 1500, NULL);
	ok(nindex_ancestor(ix, (const uint8_t *)"\001b\001c\002se", 7, &fs) && fs == 1500, "ancestor b.c.se");
	ok(nindex_ancestor(ix, (const uint8_t *)"\002se", 3, &fs) && fs == 1500, "ancestor se has the newest");
	ok(!nindex_ancestor(ix, w, l, NULL), "a name is not its own ancestor");
	ok(!nindex_get(ix, (const uint8_t *)"\001c\002se", 6, NULL), "ancestor is not a name");


	/* nindex_set: a returning name (keep-first-seen: no) takes the new time, later or not */
	nindex_t *ix2 = nindex_new();
	l = rel("a.b.c.se", w);
	nindex_put(ix2, w, l, 1500, NULL);
	uint64_t low = nindex_lowered(ix2);
	int64_t added = 0;
	nindex_set_clock(ix2, 7777);
	is_int(put_outcome(ix2, w, l, 5000, 1), NINDEX_KNOWN, "set on a known name");
	ok(nindex_get(ix2, w, l, &fs) && fs == 5000, "set raises first_seen");
	ok(nindex_get_added(ix2, w, l, &added) && added == 7777, "set stamps added");
	ok(nindex_lowered(ix2) == low + 1, "a changed time makes older versions undiffable");
	ok(nindex_ancestor(ix2, (const uint8_t *)"\002se", 3, &fs) && fs == 5000, "ancestor follows the raised time");
	is_int(put_outcome(ix2, w, l, 5000, 1), NINDEX_KNOWN, "set to the same time");
	ok(nindex_lowered(ix2) == low + 1, "the same time changes nothing");
	size_t l2 = rel("new.se", w);
	is_int(put_outcome(ix2, w, l2, 6000, 1), NINDEX_ADDED, "set on an absent name adds it");
	ok(nindex_get(ix2, w, l2, &fs) && fs == 6000, "added with its time");
	is_int(nindex_count_since(ix2, 4999), 2, "counts see the raised time");
	nindex_free(ix2);

	/* 100k names: growth, counts, edges, purge */
	char buf[64];
	for (int i = 0; i < 100000; i++) {
		snprintf(buf, sizeof buf, "n%d.example.ch", i);
		l = rel(buf, w);
		nindex_put(ix, w, l, 10000 + i, NULL);
	}
	is_int(nindex_count(ix), 100002, "count");
	is_int(nindex_count_since(ix, 10000 + 49999), 50000, "count since");
	ok(nindex_any_between(ix, 10000 + 10, 10000 + 11), "a name between");
	ok(!nindex_any_between(ix, 200000, 300000), "no name between");
	snprintf(buf, sizeof buf, "n%d.example.ch", 77777);
	l = rel(buf, w);
	ok(nindex_get(ix, w, l, &fs) && fs == 10000 + 77777, "lookup among many");
	is_int(nindex_purge(ix, 10000 + 49999), 50002, "purge removes old names");
	is_int(nindex_count(ix), 50000, "count after purge");
	ok(nindex_get(ix, w, l, &fs) && fs == 10000 + 77777, "survivor still there");
	snprintf(buf, sizeof buf, "n%d.example.ch", 5);
	l = rel(buf, w);
	ok(!nindex_get(ix, w, l, NULL), "purged name gone");
	ok(!nindex_ancestor(ix, (const uint8_t *)"\002se", 3, NULL), "ancestor of purged names gone");
	ok(nindex_ancestor(ix, (const uint8_t *)"\007example\002ch", 11, &fs) && fs == 10000 + 99999,
		"ancestor rebuilt with newest");
	size_t n = 0;
	nindex_foreach(ix, count_cb, &n);
	is_int(n, 50000, "foreach visits every name");
	is_int(nindex_purge(ix, 0), 0, "nothing to purge");
	ok(nindex_memory(ix) > 0, "memory reported");
	nindex_free(ix);
	nindex_free(NULL);

	/* Window counts stay exact while names arrive out of order between counts (the
	 * sorted first_seen array is merged, not re-sorted), with lowered times mixed in. */
	ix = nindex_new();
	static int64_t truth[20000];
	int bad = 0, checks = 0;
	srand(7);
	for (int i = 0; i < 20000; i++) {
		char name[32];
		snprintf(name, sizeof name, "r%05d.se", i);
		l = rel(name, w);
		/* mostly increasing, batches of older names now and then */
		truth[i] = i % 700 < 600 ? 100000 + i : 100000 + i - rand() % 50000;
		nindex_put(ix, w, l, truth[i], NULL);
		if (i % 97 == 0 && i > 0 && (i / 5000) % 2 == 1) {
			/* lower one earlier name's time (half of the time: a lowered time makes the
			 * next count rebuild the array from the table instead of merging) */
			int j = rand() % i;
			snprintf(name, sizeof name, "r%05d.se", j);
			l = rel(name, w);
			int64_t lower = truth[j] - rand() % 1000;
			nindex_put(ix, w, l, lower, NULL);
			if (lower < truth[j])
				truth[j] = lower;
		}
		if (i % 331 == 0) {
			int64_t since = 100000 + i - rand() % 60000;
			size_t want = 0;
			for (int k = 0; k <= i; k++)
				want += truth[k] > since;
			checks++;
			if (nindex_count_since(ix, since) != want && bad++ < 3)
				printf("# count_since(%lld) after %d names: %zu, want %zu\n", (long long)since,
					i + 1, nindex_count_since(ix, since), want);
		}
	}
	is_int(bad, 0, "count_since exact at %d points under out-of-order arrivals", checks);
	nindex_free(ix);
	return tap_done();
}
