/* http.c -- noddctl's HTTP client (see http.h): parses the daemon URL, then sends each
 * request through one libcurl easy handle, so the connection is kept alive between
 * requests (an import's batches go back to back on it), https works, and the proxy
 * environment variables libcurl honours (http_proxy, https_proxy, no_proxy, ...) apply.
 * A kept-alive connection the server closed while idle is reopened by libcurl. Every
 * request is bounded: HTTP_CONNECT_TIMEOUT_MS to connect, HTTP_REQUEST_TIMEOUT_S in all.
 * Does not print and does not exit: failures go back as struct nodd_err. */
#include "ctl/http.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#ifndef NODD_VERSION
#define NODD_VERSION "unknown"
#endif

struct http_client {
	char url[512];            /* as given, for messages */
	char host[256];           /* without brackets, for messages */
	char base[1024];          /* scheme://host[:port]/prefix, without trailing slash */
	CURL *curl;
	struct curl_slist *hdr_get, *hdr_post;
	char errbuf[CURL_ERROR_SIZE];
};

/* Splits url into c->host and c->base. Fails with NODD_E_INVALID. */
static int parse_url(struct http_client *c, const char *url, struct nodd_err *e)
{
	const char *p = url, *scheme = "http", *defport = "80";
	if (strncasecmp(p, "http://", 7) == 0) {
		p += 7;
	} else if (strncasecmp(p, "https://", 8) == 0) {
		p += 8;
		scheme = "https";
		defport = "443";
	} else if (strstr(p, "://")) {
		return nodd_fail(e, NODD_E_INVALID, "%s: only http:// and https:// URLs are supported",
			url);
	}
	const char *hs = p, *he;
	if (*p == '[') {
		he = strchr(p, ']');
		if (!he)
			return nodd_fail(e, NODD_E_INVALID, "%s: unterminated [IPv6 address]", url);
		hs = p + 1;
		p = he + 1;
	} else {
		he = p + strcspn(p, ":/");
		p = he;
	}
	if (he == hs || (size_t)(he - hs) >= sizeof c->host)
		return nodd_fail(e, NODD_E_INVALID, "%s: no host in the URL", url);
	memcpy(c->host, hs, (size_t)(he - hs));
	c->host[he - hs] = '\0';
	char port[8];
	snprintf(port, sizeof port, "%s", defport);
	if (*p == ':') {
		p++;
		size_t n = strspn(p, "0123456789");
		if (n == 0 || n > 5 || atoi(p) > 65535 || atoi(p) == 0)
			return nodd_fail(e, NODD_E_INVALID, "%s: bad port", url);
		memcpy(port, p, n);
		port[n] = '\0';
		p += n;
	}
	if (*p && *p != '/')
		return nodd_fail(e, NODD_E_INVALID, "%s: cannot parse the URL", url);
	if (strpbrk(p, "?# \t\r\n"))
		return nodd_fail(e, NODD_E_INVALID, "%s: cannot parse the URL", url);
	size_t pl = strlen(p);
	while (pl && p[pl - 1] == '/')
		pl--;
	int v6 = strchr(c->host, ':') != NULL;
	int n = snprintf(c->base, sizeof c->base, "%s://%s%s%s%s%s%.*s", scheme, v6 ? "[" : "",
		c->host, v6 ? "]" : "", strcmp(port, defport) ? ":" : "",
		strcmp(port, defport) ? port : "", (int)pl, p);
	if (n < 0 || (size_t)n >= sizeof c->base - 256)
		return nodd_fail(e, NODD_E_INVALID, "%s: URL too long", url);
	snprintf(c->url, sizeof c->url, "%s", url);
	return 0;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct http_reply *r = arg;
	size_t n = size * nmemb;
	char *nb = realloc(r->body, r->len + n + 1);
	if (!nb)
		return 0;             /* libcurl fails the transfer with CURLE_WRITE_ERROR */
	r->body = nb;
	memcpy(r->body + r->len, data, n);
	r->len += n;
	r->body[r->len] = '\0';
	return n;
}

static struct curl_slist *header_list(const char *token, int post)
{
	struct curl_slist *l = curl_slist_append(NULL, "Accept: application/json");
	/* A batch is sent at once: no "Expect: 100-continue" round trip. */
	if (l)
		l = curl_slist_append(l, "Expect:");
	if (l && post)
		l = curl_slist_append(l, "Content-Type: application/json");
	if (l && token) {
		char *auth = malloc(strlen(token) + 32);
		if (!auth) {
			curl_slist_free_all(l);
			return NULL;
		}
		sprintf(auth, "Authorization: Bearer %s", token);
		struct curl_slist *nl = curl_slist_append(l, auth);
		free(auth);
		if (!nl)
			curl_slist_free_all(l);
		l = nl;
	}
	return l;
}

