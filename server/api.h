/* api.h -- between the HTTP listener (server/http.c) and its endpoints (server/api.c):
 * the server state the endpoints read, the reply helpers every endpoint answers with
 * (one JSON error shape for all), and the endpoint handlers http.c routes to.
 * Internal to server/http.c and server/api.c; nothing else includes it. */
#ifndef NODD_API_H
#define NODD_API_H

#include <stddef.h>
#include <stdint.h>

#include <event2/http.h>
#include <jansson.h>

#include "server/http.h"

struct http_server {
	struct evhttp *http;
	struct http_env env;
	int port;
	uint64_t refused;   /* observations refused here, before they reach the core */
};

/* Reply with body as-is (Content-Type ctype, no caching); 4xx and 5xx are counted. */
void http_send_text(struct evhttp_request *req, int code, const char *ctype, const char *body,
	size_t len);
/* Reply with o as compact JSON and a newline; takes o (decrefs it). */
void http_send_json(struct evhttp_request *req, int code, json_t *o);
/* {"error": msg[, "field": field]} */
void http_send_error(struct evhttp_request *req, int code, const char *msg, const char *field);
/* 405 with an Allow header, unless the method is GET or HEAD; returns 1 when it replied. */
int http_refuse_unless_get(struct evhttp_request *req);
void http_send_method_not_allowed(struct evhttp_request *req, const char *allow);
/* 1 when the request may write: no token configured, or "Authorization: Bearer <token>". */
int http_authorized(const struct http_server *h, struct evhttp_request *req);

/* A JSON string, or null when s is NULL or not valid UTF-8 (jansson refuses those). */
json_t *api_jstr(const char *s);

/* The endpoints (server/api.c). */
void api_observations(struct http_server *h, struct evhttp_request *req);
void api_domain(struct http_server *h, struct evhttp_request *req, const char *raw);
void api_status(struct http_server *h, struct evhttp_request *req);
void api_metrics(struct http_server *h, struct evhttp_request *req);

#endif
