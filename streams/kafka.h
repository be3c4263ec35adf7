/* kafka.h -- the Kafka sink: a librdkafka idempotent producer draining the outbox.
 * Main thread only; librdkafka's main queue is wired into the libevent loop. */
#ifndef NODD_KAFKA_H
#define NODD_KAFKA_H

#include <event2/event.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/err.h"
#include "policy/outbox.h"

struct kafka_options {
	const char *brokers;                  /* bootstrap.servers */
	const char *topic[OUTBOX_TOPICS];     /* Kafka topic name per outbox topic */
	char *const *props;                   /* librdkafka properties: name, value, ... */
	int nprops;                           /* pairs */
	size_t max_inflight;                  /* records handed to librdkafka at once (default 20000) */
};

struct kafka_stats {
	uint64_t produced;        /* handed to librdkafka (including resends) */
	uint64_t delivered;       /* acknowledged by the brokers */
	uint64_t errors;          /* delivery errors and producer restarts */
	uint64_t backlog[OUTBOX_TOPICS]; /* outbox rows not yet acknowledged */
	int up;                   /* a broker answered recently */
};

struct kafka_sink;

/* Create the producer; ob and base are borrowed. A bad property is an error naming it.
 * Returns NULL with e set on failure. */
struct kafka_sink *kafka_start(struct event_base *base, outbox_t *ob,
	const struct kafka_options *opt, struct nodd_err *e);
/* Wait up to timeout_ms for in-flight records, then destroy. NULL is a no-op. */
void kafka_stop(struct kafka_sink *k, int timeout_ms);
void kafka_get_stats(struct kafka_sink *k, struct kafka_stats *out);
/* Metrics provider (k is a struct kafka_sink *): the backlog per topic, deliveries,
 * errors and whether a broker answered recently, appended to f. */
void kafka_metrics(void *k, FILE *f);

#endif
