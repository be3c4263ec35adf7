/* confirm.c -- the RDAP queue (see confirm.h). One timer, every rdap.rate interval, sends at
 * most one request: the queued candidate due first whose server is not backed off, with a
 * lease (next_try moved past the timeout) so a crash mid-request asks again after a
 * restart. Each answer is applied in one store transaction with its queue row: confirmed
 * or known through policy/confirm.h (which deletes the row), otherwise the row is asked
 * again later (rdap.retry doubling, at most rdap.max-tries requests) or dropped. Decides
 * nothing about what a date means beyond the 24 h rule, and parses nothing itself. */
#define LOG_CATEGORY LOG_CAT_CT
#include "ct/confirm.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ct/bootstrap.h"
#include "ct/fetch.h"
#include "ct/rdap.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/prom.h"
#include "policy/confirm.h"

#define MAX_BOOTSTRAP (4 << 20)
#define BOOTSTRAP_EVERY 86400   /* a bootstrap URL is fetched again daily */
#define BACKOFF_MAX 3600        /* a server's backoff, and a Retry-After honoured, at most */
#define DUE_BATCH 16            /* due rows looked at per tick */

enum outcome { A_RECENT, A_OLD, A_NO_EVENT, A_NOT_FOUND, A_THROTTLED, A_ERROR, A_COUNT };
static const char *const outcome_names[A_COUNT] = { "registration_recent",
	"registration_old", "no_event", "not_found", "throttled", "error" };

struct server {
	char *url;
	int64_t until_ms;       /* unix time (ms) before which it is not asked */
	int fails;              /* 429s in a row, for the backoff without Retry-After */
};

struct flight {
	struct ct_confirm *c;
	struct ct_req *req;
	char domain[256];
	int64_t fs;
	int tries;
	struct server *srv;
	struct flight *next;
};

struct ct_confirm {
	const struct nodd_config *cfg;
	nod_t *nod;
	sqlite3 *db;
	struct ct_fetch *fetch;
	struct event *timer;
	struct ct_bootstrap *boot;
	struct ct_req *boot_req;
	int64_t boot_at;
	struct server **srv;
	size_t nsrv;
	struct flight *flights;
	int inflight;
	int64_t queue_len;      /* rows, counted each tick and on insert */
	uint64_t answers[A_COUNT], dropped, gave_up, no_server, queued;
};

