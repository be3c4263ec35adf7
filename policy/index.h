/* index.h -- the in-memory index of the names first seen in the last 24 hours.
 *
 * Keys are relative wire names: the labels of the observed name, lowercase, without the
 * root label ("\x01x\x02se" for x.se). Two tables of one design (policy/index.c: packed
 * records in an arena, open addressing with a hash fragment per slot):
 *   names      name -> first_seen          (an observation keeps the earliest time)
 *   ancestors  proper ancestor -> newest first_seen below it   (for empty non-terminals;
 *              excluded names left out: nindex_set_exclude)
 * Times are kept to the second from 1952 to 2088; a time outside reads back as the end of
 * that range it passed (such a name is in no window, or at age 0, either way).
 *
 * Concurrency: one writer (the main thread) and many readers (UDP threads). Writers take
 * the internal write lock only for the moment of an insert or of a table swap; readers
 * bracket a batch of lookups with nindex_rdlock()/nindex_rdunlock(). The writer may call
 * the read functions without the lock. A purge holds the write lock for batches of a few
 * hundred removals, never for a rebuild. */
#ifndef NODD_INDEX_H
#define NODD_INDEX_H

#include <stddef.h>
#include <stdint.h>

typedef struct nindex nindex_t;

nindex_t *nindex_new(void);
void nindex_free(nindex_t *ix); /* NULL is a no-op */

void nindex_rdlock(nindex_t *ix);
void nindex_rdunlock(nindex_t *ix);
/* The write lock, for data the readers read under the read lock (the allow-list's table,
 * policy/allow.c): held only to swap a pointer. Writer only. */
void nindex_wrlock(nindex_t *ix);
void nindex_wrunlock(nindex_t *ix);

/* What nindex_put and nindex_set did with a name. */
enum nindex_outcome {
	NINDEX_ADDED,   /* the name was not there */
	NINDEX_KNOWN,   /* it was there (its time changed as the function says) */
};

/* Insert a name or lower its first_seen (kept when fs is earlier). Returns 0 with the
 * outcome in *out (may be NULL), -1 when out of memory or the name is invalid. */
int nindex_put(nindex_t *ix, const uint8_t *rel, size_t len, int64_t fs,
	enum nindex_outcome *out);

/* A bulk load (the start-up walk over the store): between begin and end, nindex_put and
 * nindex_set append names without looking them up (a name given twice keeps its earlier
 * first_seen) and the lookups do not see them yet; end builds the hash table once, sized
 * for the names loaded. No reader may use the index in between. end returns 0, or -1
 * when out of memory. */
void nindex_bulk_begin(nindex_t *ix);
int nindex_bulk_end(nindex_t *ix);

/* Insert a name or set its first_seen to fs whatever it was (a name that returned to its
 * zone with keep-first-seen: no; the name's "added" becomes the clock). A changed time
 * counts in nindex_lowered(), since older versions can no longer be diffed exactly.
 * Returns 0 with *out (may be NULL), -1 as nindex_put. */
int nindex_set(nindex_t *ix, const uint8_t *rel, size_t len, int64_t fs,
	enum nindex_outcome *out);

/* 1 and *fs when the name is present, else 0. */
int nindex_get(const nindex_t *ix, const uint8_t *rel, size_t len, int64_t *fs);

/* Start loading the memory a later nindex_get() of rel reads, without waiting for it:
 * stage 0 its home slot; stage 1 (once stage 0 had time to arrive) the record the slot
 * points to. A batch of lookups runs stage 0 for all, then stage 1 for all, then the
 * lookups, so their cache misses overlap. No effect on any answer; read lock held. */
void nindex_prefetch(const nindex_t *ix, const uint8_t *rel, size_t len, int stage);

/* 1 and *newest when rel is a proper ancestor of an indexed name that is not excluded,
 * with the newest first_seen among those names below it, else 0. */
int nindex_ancestor(const nindex_t *ix, const uint8_t *rel, size_t len, int64_t *newest);

