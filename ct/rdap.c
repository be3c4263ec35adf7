/* rdap.c -- the RDAP confirmer (see rdap.h). One request at a time, paced by a timer; the
 * queue lives in the store so a restart resumes it. Knows no CT log: ct/ingest.c queues
 * the candidates, policy/nod.c lists the confirmed ones. */
#include "ct/rdap.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "lib/prom.h"

enum { R_CONFIRMED, R_KNOWN, R_NO_DATE, R_NOT_FOUND, R_NO_SERVER, R_THROTTLED, R_ERROR, R_N };
static const char *const outcome_names[R_N] = { "confirmed", "known", "no_date", "not_found",
	"no_server", "throttled", "error" };

struct server {
	char *tld;
	char *url;              /* ends in '/' */
	int64_t not_before;     /* unix time: left alone until then (429/503) */
};

struct ct_rdap {
	const struct nodd_config *cfg;
	struct ct_fetch *fetch;
	struct ct_state *st;
	nod_t *nod;
	struct server *srv;
	size_t nsrv;
	struct event *timer;
	struct ct_req *req;
	char domain[256];       /* the one asked now */
	int tries;
	int64_t fs;
	int64_t queued;
	uint64_t answers[R_N];
};

static struct server *server_for(struct ct_rdap *r, const char *domain)
{
	const char *tld = strrchr(domain, '.');
	tld = tld ? tld + 1 : domain;
	for (size_t i = 0; i < r->nsrv; i++)
		if (strcmp(r->srv[i].tld, tld) == 0)
			return &r->srv[i];
	return NULL;
}

static int add_server(struct ct_rdap *r, const char *tld, const char *url)
{
	struct server *n = realloc(r->srv, (r->nsrv + 1) * sizeof *n);
	if (!n)
		return -1;
	r->srv = n;
	size_t ul = strlen(url);
	char *u = malloc(ul + 2);
	char *t = strdup(tld);
	if (!u || !t) {
		free(u);
		free(t);
		return -1;
	}
	memcpy(u, url, ul + 1);
	if (!ul || url[ul - 1] != '/')
		memcpy(u + ul, "/", 2);
	for (char *p = t; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	r->srv[r->nsrv++] = (struct server){ .tld = t, .url = u };
	return 0;
}

/* dns.json: {"services": [[["tld", ...], ["https://rdap.example/", ...]], ...]}; the first
 * http(s) URL of each service. */
static int load_bootstrap(struct ct_rdap *r, const char *path, struct nodd_err *e)
{
	json_error_t je;
	json_t *doc = json_load_file(path, 0, &je);
	json_t *services = doc ? json_object_get(doc, "services") : NULL;
	if (!json_is_array(services)) {
		json_decref(doc);
		return nodd_fail(e, NODD_E_INVALID, "rdap.bootstrap: %s: %s", path,
			doc ? "no services array" : je.text);
	}
	size_t i;
	json_t *svc;
	json_array_foreach(services, i, svc) {
		json_t *tlds = json_array_get(svc, 0), *urls = json_array_get(svc, 1);
		const char *url = NULL;
		size_t j;
		json_t *u;
		json_array_foreach(urls, j, u)
			if (!url && json_is_string(u) && strncmp(json_string_value(u), "http", 4) == 0)
				url = json_string_value(u);
		json_array_foreach(tlds, j, u)
			if (url && json_is_string(u) && add_server(r, json_string_value(u), url) < 0) {
				json_decref(doc);
				return nodd_fail(e, NODD_E_NOMEM, "out of memory");
			}
	}
	json_decref(doc);
	log_info("rdap: %zu TLDs in %s", r->nsrv, path);
	return 0;
}

int64_t ct_rdap_date(const char *s)
{
	struct tm tm = { 0 };
	int n = 0;
	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		    &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6)
		return -1;
	const char *p = s + n;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	int64_t off = 0;
	int oh, om;
	if ((*p == '+' || *p == '-') && sscanf(p + 1, "%2d:%2d", &oh, &om) == 2 && !p[6])
		off = (*p == '+' ? 1 : -1) * (oh * 3600 + om * 60);
	else if (strcmp(p, "Z") != 0 && strcmp(p, "z") != 0)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm) - off;
}

