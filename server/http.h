/* http.h -- the HTTP listener (libevent evhttp): the JSON API under /api/v1/, /metrics,
 * and the hand-over of /ws/<topic> to the WebSocket stream. docs/api.md is the contract.
 *
 * Main thread only: every handler runs on the event base given to http_start() and calls
 * the nod_* core directly. */
#ifndef NODD_HTTP_H
#define NODD_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "policy/nod.h"
#include "conf/config.h"

struct ws_server;

/* What the handlers read. Every pointer is borrowed and must outlive the server. */
struct http_env {
	nod_t *nod;
	/* Read live on every request (SIGHUP swaps http_token and future_skew in place):
	 * http_token, future_skew, suffix, http. */
	const struct nodd_config *cfg;
	int64_t start_time;               /* unix time the daemon started */
	uint64_t (*tcp_open)(void *ctx);  /* DNS TCP connections open now; may be NULL */
	void *ctx;                        /* passed to tcp_open */
	struct ws_server *ws;             /* /ws/<topic> goes here; NULL: those paths are 404 */
	struct outbox *ob;                /* stream outbox, for /metrics; may be NULL */
	struct kafka_sink *kafka;         /* Kafka sink, for /metrics; NULL when Kafka is off */
	struct secondary *sec;            /* upstream zones, for status and /metrics; may be NULL */
	struct xfrout *xfr;               /* transfers out and NOTIFY, for status; may be NULL */
};

struct http_server;

/* Listen on cfg->http (port 0: the kernel picks one, see http_port()) and serve on base.
 * env is copied; what it points to is borrowed. Returns NULL with a message in err. */
struct http_server *http_start(struct event_base *base, const struct http_env *env, char *err,
	size_t errlen);

/* Close the listener and every connection. NULL is a no-op. */
void http_stop(struct http_server *h);

/* The TCP port actually bound. */
int http_port(const struct http_server *h);

/* Largest request body accepted (POST /api/v1/observations); larger ones get 413. */
#define HTTP_MAX_BODY (32u << 20)

#endif
