/* sink.c -- the outbox cursor every sink reads through (see sink.h). Owns no records:
 * they stay in the outbox; a cursor holds seq numbers only. */
#include "streams/sink.h"

#include "lib/prom.h"

void sink_outbox_metrics(void *arg, FILE *f)
{
	outbox_t *ob = arg;
	prom_family(f, "nodd_outbox_last_seq", "gauge",
		"Last sequence number given to a stream record.");
	for (int t = 0; t < OUTBOX_TOPICS; t++)
		prom_sample(f, "nodd_outbox_last_seq", "topic", outbox_topic_name(t), NULL, NULL,
			outbox_last_seq(ob, t));
}
