/* ws.h -- the WebSocket stream /ws/<topic>[?from=<seq>] on the HTTP listener (RFC 6455),
 * wslay framing on the connection's bufferevent. Main thread only. */
#ifndef NODD_WS_H
#define NODD_WS_H

#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "policy/outbox.h"

struct ws_options {
	uint64_t max_lag;        /* records a client may fall behind before it is dropped */
	size_t out_high;         /* unsent bytes above which we stop queueing for a client */
	int max_clients;
	const char *alias[OUTBOX_TOPICS]; /* Kafka topic names, also accepted in the path */
};

struct ws_stats {
	uint64_t clients;        /* connected now */
	uint64_t accepted;
	uint64_t dropped_slow;
	uint64_t messages;
};

struct ws_server;

/* ob and base are borrowed. */
struct ws_server *ws_new(struct event_base *base, outbox_t *ob, const struct ws_options *opt);
void ws_free(struct ws_server *ws); /* closes every client; NULL is a no-op */

/* Handle an evhttp request whose path starts with /ws/: answer an error (400, 404, 405,
 * 426, 503) or take the connection over and upgrade it. */
void ws_handle_request(struct ws_server *ws, struct evhttp_request *req);

void ws_get_stats(const struct ws_server *ws, struct ws_stats *out);

/* Status and metrics providers (ws is a struct ws_server *): the number of clients
 * connected now as a JSON integer (caller decrefs), and the nodd_ws_clients and
 * nodd_ws_messages_total families appended to f. */
json_t *ws_status(void *ws);
void ws_metrics(void *ws, FILE *f);

#endif
