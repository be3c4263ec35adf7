/* index_purge.c -- names leaving the index as they age (index.h: nindex_purge), into the
 * history of departed names when one is kept (policy/history.h). Owns nothing else of the
 * index: lookups, inserts and the bulk load are index.c's.
 *
 * DESIGN
 * Names reach the arena in about first_seen order (an observation carries the time it is
 * made, the start-up load is sorted by it), so the names a purge removes lie at the
 * arena's front. A purge walks from the front until it has met every name to remove (the
 * sorted first_seen array says how many), and for each: copies its record to the history,
 * empties its slot by backward shift (no tombstones: probes stay as short as in a fresh
 * table), and drops the ancestors only it kept. A survivor met on the way (a name
 * imported late with an older first_seen behind it, a reset time) moves to the arena's
 * end, so the walked front is free; once that front is a third of the arena, the rest is
 * copied to a fresh arena. Slot references count from the table's first record ever kept
 * (ntab.base), so neither a move of the front nor anything else renumbers the slots: a
 * purge costs the names it removes, not the names kept. Readers wait for one batch of
 * slot changes at a time.
 *
 * The tables are rebuilt whole instead (purge_rebuild) when ancestors must be recomputed
 * (a first_seen was lowered: nindex_ancestors_stale), when more than half the names go
 * (a restart after a long stop), and when the 32-bit reference space is half used.
 */
#include <stdlib.h>
#include <string.h>

#include "policy/index_int.h"

#define PURGE_BATCH 256      /* names removed per hold of the write lock */
#define FRONT_MIN (1u << 16) /* arena bytes free at the front before it is dropped */

/* Empty the slot holding ref (its key's hash h) by backward shift: each later entry of the
 * probe run moves back into the hole unless its home lies cyclically after the hole. */
static void slot_del(struct ntab *t, uint64_t seed, uint64_t h, uint32_t ref)
{
	size_t i = ix_home(h, t->cap);
	while (t->slots[i].ref != ref) {
		if (t->slots[i].ref == 0)
			return;
		if (++i == t->cap)
			i = 0;
	}
	size_t j = i;
	for (;;) {
		if (++j == t->cap)
			j = 0;
		struct slot *s = &t->slots[j];
		if (s->ref == 0)
			break;
		const uint8_t *r = rec_at(t, s->ref);
		size_t k = ix_home(key_hash(seed, rec_key(r), rec_len(r)), t->cap);
		int stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
		if (stays)
			continue;
		t->slots[i] = *s;
		i = j;
	}
	t->slots[i].ref = 0;
	t->slots[i].frag = 0;
}

/* Remove the record at arena offset off of table t (its key hash h) from the slots. */
static void rec_remove(struct ntab *t, uint64_t seed, uint64_t h, size_t off)
{
	uint8_t *r = t->arena + off;
	slot_del(t, seed, h, ref_of(t, off));
	rec_set_v(r, T_DEAD);
	t->count--;
	t->dead_bytes += rec_size(r);
}

/* The ancestors of rel whose newest name is no newer than before have no name left below
 * them once the purge is done: remove them. */
static void anc_forget(nindex_t *ix, const uint8_t *rel, size_t len, int32_t before)
{
	struct ntab *anc = ix->anc;
	size_t i = 1 + (size_t)rel[0];
	while (i < len) {
		const uint8_t *k = rel + i;
		size_t kl = len - i;
		uint64_t h = key_hash(ix->seed, k, kl);
		uint8_t *r = ntab_find(anc, k, kl, h);
		if (r && rec_v(r) <= before)
			rec_remove(anc, ix->seed, h, (size_t)(r - anc->arena));
		i += 1 + (size_t)rel[i];
	}
}

/* The name at off leaves: into the history (room reserved), out of the slots and ancestors. */
static void depart(nindex_t *ix, size_t off, int32_t before)
{
	struct ntab *t = ix->names;
	const uint8_t *r = t->arena + off;
	if (ix->hist_keep)
		nhist_append(ix->hist, r, rec_size(r));
	uint8_t key[256];
	size_t len = rec_len(r);
	memcpy(key, rec_key(r), len);
	rec_remove(t, ix->seed, key_hash(ix->seed, key, len), off);
	anc_forget(ix, key, len, before);
}

/* Copy the live record at off to the arena's end and point its slot there. 0, or -1 when
 * out of memory (the record stays where it is). */
