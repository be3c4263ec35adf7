/* test_history.c -- the departed names' batches: records come back in the order appended,
 * batch by batch oldest first; a walk skips batches stamped at or before its time; a drop
 * frees the front batches up to a stamp and no further; an empty batch is not kept. */
#include <string.h>

#include "policy/history.h"
#include "tests/unit/tap.h"

struct walk {
	char seen[64];
	size_t n;
};

static void each_cb(void *ctx, const uint8_t *data, size_t len)
{
	struct walk *w = ctx;
	for (size_t i = 0; i < len && w->n + 1 < sizeof w->seen; i++)
		w->seen[w->n++] = (char)data[i];
	w->seen[w->n] = '\0';
}

int main(void)
{
	nhist_t *h = nhist_new();
	ok(h != NULL, "created");
	ok(nhist_append(h, "ab", 2) == 0 && nhist_append(h, "c", 1) == 0, "appended");
	nhist_seal(h, 100);
	nhist_seal(h, 150); /* nothing open: no batch */
	ok(nhist_reserve(h, 5000) == 0 && nhist_append(h, "de", 2) == 0, "reserved, appended");
	nhist_seal(h, 200);
	ok(nhist_append(h, "f", 1) == 0, "one more");
	nhist_seal(h, 300);
	is_int((long long)nhist_count(h), 4, "four records in three batches");
	struct walk w = { "", 0 };
	nhist_each(h, 0, each_cb, &w);
	is_str(w.seen, "abcdef", "all batches, oldest first, records in order");
	w.n = 0;
	nhist_each(h, 200, each_cb, &w);
	is_str(w.seen, "f", "a walk after 200 skips the batches stamped 100 and 200");
	size_t before = nhist_memory(h);
	is_int((long long)nhist_drop(h, 199), 2, "drop up to 199: the batch stamped 100 only");
	ok(nhist_memory(h) < before, "its memory given back");
	w.n = 0;
	nhist_each(h, 0, each_cb, &w);
	is_str(w.seen, "def", "the later batches kept");
	is_int((long long)nhist_drop(h, 1000), 2, "drop the rest");
	is_int((long long)nhist_count(h), 0, "empty");
	ok(nhist_append(h, "g", 1) == 0, "appended after emptying");
	nhist_seal(h, 400);
	w.n = 0;
	nhist_each(h, 0, each_cb, &w);
	is_str(w.seen, "g", "a new batch after emptying");
	nhist_free(h);
	nhist_free(NULL);
	return tap_done();
}
