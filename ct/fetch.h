/* fetch.h -- HTTP GETs for the CT source: libcurl's multi interface driven by the libevent
 * loop (no blocking call, no thread). Each request has a timeout and a cap on the body; gzip
 * is accepted; every request carries the operator's User-Agent. A 429 or 503 answer brings
 * its Retry-After (delta-seconds or HTTP-date) back to the caller, who decides when to ask
 * again: pacing, parallelism and backoff belong to the caller (ct/follow.c). Main thread. */
#ifndef NODD_CT_FETCH_H
#define NODD_CT_FETCH_H

#include <event2/event.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

struct ct_fetch;
struct ct_req;

struct ct_fetch_options {
	const char *user_agent;   /* copied */
	long timeout;             /* seconds for a whole request */
	size_t max_body;          /* bytes; a longer body fails the request */
	const char *accept;       /* an Accept header value, or NULL (copied) */
};

/* What came back. error is NULL when an HTTP answer was read (any status), else what went
 * wrong (connect, timeout, body too long). retry_after: seconds to wait from a Retry-After
 * header (0 when it named the past), -1 when there was none. body is NUL-terminated. */
struct ct_http {
	long status;
	const char *body;
	size_t len;
	int64_t retry_after;
	const char *error;
};

/* Called once per request, from the event loop; r is valid for the call. The request is
 * finished: ct_fetch_cancel must not be called on it any more. */
typedef void (*ct_http_cb)(void *ctx, const struct ct_http *r);

struct ct_fetch *ct_fetch_new(struct event_base *base, const struct ct_fetch_options *opt,
	struct nodd_err *e);
/* Cancels every request in flight without calling their callbacks. NULL is a no-op. */
void ct_fetch_free(struct ct_fetch *f);

/* Start a GET of url (copied). Returns the request, or NULL with e set. */
struct ct_req *ct_fetch_get(struct ct_fetch *f, const char *url, ct_http_cb cb, void *ctx,
	struct nodd_err *e);
/* Drop a request in flight; its callback is not called. */
void ct_fetch_cancel(struct ct_fetch *f, struct ct_req *r);

/* Seconds to wait from a Retry-After value (delta-seconds or an HTTP-date), now being the
 * unix time; -1 when it is neither. */
int64_t ct_retry_after(const char *value, int64_t now);

#endif
