/* index.c -- the in-memory 24 h name index.
 *
 * DESIGN
 * Two hash tables of the same kind ("ntab"): open addressing with linear probing; a slot
 * holds the key's hash and the number of an entry; entries hold the value and the key's
 * place in a byte arena. Nothing is allocated per name, so 1M names cost about 40 bytes
 * each (arena ~13 B, entry 16 B, slots 8 B / load factor).
 *
 * Entries are never deleted one by one. Names leave only by ageing past 24 h, and
 * nindex_purge() then builds fresh tables from the survivors without holding the lock
 * (the writer is the only thread that changes the index, so it may read it unlocked) and
 * swaps them in under the write lock, so readers wait for a pointer swap, not a rebuild.
 *
 * A sorted array of first_seen values answers "how many names in window W" and "did a
 * name cross an edge between t1 and t2" by binary search; it is appended to in arrival
 * order (mostly increasing, so usually still sorted) and re-sorted lazily.
 */
#include "policy/index.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct ent {
	int64_t v;      /* names: first_seen; ancestors: newest first_seen below */
	int64_t added;  /* names: the index clock when the name was put (IXFR history) */
	uint32_t off;   /* key offset in the arena */
	uint8_t len;    /* key length */
};

struct slot {
	uint32_t hash;
	uint32_t idx;   /* entry number + 1; 0 = empty */
};

struct ntab {
	struct slot *slots;
	size_t cap;     /* power of two */
	size_t count;
	struct ent *ents;
	size_t ents_cap;
	uint8_t *arena;
	size_t arena_len, arena_cap;
};

struct nindex {
	pthread_rwlock_t lock;
	struct ntab *names;
	struct ntab *anc;
	int64_t *fsv;       /* first_seen of each name */
	size_t nfsv, fsv_cap;
	int fsv_sorted;
	size_t fsv_prefix;  /* when not sorted: the leading values that still are */
	int fsv_stale;      /* a first_seen was lowered: rebuild from the table */
	int64_t clock;      /* "added" of names put from now on (nindex_set_clock) */
	uint64_t lowered;   /* times a first_seen was lowered */
	int anc_stale;      /* a first_seen was lowered: an ancestor may hold a newer time
	                     * than any name below it, until the next purge rebuilds them */
};

static uint32_t key_hash(const uint8_t *k, size_t len)
{
	/* FNV-1a with a final avalanche (murmur3 fmix32). */
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++) {
		h ^= k[i];
		h *= 16777619u;
	}
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

static struct ntab *ntab_new(size_t expect)
{
	struct ntab *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	size_t cap = 64;
	while (cap * 7 < expect * 10)
		cap <<= 1;
	t->cap = cap;
	t->slots = calloc(cap, sizeof *t->slots);
	if (!t->slots) {
		free(t);
		return NULL;
	}
	return t;
}

static void ntab_free(struct ntab *t)
{
	if (!t)
		return;
	free(t->slots);
	free(t->ents);
	free(t->arena);
	free(t);
}

static struct ent *ntab_find(const struct ntab *t, const uint8_t *k, size_t len, uint32_t h)
{
	size_t mask = t->cap - 1;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		const struct slot *s = &t->slots[i];
		if (s->idx == 0)
			return NULL;
		if (s->hash == h) {
			struct ent *e = &t->ents[s->idx - 1];
			if (e->len == len && memcmp(t->arena + e->off, k, len) == 0)
				return e;
		}
	}
}

static int ntab_grow_slots(struct ntab *t)
{
	size_t ncap = t->cap << 1;
	struct slot *ns = calloc(ncap, sizeof *ns);
	if (!ns)
		return -1;
	for (size_t i = 0; i < t->cap; i++) {
		struct slot s = t->slots[i];
		if (s.idx == 0)
			continue;
		size_t j = s.hash & (ncap - 1);
		while (ns[j].idx)
			j = (j + 1) & (ncap - 1);
		ns[j] = s;
	}
	free(t->slots);
	t->slots = ns;
	t->cap = ncap;
	return 0;
}