struct http_client *http_client_new(const char *url, const char *token, struct nodd_err *e)
{
	struct http_client *c = calloc(1, sizeof *c);
	if (!c) {
		nodd_fail(e, NODD_E_NOMEM, "out of memory");
		return NULL;
	}
	if (parse_url(c, url, e) < 0) {
		free(c);
		return NULL;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		free(c);
		nodd_fail(e, NODD_E_SYSTEM, "cannot initialise libcurl");
		return NULL;
	}
	c->curl = curl_easy_init();
	c->hdr_get = header_list(token, 0);
	c->hdr_post = header_list(token, 1);
	if (!c->curl || !c->hdr_get || !c->hdr_post) {
		http_client_free(c);
		nodd_fail(e, NODD_E_NOMEM, "out of memory");
		return NULL;
	}
	CURL *h = c->curl;
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "noddctl/" NODD_VERSION);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, HTTP_CONNECT_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, HTTP_REQUEST_TIMEOUT_S);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	return c;
}

const char *http_client_url(const struct http_client *c)
{
	return c->url;
}

/* The message of a failed transfer, in the words noddctl has always used for the same
 * causes where there is one. */
static int transfer_failed(struct http_client *c, CURLcode rc, struct nodd_err *e)
{
	const char *why = c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc);
	long oserr = 0;
	curl_off_t pretransfer = 0;
	curl_easy_getinfo(c->curl, CURLINFO_OS_ERRNO, &oserr);
	curl_easy_getinfo(c->curl, CURLINFO_PRETRANSFER_TIME_T, &pretransfer);
	switch (rc) {
	case CURLE_OUT_OF_MEMORY:
	case CURLE_WRITE_ERROR:
		return nodd_fail(e, NODD_E_NOMEM, "out of memory");
	case CURLE_COULDNT_RESOLVE_HOST:
		return nodd_fail(e, NODD_E_PEER, "cannot resolve %s: %s", c->host,
			curl_easy_strerror(rc));
	case CURLE_COULDNT_RESOLVE_PROXY:
		return nodd_fail(e, NODD_E_PEER, "cannot resolve the proxy: %s", why);
	case CURLE_COULDNT_CONNECT:
		return nodd_fail(e, NODD_E_PEER, "cannot connect to %s: %s%s", c->url,
			oserr ? strerror((int)oserr) : why, oserr == ECONNREFUSED
			? " (is nodd running, with server.http set to this address?)" : "");
	case CURLE_OPERATION_TIMEDOUT:
		if (pretransfer == 0)
			return nodd_fail(e, NODD_E_PEER, "cannot connect to %s: %s", c->url, why);
		return nodd_fail(e, NODD_E_PEER, "%s: %s", c->url, why);
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return nodd_fail(e, NODD_E_PEER, "%s: the server does not speak HTTP/1.x", c->url);
	case CURLE_GOT_NOTHING:
		return nodd_fail(e, NODD_E_PEER,
			"%s: connection lost: closed by the server without a response", c->url);
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_PARTIAL_FILE:
		return nodd_fail(e, NODD_E_PEER, "%s: connection lost: %s", c->url, why);
	default:
		return nodd_fail(e, NODD_E_PEER, "%s: %s", c->url, why);
	}
}

int http_request(struct http_client *c, const char *method, const char *path, const char *body,
	size_t blen, struct http_reply *r, struct nodd_err *e)
{
	memset(r, 0, sizeof *r);
	size_t ul = strlen(c->base) + strlen(path) + 1;
	char *full = malloc(ul);
	r->body = calloc(1, 1);
	if (!full || !r->body) {
		free(full);
		free(r->body);
		r->body = NULL;
		return nodd_fail(e, NODD_E_NOMEM, "out of memory");
	}
	snprintf(full, ul, "%s%s", c->base, path);
	CURL *h = c->curl;
	curl_easy_setopt(h, CURLOPT_URL, full);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	if (body) {
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->hdr_post);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	} else {
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->hdr_get);
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	}
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, strcmp(method, body ? "POST" : "GET") ? method
		: NULL);
	c->errbuf[0] = '\0';
	CURLcode rc = curl_easy_perform(h);
	free(full);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, NULL);
	if (rc != CURLE_OK) {
		free(r->body);
		memset(r, 0, sizeof *r);
		return transfer_failed(c, rc, e);
	}
	long status = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	r->status = (int)status;
	return 0;
}

void http_client_free(struct http_client *c)
{
	if (!c)
		return;
	curl_easy_cleanup(c->curl); /* NULL is a no-op */
	curl_slist_free_all(c->hdr_get);
	curl_slist_free_all(c->hdr_post);
	curl_global_cleanup();
	free(c);
}
