/* test_wsframes.c -- WebSocket frames built from the outbox: every record once, in seq
 * order, framed with the right length form, from any seq; clients reading the same seq
 * share the same bytes; records appended later are framed when asked for. */
#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy/outbox.h"
#include "policy/store.h"
#include "streams/wsframes.h"
#include "tests/unit/tap.h"

static void append(outbox_t *ob, int i, size_t pad)
{
	char *fill = malloc(pad + 1);
	memset(fill, 'x', pad);
	fill[pad] = 0;
	char key[32];
	snprintf(key, sizeof key, "d%d.se", i);
	json_t *o = json_pack("{s:s,s:s}", "domain", key, "pad", fill);
	outbox_append(ob, OUTBOX_NRD, key, o, 100, NULL);
	json_decref(o);
	free(fill);
}

/* Parse every frame of b: text frames whose "seq" runs from first on. Returns the count,
 * -1 on a malformed frame or a seq out of order. */
static long parse(struct evbuffer *b, uint64_t first)
{
	size_t len = evbuffer_get_length(b);
	const unsigned char *p = evbuffer_pullup(b, -1);
	size_t off = 0;
	long n = 0;
	while (off < len) {
		if (len - off < 2 || p[off] != 0x81)
			return -1;
		uint64_t pl = p[off + 1] & 0x7f;
		size_t hl = 2;
		if (pl == 126) {
			pl = (uint64_t)p[off + 2] << 8 | p[off + 3];
			hl = 4;
		} else if (pl == 127) {
			pl = 0;
			for (int i = 0; i < 8; i++)
				pl = pl << 8 | p[off + 2 + i];
			hl = 10;
		}
		if (off + hl + pl > len)
			return -1;
		json_t *rec = json_loadb((const char *)p + off + hl, pl, 0, NULL);
		uint64_t seq = (uint64_t)json_integer_value(json_object_get(rec, "seq"));
		json_decref(rec);
		if (seq != first + (uint64_t)n)
			return -1;
		n++;
		off += hl + pl;
	}
	return n;
}

/* Add records from seq on until none is left; the records added. */
static long drain(struct ws_frames *wf, uint64_t seq, struct evbuffer *b)
{
	long total = 0;
	int n;
	while ((n = ws_frames_add(wf, OUTBOX_NRD, seq, b, NULL)) > 0) {
		seq += (uint64_t)n;
		total += n;
	}
	return n < 0 ? -1 : total;
}

int main(void)
{
	char dir[] = "/tmp/nodd-wsframes-XXXXXX", path[128];
	struct nodd_err err = { 0 };
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof path, "%s/t.db", dir);
	store_t *st = store_open(path, &err);
	outbox_t *ob = st ? outbox_open(st, &err) : NULL;
	ok(ob != NULL, "outbox opens (%s)", err.msg);
	if (!ob)
		return tap_done();
	/* 5000 records: short ones (7-bit length), 200-byte ones (16-bit) and one of 70,000
	 * bytes (64-bit length form) */
	store_begin(st);
	for (int i = 1; i <= 5000; i++)
		append(ob, i, i == 2500 ? 70000 : i % 3 == 0 ? 200 : 10);
	store_commit(st);

	struct ws_frames *wf = ws_frames_new(ob, 1 << 20);
	struct evbuffer *a = evbuffer_new(), *b = evbuffer_new();
	is_int(drain(wf, 1, a), 5000, "from seq 1: every record");
	is_int(parse(a, 1), 5000, "framed in seq order, every length form");
	is_int(drain(wf, 1234, b), 5000 - 1233, "from the middle of a chunk");
	is_int(parse(b, 1234), 5000 - 1233, "starting exactly at that seq");

	/* two clients asking for the same seq get the same bytes, not copies */
	struct evbuffer *c = evbuffer_new(), *d = evbuffer_new();
	ws_frames_add(wf, OUTBOX_NRD, 4990, c, NULL);
	ws_frames_add(wf, OUTBOX_NRD, 4990, d, NULL);
	struct evbuffer_iovec vc, vd;
	evbuffer_peek(c, -1, NULL, &vc, 1);
	evbuffer_peek(d, -1, NULL, &vd, 1);
	ok(vc.iov_base == vd.iov_base && vc.iov_len == vd.iov_len, "shared, not copied");

	/* at the live edge: nothing, then what was appended since */
	evbuffer_free(c);
	c = evbuffer_new();
	is_int(ws_frames_add(wf, OUTBOX_NRD, 5001, c, NULL), 0, "nothing beyond the newest");
	for (int i = 5001; i <= 5003; i++)
		append(ob, i, 10);
	is_int(drain(wf, 5001, c), 3, "records appended later");
	is_int(parse(c, 5001), 3, "in order");
	is_int(ws_frames_add(wf, OUTBOX_ZONE_DIFF, 1, c, NULL), 0, "another topic: its own records");

	/* a cache smaller than one chunk still serves everything, from any seq */
	struct ws_frames *tiny = ws_frames_new(ob, 1);
	struct evbuffer *e = evbuffer_new();
	is_int(drain(tiny, 2, e), 5002, "a tiny cache: every record");
	is_int(parse(e, 2), 5002, "in order");
	/* the chunks outlive the cache that built them while an output holds them */
	ws_frames_free(tiny);
	ws_frames_free(wf);
	is_int(parse(e, 2), 5002, "outputs keep their chunks after the cache is gone");
	struct evbuffer *outs[] = { a, b, c, d, e };
	for (size_t i = 0; i < sizeof outs / sizeof outs[0]; i++)
		evbuffer_free(outs[i]);
	outbox_close(ob);
	store_close(st);
	static const char *const files[] = { "t.db", "t.db-wal", "t.db-shm" };
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
	return tap_done();
}
