/* tilestart.c -- where a static-ct-api log nodd never read starts (ct.start: end or an
 * index): the frontier of the first `start` entries is made of a few subtree hashes, each
 * in one hash tile (ct_frontier_spans); they are fetched one at a time, paced like every
 * request, and the frontier built from them (ct_frontier_from_spans). It is checked against
 * the signed root when the reading reaches a checkpoint. Reads no entry. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ct/follow_int.h"
#include "lib/log.h"

void ct_tiles_free(struct ct_follow *f)
{
	for (int i = 0; i < f->got; i++)
		free(f->tiles[i]);
	f->got = 0;
	f->nspans = 0;
}

static void next_tile(struct ct_follow *f);

static void on_tile(void *ctx, const struct ct_http *r)
{
	struct ct_follow *f = ctx;
	if (!ct_follow_answered(f, "hash tile", r))
		return;
	uint8_t *copy = malloc(r->len ? r->len : 1);
	if (!copy) {
		struct ct_http oom = { .status = r->status, .error = "out of memory", .retry_after = -1 };
		ct_follow_backoff(f, "hash tile", &oom);
		ct_follow_kick(f);
		return;
	}
	memcpy(copy, r->body, r->len);
	f->tiles[f->got] = copy;
	f->tile_len[f->got] = r->len;
	f->got++;
	next_tile(f);
}

/* Fetch the next span's tile (a tile named by an earlier span is copied), or build the
 * frontier when every span has its tile. */
static void next_tile(struct ct_follow *f)
{
	while (f->got < f->nspans) {
		const struct ct_tile_span *s = &f->spans[f->got];
		int same = -1;
		for (int j = 0; j < f->got && same < 0; j++)
			if (f->spans[j].level == s->level && f->spans[j].index == s->index &&
			    f->spans[j].width == s->width)
				same = j;
		if (same < 0)
			break;
		f->tiles[f->got] = malloc(f->tile_len[same] ? f->tile_len[same] : 1);
		if (!f->tiles[f->got])
			return; /* tried again at the next step */
		memcpy(f->tiles[f->got], f->tiles[same], f->tile_len[same]);
		f->tile_len[f->got] = f->tile_len[same];
		f->got++;
	}
	if (f->got < f->nspans) {
		if (!ct_follow_may_send(f))
			return;
		const struct ct_tile_span *s = &f->spans[f->got];
		char path[128], url[1024];
		ct_tile_path(path, sizeof path, s->level, s->index, s->width == 256 ? 0 : s->width);
		snprintf(url, sizeof url, "%s%s", f->mon, path);
		f->ctl = ct_follow_get(f, url, on_tile, f);
		return;
	}
	struct ct_frontier fr;
	int rc = ct_frontier_from_spans(&fr, f->target, f->spans, f->nspans,
		(const uint8_t *const *)f->tiles, f->tile_len);
	ct_tiles_free(f);
	if (rc < 0) {
		ct_follow_fail(f, "a hash tile is shorter than the tree head says");
		return;
	}
	ct_follow_started(f, &fr);
}

void ct_tiles_start(struct ct_follow *f)
{
	if (f->nspans == 0) {
		int n = ct_frontier_spans(f->target, f->sth.tree_size, f->spans);
		if (n < 0) {
			ct_follow_fail(f, "start %" PRIu64 " beyond the tree head", f->target);
			return;
		}
		f->nspans = n;
		f->got = 0;
		if (n == 0) {
			struct ct_frontier fr;
			ct_frontier_init(&fr);
			ct_follow_started(f, &fr);
			return;
		}
	}
	next_tile(f);
}
