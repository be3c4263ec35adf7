/* fetch.c -- libcurl multi on libevent (see fetch.h). curl tells us which sockets to watch
 * (CURLMOPT_SOCKETFUNCTION) and when to wake it (CURLMOPT_TIMERFUNCTION); each socket gets a
 * persistent libevent event, and finished transfers are collected after every action.
 * Callbacks run after their handle left the multi handle, so a callback may start or
 * cancel requests freely. Holds no policy: which URL, when and how often is follow.c's. */
#include "ct/fetch.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/clock.h"

struct ct_req {
	struct ct_fetch *f;
	CURL *h;
	ct_http_cb cb;
	void *ctx;
	char *body;
	size_t len, cap;
	int too_long;
	int64_t retry_after;
	char errbuf[CURL_ERROR_SIZE];
	struct ct_req *next, *prev;
};

struct sock {
	struct event *ev;
};

struct ct_fetch {
	struct event_base *base;
	CURLM *multi;
	struct event *timer;
	struct ct_fetch_options opt;
	char *user_agent;
	struct curl_slist *hdrs;
	struct ct_req *reqs;
};

static void check_done(struct ct_fetch *f);

static void on_socket_event(evutil_socket_t fd, short what, void *arg)
{
	struct ct_fetch *f = arg;
	int flags = (what & EV_READ ? CURL_CSELECT_IN : 0) | (what & EV_WRITE ? CURL_CSELECT_OUT : 0);
	int running;
	curl_multi_socket_action(f->multi, fd, flags, &running);
	check_done(f);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct ct_fetch *f = arg;
	int running;
	curl_multi_socket_action(f->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(f);
}

static int socket_cb(CURL *h, curl_socket_t s, int what, void *userp, void *socketp)
{
	(void)h;
	struct ct_fetch *f = userp;
	struct sock *sk = socketp;
	if (what == CURL_POLL_REMOVE) {
		if (sk) {
			event_free(sk->ev);
			free(sk);
		}
		curl_multi_assign(f->multi, s, NULL);
		return 0;
	}
	short ev = EV_PERSIST | (what & CURL_POLL_IN ? EV_READ : 0) |
		(what & CURL_POLL_OUT ? EV_WRITE : 0);
	if (!sk) {
		sk = calloc(1, sizeof *sk);
		if (!sk)
			return -1;
		curl_multi_assign(f->multi, s, sk);
	} else {
		event_free(sk->ev);
	}
	sk->ev = event_new(f->base, s, ev, on_socket_event, f);
	if (!sk->ev)
		return -1;
	event_add(sk->ev, NULL);
	return 0;
}

static int timer_cb(CURLM *m, long ms, void *userp)
{
	(void)m;
	struct ct_fetch *f = userp;
	if (ms < 0) {
		evtimer_del(f->timer);
		return 0;
	}
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	evtimer_add(f->timer, &tv);
	return 0;
}

static size_t write_cb(char *p, size_t size, size_t n, void *arg)
{
	struct ct_req *r = arg;
	size_t len = size * n;
	if (r->len + len + 1 > r->f->opt.max_body) {
		r->too_long = 1;
		return 0; /* curl fails the transfer with CURLE_WRITE_ERROR */
	}
	if (r->len + len + 1 > r->cap) {
		size_t cap = r->cap ? r->cap : 16384;
		while (cap < r->len + len + 1)
			cap *= 2;
		char *nb = realloc(r->body, cap);
		if (!nb)
			return 0;
		r->body = nb;
		r->cap = cap;
	}
	memcpy(r->body + r->len, p, len);
	r->len += len;
	r->body[r->len] = '\0';
	return len;
}

int64_t ct_retry_after(const char *v, int64_t now)
{
	while (*v == ' ' || *v == '\t')
		v++;
	if (*v >= '0' && *v <= '9') {
		char *end;
		long long s = strtoll(v, &end, 10);
		while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
			end++;
		return *end ? -1 : s;
	}
	time_t t = curl_getdate(v, NULL);
	if (t == (time_t)-1)
		return -1;
	return t > now ? (int64_t)(t - now) : 0;
}

static size_t header_cb(char *p, size_t size, size_t n, void *arg)
{
	struct ct_req *r = arg;
	size_t len = size * n;
	static const char name[] = "retry-after:";
	if (len > sizeof name - 1 && len < 256 && strncasecmp(p, name, sizeof name - 1) == 0) {
		char v[256];
		memcpy(v, p + sizeof name - 1, len - (sizeof name - 1));
		v[len - (sizeof name - 1)] = '\0';
		v[strcspn(v, "\r\n")] = '\0';
		r->retry_after = ct_retry_after(v, unix_now());
	}
	return len;
}

/* Out of the list of requests and of the multi handle. */
static void req_unlink(struct ct_fetch *f, struct ct_req *r)
{
	if (r->prev)
		r->prev->next = r->next;
	else
		f->reqs = r->next;
	if (r->next)
		r->next->prev = r->prev;
	r->prev = r->next = NULL;
	curl_multi_remove_handle(f->multi, r->h);
}

static void req_free(struct ct_fetch *f, struct ct_req *r)
{
	req_unlink(f, r);
	curl_easy_cleanup(r->h);
	free(r->body);
	free(r);
}

static void check_done(struct ct_fetch *f)
{
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(f->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		struct ct_req *r = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		CURLcode rc = m->data.result;
		struct ct_http res = { .body = r->body ? r->body : "", .len = r->len,
			.retry_after = r->retry_after };
		curl_easy_getinfo(r->h, CURLINFO_RESPONSE_CODE, &res.status);
		if (r->too_long)
			res.error = "response too long (ct.max-response)";
		else if (rc != CURLE_OK)
			res.error = r->errbuf[0] ? r->errbuf : curl_easy_strerror(rc);
		req_unlink(f, r); /* first: the callback may start and cancel requests */
		r->cb(r->ctx, &res);
		curl_easy_cleanup(r->h);
		free(r->body);
		free(r);
	}
}

struct ct_fetch *ct_fetch_new(struct event_base *base, const struct ct_fetch_options *opt,
	struct nodd_err *e)
{
	struct ct_fetch *f = nodd_calloc(1, sizeof *f, e);
	if (!f)
		return NULL;
	f->base = base;
	f->opt = *opt;
	f->user_agent = strdup(opt->user_agent ? opt->user_agent : "nodd");
	f->multi = curl_multi_init();
	f->timer = evtimer_new(base, on_timer, f);
	if (opt->accept) {
		char h[256];
		snprintf(h, sizeof h, "Accept: %s", opt->accept);
		f->hdrs = curl_slist_append(NULL, h);
	}
	if (!f->user_agent || !f->multi || !f->timer || (opt->accept && !f->hdrs)) {
		nodd_fail(e, NODD_E_NOMEM, "ct: cannot set up HTTP");
		ct_fetch_free(f);
		return NULL;
	}
	curl_multi_setopt(f->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(f->multi, CURLMOPT_SOCKETDATA, f);
	curl_multi_setopt(f->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(f->multi, CURLMOPT_TIMERDATA, f);
	return f;
}

void ct_fetch_free(struct ct_fetch *f)
{
	if (!f)
		return;
	while (f->reqs)
		req_free(f, f->reqs);
	if (f->multi)
		curl_multi_cleanup(f->multi);
	if (f->timer)
		event_free(f->timer);
	free(f->user_agent);
	curl_slist_free_all(f->hdrs);
	free(f);
}

struct ct_req *ct_fetch_get(struct ct_fetch *f, const char *url, ct_http_cb cb, void *ctx,
	struct nodd_err *e)
{
	struct ct_req *r = nodd_calloc(1, sizeof *r, e);
	if (!r)
		return NULL;
	r->f = f;
	r->cb = cb;
	r->ctx = ctx;
	r->retry_after = -1;
	r->h = curl_easy_init();
	if (!r->h) {
		free(r);
		nodd_fail(e, NODD_E_NOMEM, "ct: cannot make an HTTP request");
		return NULL;
	}
	CURL *h = r->h;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PRIVATE, r);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, r->errbuf);
	curl_easy_setopt(h, CURLOPT_USERAGENT, f->user_agent);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, ""); /* every encoding curl decodes */
	if (f->hdrs)
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, f->hdrs);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, f->opt.timeout);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, f->opt.timeout < 30 ? f->opt.timeout : 30L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)f->opt.max_body);
	r->next = f->reqs;
	if (f->reqs)
		f->reqs->prev = r;
	f->reqs = r;
	if (curl_multi_add_handle(f->multi, h) != CURLM_OK) {
		req_free(f, r);
		nodd_fail(e, NODD_E_SYSTEM, "ct: cannot start an HTTP request");
		return NULL;
	}
	return r;
}

void ct_fetch_cancel(struct ct_fetch *f, struct ct_req *r)
{
	if (r)
		req_free(f, r);
}
