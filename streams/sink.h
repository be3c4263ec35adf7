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

/* Metrics provider (ob is an outbox_t *): nodd_outbox_last_seq per topic, appended to f. */
void sink_outbox_metrics(void *ob, FILE *f);

#endif