static int move_to_tail(struct ntab *t, uint64_t seed, size_t off)
{
	size_t n = rec_size(t->arena + off);
	if (ntab_reserve(t, n) < 0)
		return -1;
	uint8_t *r = t->arena + off;
	size_t to = t->arena_len;
	memcpy(t->arena + to, r, n);
	t->arena_len += n;
	uint32_t oref = ref_of(t, off);
	size_t i = ix_home(key_hash(seed, rec_key(r), rec_len(r)), t->cap);
	while (t->slots[i].ref != oref)
		if (++i == t->cap)
			i = 0;
	t->slots[i].ref = ref_of(t, to);
	rec_set_v(r, T_DEAD);
	t->dead_bytes += n;
	return 0;
}

/* Advance t's head over removed records; drop the front when it is a third of the arena:
 * the rest goes to a fresh arena (copied outside the lock: only the writer changes it). */
static void front_drop(nindex_t *ix, struct ntab *t)
{
	while (t->head < t->arena_len && rec_v(t->arena + t->head) == T_DEAD) {
		t->dead_bytes -= rec_size(t->arena + t->head);
		t->head += rec_size(t->arena + t->head);
	}
	if (t->head < FRONT_MIN || t->head * 3 < t->arena_len)
		return;
	size_t live = t->arena_len - t->head, cap = live + live / 2 + 256;
	uint8_t *na = ntab_arena_resize(NULL, cap, 0);
	if (!na)
		return; /* kept as it is; tried again at the next purge */
	memcpy(na, t->arena + t->head, live);
	pthread_rwlock_wrlock(&ix->lock);
	uint8_t *old = t->arena;
	t->arena = na;
	t->base += t->head;
	t->arena_len = live;
	t->arena_cap = cap;
	t->head = 0;
	pthread_rwlock_unlock(&ix->lock);
	free(old);
}

/* A fresh copy of table t without its removed records (same order): for the ancestors
 * once removed ones are half their arena. NULL when out of memory. */
static struct ntab *ntab_compact(const struct ntab *t, uint64_t seed)
{
	struct ntab *n = ntab_new(t->count, t->arena_len - t->head - t->dead_bytes + 1);
	if (!n)
		return NULL;
	EACH_REC(t, off) {
		const uint8_t *r = t->arena + off;
		if (rec_v(r) == T_DEAD)
			continue;
		if (!ntab_add(n, seed, rec_key(r), rec_len(r), key_hash(seed, rec_key(r), rec_len(r)),
			    rec_v(r), rec_added(r), 1)) {
			ntab_free(n);
			return NULL;
		}
	}
	return n;
}

static void anc_tidy(nindex_t *ix)
{
	struct ntab *a = ix->anc;
	front_drop(ix, a);
	if (a->dead_bytes < FRONT_MIN || a->dead_bytes * 2 < a->arena_len - a->head)
		return;
	struct ntab *n = ntab_compact(a, ix->seed);
	if (!n)
		return;
	pthread_rwlock_wrlock(&ix->lock);
	ix->anc = n;
	pthread_rwlock_unlock(&ix->lock);
	ntab_free(a);
}

static long purge_rebuild(nindex_t *ix, int64_t before, size_t gone);

/* Remove the gone names with first_seen <= before from the front (see DESIGN). */
static long purge_front(nindex_t *ix, int64_t before, size_t gone)
{
	struct ntab *t = ix->names;
	int32_t eb = t_enc(before);
	size_t found = 0, end = t->head, hbytes = 0;
	while (found < gone && end < t->arena_len) {
		const uint8_t *r = t->arena + end;
		if (rec_v(r) != T_DEAD && rec_v(r) <= eb) {
			found++;
			hbytes += rec_size(r);
		}
		end += rec_size(r);
	}
	if (found != gone)
		return purge_rebuild(ix, before, gone); /* the array disagrees: start afresh */
	if (ix->hist_keep && nhist_reserve(ix->hist, hbytes) < 0)
		return -1;
	size_t off = t->head;
	while (off < end) {
		pthread_rwlock_wrlock(&ix->lock);
		for (int n = 0; n < PURGE_BATCH && off < end; n++) {
			int32_t v = rec_v(t->arena + off);
			size_t sz = rec_size(t->arena + off);
			if (v != T_DEAD && v <= eb)
				depart(ix, off, eb);
			else if (v != T_DEAD)
				(void)move_to_tail(t, ix->seed, off); /* else the head stops at it */
			off += sz;
		}
		pthread_rwlock_unlock(&ix->lock);
	}
	memmove(ix->fsv, ix->fsv + gone, (ix->nfsv - gone) * sizeof *ix->fsv);
	ix->nfsv -= gone;
	front_drop(ix, t);
	anc_tidy(ix);
	return (long)gone;
}

