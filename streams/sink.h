/* sink.h -- how a sink reads the durable outbox (policy/outbox.h). Every sink that carries
 * outbox records outside (Kafka, the WebSocket stream, and any later one) pulls them
 * through a cursor: records in seq order per topic, handed over one at a time, the cursor
 * moving past a record only when the sink took it. A sink that must know a record arrived
 * (Kafka) also acknowledges seqs, in any order; the cursor keeps the contiguous
 * acknowledged mark, persists it in the outbox, and can rewind to it to send again.
 * Main thread only, like the outbox. */
#ifndef NODD_SINK_H
#define NODD_SINK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/err.h"
#include "policy/outbox.h"

/* One outbox record as a sink sees it; every pointer is valid only during the take call. */
struct sink_record {
	int topic;
	uint64_t seq;
	const char *key;         /* the domain (the Kafka key) */
	const char *payload;     /* compact JSON, NUL-terminated */
	size_t len;
};

/* A sink's position in one topic. Rows up to `acked` are done (persisted in the outbox as
 * its delivered mark, for a sink with acknowledgements); `next` is the next seq to hand
 * over; seqs in between are in flight, their acknowledgements kept in a ring until the
 * mark can move over them. */
struct sink_cursor {
	outbox_t *ob;            /* borrowed */
	int topic;
	uint64_t next;
	uint64_t acked;
	uint8_t *ring;           /* ring[seq % cap]: seq acknowledged; NULL without acks */
	size_t cap;              /* most seqs in flight */
	int dirty;               /* acked moved since the last sink_cursor_save */
};

/* A cursor without acknowledgements that hands over next first (0 counts as 1). */
void sink_cursor_init(struct sink_cursor *c, outbox_t *ob, int topic, uint64_t next);

/* A cursor with acknowledgements, at most cap seqs in flight, resuming after the
 * outbox's delivered mark. Returns 0, or -1 with e filled (out of memory). */
int sink_cursor_init_acked(struct sink_cursor *c, outbox_t *ob, int topic, size_t cap,
	struct nodd_err *e);
void sink_cursor_deinit(struct sink_cursor *c);

/* Called for each record in seq order: 0 takes it (the cursor moves past it), non-zero
 * leaves it for the next pull and stops. */
typedef int (*sink_take_fn)(void *ctx, const struct sink_record *r);

/* Offer up to limit records from next on. Returns the records visited (the one left by
 * take included; 0: nothing new), -1 on a store error. */
int sink_cursor_pull(struct sink_cursor *c, int limit, sink_take_fn take, void *ctx);

/* Records the outbox holds beyond next (the sink is that far behind). */
uint64_t sink_cursor_lag(const struct sink_cursor *c);

/* Seqs handed over and not yet covered by the mark, and the room left for more. */
size_t sink_cursor_inflight(const struct sink_cursor *c);
size_t sink_cursor_room(const struct sink_cursor *c);

/* seq arrived: move the mark over every contiguous acknowledged seq. A seq outside the
 * flight (a duplicate from before a rewind) is ignored. */
void sink_cursor_ack(struct sink_cursor *c, uint64_t seq);

/* Hand over again from just after the mark (everything in flight is forgotten). */
void sink_cursor_rewind(struct sink_cursor *c);

/* Persist the mark when it moved; a failed write is retried at the next call. */
void sink_cursor_save(struct sink_cursor *c);

/* Records the outbox holds beyond the mark (not yet acknowledged). */
uint64_t sink_cursor_backlog(const struct sink_cursor *c);

/* Metrics provider (ob is an outbox_t *): nodd_outbox_last_seq per topic, appended to f. */
void sink_outbox_metrics(void *ob, FILE *f);

#endif
