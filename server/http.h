/* http.h -- the HTTP listener (libevent evhttp): the JSON API under /api/v1/, /metrics,
 * and the hand-over of /ws/<topic> to the WebSocket stream. docs/api.md is the contract.
 *
 * The listener knows the core (nod_*) and nothing else by name: every other part that has
 * something to say in GET /api/v1/status or /metrics registers a section (a status
 * provider, a metrics provider, or both), and the wiring (daemon/main.c) fills them in.
 *
 * Main thread only: every handler runs on the event base given to http_start() and calls
 * the nod_* core and the section providers directly. */
#ifndef NODD_HTTP_H
#define NODD_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <event2/event.h>
#include <jansson.h>

#include "conf/config.h"
#include "lib/err.h"
#include "policy/nod.h"

struct ws_server;
struct xfrout;

/* One part's contribution to GET /api/v1/status and /metrics. Sections are asked in the
 * order they were added, after the core's own fields and families. */
struct http_section {
	/* The status key the status provider's value is set under ("upstreams"). */
	const char *name;
	/* A new JSON value for the status object (the caller decrefs); NULL: no status key. */
	json_t *(*status)(void *ctx);
	/* Append Prometheus families to f (through lib/prom.h); NULL: no metrics. */
	void (*metrics)(void *ctx, FILE *f);
	void *ctx;                        /* borrowed; passed to both */
};

/* The daemon registers fewer than 10; the daemon refuses to start when one does not fit. */
#define HTTP_MAX_SECTIONS 32

/* What POST /api/v1/reload answers: the outcome of a reload (the same as SIGHUP's). */
struct http_reload {
	int ok;                          /* 0: the file has an error and nothing changed */
	char error[600];                 /* when !ok: "nodd.yaml:12: key: why" */
	struct config_changes applied;   /* changed settings applied at once */
	struct config_changes restart;   /* changed settings that wait for a restart */
	struct config_changes pending;   /* changed settings applied once the store takes
	                                  * writes again (policy.allow, docs/api.md) */
	char keys_error[600];            /* the keys could not be re-read; the running ones stay */
};

/* What the control endpoints (server/control.c) need of parts the server may not
 * include; the daemon fills it in. A NULL function: that part is not running (no
 * upstreams), and the endpoints answer as for a zone or action that does not exist. */
struct http_control {
	/* The upstream zones: zone NULL, an array of every zone's status; else that zone's
	 * status object, or NULL when it is not an upstream (zone: norm text, "" the root). */
	json_t *(*upstream_status)(void *ctx, const char *zone);
	/* Refresh (full 0: an SOA query) or retransfer (full 1: a full AXFR) zone now:
	 * 1 started, 0 started after the exchange in progress, -1 not an upstream. */
	int (*upstream_kick)(void *ctx, const char *zone, int full);
	void *upstream_ctx;
	/* Re-read the configuration as SIGHUP does and say what came of it. */
	void (*reload)(void *ctx, struct http_reload *out);
	void *reload_ctx;
};

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
	struct http_section sections[HTTP_MAX_SECTIONS];
	int nsections;
	struct xfrout *xfr;               /* the published zones going out; NULL: none */
	struct http_control control;      /* zones, reload (server/control.c) */
};

/* Append a section to env (name is borrowed, a static string). Returns 0, or -1 when
 * HTTP_MAX_SECTIONS are taken. */
int http_add_section(struct http_env *env, const char *name, json_t *(*status)(void *ctx),
	void (*metrics)(void *ctx, FILE *f), void *ctx);

struct http_server;

/* Listen on cfg->http (port 0: the kernel picks one, see http_port()) and serve on base.
 * env is copied; what it points to is borrowed. Returns NULL with e filled. */
struct http_server *http_start(struct event_base *base, const struct http_env *env,
	struct nodd_err *e);

/* Close the listener and every connection. NULL is a no-op. */
void http_stop(struct http_server *h);

/* The TCP port actually bound. */
int http_port(const struct http_server *h);

/* Largest request body accepted (POST /api/v1/observations); larger ones get 413. */
#define HTTP_MAX_BODY (32u << 20)

#endif
