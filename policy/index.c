/* index.c -- the in-memory 24 h name index.
 *
 * DESIGN
 * Two tables of the same kind ("ntab"): names, and the proper ancestors of names. A table
 * is a byte arena of packed records and an open-addressing slot array over it:
 *   record  first_seen (int32), added (int32), key length (1 byte), the key's bytes
 *   slot    32 bits of the key's hash (the "fragment") and the record's arena offset + 1
 * Nothing is allocated per name: a name costs its key plus 9 bytes of record, 8 bytes of
 * slot per 0.6-0.8 load, and 4 bytes in the sorted first_seen array -- about 26 bytes plus
 * the name. A lookup hashes the key once (64 bits: the high half picks the home slot by
 * multiply-shift, so the table may have any size, the low half is the fragment), probes
 * linearly, and reads a record only when a fragment matches (one chance in 2^32 for
 * another key), so a miss costs the slot array's cache lines alone.
 *
 * Times are stored as 32-bit seconds from TIME_EPOCH (2020-09-13): 1952 to 2088, times
 * outside that range are clamped to its ends (a name that old is in no window, one that
 * far ahead is "age 0" either way); "added" INT64_MIN ("always there") has its own code.
 *
 * The slot table is sized by load factor: built for LOAD_BUILD (a bulk load, a purge, a
 * growth), rebuilt from the arena when an insert passes LOAD_MAX. A bulk load
 * (nindex_bulk_begin/end: the start-up walk over the store) appends records without any
 * lookup and builds the slots once at the end.
 *
 * Names leave only by ageing out of the largest window: nindex_purge() (index_purge.c)
 * removes them one by one from the front of the arena, where insertion order puts them,
 * into the history of departed names the IXFR history reads (policy/history.h).
 *
 * A sorted array of first_seen values answers "how many names in window W" and "did a
 * name cross an edge between t1 and t2" by binary search; it is appended to in arrival
 * order (mostly increasing, so usually still sorted) and re-sorted lazily.
 *
 * Why a hand-written table: no Debian C library offers an open-addressing table over an
 * arena of variable-length keys with a stored hash fragment and bulk build; the generic
 * ones (glib's GHashTable, hsearch) allocate per entry and cost 3-5 times the memory.
 */
#include "policy/index.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>

#include "policy/history.h"
#include "policy/index_int.h"

/* ---- tables ---- */

#define HUGE_PAGE ((uintptr_t)2 << 20)
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25   /* Linux 6.1; older kernels refuse it, which costs nothing */
#endif

/* Ask for transparent huge pages under a table's slots or arena (the whole 2 MiB pages
 * inside [p, p + len)): a lookup touches a random slot and a random record of tens of
 * megabytes, and with 4 KiB pages each one is also a TLB miss (a page walk, dearer
 * still in a virtual machine). collapse: also turn pages already written into huge pages now (after a bulk
 * load), not when khugepaged gets there. Advice only; failure changes nothing. */
