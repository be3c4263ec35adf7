/* wsframes.c -- the shared cache of framed WebSocket records (see wsframes.h). Owns the
 * chunks and their bytes; reads the outbox only through a sink cursor (streams/sink.h);
 * knows nothing of clients or connections. Frames are written here rather than by wslay
 * because wslay copies each message into every client's queue; a server frame is a
 * 2-10 byte header and the unmasked payload (RFC 6455 5.2), built once for all clients. */
#include "streams/wsframes.h"

#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "streams/sink.h"

#define CHUNK_BYTES (64 * 1024) /* a chunk is closed at this size ... */
#define CHUNK_RECS 2048         /* ... or at this many records */

struct ws_chunk {
	TAILQ_ENTRY(ws_chunk) link; /* in its topic's cache, by seq */
	int refs;                   /* the cache's and every output's */
	uint64_t first;             /* seq of the first record */
	uint32_t n;                 /* records: first .. first + n - 1 */
	uint32_t *off;              /* off[i]: where record first + i starts; off[n] = len */
	size_t len, cap;
	unsigned char *data;
};

TAILQ_HEAD(chunk_list, ws_chunk);

struct ws_frames {
	outbox_t *ob;
	size_t max_bytes;
	struct chunk_list cache[OUTBOX_TOPICS];
	size_t bytes[OUTBOX_TOPICS];
};

static void chunk_unref(struct ws_chunk *ch)
{
	if (--ch->refs > 0)
		return;
	free(ch->off);
	free(ch->data);
	free(ch);
}

static void chunk_release(const void *data, size_t len, void *arg)
{
	(void)data;
	(void)len;
	chunk_unref(arg);
}

static size_t chunk_size(const struct ws_chunk *ch)
{
	return sizeof *ch + ch->cap + (ch->n + 1) * sizeof *ch->off;
}

struct ws_frames *ws_frames_new(outbox_t *ob, size_t cache_bytes)
{
	struct ws_frames *wf = calloc(1, sizeof *wf);
	if (!wf)
		return NULL;
	wf->ob = ob;
	wf->max_bytes = cache_bytes;
	for (int t = 0; t < OUTBOX_TOPICS; t++)
		TAILQ_INIT(&wf->cache[t]);
	return wf;
}

static void drop_oldest(struct ws_frames *wf, int topic)
{
	struct ws_chunk *ch = TAILQ_FIRST(&wf->cache[topic]);
	TAILQ_REMOVE(&wf->cache[topic], ch, link);
	wf->bytes[topic] -= chunk_size(ch);
	chunk_unref(ch);
}

void ws_frames_free(struct ws_frames *wf)
{
	if (!wf)
		return;
	for (int t = 0; t < OUTBOX_TOPICS; t++)
		while (!TAILQ_EMPTY(&wf->cache[t]))
			drop_oldest(wf, t);
	free(wf);
}

struct build {
	struct ws_chunk *ch;
	int failed;
};

/* Append one record as a text frame; refused when the chunk is full. */
static int frame_record(void *ctx, const struct sink_record *r)
{
	struct build *b = ctx;
	struct ws_chunk *ch = b->ch;
	unsigned char hdr[10];
	size_t hl = 2;
	hdr[0] = 0x81; /* FIN, text */
	if (r->len < 126) {
		hdr[1] = (unsigned char)r->len;
	} else if (r->len < 65536) {
		hdr[1] = 126;
		hdr[2] = (unsigned char)(r->len >> 8);
		hdr[3] = (unsigned char)r->len;
		hl = 4;
	} else {
		hdr[1] = 127;
		for (int i = 0; i < 8; i++)
			hdr[2 + i] = (unsigned char)((uint64_t)r->len >> (56 - 8 * i));
		hl = 10;
	}
	size_t need = hl + r->len;
	if (ch->n > 0 && ch->len + need > CHUNK_BYTES)
		return 1;
	if (ch->len + need > ch->cap) {
		size_t cap = ch->len + need > CHUNK_BYTES ? ch->len + need : CHUNK_BYTES;
		unsigned char *d = realloc(ch->data, cap);
		if (!d) {
			b->failed = 1;
			return 1;
		}
		ch->data = d;
		ch->cap = cap;
	}
	memcpy(ch->data + ch->len, hdr, hl);
	memcpy(ch->data + ch->len + hl, r->payload, r->len);
	ch->off[ch->n++] = (uint32_t)ch->len;
	ch->len += need;
	ch->off[ch->n] = (uint32_t)ch->len;
	return 0;
}

