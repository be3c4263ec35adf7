/* history.h -- the names that left the index (aged past the largest window), kept so an
 * IXFR from a version up to a day old can still list their deletion (policy/versions.c).
 *
 * A queue of packed, append-only batches, one per purge, in the order the names left: a
 * batch is stamped with the purge's "before" (every name in it has first_seen <= stamp),
 * so a whole batch is dropped from the front once no diffable version can hold its names,
 * and a walk for a version skips the batches too old to matter. Entries are opaque byte
 * records (policy/index.c writes its own record form). Nothing is allocated per name and
 * nothing is hashed: a name in the history costs its record alone.
 *
 * Writer only (the main thread): the UDP readers never see the history. */
#ifndef NODD_HISTORY_H
#define NODD_HISTORY_H

#include <stddef.h>
#include <stdint.h>

typedef struct nhist nhist_t;

nhist_t *nhist_new(void);
void nhist_free(nhist_t *h); /* NULL is a no-op */

/* Room for bytes more in the open batch, so the appends that follow cannot fail. 0, or -1
 * when out of memory (nothing changed). */
int nhist_reserve(nhist_t *h, size_t bytes);
/* Append one record of n bytes to the open batch. 0, or -1 when out of memory. */
int nhist_append(nhist_t *h, const void *rec, size_t n);
/* Close the open batch (when it holds records) as the newest, stamped stamp. */
void nhist_seal(nhist_t *h, int64_t stamp);
/* Drop the oldest batches while their stamp is <= upto. Returns the records dropped. */
size_t nhist_drop(nhist_t *h, int64_t upto);

/* Call cb with the bytes of every closed batch stamped after `after`, oldest first. */
typedef void (*nhist_cb)(void *ctx, const uint8_t *data, size_t len);
void nhist_each(const nhist_t *h, int64_t after, nhist_cb cb, void *ctx);

size_t nhist_count(const nhist_t *h);  /* records held */
size_t nhist_memory(const nhist_t *h); /* heap bytes held */

#endif
