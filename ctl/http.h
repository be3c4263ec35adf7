/* http.h -- the HTTP client of noddctl: requests to the daemon's API over libcurl, one
 * reused connection per run. Knows URLs, headers and bodies; knows nothing of the
 * commands, of JSON or of exit codes (ctl/noddctl.c maps failures to those). */
#ifndef NODD_CTL_HTTP_H
#define NODD_CTL_HTTP_H

#include <stddef.h>

#include "lib/err.h"

#define HTTP_CONNECT_TIMEOUT_MS 10000L   /* resolving and connecting (and TLS) */
#define HTTP_REQUEST_TIMEOUT_S 300L      /* one whole request: a large batch takes a while */

struct http_client;

struct http_reply {
	int status;
	char *body;               /* NUL-terminated (also when empty); caller frees */
	size_t len;
};

/* A client of the API at url: "[http://|https://]host[:port][/prefix]", host a name, an
 * IPv4 address or [IPv6]. token (borrowed, may be NULL) is sent as a bearer token.
 * Returns NULL and fills e: NODD_E_INVALID for a URL that does not parse, NODD_E_NOMEM
 * or NODD_E_SYSTEM when libcurl cannot start. */
struct http_client *http_client_new(const char *url, const char *token, struct nodd_err *e);

/* The URL as given, for messages. */
const char *http_client_url(const struct http_client *c);

/* One request and its whole response: method "GET" or "POST", path appended to the URL's
 * prefix, body (borrowed, may be NULL) sent as application/json. Any HTTP status is a
 * success (r filled, r->body to free). Fails (e filled, r empty) when the daemon cannot
 * be reached, the answer is not HTTP or the time runs out; the message says which. */
int http_request(struct http_client *c, const char *method, const char *path, const char *body,
	size_t blen, struct http_reply *r, struct nodd_err *e);

/* Closes the connection; NULL is a no-op. */
void http_client_free(struct http_client *c);

#endif