static void advise_huge(void *p, size_t len, int collapse)
{
	uintptr_t a = ((uintptr_t)p + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
	uintptr_t e = ((uintptr_t)p + len) & ~(HUGE_PAGE - 1);
	if (!p || e <= a)
		return;
	madvise((void *)a, e - a, MADV_HUGEPAGE);
	if (collapse)
		madvise((void *)a, e - a, MADV_COLLAPSE);
}

uint8_t *ntab_arena_resize(uint8_t *p, size_t cap, int collapse)
{
	uint8_t *n = realloc(p, cap);
	if (n)
		advise_huge(n, cap, collapse);
	return n;
}

static size_t cap_for(size_t count)
{
	size_t cap = (size_t)((double)count / LOAD_BUILD) + 1;
	return cap < 16 ? 16 : cap;
}

struct ntab *ntab_new(size_t expect, size_t arena_bytes)
{
	struct ntab *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->cap = cap_for(expect);
	t->slots = calloc(t->cap, sizeof *t->slots);
	t->arena_cap = arena_bytes ? arena_bytes : 256;
	t->arena = ntab_arena_resize(NULL, t->arena_cap, 0);
	advise_huge(t->slots, t->cap * sizeof *t->slots, 0);
	if (!t->slots || !t->arena) {
		free(t->slots);
		free(t->arena);
		free(t);
		return NULL;
	}
	return t;
}

void ntab_free(struct ntab *t)
{
	if (!t)
		return;
	free(t->slots);
	free(t->arena);
	free(t);
}

/* The record holding key k (hash h), or NULL. */
uint8_t *ntab_find(const struct ntab *t, const uint8_t *k, size_t len, uint64_t h)
{
	uint32_t frag = (uint32_t)h;
	size_t i = ix_home(h, t->cap);
	for (;;) {
		const struct slot *s = &t->slots[i];
		if (s->ref == 0)
			return NULL;
		if (s->frag == frag) {
			uint8_t *r = rec_at(t, s->ref);
			if (rec_len(r) == len && memcmp(rec_key(r), k, len) == 0)
				return r;
		}
		if (++i == t->cap)
			i = 0;
	}
}

/* Put record ref in the first empty slot from h's home (the key known absent). */
static void slot_put(struct slot *slots, size_t cap, uint64_t h, uint32_t ref)
{
	size_t i = ix_home(h, cap);
	while (slots[i].ref)
		if (++i == cap)
			i = 0;
	slots[i].frag = (uint32_t)h;
	slots[i].ref = ref;
}

/* Place one record while building (slots_build): with dedupe, a key met before keeps the
 * earlier first_seen in its first record and this one becomes dead. 1 placed, 0 dead. */
static int build_one(struct ntab *t, struct slot *ns, size_t cap, uint64_t h, size_t off,
	int dedupe)
{
	uint8_t *r = t->arena + off;
	if (dedupe) {
		struct ntab probe = { .slots = ns, .cap = cap, .arena = t->arena, .base = t->base };
		uint8_t *first = ntab_find(&probe, rec_key(r), rec_len(r), h);
		if (first) {
			if (rec_v(r) < rec_v(first))
				rec_set_v(first, rec_v(r));
			rec_set_v(r, T_DEAD);
			t->dead++;
			t->dead_bytes += rec_size(r);
			return 0;
		}
	}
	slot_put(ns, cap, h, ref_of(t, off));
	return 1;
}

#define BUILD_BATCH 16

/* Build the slots (cap of them) from the records; *dups counts the duplicates dedupe
 * dropped. The records are hashed a batch ahead and their home slots prefetched, so the
 * random writes into the slot array overlap instead of waiting one cache miss each. */
static int slots_build(struct ntab *t, uint64_t seed, size_t cap, int dedupe, size_t *dups)
{
	struct slot *ns = calloc(cap, sizeof *ns);
	if (!ns)
		return -1;
	advise_huge(ns, cap * sizeof *ns, 0);
	size_t live = 0, off = t->head, dead0 = t->dead;
	while (off < t->arena_len) {
		uint64_t h[BUILD_BATCH];
		size_t o[BUILD_BATCH], n = 0;
		for (; n < BUILD_BATCH && off < t->arena_len; off += REC_HDR + rec_len(t->arena + off)) {
			const uint8_t *r = t->arena + off;
			if (rec_v(r) == T_DEAD)
				continue;
			o[n] = off;
			h[n] = key_hash(seed, rec_key(r), rec_len(r));
			__builtin_prefetch(&ns[ix_home(h[n], cap)], 1);
			n++;
		}
		for (size_t i = 0; i < n; i++)
			live += (size_t)build_one(t, ns, cap, h[i], o[i], dedupe);
	}
	free(t->slots);
	t->slots = ns;
	t->cap = cap;
	t->count = live;
	*dups += t->dead - dead0;
	return 0;
}

int ntab_reserve(struct ntab *t, size_t more)
{
	if (t->arena_len + more <= t->arena_cap)
		return 0;
	size_t nc = t->arena_cap + t->arena_cap / 2;
	if (nc < t->arena_len + more)
		nc = t->arena_len + more;
	if (t->base + nc > (size_t)UINT32_MAX - 1)
		nc = (size_t)UINT32_MAX - 1 - t->base;
	if (t->base + t->arena_len + more > (size_t)UINT32_MAX - 1 || nc < t->arena_len + more)
		return -1;
	uint8_t *na = ntab_arena_resize(t->arena, nc, 0);
	if (!na)
		return -1;
	t->arena = na;
	t->arena_cap = nc;
	return 0;
}

/* Append a record for key k (known absent); with slots, also index it (growing the slot
 * table past LOAD_MAX). Returns the record or NULL when out of memory. */
uint8_t *ntab_add(struct ntab *t, uint64_t seed, const uint8_t *k, size_t len,
	uint64_t h, int32_t v, int32_t added, int with_slots)
{
	if (with_slots && (double)(t->count + 1) > (double)t->cap * LOAD_MAX) {
		size_t dups = 0;
		if (slots_build(t, seed, cap_for(t->count + 1), 0, &dups) < 0)
			return NULL;
	}
	if (ntab_reserve(t, REC_HDR + len) < 0)
		return NULL;
	size_t off = t->arena_len;
	uint8_t *r = t->arena + off;
	rec_set_v(r, v);
	rec_set_added(r, added);
	r[8] = (uint8_t)len;
	memcpy(r + REC_HDR, k, len);
	t->arena_len += REC_HDR + len;
	if (with_slots)
		slot_put(t->slots, t->cap, h, ref_of(t, off));
	t->count++;
	return r;
}

static int rel_valid(const uint8_t *rel, size_t len)
{
	if (len == 0 || len > 254)
		return 0;
	size_t i = 0;
	while (i < len) {
		if (rel[i] == 0 || rel[i] > 63)
			return 0;
		i += 1 + (size_t)rel[i];
	}
	return i == len;
}

nindex_t *nindex_new(void)
{
	nindex_t *ix = calloc(1, sizeof *ix);
	if (!ix)
		return NULL;
	ix->names = ntab_new(0, 0);
	ix->anc = ntab_new(0, 0);
	if (!ix->names || !ix->anc || pthread_rwlock_init(&ix->lock, NULL) != 0) {
		ntab_free(ix->names);
		ntab_free(ix->anc);
		free(ix);
		return NULL;
	}
	if (getrandom(&ix->seed, sizeof ix->seed, GRND_NONBLOCK) != (ssize_t)sizeof ix->seed)
		ix->seed = (uint64_t)(uintptr_t)ix ^ 0x6a09e667f3bcc909ull;
	ix->fsv_sorted = 1;
	ix->clock = INT64_MIN;
	return ix;
}

void nindex_free(nindex_t *ix)
{
	if (!ix)
		return;
	pthread_rwlock_destroy(&ix->lock);
	ntab_free(ix->names);
	ntab_free(ix->anc);
	nhist_free(ix->hist);
	free(ix->fsv);
	free(ix);
}

void nindex_rdlock(nindex_t *ix) { pthread_rwlock_rdlock(&ix->lock); }
void nindex_rdunlock(nindex_t *ix) { pthread_rwlock_unlock(&ix->lock); }
void nindex_wrlock(nindex_t *ix) { pthread_rwlock_wrlock(&ix->lock); }
void nindex_wrunlock(nindex_t *ix) { pthread_rwlock_unlock(&ix->lock); }

static int fsv_push(nindex_t *ix, int32_t fs)
{
	if (ix->nfsv == ix->fsv_cap) {
		size_t nc = ix->fsv_cap + ix->fsv_cap / 2 + 1024;
		int32_t *n = realloc(ix->fsv, nc * sizeof *n);
		if (!n)
			return -1;
		ix->fsv = n;
		ix->fsv_cap = nc;
	}
	if (ix->fsv_sorted && ix->nfsv && fs < ix->fsv[ix->nfsv - 1]) {
		ix->fsv_sorted = 0;
		ix->fsv_prefix = ix->nfsv;
	}
	ix->fsv[ix->nfsv++] = fs;
	return 0;
}

/* Record fs as the newest below every proper ancestor of rel. */
int ntab_anc_update(struct ntab *anc, uint64_t seed, const uint8_t *rel, size_t len,
	int32_t fs)
{
	size_t i = 1 + (size_t)rel[0];
	while (i < len) {
		const uint8_t *k = rel + i;
		size_t kl = len - i;
		uint64_t h = key_hash(seed, k, kl);
		uint8_t *r = ntab_find(anc, k, kl, h);
		if (r) {
			if (fs > rec_v(r))
				rec_set_v(r, fs);
		} else if (!ntab_add(anc, seed, k, kl, h, fs, 0, 1)) {
			return -1;
		}
		i += 1 + (size_t)rel[i];
	}
	return 0;
}

/* Change the time of a known name: put keeps the earlier of the two (set = 0), set takes
 * fs whatever it was (set = 1). Returns the time the ancestors must see. */
static int32_t known_update(nindex_t *ix, uint8_t *r, int32_t fs, int set)
{
	int32_t v = rec_v(r);
	if (set ? fs != v : fs < v) {
		ix->anc_stale |= fs < v;
		rec_set_v(r, fs);
		if (set)
			rec_set_added(r, added_enc(ix->clock));
		ix->fsv_stale = 1;
		ix->lowered++;
	}
	return set ? fs : rec_v(r); /* the ancestors see the time kept, not the one offered */
}

/* Add the name, or change the time of a known one (known_update). 0 with *out, -1 out of
 * memory. In a bulk load the name is appended unchecked (nindex_bulk_end dedupes). */
static int put_or_set(nindex_t *ix, const uint8_t *rel, size_t len, int64_t fs64, int set,
	enum nindex_outcome *out)
{
	if (!rel_valid(rel, len))
		return -1;
	int32_t fs = t_enc(fs64);
	int32_t added = added_enc(ix->clock);
	if (ix->bulk && ix->bulk_hist && fs64 <= ix->bulk_before) {
		/* already out of every window: straight into the history, in load order */
		uint8_t rec[REC_HDR + 255];
		rec_set_v(rec, fs);
		rec_set_added(rec, added);
		rec[8] = (uint8_t)len;
		memcpy(rec + REC_HDR, rel, len);
		if (nhist_append(ix->hist, rec, REC_HDR + len) < 0)
			return -1;
		if (out)
			*out = NINDEX_ADDED;
		return 0;
	}
	if (ix->bulk) {
		if (!ntab_add(ix->names, ix->seed, rel, len, 0, fs, added, 0) || fsv_push(ix, fs) < 0)
			return -1;
		if (out)
			*out = NINDEX_ADDED;
		return 0;
	}
	uint64_t h = key_hash(ix->seed, rel, len);
	int rc = 0, anc = ix_anc_counts(ix, rel, len);
	enum nindex_outcome o = NINDEX_KNOWN;
	pthread_rwlock_wrlock(&ix->lock);
	uint8_t *r = ntab_find(ix->names, rel, len, h);
	if (r)
		fs = known_update(ix, r, fs, set);
	else if (ntab_add(ix->names, ix->seed, rel, len, h, fs, added, 1) && fsv_push(ix, fs) == 0)
		o = NINDEX_ADDED;
	else
		rc = -1;
	/* ancestors keep the newest time below them: a raised time only raises theirs, and a
	 * lowered one leaves them at most too new, which the next purge rebuild corrects */
	if (rc == 0 && anc && ntab_anc_update(ix->anc, ix->seed, rel, len, fs) < 0)
		rc = -1;
	pthread_rwlock_unlock(&ix->lock);
	if (rc == 0 && out)
		*out = o;
	return rc;
}

int nindex_put(nindex_t *ix, const uint8_t *rel, size_t len, int64_t fs,
	enum nindex_outcome *out)
{
	return put_or_set(ix, rel, len, fs, 0, out);
}

int nindex_set(nindex_t *ix, const uint8_t *rel, size_t len, int64_t fs,
	enum nindex_outcome *out)
{
	return put_or_set(ix, rel, len, fs, 1, out);
}

void nindex_bulk_begin(nindex_t *ix)
{
	ix->bulk = 1;
}

int nindex_bulk_end(nindex_t *ix)
{
	if (!ix->bulk)
		return 0;
	ix->bulk = 0;
	if (ix->bulk_hist)
		nhist_seal(ix->hist, ix->bulk_before);
	ix->bulk_hist = 0;
	struct ntab *t = ix->names;
	size_t dups = 0;
	if (slots_build(t, ix->seed, cap_for(t->count), 1, &dups) < 0)
		return -1;
	if (dups)
		ix->fsv_stale = 1;
	/* the arena and the times are complete: give back what growth reserved beyond them */
	uint8_t *na = ntab_arena_resize(t->arena, t->arena_len ? t->arena_len : 1, 1);
	if (na) {
		t->arena = na;
		t->arena_cap = t->arena_len ? t->arena_len : 1;
	}
	int32_t *nf = ix->nfsv ? realloc(ix->fsv, ix->nfsv * sizeof *nf) : NULL;
	if (nf) {
		ix->fsv = nf;
		ix->fsv_cap = ix->nfsv;
	}
	EACH_REC(t, off) {
		const uint8_t *r = t->arena + off;
		if (rec_v(r) != T_DEAD && ix_anc_counts(ix, rec_key(r), rec_len(r)) &&
		    ntab_anc_update(ix->anc, ix->seed, rec_key(r), rec_len(r), rec_v(r)) < 0)
			return -1;
	}
	return 0;
}

void nindex_set_exclude(nindex_t *ix, nindex_exclude_fn excluded, void *ctx)
{
	ix->excluded = excluded;
	ix->excluded_ctx = ctx;
}

int nindex_ancestors_rebuild(nindex_t *ix)
{
	const struct ntab *t = ix->names;
	struct ntab *na = ntab_new(t->count / 4 + 16, 0);
	if (!na)
		return -1;
	EACH_REC(t, off) {
		const uint8_t *r = t->arena + off;
		if (rec_v(r) != T_DEAD && ix_anc_counts(ix, rec_key(r), rec_len(r)) &&
		    ntab_anc_update(na, ix->seed, rec_key(r), rec_len(r), rec_v(r)) < 0) {
			ntab_free(na);
			return -1;
		}
	}
	pthread_rwlock_wrlock(&ix->lock);
	struct ntab *old = ix->anc;
	ix->anc = na;
	ix->anc_stale = 0;
	pthread_rwlock_unlock(&ix->lock);
	ntab_free(old);
	return 0;
}

/* 1 and the record's time in *v when the table holds the key, else 0. */
static int tab_get(const nindex_t *ix, const struct ntab *t, const uint8_t *rel, size_t len,
	int64_t *v)
{
	if (len == 0)
		return 0;
	const uint8_t *r = ntab_find(t, rel, len, key_hash(ix->seed, rel, len));
	if (!r)
		return 0;
	if (v)
		*v = t_dec(rec_v(r));
	return 1;
}

int nindex_get(const nindex_t *ix, const uint8_t *rel, size_t len, int64_t *fs)
{
	return tab_get(ix, ix->names, rel, len, fs);
}

void nindex_prefetch(const nindex_t *ix, const uint8_t *rel, size_t len, int stage)
{
	const struct ntab *t = ix->names;
	if (len == 0 || len > 255)
		return;
	uint64_t h = key_hash(ix->seed, rel, len);
	size_t i = ix_home(h, t->cap);
	if (stage == 0) {
		__builtin_prefetch(&t->slots[i]);
		return;
	}
	/* the first two slots of the probe: a longer run is rare at this load factor */
	for (int k = 0; k < 2; k++) {
		const struct slot *s = &t->slots[i];
		if (s->ref == 0)
			return;
		if (s->frag == (uint32_t)h) {
			const uint8_t *r = rec_at(t, s->ref);
			__builtin_prefetch(r);
			__builtin_prefetch(r + REC_HDR + len - 1);
			return;
		}
		if (++i == t->cap)
			i = 0;
	}
}

int nindex_ancestor(const nindex_t *ix, const uint8_t *rel, size_t len, int64_t *newest)
{
	return tab_get(ix, ix->anc, rel, len, newest);
}

static int cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return (x > y) - (x < y);
}

