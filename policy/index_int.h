/* index_int.h -- what index.c and index_purge.c share of the index: the record and table
 * layout, the time encoding and the table primitives. Private to policy/index*.c; every
 * other file uses policy/index.h. */
#ifndef NODD_INDEX_INT_H
#define NODD_INDEX_INT_H

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "policy/history.h"
#include "policy/index.h"

#define TIME_EPOCH 1600000000LL
#define T_ALWAYS INT32_MIN       /* "added" INT64_MIN */
#define T_DEAD INT32_MIN         /* first_seen of a record removed (or a bulk duplicate) */
#define LOAD_BUILD 0.6
#define LOAD_MAX 0.8
#define REC_HDR 9                /* first_seen, added, length */

struct slot {
	uint32_t frag;  /* low 32 bits of the key's hash */
	uint32_t ref;   /* arena offset of the record + 1; 0 = empty */
};

struct ntab {
	struct slot *slots;
	size_t cap;     /* any size >= 1 */
	size_t count;   /* live records */
	size_t dead;    /* records of duplicates dropped by a bulk build */
	size_t dead_bytes; /* arena bytes of records removed one by one, past head */
	uint8_t *arena;
	size_t arena_len, arena_cap;
	size_t base;    /* arena offset of arena[0]: slots hold base + offset + 1 */
	size_t head;    /* the records before this arena offset are all removed */
};

struct nindex {
	pthread_rwlock_t lock;
	struct ntab *names;
	struct ntab *anc;
	uint64_t seed;      /* of the hash: names come from outside */
	int32_t *fsv;       /* first_seen of each name (stored form) */
	size_t nfsv, fsv_cap;
	int fsv_sorted;
	size_t fsv_prefix;  /* when not sorted: the leading values that still are */
	int fsv_stale;      /* a first_seen was lowered: rebuild from the table */
	int bulk;           /* inside nindex_bulk_begin/end: records only, no slots */
	int64_t clock;      /* "added" of names put from now on (nindex_set_clock) */
	uint64_t lowered;   /* times a first_seen was lowered */
	int anc_stale;      /* a first_seen was lowered: an ancestor may hold a newer time
	                     * than any name below it, until the next purge rebuilds them */
	nhist_t *hist;      /* names purged, for IXFR deletions (policy/history.h) */
	int64_t hist_keep;  /* 0: purged names are forgotten */
	int bulk_hist;      /* in a bulk load: names with first_seen <= bulk_before go to hist */
	int64_t bulk_before;
	nindex_exclude_fn excluded; /* names that make no ancestor (nindex_set_exclude) */
	void *excluded_ctx;
};

/* ---- times ---- */

static inline int32_t t_enc(int64_t t)
{
	if (t < TIME_EPOCH + (int64_t)INT32_MIN + 1)
		return INT32_MIN + 1;
	if (t > TIME_EPOCH + (int64_t)INT32_MAX)
		return INT32_MAX;
	return (int32_t)(t - TIME_EPOCH);
}

static inline int64_t t_dec(int32_t v) { return TIME_EPOCH + v; }

static inline int32_t added_enc(int64_t t) { return t == INT64_MIN ? T_ALWAYS : t_enc(t); }
static inline int64_t added_dec(int32_t v) { return v == T_ALWAYS ? INT64_MIN : t_dec(v); }

/* ---- records ---- */

static inline int32_t rec_v(const uint8_t *r)
{
	int32_t v;
	memcpy(&v, r, 4);
	return v;
}

static inline int32_t rec_added(const uint8_t *r)
{
	int32_t v;
	memcpy(&v, r + 4, 4);
	return v;
}

static inline void rec_set_v(uint8_t *r, int32_t v) { memcpy(r, &v, 4); }
static inline void rec_set_added(uint8_t *r, int32_t v) { memcpy(r + 4, &v, 4); }
static inline size_t rec_len(const uint8_t *r) { return r[8]; }
static inline const uint8_t *rec_key(const uint8_t *r) { return r + REC_HDR; }
static inline size_t rec_size(const uint8_t *r) { return REC_HDR + rec_len(r); }

/* Slot references are arena offsets counted from the table's first record ever kept
 * (base), so dropping the arena's removed front moves no reference. */
static inline uint8_t *rec_at(const struct ntab *t, uint32_t ref)
{
	return t->arena + (ref - 1 - t->base);
}

static inline uint32_t ref_of(const struct ntab *t, size_t off)
{
	return (uint32_t)(t->base + off + 1);
}

/* Every record offset of table t still in its arena (removed ones included: T_DEAD). */
#define EACH_REC(t, off) \
	for (size_t off = (t)->head; off < (t)->arena_len; off += rec_size((t)->arena + off))

/* ---- hashing ---- */

static inline uint64_t mix64(uint64_t x)
{
	/* the splitmix64 finaliser: every input bit reaches every output bit */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

/* 8 bytes at a time: keys are short (15 bytes is typical) and hashed on every lookup. */
static inline uint64_t key_hash(uint64_t seed, const uint8_t *k, size_t len)
{
	uint64_t h = seed ^ (len * 0x9e3779b97f4a7c15ull);
	size_t i = 0;
	for (; i + 8 <= len; i += 8) {
		uint64_t w;
		memcpy(&w, k + i, 8);
		h = mix64(h ^ w);
	}
	uint64_t w = 0;
	memcpy(&w, k + i, len - i);
	return mix64(h ^ w ^ 0x2545f4914f6cdd1dull);
}

/* Home slot of hash h in a table of cap slots (multiply-shift of the high half). */
static inline size_t ix_home(uint64_t h, size_t cap)
{
	return (size_t)(((h >> 32) * (uint64_t)cap) >> 32);
}

/* 1 when name rel counts for its ancestors: not excluded (nindex_set_exclude). */
static inline int ix_anc_counts(const nindex_t *ix, const uint8_t *rel, size_t len)
{
	return !ix->excluded || !ix->excluded(ix->excluded_ctx, rel, len);
}

/* Table primitives (index.c). */
struct ntab *ntab_new(size_t expect, size_t arena_bytes);
void ntab_free(struct ntab *t);
/* The record holding key k (hash h), or NULL. */
uint8_t *ntab_find(const struct ntab *t, const uint8_t *k, size_t len, uint64_t h);
/* The arena block p (NULL: a new one) resized to cap bytes, with transparent huge pages
 * asked for under it (collapse: the pages already written made huge now). Every arena
 * block comes from here. NULL when out of memory, p then unchanged. */
uint8_t *ntab_arena_resize(uint8_t *p, size_t cap, int collapse);
/* Room for more arena bytes; 0, or -1 when out of memory or past the reference space. */
int ntab_reserve(struct ntab *t, size_t more);
/* Append a record for key k (known absent); with slots, also index it. NULL on no memory. */
uint8_t *ntab_add(struct ntab *t, uint64_t seed, const uint8_t *k, size_t len, uint64_t h,
	int32_t v, int32_t added, int with_slots);
/* Record fs as the newest below every proper ancestor of rel. 0, or -1 on no memory. */
int ntab_anc_update(struct ntab *anc, uint64_t seed, const uint8_t *rel, size_t len,
	int32_t fs);
/* The sorted first_seen array made current; the first position whose value is > x. */
void ix_fsv_prepare(nindex_t *ix);
size_t ix_fsv_upper(const nindex_t *ix, int64_t x);

#endif