/* The registration date of an RDAP domain answer, -1 when it has none. */
static int64_t registration(const char *body, size_t len, char *date, size_t datelen)
{
	json_t *doc = json_loadb(body, len, 0, NULL);
	json_t *events = doc ? json_object_get(doc, "events") : NULL;
	int64_t t = -1;
	size_t i;
	json_t *ev;
	json_array_foreach(events, i, ev) {
		const char *a = json_string_value(json_object_get(ev, "eventAction"));
		const char *d = json_string_value(json_object_get(ev, "eventDate"));
		if (t < 0 && a && d && strcmp(a, "registration") == 0 && (t = ct_rdap_date(d)) >= 0)
			snprintf(date, datelen, "%s", d);
	}
	json_decref(doc);
	return t;
}

/* The candidate asked now is done: out of the queue (known: registered earlier). */
static void finish(struct ct_rdap *r, int outcome, int known)
{
	r->answers[outcome]++;
	if (ct_state_rdap_done(r->st, r->domain, known) < 0)
		log_err("rdap: %s: %s", r->domain, ct_state_errmsg(r->st));
	else
		r->queued--;
}

static void confirm(struct ct_rdap *r, const char *date)
{
	char by[300];
	snprintf(by, sizeof by, "rdap registration %s", date);
	int64_t now = unix_now();
	if (nod_begin(r->nod) < 0 || nod_confirm_ct(r->nod, r->domain, by, now) < 0 ||
	    ct_state_rdap_done(r->st, r->domain, 0) < 0 || nod_commit(r->nod) < 0) {
		log_err("rdap: %s: cannot record the confirmation: %s", r->domain,
			nod_errmsg(r->nod));
		nod_rollback(r->nod);
		return;
	}
	r->answers[R_CONFIRMED]++;
	r->queued--;
	log_info("rdap: %s confirmed (registered %s)", r->domain, date);
}

static void retry(struct ct_rdap *r, int outcome, int64_t at)
{
	r->answers[outcome]++;
	if (outcome == R_ERROR && r->tries >= 5) {
		finish(r, R_ERROR, 0); /* given up: it stays unconfirmed */
		r->answers[R_ERROR]--;
		return;
	}
	if (ct_state_rdap_retry(r->st, r->domain, at) < 0)
		log_err("rdap: %s: %s", r->domain, ct_state_errmsg(r->st));
}

static void on_answer(void *ctx, const struct ct_http *h)
{
	struct ct_rdap *r = ctx;
	r->req = NULL;
	int64_t now = unix_now();
	struct server *s = server_for(r, r->domain);
	if (!h->error && h->status == 200) {
		char date[64] = "";
		int64_t reg = registration(h->body, h->len, date, sizeof date);
		if (reg < 0)
			finish(r, R_NO_DATE, 0);
		else if (reg < r->fs - 86400)
			finish(r, R_KNOWN, 1);
		else if (reg <= r->fs + 3600)
			confirm(r, date);
		else
			finish(r, R_NO_DATE, 0); /* registered after the certificate: not this one */
	} else if (!h->error && h->status == 404) {
		finish(r, R_NOT_FOUND, 0);
	} else if (!h->error && (h->status == 429 || h->status == 503)) {
		int64_t wait = h->retry_after >= 0 ? h->retry_after : 60;
		if (wait > 3600)
			wait = 3600;
		/* whole seconds: one more, so the wait is never shorter than asked */
		if (s)
			s->not_before = now + wait + 1;
		retry(r, R_THROTTLED, now + wait + 1);
	} else {
		retry(r, R_ERROR, now + (60LL << (r->tries < 6 ? r->tries : 6)));
	}
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct ct_rdap *r = arg;
	if (r->req)
		return;
	int64_t now = unix_now();
	int rc = ct_state_rdap_next(r->st, now, r->domain, sizeof r->domain, &r->tries, &r->fs);
	if (rc <= 0)
		return;
	struct server *s = server_for(r, r->domain);
	if (!s) {
		finish(r, R_NO_SERVER, 0);
		return;
	}
	if (s->not_before > now) {
		ct_state_rdap_retry(r->st, r->domain, s->not_before);
		return;
	}
	char url[1024];
	snprintf(url, sizeof url, "%sdomain/%s", s->url, r->domain);
	struct nodd_err e = { 0 };
	r->req = ct_fetch_get(r->fetch, url, on_answer, r, &e);
	if (!r->req)
		log_err("rdap: %s", e.msg);
}