void ix_fsv_prepare(nindex_t *ix)
{
	if (ix->fsv_stale) {
		const struct ntab *t = ix->names;
		size_t n = 0;
		EACH_REC(t, off)
			if (rec_v(t->arena + off) != T_DEAD)
				ix->fsv[n++] = rec_v(t->arena + off);
		ix->nfsv = n;
		ix->fsv_stale = 0;
		ix->fsv_sorted = 0;
		ix->fsv_prefix = 0;
	}
	if (ix->fsv_sorted)
		return;
	/* Sort only what came since it was last sorted (an import of older names, say) and
	 * merge it in from the end: O(n + k log k) instead of a full sort every tick. */
	size_t p = ix->fsv_prefix, k = ix->nfsv - p;
	int32_t *tail = p ? malloc(k * sizeof *tail) : NULL;
	if (!tail) {
		qsort(ix->fsv, ix->nfsv, sizeof *ix->fsv, cmp_i32);
	} else {
		memcpy(tail, ix->fsv + p, k * sizeof *tail);
		qsort(tail, k, sizeof *tail, cmp_i32);
		size_t i = p, j = k, o = ix->nfsv;
		while (j > 0) {
			if (i > 0 && ix->fsv[i - 1] > tail[j - 1])
				ix->fsv[--o] = ix->fsv[--i];
			else
				ix->fsv[--o] = tail[--j];
		}
		free(tail);
	}
	ix->fsv_sorted = 1;
}