/* Append a new key (known absent). Returns the entry or NULL when out of memory. */
static struct ent *ntab_add(struct ntab *t, const uint8_t *k, size_t len, uint32_t h, int64_t v,
	int64_t added)
{
	if ((t->count + 1) * 10 > t->cap * 7 && ntab_grow_slots(t) < 0)
		return NULL;
	if (t->count == t->ents_cap) {
		size_t nc = t->ents_cap ? t->ents_cap * 2 : 256;
		struct ent *ne = realloc(t->ents, nc * sizeof *ne);
		if (!ne)
			return NULL;
		t->ents = ne;
		t->ents_cap = nc;
	}
	if (t->arena_len + len > t->arena_cap) {
		size_t nc = t->arena_cap ? t->arena_cap * 2 : 4096;
		while (nc < t->arena_len + len)
			nc *= 2;
		if (nc > UINT32_MAX)
			return NULL;
		uint8_t *na = realloc(t->arena, nc);
		if (!na)
			return NULL;
		t->arena = na;
		t->arena_cap = nc;
	}
	struct ent *e = &t->ents[t->count];
	e->v = v;
	e->added = added;
	e->off = (uint32_t)t->arena_len;
	e->len = (uint8_t)len;
	memcpy(t->arena + t->arena_len, k, len);
	t->arena_len += len;
	size_t mask = t->cap - 1, i = h & mask;
	while (t->slots[i].idx)
		i = (i + 1) & mask;
	t->slots[i].hash = h;
	t->slots[i].idx = (uint32_t)(++t->count);
	return e;
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
	ix->names = ntab_new(0);
	ix->anc = ntab_new(0);
	if (!ix->names || !ix->anc || pthread_rwlock_init(&ix->lock, NULL) != 0) {
		ntab_free(ix->names);
		ntab_free(ix->anc);
		free(ix);
		return NULL;
	}
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
	free(ix->fsv);
	free(ix);
}

void nindex_rdlock(nindex_t *ix) { pthread_rwlock_rdlock(&ix->lock); }
void nindex_rdunlock(nindex_t *ix) { pthread_rwlock_unlock(&ix->lock); }
void nindex_wrlock(nindex_t *ix) { pthread_rwlock_wrlock(&ix->lock); }
void nindex_wrunlock(nindex_t *ix) { pthread_rwlock_unlock(&ix->lock); }

