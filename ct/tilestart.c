/* tilestart.c -- a static-ct-api log's hash tiles, for the two things only they give:
 * - where a log nodd never read starts (ct.start: end or an index): the frontier of the
 *   first `start` entries is made of a few subtree hashes, each in one hash tile
 *   (ct_frontier_spans), and built from them (ct_frontier_from_spans); it is checked
 *   against the signed root when the reading reaches a checkpoint;
 * - whether the entries read up to a position short of the checkpoint belong to it: the
 *   subtrees covering [position, checkpoint size) come from the hash tiles and, appended
 *   to the frontier of what was read, must give the checkpoint's root.
 * The tiles are fetched one at a time, paced like every request. Reads no entry. */
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
	f->tiles_check = 0;
}

static void next_tile(struct ct_follow *f);
static void checked(struct ct_follow *f);

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
	if (f->tiles_check) {
		checked(f);
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

/* The subtrees covering [from, size), left to right, as tile spans: each perfect subtree
 * of 2^k leaves is 2^(k mod 8) consecutive hashes of a tile at level k/8. -1 when there
 * are more than 64 or one lies above level 5. */
static int range_spans(uint64_t from, uint64_t size, struct ct_tile_span out[64])
{
	int n = 0;
	for (uint64_t pos = from; pos < size;) {
		int k = pos ? __builtin_ctzll(pos) : 63;
		while (k > 0 && (k >= 64 || (1ULL << k) > size - pos))
			k--;
		if (n == 64 || k / 8 > 5)
			return -1;
		uint64_t j = (pos >> k) << (k % 8), nl = size >> (8 * (k / 8));
		uint64_t tile = j / 256;
		out[n++] = (struct ct_tile_span){ .level = k / 8, .index = tile,
			.width = (unsigned)(nl - tile * 256 < 256 ? nl - tile * 256 : 256),
			.first = (unsigned)(j % 256), .count = 1u << (k % 8) };
		pos += 1ULL << k;
	}
	return n;
}

/* The root of the frontier of [0, work.size) extended by the spans' subtrees; -1 when a
 * tile is too short. */
static int extended_root(struct ct_follow *f, uint8_t root[32])
{
	uint8_t h[130][32];
	uint64_t sz[130];
	int n = 0;
	for (int b = 63, i = 0; b >= 0; b--)
		if (f->work.size >> b & 1) {
			memcpy(h[n], f->work.h[i++], 32);
			sz[n++] = 1ULL << b;
		}
	for (int i = 0; i < f->nspans; i++) {
		const struct ct_tile_span *s = &f->spans[i];
		if (f->tile_len[i] < (size_t)(s->first + s->count) * 32)
			return -1;
		ct_hash_range((const uint8_t (*)[32])(f->tiles[i] + s->first * 32), s->count, h[n]);
		sz[n++] = (uint64_t)s->count << (8 * s->level);
		while (n >= 2 && sz[n - 2] == sz[n - 1]) {
			ct_hash_node(h[n - 2], h[n - 1], h[n - 2]);
			sz[n - 2] *= 2;
			n--;
		}
	}
	if (n == 0)
		return -1;
	memcpy(root, h[n - 1], 32);
	for (int i = n - 2; i >= 0; i--)
		ct_hash_node(h[i], root, root);
	return 0;
}

static void checked(struct ct_follow *f)
{
	uint8_t root[32];
	int rc = extended_root(f, root);
	ct_tiles_free(f);
	if (rc < 0 || memcmp(root, f->sth.root, 32) != 0) {
		ct_follow_fail(f, "entries [%" PRIu64 ", %" PRIu64 ") do not match the signed root "
			"of size %" PRIu64 "%s", f->done.size, f->target, f->sth.tree_size,
			rc < 0 ? " (a hash tile is too short)" : "");
		return;
	}
	ct_follow_verified(f);
}

void ct_tiles_check(struct ct_follow *f)
{
	if (f->nspans == 0) {
		int n = range_spans(f->target, f->sth.tree_size, f->spans);
		if (n <= 0) {
			ct_follow_fail(f, "cannot cover [%" PRIu64 ", %" PRIu64 ") with hash tiles",
				f->target, f->sth.tree_size);
			return;
		}
		f->nspans = n;
		f->got = 0;
		f->tiles_check = 1;
	}
	next_tile(f);
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
		f->tiles_check = 0;
		if (n == 0) {
			struct ct_frontier fr;
			ct_frontier_init(&fr);
			ct_follow_started(f, &fr);
			return;
		}
	}
	next_tile(f);
}