/* Copy the records with first_seen > before (keep of them, bytes of arena) into fresh
 * name and ancestor tables, and the others to the history (room reserved). */
static int purge_build(const nindex_t *ix, int64_t before, size_t keep, size_t bytes,
	struct ntab **nn, struct ntab **na)
{
	const struct ntab *old = ix->names;
	*nn = ntab_new(keep, bytes ? bytes : 1);
	*na = ntab_new(keep / 4 + 16, 0);
	if (!*nn || !*na)
		return -1;
	EACH_REC(old, off) {
		const uint8_t *r = old->arena + off;
		if (rec_v(r) == T_DEAD)
			continue;
		if (t_dec(rec_v(r)) <= before) {
			if (ix->hist_keep)
				nhist_append(ix->hist, r, rec_size(r));
			continue;
		}
		const uint8_t *key = rec_key(r);
		size_t len = rec_len(r);
		uint64_t h = key_hash(ix->seed, key, len);
		if (!ntab_add(*nn, ix->seed, key, len, h, rec_v(r), rec_added(r), 1) ||
		    (ix_anc_counts(ix, key, len) && ntab_anc_update(*na, ix->seed, key, len, rec_v(r)) < 0))
			return -1;
	}
	return 0;
}

/* Build fresh tables from the survivors and swap them in (see DESIGN for when). */
static long purge_rebuild(nindex_t *ix, int64_t before, size_t gone)
{
	const struct ntab *old = ix->names;
	size_t keep = 0, bytes = 0, hbytes = 0;
	EACH_REC(old, off) {
		const uint8_t *r = old->arena + off;
		if (rec_v(r) == T_DEAD)
			continue;
		if (t_dec(rec_v(r)) > before) {
			keep++;
			bytes += rec_size(r);
		} else {
			hbytes += rec_size(r);
		}
	}
	struct ntab *nn = NULL, *na = NULL;
	int32_t *nf = malloc((keep ? keep : 1) * sizeof *nf);
	if (!nf || (ix->hist_keep && nhist_reserve(ix->hist, hbytes) < 0) ||
	    purge_build(ix, before, keep, bytes, &nn, &na) < 0) {
		ntab_free(nn);
		ntab_free(na);
		free(nf);
		return -1;
	}
	/* the survivors' times are the sorted array's tail */
	memcpy(nf, ix->fsv + gone, keep * sizeof *nf);
	pthread_rwlock_wrlock(&ix->lock);
	struct ntab *on = ix->names, *oa = ix->anc;
	int32_t *of = ix->fsv;
	ix->names = nn;
	ix->anc = na;
	ix->fsv = nf;
	ix->nfsv = keep;
	ix->fsv_cap = keep ? keep : 1;
	ix->fsv_sorted = 1;
	ix->fsv_stale = 0;
	ix->anc_stale = 0;
	pthread_rwlock_unlock(&ix->lock);
	ntab_free(on);
	ntab_free(oa);
	free(of);
	return (long)gone;
}

long nindex_purge(nindex_t *ix, int64_t before)
{
	ix_fsv_prepare(ix);
	size_t gone = ix_fsv_upper(ix, before);
	long n = 0;
	if (gone || ix->anc_stale) {
		const struct ntab *t = ix->names;
		if (ix->anc_stale || gone > t->count / 2 || t->base > (size_t)UINT32_MAX / 2)
			n = purge_rebuild(ix, before, gone);
		else
			n = purge_front(ix, before, gone);
		if (n < 0)
			return -1;
		if (ix->hist_keep)
			nhist_seal(ix->hist, before);
	}
	if (ix->hist_keep)
		nhist_drop(ix->hist, before - ix->hist_keep);
	return n;
}

int nindex_keep_history(nindex_t *ix, int64_t keep)
{
	if (!ix->hist && !(ix->hist = nhist_new()))
		return -1;
	ix->hist_keep = keep > 0 ? keep : 0;
	return 0;
}

void nindex_bulk_history(nindex_t *ix, int64_t before)
{
	if (ix->bulk && ix->hist) {
		ix->bulk_hist = 1;
		ix->bulk_before = before;
	}
}
