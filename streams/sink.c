/* sink.c -- the outbox cursor every sink reads through (see sink.h). Owns no records:
 * they stay in the outbox; a cursor holds seq numbers only. */
#include "streams/sink.h"

#include <stdlib.h>
#include <string.h>

#include "lib/prom.h"

void sink_cursor_init(struct sink_cursor *c, outbox_t *ob, int topic, uint64_t next)
{
	memset(c, 0, sizeof *c);
	c->ob = ob;
	c->topic = topic;
	c->next = next ? next : 1;
	c->acked = c->next - 1;
}

int sink_cursor_init_acked(struct sink_cursor *c, outbox_t *ob, int topic, size_t cap,
	struct nodd_err *e)
{
	sink_cursor_init(c, ob, topic, outbox_delivered(ob, topic) + 1);
	c->ring = calloc(cap, 1);
	if (!c->ring)
		return nodd_fail(e, NODD_E_NOMEM, "out of memory");
	c->cap = cap;
	return 0;
}

void sink_cursor_deinit(struct sink_cursor *c)
{
	free(c->ring);
	c->ring = NULL;
}

struct pull_ctx {
	struct sink_cursor *c;
	sink_take_fn take;
	void *ctx;
};

static int pull_row(void *arg, int topic, uint64_t seq, const char *key, const char *payload,
	size_t len)
{
	struct pull_ctx *p = arg;
	struct sink_record r = { topic, seq, key, payload, len };
	if (p->take(p->ctx, &r))
		return 1;
	p->c->next = seq + 1;
	return 0;
}

int sink_cursor_pull(struct sink_cursor *c, int limit, sink_take_fn take, void *ctx)
{
	struct pull_ctx p = { c, take, ctx };
	return outbox_read(c->ob, c->topic, c->next - 1, limit, pull_row, &p);
}

uint64_t sink_cursor_lag(const struct sink_cursor *c)
{
	uint64_t last = outbox_last_seq(c->ob, c->topic);
	return last >= c->next ? last - c->next + 1 : 0;
}

size_t sink_cursor_inflight(const struct sink_cursor *c)
{
	return (size_t)(c->next - c->acked - 1);
}

size_t sink_cursor_room(const struct sink_cursor *c)
{
	size_t n = sink_cursor_inflight(c);
	return n < c->cap ? c->cap - n : 0;
}

void sink_cursor_ack(struct sink_cursor *c, uint64_t seq)
{
	if (seq <= c->acked || seq >= c->next)
		return;
	c->ring[seq % c->cap] = 1;
	while (c->acked + 1 < c->next && c->ring[(c->acked + 1) % c->cap]) {
		c->ring[(c->acked + 1) % c->cap] = 0;
		c->acked++;
		c->dirty = 1;
	}
}

void sink_cursor_rewind(struct sink_cursor *c)
{
	c->next = c->acked + 1;
	if (c->ring)
		memset(c->ring, 0, c->cap);
}

void sink_cursor_save(struct sink_cursor *c)
{
	if (c->dirty && outbox_set_delivered(c->ob, c->topic, c->acked) == 0)
		c->dirty = 0;
}

uint64_t sink_cursor_backlog(const struct sink_cursor *c)
{
	uint64_t last = outbox_last_seq(c->ob, c->topic);
	return last > c->acked ? last - c->acked : 0;
}

void sink_outbox_metrics(void *arg, FILE *f)
{
	outbox_t *ob = arg;
	prom_family(f, "nodd_outbox_last_seq", "gauge",
		"Last sequence number given to a stream record.");
	for (int t = 0; t < OUTBOX_TOPICS; t++)
		prom_sample(f, "nodd_outbox_last_seq", "topic", outbox_topic_name(t), NULL, NULL,
			outbox_last_seq(ob, t));
}