/* First position whose value is > x. */
size_t ix_fsv_upper(const nindex_t *ix, int64_t x)
{
	if (x < t_dec(INT32_MIN + 1))
		return 0;
	int32_t e = t_enc(x);
	if (x >= t_dec(INT32_MAX))
		return ix->nfsv;
	size_t lo = 0, hi = ix->nfsv;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ix->fsv[mid] <= e)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

size_t nindex_count(const nindex_t *ix) { return ix->names->count; }
int nindex_ancestors_stale(const nindex_t *ix) { return ix->anc_stale; }

size_t nindex_count_since(nindex_t *ix, int64_t since)
{
	ix_fsv_prepare(ix);
	return ix->nfsv - ix_fsv_upper(ix, since);
}

int nindex_any_between(nindex_t *ix, int64_t lo, int64_t hi)
{
	if (hi <= lo)
		return 0;
	ix_fsv_prepare(ix);
	return ix_fsv_upper(ix, lo) != ix_fsv_upper(ix, hi);
}

void nindex_set_clock(nindex_t *ix, int64_t added) { ix->clock = added; }
uint64_t nindex_lowered(const nindex_t *ix) { return ix->lowered; }

int nindex_get_added(const nindex_t *ix, const uint8_t *rel, size_t len, int64_t *added)
{
	if (len == 0)
		return 0;
	const uint8_t *r = ntab_find(ix->names, rel, len, key_hash(ix->seed, rel, len));
	if (!r)
		return 0;
	*added = added_dec(rec_added(r));
	return 1;
}

