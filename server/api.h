/* api.h -- between the HTTP listener (server/http.c) and its endpoints (server/api.c):
 * the server state the endpoints read, the reply helpers every endpoint answers with
 * (one JSON error shape for all), and the endpoint handlers http.c routes to.
 * Internal to server/http.c, api.c, httpauth.c and httpconn.c; nothing else includes it. */
#ifndef NODD_API_H
#define NODD_API_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>

#include "server/http.h"

#define HTTP_OBSERVATIONS_PATH "/api/v1/observations"
#define HTTP_ALLOW_PATH "/api/v1/allow"

struct http_conn;
struct bufferevent;
struct evconnlistener;

struct http_server {
	struct evhttp *http;
	struct http_env env;
	int port;
	uint64_t refused;   /* observations refused here, before they reach the core */
	char *file_token;   /* the token of <database>.token, when server.http-token is unset */

	/* server/httpconn.c: the connections open, their admission and the accept pause */
	struct evconnlistener *listener;
	struct http_conn *conns;
	int nconns;
	struct bufferevent **fresh;     /* accepted, waiting for admission */
	size_t nfresh, capfresh;
	struct event *admit_ev, *resume_ev;
	int accept_paused;              /* the listener is off: out of descriptors */
	int exhausted;                  /* in an episode of failed accepts (logged once) */
	int64_t exhausted_logged;       /* monotonic seconds of the last such log line */
	int64_t cap_logged;             /* monotonic seconds of the last "limit reached" line */
	int stopping;
};

/* Reply with body as-is (Content-Type ctype, no caching); 4xx and 5xx are counted. */
void http_send_text(struct evhttp_request *req, int code, const char *ctype, const char *body,
	size_t len);
/* Reply with o as compact JSON and a newline; takes o (decrefs it). */
void http_send_json(struct evhttp_request *req, int code, json_t *o);
/* {"error": msg[, "field": field]} */
void http_send_error(struct evhttp_request *req, int code, const char *msg, const char *field);
/* A write the store failed: 503 with Retry-After: 1 when it was refused because a zone's
 * first transfer holds the store (policy/store.h store_busy), else 500 with msg. */
void http_send_store_error(struct evhttp_request *req, const struct store *st, const char *msg);
/* 405 with an Allow header, unless the method is GET or HEAD; returns 1 when it replied. */
int http_refuse_unless_get(struct evhttp_request *req);
void http_send_method_not_allowed(struct evhttp_request *req, const char *allow);
/* server/httpauth.c: 0 when a request with these headers may go on, else the status it
 * is refused with (421 wrong Host; for any POST and the allow-list's DELETE 403 foreign
 * Origin, 401 missing or wrong bearer token, 415 observations and allow-list entries not
 * sent as application/json) and *msg the reason. */
int http_check_request(struct http_server *h, enum evhttp_cmd_type cmd, const char *path,
	const struct evkeyvalq *hdrs, const char **msg);
/* Read <database>.token, or create it (mode 0600, 64 hex digits) when it is not there. */
int http_token_file(const char *database, char **out, struct nodd_err *e);

/* A JSON string, or null when s is NULL or not valid UTF-8 (jansson refuses those). */
json_t *api_jstr(const char *s);

/* The endpoints (server/api.c). */
void api_observations(struct http_server *h, struct evhttp_request *req);
void api_domain(struct http_server *h, struct evhttp_request *req, const char *raw);
void api_status(struct http_server *h, struct evhttp_request *req);
void api_metrics(struct http_server *h, struct evhttp_request *req);
/* server/apiallow.c: rest is the path after HTTP_ALLOW_PATH ("" or "/<name>"). */
void api_allow(struct http_server *h, struct evhttp_request *req, const char *rest);
/* The path is the allow-list endpoint or below it: its length, else 0. */
size_t api_allow_path(const char *path);

/* The control endpoints (server/control.c): rest is the path after "/api/v1/zones". */
void api_zones(struct http_server *h, struct evhttp_request *req, const char *rest);
void api_notify(struct http_server *h, struct evhttp_request *req);
void api_reload(struct http_server *h, struct evhttp_request *req);

#endif