struct ct_rdap *ct_rdap_start(struct event_base *base, const struct nodd_config *cfg,
	struct ct_fetch *fetch, struct ct_state *st, nod_t *nod, struct nodd_err *e)
{
	struct ct_rdap *r = nodd_calloc(1, sizeof *r, e);
	if (!r)
		return NULL;
	*r = (struct ct_rdap){ .cfg = cfg, .fetch = fetch, .st = st, .nod = nod };
	if (load_bootstrap(r, cfg->rdap_bootstrap, e) < 0)
		goto fail;
	r->queued = ct_state_rdap_count(st);
	r->timer = event_new(base, -1, EV_PERSIST, on_tick, r);
	long us = 1000000L / cfg->rdap_rate;
	struct timeval tv = { us / 1000000, us % 1000000 };
	if (!r->timer || event_add(r->timer, &tv) < 0) {
		nodd_fail(e, NODD_E_NOMEM, "out of memory");
		goto fail;
	}
	return r;
fail:
	ct_rdap_stop(r);
	return NULL;
}

void ct_rdap_stop(struct ct_rdap *r)
{
	if (!r)
		return;
	if (r->req)
		ct_fetch_cancel(r->fetch, r->req);
	if (r->timer)
		event_free(r->timer);
	for (size_t i = 0; i < r->nsrv; i++) {
		free(r->srv[i].tld);
		free(r->srv[i].url);
	}
	free(r->srv);
	free(r);
}

int ct_rdap_enqueue(struct ct_rdap *r, const char *domain, int64_t now)
{
	if (!r || r->queued >= r->cfg->rdap_max_queue)
		return 0;
	size_t dl = strlen(domain);
	for (int i = 0; i < r->cfg->nupstreams; i++) {
		const char *z = r->cfg->upstreams[i].zone;
		size_t zl = strlen(z);
		if (!zl || (dl > zl && domain[dl - zl - 1] == '.' && strcmp(domain + dl - zl, z) == 0))
			return 0; /* its zone confirms it */
	}
	if (ct_state_rdap_add(r->st, domain, now) < 0)
		return -1;
	r->queued++;
	return 0;
}

json_t *ct_rdap_status(struct ct_rdap *r)
{
	json_t *a = json_object();
	for (int i = 0; i < R_N; i++)
		json_object_set_new(a, outcome_names[i], json_integer((json_int_t)r->answers[i]));
	json_t *o = json_object();
	json_object_set_new(o, "queue", json_integer(r->queued));
	json_object_set_new(o, "answers", a);
	return o;
}

void ct_rdap_metrics(struct ct_rdap *r, FILE *out)
{
	prom_family(out, "nodd_rdap_queue", "gauge", "CT candidates waiting for an RDAP answer.");
	prom_sample_i(out, "nodd_rdap_queue", NULL, NULL, r->queued);
	prom_family(out, "nodd_rdap_answers_total", "counter", "RDAP lookups by outcome.");
	for (int i = 0; i < R_N; i++)
		prom_sample(out, "nodd_rdap_answers_total", "outcome", outcome_names[i], NULL, NULL,
			r->answers[i]);
}