/* A Retry-After of 2 s must mean 2 s, not "the second after next": milliseconds. */
static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t count_queue(struct ct_confirm *c)
{
	sqlite3_stmt *st;
	int64_t n = -1;
	if (sqlite3_prepare_v2(c->db, "SELECT count(*) FROM rdap_queue", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* sql on one queue row: ?1 domain, ?2 and ?3 integers. 0 or -1. */
static int row_exec(struct ct_confirm *c, const char *sql, const char *domain, int64_t a,
	int64_t b)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) {
		log_err("rdap: store: %s", sqlite3_errmsg(c->db));
		return -1;
	}
	sqlite3_bind_text(st, 1, domain, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, a);
	sqlite3_bind_int64(st, 3, b);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		log_err("rdap: store: %s", sqlite3_errmsg(c->db));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* The candidate's TLD (any zone above it) is followed by transfer: its zone decides. */
static int followed(const struct nodd_config *cfg, const char *domain)
{
	size_t dl = strlen(domain);
	for (int i = 0; i < cfg->nupstreams; i++) {
		const char *z = cfg->upstreams[i].zone;
		size_t zl = strlen(z);
		if (zl == 0 || (dl > zl + 1 && domain[dl - zl - 1] == '.' &&
			strcmp(domain + dl - zl, z) == 0))
			return 1;
	}
	return 0;
}

int ct_confirm_candidate(struct ct_confirm *c, const char *domain, int64_t fs)
{
	if (!c || !c->cfg->rdap_enabled || followed(c->cfg, domain))
		return 0;
	if (c->queue_len >= c->cfg->rdap_max_queue) {
		c->dropped++;
		return 0;
	}
	if (row_exec(c, "INSERT OR IGNORE INTO rdap_queue(domain, first_seen, next_try, tries) "
		    "VALUES (?1, ?2, ?3, 0)", domain, fs, fs) < 0)
		return -1;
	c->queue_len += sqlite3_changes(c->db);
	c->queued += (uint64_t)sqlite3_changes(c->db);
	return 0;
}

/* Each server is allocated on its own: requests in flight point at theirs. */
static struct server *server_for(struct ct_confirm *c, const char *url)
{
	for (size_t i = 0; i < c->nsrv; i++)
		if (strcmp(c->srv[i]->url, url) == 0)
			return c->srv[i];
	struct server **n = realloc(c->srv, (c->nsrv + 1) * sizeof *n);
	if (!n)
		return NULL;
	c->srv = n;
	struct server *s = calloc(1, sizeof *s);
	if (!s || !(s->url = strdup(url))) {
		free(s);
		return NULL;
	}
	return c->srv[c->nsrv++] = s;
}

/* No useful answer: ask again after rdap.retry doubling, or give up after max-tries. */
static void retry_later(struct ct_confirm *c, const struct flight *fl, int64_t now)
{
	int tries = fl->tries + 1;
	if (tries >= c->cfg->rdap_max_tries) {
		c->gave_up++;
		log_debug("rdap: %s: no answer after %d requests; stays unconfirmed", fl->domain,
			tries);
		if (row_exec(c, "DELETE FROM rdap_queue WHERE domain = ?1", fl->domain, 0, 0) == 0)
			c->queue_len--;
		return;
	}
	int64_t wait = c->cfg->rdap_retry << (tries - 1 < 16 ? tries - 1 : 16);
	row_exec(c, "UPDATE rdap_queue SET next_try = ?2, tries = ?3 WHERE domain = ?1",
		fl->domain, now + wait, tries);
}

/* A 429 (or 503): the server rests for its Retry-After, or 60 s doubling. */
static void throttled(struct ct_confirm *c, const struct flight *fl, int64_t ra)
{
	struct server *s = fl->srv;
	int64_t wait = ra >= 0 ? ra : 60LL << (s->fails < 6 ? s->fails : 6);
	if (wait > BACKOFF_MAX)
		wait = BACKOFF_MAX;
	s->fails++;
	int64_t until = now_ms() + wait * 1000;
	if (until > s->until_ms)
		s->until_ms = until;
	log_info("rdap: %s asks to wait %lld s", s->url, (long long)wait);
	row_exec(c, "UPDATE rdap_queue SET next_try = ?2 WHERE domain = ?1", fl->domain,
		(s->until_ms + 999) / 1000, 0);
}

/* A registration date: confirmed or known, with the queue row, in one transaction. */
static void registered(struct ct_confirm *c, const struct flight *fl, int64_t created,
	int64_t now)
{
	int known = created < fl->fs - NOD_CONFIRM_WINDOW;
	c->answers[known ? A_OLD : A_RECENT]++;
	struct nod_confirmation how = { .created = created, .server = fl->srv->url, .known = known };
	enum nod_confirm_result res;
	if (nod_begin(c->nod) < 0) {
		log_err("rdap: store: cannot begin: %s", store_errmsg(nod_store(c->nod)));
		return;
	}
	if (nod_confirm_ct(c->nod, fl->domain, now, &how, &res) < 0 ||
	    row_exec(c, "DELETE FROM rdap_queue WHERE domain = ?1", fl->domain, 0, 0) < 0 ||
	    nod_commit(c->nod) < 0) {
		nod_rollback(c->nod);
		log_err("rdap: %s: the answer could not be stored; asked again later", fl->domain);
		return;
	}
	c->queue_len--;
	log_info("rdap: %s registered %lld, first seen %lld: %s", fl->domain, (long long)created,
		(long long)fl->fs, res == NOD_CONFIRM_CONFIRMED ? "confirmed"
		: res == NOD_CONFIRM_KNOWN ? "known" : "no longer a candidate");
}

static void on_answer(void *ctx, const struct ct_http *r)
{
	struct flight *fl = ctx, **pp;
	struct ct_confirm *c = fl->c;
	for (pp = &c->flights; *pp && *pp != fl; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = fl->next;
	c->inflight--;
	int64_t now = unix_now();
	enum ct_rdap_answer a;
	int64_t created = 0;
	struct nodd_err e = { 0 };
	if (!r->error && (r->status == 429 || (r->status == 503 && r->retry_after >= 0))) {
		c->answers[A_THROTTLED]++;
		throttled(c, fl, r->retry_after);
	} else if (!r->error && r->status == 200 &&
		   ct_rdap_parse(r->body, r->len, fl->domain, &a, &created, &e) == 0) {
		fl->srv->fails = 0;
		if (a == CT_RDAP_REGISTRATION) {
			registered(c, fl, created, now);
		} else {
			c->answers[A_NO_EVENT]++;
			retry_later(c, fl, now);
		}
	} else {
		c->answers[r->status == 404 && !r->error ? A_NOT_FOUND : A_ERROR]++;
		if (r->error || (r->status != 404 && r->status != 200))
			log_debug("rdap: %s: %s%ld", fl->domain, r->error ? r->error : "HTTP ",
				r->error ? 0L : r->status);
		else if (r->status == 200)
			log_debug("rdap: %s: %s", fl->domain, e.msg);
		retry_later(c, fl, now);
	}
	free(fl);
}

struct due {
	char domain[256];
	int64_t fs;
	int tries;
};

static int read_due(struct ct_confirm *c, int64_t now, struct due *d, int max)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(c->db, "SELECT domain, first_seen, tries FROM rdap_queue "
		    "WHERE next_try <= ?1 ORDER BY next_try, domain LIMIT ?2", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int(st, 2, max);
	int n = 0;
	while (n < max && sqlite3_step(st) == SQLITE_ROW) {
		const char *dom = (const char *)sqlite3_column_text(st, 0);
		if (!dom || strlen(dom) >= sizeof d[n].domain)
			continue;
		strcpy(d[n].domain, dom);
		d[n].fs = sqlite3_column_int64(st, 1);
		d[n].tries = sqlite3_column_int(st, 2);
		n++;
	}
	sqlite3_finalize(st);
	return n;
}

/* Ask the server of one due candidate; 1 when a request went out. */
static int ask(struct ct_confirm *c, const struct due *d, int64_t now)
{
	const char *base = ct_bootstrap_lookup(c->boot, d->domain);
	if (!base) {
		/* no registry publishes RDAP for it: it stays unconfirmed */
		c->no_server++;
		if (row_exec(c, "DELETE FROM rdap_queue WHERE domain = ?1", d->domain, 0, 0) == 0)
			c->queue_len--;
		return 0;
	}
	struct server *s = server_for(c, base);
	if (!s)
		return 0;
	if (s->until_ms > now_ms()) {
		row_exec(c, "UPDATE rdap_queue SET next_try = ?2 WHERE domain = ?1", d->domain,
			(s->until_ms + 999) / 1000, 0);
		return 0;
	}
	struct flight *fl = calloc(1, sizeof *fl);
	if (!fl)
		return 0;
	*fl = (struct flight){ .c = c, .fs = d->fs, .tries = d->tries, .srv = s };
	strcpy(fl->domain, d->domain);
	size_t ul = strlen(base) + strlen(d->domain) + 8;
	char *url = malloc(ul);
	if (!url) {
		free(fl);
		return 0;
	}
	snprintf(url, ul, "%sdomain/%s", base, d->domain);
	struct nodd_err e = { 0 };
	/* the lease: not picked again while in flight, asked again after a crash */
	if (row_exec(c, "UPDATE rdap_queue SET next_try = ?2 WHERE domain = ?1", d->domain,
		    now + c->cfg->rdap_timeout + 1, 0) < 0 ||
	    !(fl->req = ct_fetch_get(c->fetch, url, on_answer, fl, &e))) {
		if (e.msg[0])
			log_err("rdap: %s: %s", url, e.msg);
		free(url);
		free(fl);
		return 0;
	}
	free(url);
	fl->next = c->flights;
	c->flights = fl;
	c->inflight++;
	return 1;
}

static void use_bootstrap(struct ct_confirm *c, const char *json, size_t len)
{
	struct nodd_err e = { 0 };
	struct ct_bootstrap *b = ct_bootstrap_parse(json, len, &e);
	if (!b) {
		log_err("rdap.bootstrap %s: %s", c->cfg->rdap_bootstrap, e.msg);
		return;
	}
	ct_bootstrap_free(c->boot);
	c->boot = b;
	log_info("rdap: bootstrap %s: %zu suffixes", c->cfg->rdap_bootstrap, ct_bootstrap_count(b));
}

static void on_bootstrap(void *ctx, const struct ct_http *r)
{
	struct ct_confirm *c = ctx;
	c->boot_req = NULL;
	if (r->error || r->status != 200) {
		log_err("rdap.bootstrap %s: %s%ld", c->cfg->rdap_bootstrap,
			r->error ? r->error : "HTTP ", r->error ? 0L : r->status);
		return;
	}
	use_bootstrap(c, r->body, r->len);
}

static int is_url(const char *s)
{
	return strncmp(s, "https://", 8) == 0 || strncmp(s, "http://", 7) == 0;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct ct_confirm *c = arg;
	int64_t now = unix_now();
	if (is_url(c->cfg->rdap_bootstrap) && !c->boot_req &&
	    (!c->boot || now - c->boot_at >= BOOTSTRAP_EVERY)) {
		struct nodd_err e = { 0 };
		c->boot_at = now;
		c->boot_req = ct_fetch_get(c->fetch, c->cfg->rdap_bootstrap, on_bootstrap, c, &e);
		if (!c->boot_req)
			log_err("rdap.bootstrap: %s", e.msg);
	}
	int64_t n = count_queue(c);
	if (n >= 0)
		c->queue_len = n;
	if (!c->boot || c->inflight >= c->cfg->rdap_parallel)
		return;
	struct due d[DUE_BATCH];
	int nd = read_due(c, now, d, DUE_BATCH);
	for (int i = 0; i < nd; i++)
		if (ask(c, &d[i], now))
			break;
}

static int read_bootstrap_file(struct ct_confirm *c, struct nodd_err *e)
{
	const char *p = c->cfg->rdap_bootstrap;
	FILE *fp = fopen(p, "rb");
	if (!fp)
		return nodd_fail(e, NODD_E_SYSTEM, "rdap.bootstrap: cannot read %s", p);
	char *buf = malloc(MAX_BOOTSTRAP + 1);
	size_t n = buf ? fread(buf, 1, MAX_BOOTSTRAP + 1, fp) : 0;
	fclose(fp);
	if (!buf || n > MAX_BOOTSTRAP) {
		free(buf);
		return nodd_fail(e, NODD_E_LIMIT, "rdap.bootstrap: %s: too large", p);
	}
	struct ct_bootstrap *b = ct_bootstrap_parse(buf, n, e);
	free(buf);
	if (!b)
		return nodd_wrap(e, "rdap.bootstrap %s", p);
	c->boot = b;
	log_info("rdap: bootstrap %s: %zu suffixes", p, ct_bootstrap_count(b));
	return 0;
}

struct ct_confirm *ct_confirm_start(struct event_base *base, const struct nodd_config *cfg,
	nod_t *nod, struct nodd_err *e)
{
	struct ct_confirm *c = nodd_calloc(1, sizeof *c, e);
	if (!c)
		return NULL;
	c->cfg = cfg;
	c->nod = nod;
	c->db = store_db(nod_store(nod));
	c->queue_len = count_queue(c);
	if (!cfg->rdap_enabled)
		return c;
	struct ct_fetch_options fo = { .user_agent = cfg->ct_user_agent,
		.timeout = (long)cfg->rdap_timeout, .max_body = CT_RDAP_MAX_BODY + 1,
		.accept = "application/rdap+json" };
	if (!(c->fetch = ct_fetch_new(base, &fo, e)))
		goto fail;
	if (!is_url(cfg->rdap_bootstrap) && read_bootstrap_file(c, e) < 0)
		goto fail;
	c->timer = event_new(base, -1, EV_PERSIST, on_tick, c);
	struct timeval tv = { (time_t)(cfg->rdap_interval_ms / 1000),
		(suseconds_t)(cfg->rdap_interval_ms % 1000 * 1000) };
	if (!c->timer || event_add(c->timer, &tv) < 0) {
		nodd_fail(e, NODD_E_NOMEM, "out of memory");
		goto fail;
	}
	event_active(c->timer, EV_TIMEOUT, 0); /* a bootstrap URL is fetched at once */
	return c;
fail:
	ct_confirm_stop(c);
	return NULL;
}

void ct_confirm_stop(struct ct_confirm *c)
{
	if (!c)
		return;
	while (c->flights) {
		struct flight *fl = c->flights;
		c->flights = fl->next;
		ct_fetch_cancel(c->fetch, fl->req);
		free(fl);
	}
	if (c->boot_req)
		ct_fetch_cancel(c->fetch, c->boot_req);
	if (c->timer)
		event_free(c->timer);
	ct_fetch_free(c->fetch);
	ct_bootstrap_free(c->boot);
	for (size_t i = 0; i < c->nsrv; i++) {
		free(c->srv[i]->url);
		free(c->srv[i]);
	}
	free(c->srv);
	free(c);
}

json_t *ct_confirm_status(void *arg)
{
	struct ct_confirm *c = arg;
	const struct nod_confirm_stats *cs = nod_confirm_stats();
	json_t *o = json_object(), *a = json_object();
	json_object_set_new(o, "enabled", json_boolean(c && c->cfg->rdap_enabled));
	json_object_set_new(o, "queue", json_integer(c ? c->queue_len : 0));
	json_object_set_new(o, "in_flight", json_integer(c ? c->inflight : 0));
	for (int i = 0; i < A_COUNT; i++)
		json_object_set_new(a, outcome_names[i], json_integer(c ? (json_int_t)c->answers[i] : 0));
	json_object_set_new(o, "answers", a);
	json_object_set_new(o, "queued", json_integer(c ? (json_int_t)c->queued : 0));
	json_object_set_new(o, "dropped", json_integer(c ? (json_int_t)c->dropped : 0));
	json_object_set_new(o, "gave_up", json_integer(c ? (json_int_t)c->gave_up : 0));
	json_object_set_new(o, "no_server", json_integer(c ? (json_int_t)c->no_server : 0));
	json_object_set_new(o, "confirmed", json_pack("{sIsI}", "zone",
		(json_int_t)cs->confirmed_zone, "rdap", (json_int_t)cs->confirmed_rdap));
	json_object_set_new(o, "known", json_pack("{sIsI}", "zone", (json_int_t)cs->known_zone,
		"rdap", (json_int_t)cs->known_rdap));
	return o;
}

void ct_confirm_metrics(void *arg, FILE *out)
{
	struct ct_confirm *c = arg;
	const struct nod_confirm_stats *cs = nod_confirm_stats();
	prom_family(out, "nodd_rdap_queue_length", "gauge", "CT candidates waiting for RDAP.");
	prom_sample(out, "nodd_rdap_queue_length", NULL, NULL, NULL, NULL,
		c ? (uint64_t)c->queue_len : 0);
	prom_family(out, "nodd_rdap_answers_total", "counter", "RDAP answers by outcome.");
	for (int i = 0; i < A_COUNT; i++)
		prom_sample(out, "nodd_rdap_answers_total", "outcome", outcome_names[i], NULL, NULL,
			c ? c->answers[i] : 0);
	prom_family(out, "nodd_ct_confirmations_total", "counter",
		"CT candidates confirmed, by what confirmed them.");
	prom_sample(out, "nodd_ct_confirmations_total", "by", "zone", NULL, NULL,
		cs->confirmed_zone);
	prom_sample(out, "nodd_ct_confirmations_total", "by", "rdap", NULL, NULL,
		cs->confirmed_rdap);
	prom_family(out, "nodd_ct_known_total", "counter",
		"CT candidates found registered long before, by what said so.");
	prom_sample(out, "nodd_ct_known_total", "by", "zone", NULL, NULL, cs->known_zone);
	prom_sample(out, "nodd_ct_known_total", "by", "rdap", NULL, NULL, cs->known_rdap);
}