/* A new chunk of topic from seq on, at most limit records; NULL with *err 0 when the
 * outbox has none, with *err 1 on a failure. */
static struct ws_chunk *build_chunk(struct ws_frames *wf, int topic, uint64_t seq, int limit,
	int *err)
{
	struct ws_chunk *ch = calloc(1, sizeof *ch);
	if (!ch || !(ch->off = malloc(((size_t)limit + 1) * sizeof *ch->off))) {
		free(ch);
		*err = 1;
		return NULL;
	}
	ch->refs = 1;
	ch->first = seq;
	struct sink_cursor cur;
	sink_cursor_init(&cur, wf->ob, topic, seq);
	struct build b = { ch, 0 };
	int n = sink_cursor_pull(&cur, limit, frame_record, &b);
	if (n < 0 || b.failed || ch->n == 0) {
		*err = n < 0 || b.failed;
		chunk_unref(ch);
		return NULL;
	}
	uint32_t *off = realloc(ch->off, (ch->n + 1) * sizeof *off);
	if (off)
		ch->off = off;
	unsigned char *d = ch->len < ch->cap / 2 ? realloc(ch->data, ch->len) : NULL;
	if (d) { /* a chunk at the live edge is often small: keep only what it holds */
		ch->data = d;
		ch->cap = ch->len;
	}
	return ch;
}

/* The chunk of topic holding seq, built from the outbox (and cached) when none does.
 * NULL with *err 0 when the outbox has no record at seq yet. */
static struct ws_chunk *chunk_at(struct ws_frames *wf, int topic, uint64_t seq, int *err)
{
	struct chunk_list *l = &wf->cache[topic];
	struct ws_chunk *prev = NULL, *ch;
	/* clients at the live edge ask for the newest chunks: search from the end */
	TAILQ_FOREACH_REVERSE(ch, l, chunk_list, link) {
		if (ch->first <= seq) {
			if (seq < ch->first + ch->n)
				return ch;
			prev = ch;
			break;
		}
	}
	struct ws_chunk *next = prev ? TAILQ_NEXT(prev, link) : TAILQ_FIRST(l);
	int limit = CHUNK_RECS;
	if (next && next->first - seq < (uint64_t)limit)
		limit = (int)(next->first - seq); /* never overlap the next cached chunk */
	ch = build_chunk(wf, topic, seq, limit, err);
	if (!ch)
		return NULL;
	while (!TAILQ_EMPTY(l) && wf->bytes[topic] + chunk_size(ch) > wf->max_bytes)
		drop_oldest(wf, topic);
	/* the trim may have dropped prev or next: find the place again */
	TAILQ_FOREACH_REVERSE(prev, l, chunk_list, link)
		if (prev->first < seq)
			break;
	if (prev)
		TAILQ_INSERT_AFTER(l, prev, ch, link);
	else
		TAILQ_INSERT_HEAD(l, ch, link);
	wf->bytes[topic] += chunk_size(ch);
	return ch;
}

int ws_frames_add(struct ws_frames *wf, int topic, uint64_t seq, struct evbuffer *out,
	size_t *bytes)
{
	int err = 0;
	struct ws_chunk *ch = chunk_at(wf, topic, seq, &err);
	if (!ch)
		return err ? -1 : 0;
	uint32_t i = (uint32_t)(seq - ch->first);
	size_t off = ch->off[i], len = ch->len - off;
	ch->refs++;
	if (evbuffer_add_reference(out, ch->data + off, len, chunk_release, ch) < 0) {
		chunk_unref(ch);
		return -1;
	}
	if (bytes)
		*bytes = len;
	return (int)(ch->n - i);
}