/* Names held but in no published zone (the allow-list's) make no empty non-terminal:
 * excluded(ctx, rel, len) is 1 for such a name, and its ancestors leave it out (NULL: no
 * name is excluded). Called by the writer, with or without the index lock held; set it
 * before the first name is put, and call nindex_ancestors_rebuild once its answers change. */
typedef int (*nindex_exclude_fn)(void *ctx, const uint8_t *rel, size_t len);
void nindex_set_exclude(nindex_t *ix, nindex_exclude_fn excluded, void *ctx);
/* The ancestors made again from the names held, the excluded left out; readers wait only
 * for the swap. 0, or -1 when out of memory (the ancestors kept as they were). */
int nindex_ancestors_rebuild(nindex_t *ix);

/* Remove every name with first_seen <= before, and ancestors left without names; when a
 * first_seen was lowered since the last purge, the ancestors are rebuilt even when no name
 * goes (nindex_ancestors_stale). The cost is that of the names removed: they are found at
 * the front of the insertion order (policy/index_purge.c). With a history kept, the names
 * removed go to it, and the history forgets the names of purges whose before is keep
 * seconds older than this one's. Returns the number of names removed, or -1 when out of
 * memory (nothing changed). */
long nindex_purge(nindex_t *ix, int64_t before);

/* Keep the names purges remove, packed, for keep seconds more (policy/history.h): the
 * IXFR history must list the deletion of a name that left the largest window up to a day
 * ago (policy/versions.c). 0, or -1 when out of memory. */
int nindex_keep_history(nindex_t *ix, int64_t keep);
/* Within nindex_bulk_begin/end, with a history kept: the names put with first_seen <=
 * before go straight to the history (in the order put, which must be first_seen order),
 * as if a purge at before had removed them. */
void nindex_bulk_history(nindex_t *ix, int64_t before);
/* Names in the history and its heap bytes (part of nindex_memory). */
size_t nindex_history_count(const nindex_t *ix);
size_t nindex_history_memory(const nindex_t *ix);
/* 1 when a lowered first_seen may have left an ancestor newer than every name below it
 * (an empty non-terminal still answered as in a window) until the next nindex_purge. */
int nindex_ancestors_stale(const nindex_t *ix);

/* Number of names held. */
size_t nindex_count(const nindex_t *ix);

/* Number of names with first_seen > since. */
size_t nindex_count_since(nindex_t *ix, int64_t since);

/* 1 when some name has lo < first_seen <= hi: with lo = t1 - W and hi = t2 - W it tells
 * whether a name left window W between t1 and t2. Writer only. */
int nindex_any_between(nindex_t *ix, int64_t lo, int64_t hi);

/* Call cb for each name (any order). Writer only, or under the read lock. */
typedef void (*nindex_cb)(void *ctx, const uint8_t *rel, size_t len, int64_t fs);
void nindex_foreach(const nindex_t *ix, nindex_cb cb, void *ctx);

/* The IXFR history (policy/versions.c) needs when each name entered the index: names put
 * from now on get "added" = t. Default INT64_MIN ("always there": names loaded at start). */
void nindex_set_clock(nindex_t *ix, int64_t t);
/* 1 and *added when the name is present. */
int nindex_get_added(const nindex_t *ix, const uint8_t *rel, size_t len, int64_t *added);
/* How many times a first_seen was lowered, or changed by nindex_set (older versions can
 * then not be diffed). */
uint64_t nindex_lowered(const nindex_t *ix);
/* Call cb for each name held and each name in the history, history first, with its
 * first_seen and added; names with first_seen <= since may be left out. Writer only. */
typedef void (*nindex_added_cb)(void *ctx, const uint8_t *rel, size_t len, int64_t fs,
	int64_t added);
void nindex_foreach_added(const nindex_t *ix, int64_t since, nindex_added_cb cb, void *ctx);

/* Approximate heap bytes held. */
size_t nindex_memory(const nindex_t *ix);

#endif
