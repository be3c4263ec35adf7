/* outbox.h -- the durable outbox the streams (Kafka, WebSocket) drain.
 *
 * Every record an applied transfer or observation produces is appended here, in the SAME
 * sqlite transaction as the change itself, so a crash loses nothing and invents nothing:
 * after a restart each sink resumes from the first row it has not finished. Each topic
 * has its own sequence (seq), contiguous and increasing, put in the record's JSON and in
 * the Kafka header "seq", so consumers can drop duplicates after a restart.
 *
 * Rows are kept for the stream history (for /ws/<topic>?from=<seq>) and, when Kafka is
 * on, at least until delivered. Main thread only. */
#ifndef NODD_OUTBOX_H
#define NODD_OUTBOX_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/store.h"

enum outbox_topic {
	OUTBOX_ZONE_DIFF = 0,
	OUTBOX_NRD = 1,          /* newly_registered_domain */
	OUTBOX_NRFQDN = 2,       /* newly_registered_fqdn: host names under a new domain (CT) */
	OUTBOX_CONFIRMED = 3,    /* confirmed_newly_registered_domain */
	OUTBOX_TOPICS = 4,
};

typedef struct outbox outbox_t;

/* Borrows st (the outbox lives in the same database). NULL with e set on failure. */
outbox_t *outbox_open(store_t *st, struct nodd_err *e);
void outbox_close(outbox_t *ob); /* NULL is a no-op */

/* Canonical topic names ("zone_diff", "newly_registered_domain", ...), and back (-1). */
const char *outbox_topic_name(int topic);
int outbox_topic_by_name(const char *name);

/* Append a record: sets obj["seq"] (obj is borrowed and modified), stores the compact
 * JSON with key (the domain, used as the Kafka key). Part of the caller's transaction
 * when one is open (store_begin). *seq (may be NULL) gets the sequence number.
 * Returns 0 or -1 (store_errmsg). */
int outbox_append(outbox_t *ob, int topic, const char *key, json_t *obj, int64_t now,
	uint64_t *seq);

/* The same for a record built as text, field by field, without a JSON value per record
 * (an import appends one per new name): outbox_rec_begin, then the fields in order (key:
 * an ASCII name without quotes or backslashes), then outbox_rec_append adds "seq" and
 * appends it as outbox_append does. A string is escaped as jansson's json_dumps does, so
 * both ways give the same text; one that is not UTF-8 becomes null. One record at a time
 * (the buffer belongs to the outbox). */
void outbox_rec_begin(outbox_t *ob);
void outbox_rec_str(outbox_t *ob, const char *key, const char *val);
void outbox_rec_int(outbox_t *ob, const char *key, int64_t val);
void outbox_rec_null(outbox_t *ob, const char *key);
int outbox_rec_append(outbox_t *ob, int topic, const char *key, int64_t now, uint64_t *seq);

/* Tell the subscribers that rows were committed (call after the commit). */
void outbox_notify(outbox_t *ob);
/* At most 8 subscribers; cb runs on the main thread from outbox_notify(). */
int outbox_subscribe(outbox_t *ob, void (*cb)(void *ctx), void *ctx);

/* Rows of topic with seq > after, in seq order, at most limit; cb returns non-zero to
 * stop. Returns the number of rows visited, -1 on error. payload is NUL-terminated and
 * valid only during the call. */
typedef int (*outbox_row_cb)(void *ctx, int topic, uint64_t seq, const char *key,
	const char *payload, size_t len);
int outbox_read(outbox_t *ob, int topic, uint64_t after, int limit, outbox_row_cb cb,
	void *ctx);

/* The last seq assigned (0 when none) and the first seq still held (0 when none). */
uint64_t outbox_last_seq(outbox_t *ob, int topic);
uint64_t outbox_first_seq(outbox_t *ob, int topic);

/* Kafka bookkeeping: the highest seq delivered in order (rows up to it are done). */
uint64_t outbox_delivered(outbox_t *ob, int topic);
int outbox_set_delivered(outbox_t *ob, int topic, uint64_t upto);

/* Drop rows created before `before`, but (when keep_undelivered) never one above the
 * delivered mark. Returns rows removed or -1. */
long outbox_prune(outbox_t *ob, int64_t before, int keep_undelivered);

#endif