struct hist_walk {
	nindex_added_cb cb;
	void *ctx;
	int64_t since;
};

static void hist_batch_cb(void *ctx, const uint8_t *data, size_t len)
{
	const struct hist_walk *w = ctx;
	for (size_t off = 0; off < len; off += rec_size(data + off)) {
		const uint8_t *r = data + off;
		if (t_dec(rec_v(r)) > w->since)
			w->cb(w->ctx, rec_key(r), rec_len(r), t_dec(rec_v(r)), added_dec(rec_added(r)));
	}
}

void nindex_foreach_added(const nindex_t *ix, int64_t since, nindex_added_cb cb, void *ctx)
{
	struct hist_walk w = { cb, ctx, since };
	if (ix->hist)
		nhist_each(ix->hist, since, hist_batch_cb, &w);
	const struct ntab *t = ix->names;
	EACH_REC(t, off) {
		const uint8_t *r = t->arena + off;
		if (rec_v(r) != T_DEAD)
			cb(ctx, rec_key(r), rec_len(r), t_dec(rec_v(r)), added_dec(rec_added(r)));
	}
}

void nindex_foreach(const nindex_t *ix, nindex_cb cb, void *ctx)
{
	const struct ntab *t = ix->names;
	EACH_REC(t, off) {
		const uint8_t *r = t->arena + off;
		if (rec_v(r) != T_DEAD)
			cb(ctx, rec_key(r), rec_len(r), t_dec(rec_v(r)));
	}
}

static size_t ntab_memory(const struct ntab *t)
{
	return sizeof *t + t->cap * sizeof(struct slot) + t->arena_cap;
}

size_t nindex_memory(const nindex_t *ix)
{
	return sizeof *ix + ntab_memory(ix->names) + ntab_memory(ix->anc) +
	       ix->fsv_cap * sizeof(int32_t) + nindex_history_memory(ix);
}

size_t nindex_history_memory(const nindex_t *ix)
{
	return ix->hist ? nhist_memory(ix->hist) : 0;
}

size_t nindex_history_count(const nindex_t *ix)
{
	return ix->hist ? nhist_count(ix->hist) : 0;
}