static int fsv_push(nindex_t *ix, int64_t fs)
{
	if (ix->nfsv == ix->fsv_cap) {
		size_t nc = ix->fsv_cap ? ix->fsv_cap * 2 : 1024;
		int64_t *n = realloc(ix->fsv, nc * sizeof *n);
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
static int anc_update(struct ntab *anc, const uint8_t *rel, size_t len, int64_t fs)
{
	size_t i = 1 + (size_t)rel[0];
	while (i < len) {
		const uint8_t *k = rel + i;
		size_t kl = len - i;
		uint32_t h = key_hash(k, kl);
		struct ent *e = ntab_find(anc, k, kl, h);
		if (e) {
			if (fs > e->v)
				e->v = fs;
		} else if (!ntab_add(anc, k, kl, h, fs, 0)) {
			return -1;
		}
		i += 1 + (size_t)rel[i];
	}
	return 0;
}

/* Add the name, or change the time of a known one: put keeps the earlier of the two
 * (set = 0), set takes fs whatever it was (set = 1). 0 with *out, -1 out of memory. */
static int put_or_set(nindex_t *ix, const uint8_t *rel, size_t len, int64_t fs, int set,
	enum nindex_outcome *out)
{
	if (!rel_valid(rel, len))
		return -1;
	uint32_t h = key_hash(rel, len);
	int rc = 0;
	enum nindex_outcome o = NINDEX_KNOWN;
	pthread_rwlock_wrlock(&ix->lock);
	struct ent *e = ntab_find(ix->names, rel, len, h);
	if (e) {
		if (set ? fs != e->v : fs < e->v) {
			ix->anc_stale |= fs < e->v;
			e->v = fs;
			if (set)
				e->added = ix->clock;
			ix->fsv_stale = 1;
			ix->lowered++;
		}
		if (!set)
			fs = e->v; /* the ancestors see the time kept, not the one offered */
	} else if (ntab_add(ix->names, rel, len, h, fs, ix->clock) && fsv_push(ix, fs) == 0) {
		o = NINDEX_ADDED;
	} else {
		rc = -1;
	}
	/* ancestors keep the newest time below them: a raised time only raises theirs, and a
	 * lowered one leaves them at most too new, which the next purge rebuild corrects */
	if (rc == 0 && anc_update(ix->anc, rel, len, fs) < 0)
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

/* 1 and the entry's value in *v when the table holds the key, else 0. */
static int tab_get(const struct ntab *t, const uint8_t *rel, size_t len, int64_t *v)
{
	if (len == 0)
		return 0;
	struct ent *e = ntab_find(t, rel, len, key_hash(rel, len));
	if (!e)
		return 0;
	if (v)
		*v = e->v;
	return 1;
}

int nindex_get(const nindex_t *ix, const uint8_t *rel, size_t len, int64_t *fs)
{
	return tab_get(ix->names, rel, len, fs);
}

int nindex_ancestor(const nindex_t *ix, const uint8_t *rel, size_t len, int64_t *newest)
{
	return tab_get(ix->anc, rel, len, newest);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static void fsv_prepare(nindex_t *ix)
{
	if (ix->fsv_stale) {
		const struct ntab *t = ix->names;
		for (size_t i = 0; i < t->count; i++)
			ix->fsv[i] = t->ents[i].v;
		ix->nfsv = t->count;
		ix->fsv_stale = 0;
		ix->fsv_sorted = 0;
		ix->fsv_prefix = 0;
	}
	if (ix->fsv_sorted)
		return;
	/* Sort only what came since it was last sorted (an import of older names, say) and
	 * merge it in from the end: O(n + k log k) instead of a full sort every tick. */
	size_t p = ix->fsv_prefix, k = ix->nfsv - p;
	int64_t *tail = p ? malloc(k * sizeof *tail) : NULL;
	if (!tail) {
		qsort(ix->fsv, ix->nfsv, sizeof *ix->fsv, cmp_i64);
	} else {
		memcpy(tail, ix->fsv + p, k * sizeof *tail);
		qsort(tail, k, sizeof *tail, cmp_i64);
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
static size_t fsv_upper(const nindex_t *ix, int64_t x)
{
	size_t lo = 0, hi = ix->nfsv;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ix->fsv[mid] <= x)
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
	fsv_prepare(ix);
	return ix->nfsv - fsv_upper(ix, since);
}

int nindex_any_between(nindex_t *ix, int64_t lo, int64_t hi)
{
	if (hi <= lo)
		return 0;
	fsv_prepare(ix);
	return fsv_upper(ix, lo) != fsv_upper(ix, hi);
}

long nindex_purge(nindex_t *ix, int64_t before)
{
	fsv_prepare(ix);
	size_t gone = fsv_upper(ix, before);
	if (gone == 0 && !ix->anc_stale)
		return 0;
	const struct ntab *old = ix->names;
	size_t keep = old->count - gone;
	struct ntab *nn = ntab_new(keep), *na = ntab_new(keep / 4 + 16);
	int64_t *nf = malloc((keep ? keep : 1) * sizeof *nf);
	if (!nn || !na || !nf)
		goto oom;
	size_t k = 0;
	for (size_t i = 0; i < old->count; i++) {
		const struct ent *e = &old->ents[i];
		if (e->v <= before)
			continue;
		const uint8_t *key = old->arena + e->off;
		if (!ntab_add(nn, key, e->len, key_hash(key, e->len), e->v, e->added) ||
		    anc_update(na, key, e->len, e->v) < 0)
			goto oom;
		nf[k++] = e->v;
	}
	qsort(nf, k, sizeof *nf, cmp_i64);
	pthread_rwlock_wrlock(&ix->lock);
	struct ntab *on = ix->names, *oa = ix->anc;
	int64_t *of = ix->fsv;
	ix->names = nn;
	ix->anc = na;
	ix->fsv = nf;
	ix->nfsv = k;
	ix->fsv_cap = keep ? keep : 1;
	ix->fsv_sorted = 1;
	ix->fsv_stale = 0;
	ix->anc_stale = 0;
	pthread_rwlock_unlock(&ix->lock);
	ntab_free(on);
	ntab_free(oa);
	free(of);
	return (long)gone;
oom:
	ntab_free(nn);
	ntab_free(na);
	free(nf);
	return -1;
}

void nindex_set_clock(nindex_t *ix, int64_t added) { ix->clock = added; }
uint64_t nindex_lowered(const nindex_t *ix) { return ix->lowered; }

int nindex_get_added(const nindex_t *ix, const uint8_t *rel, size_t len, int64_t *added)
{
	if (len == 0)
		return 0;
	struct ent *e = ntab_find(ix->names, rel, len, key_hash(rel, len));
	if (!e)
		return 0;
	*added = e->added;
	return 1;
}

void nindex_foreach_added(const nindex_t *ix, nindex_added_cb cb, void *ctx)
{
	const struct ntab *t = ix->names;
	for (size_t i = 0; i < t->count; i++)
		cb(ctx, t->arena + t->ents[i].off, t->ents[i].len, t->ents[i].v, t->ents[i].added);
}

void nindex_foreach(const nindex_t *ix, nindex_cb cb, void *ctx)
{
	const struct ntab *t = ix->names;
	for (size_t i = 0; i < t->count; i++)
		cb(ctx, t->arena + t->ents[i].off, t->ents[i].len, t->ents[i].v);
}

static size_t ntab_memory(const struct ntab *t)
{
	return sizeof *t + t->cap * sizeof(struct slot) + t->ents_cap * sizeof(struct ent) +
	       t->arena_cap;
}

size_t nindex_memory(const nindex_t *ix)
{
	return sizeof *ix + ntab_memory(ix->names) + ntab_memory(ix->anc) +
	       ix->fsv_cap * sizeof(int64_t);
}
