/* history.c -- the departed names' batches (see history.h).
 *
 * DESIGN
 * A singly linked queue of batches, each one malloc holding its records back to back. The
 * open batch grows by doubling while a purge appends to it and is trimmed to its length
 * when sealed, so a day of history at a purge a minute is about 1440 allocations however
 * many names it holds. Dropping is freeing the front batches; nothing moves.
 */
#include "policy/history.h"

#include <stdlib.h>
#include <string.h>

struct batch {
	struct batch *next;
	int64_t stamp;
	size_t len, cap, count;
	uint8_t data[];
};

struct nhist {
	struct batch *first, *last; /* sealed, oldest first */
	struct batch *open;         /* being appended to; NULL when none */
	size_t count;               /* records in sealed batches */
	size_t bytes;               /* heap bytes of all batches */
};

nhist_t *nhist_new(void)
{
	return calloc(1, sizeof(nhist_t));
}

void nhist_free(nhist_t *h)
{
	if (!h)
		return;
	for (struct batch *b = h->first, *n; b; b = n) {
		n = b->next;
		free(b);
	}
	free(h->open);
	free(h);
}

int nhist_reserve(nhist_t *h, size_t bytes)
{
	struct batch *b = h->open;
	size_t len = b ? b->len : 0, cap = b ? b->cap : 0;
	if (len + bytes <= cap)
		return 0;
	size_t nc = cap ? cap * 2 : 4096;
	while (nc < len + bytes)
		nc *= 2;
	struct batch *nb = realloc(b, sizeof *nb + nc);
	if (!nb)
		return -1;
	if (!b) {
		memset(nb, 0, sizeof *nb);
		h->bytes += sizeof *nb;
	}
	h->bytes += nc - cap;
	nb->cap = nc;
	h->open = nb;
	return 0;
}

int nhist_append(nhist_t *h, const void *rec, size_t n)
{
	if (nhist_reserve(h, n) < 0)
		return -1;
	struct batch *b = h->open;
	memcpy(b->data + b->len, rec, n);
	b->len += n;
	b->count++;
	return 0;
}

void nhist_seal(nhist_t *h, int64_t stamp)
{
	struct batch *b = h->open;
	if (!b || b->count == 0)
		return;
	h->open = NULL;
	struct batch *fit = realloc(b, sizeof *b + b->len);
	if (fit) {
		h->bytes -= fit->cap - fit->len;
		fit->cap = fit->len;
		b = fit;
	}
	b->stamp = stamp;
	b->next = NULL;
	if (h->last)
		h->last->next = b;
	else
		h->first = b;
	h->last = b;
	h->count += b->count;
}

size_t nhist_drop(nhist_t *h, int64_t upto)
{
	size_t n = 0;
	while (h->first && h->first->stamp <= upto) {
		struct batch *b = h->first;
		h->first = b->next;
		if (!h->first)
			h->last = NULL;
		n += b->count;
		h->count -= b->count;
		h->bytes -= sizeof *b + b->cap;
		free(b);
	}
	return n;
}

void nhist_each(const nhist_t *h, int64_t after, nhist_cb cb, void *ctx)
{
	for (const struct batch *b = h->first; b; b = b->next)
		if (b->stamp > after)
			cb(ctx, b->data, b->len);
}

size_t nhist_count(const nhist_t *h)
{
	return h->count;
}

size_t nhist_memory(const nhist_t *h)
{
	return sizeof *h + h->bytes;
}
