/* api.c -- the endpoints behind the HTTP listener: POST /api/v1/observations,
 * GET /api/v1/domains/<name>, GET /api/v1/status and GET /metrics. Each reads the core
 * (nod_*) and the registered sections; none of them knows another part by name, and
 * none blocks on anything but sqlite. docs/api.md is the contract.
 *
 * DESIGN
 * Writes are validated completely before anything is applied: a batch is first parsed
 * and checked item by item (name, public suffix, first_seen range, source), and only
 * then applied in one nod_begin()/nod_commit() transaction, rolled back if the core still
 * refuses an item. So a refused request changes nothing, neither the store nor the index. */
#define LOG_CATEGORY LOG_CAT_API
#include "server/api.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "lib/clock.h"
#include "lib/dname.h"
#include "lib/log.h"
#include "lib/prom.h"
#include "server/metrics.h"
#include "server/obsfast.h"

#ifndef NODD_VERSION
#define NODD_VERSION "unknown"
#endif

#define HTTP_SOURCE_MAX 255
#define HTTP_DEFAULT_SOURCE "api"

/* ---- POST /api/v1/observations ------------------------------------------------------ */

struct obs_item {
	char norm[DNAME_MAX_TEXT + 1];
	int64_t fs;            /* 0: now */
	const char *source;    /* borrowed from the parsed JSON */
};

struct obs_err {
	int code;
	char msg[320];
	char field[48];
};

static void item_field(struct obs_err *e, long idx, const char *field)
{
	if (idx < 0)
		snprintf(e->field, sizeof e->field, "%s", field);
	else if (*field)
		snprintf(e->field, sizeof e->field, "[%ld].%s", idx, field);
	else
		snprintf(e->field, sizeof e->field, "[%ld]", idx);
}

/* Fill e with a refusal of field of item idx; returns -1 so a refusal is one statement. */
static int item_refuse(struct obs_err *e, long idx, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int item_refuse(struct obs_err *e, long idx, const char *field, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	item_field(e, idx, field);
	return -1;
}

/* Check first_seen (absent or null: now, kept as 0). */
static int parse_first_seen(const struct http_server *h, json_t *f, long idx, int64_t now,
	int64_t *fs, struct obs_err *e)
{
	*fs = 0;
	if (!f || json_is_null(f))
		return 0;
	if (!json_is_integer(f))
		return item_refuse(e, idx, "first_seen", "first_seen must be an integer (unix seconds)");
	json_int_t v = json_integer_value(f);
	if (v < 0)
		return item_refuse(e, idx, "first_seen", "first_seen must not be negative");
	int64_t skew = h->env.cfg ? h->env.cfg->future_skew : 0;
	if ((int64_t)v > now + skew)
		return item_refuse(e, idx, "first_seen",
			"first_seen is in the future (more than %lld s ahead of the server clock)",
			(long long)skew);
	*fs = (int64_t)v;
	return 0;
}

/* Check one observation object; idx is its place in a batch, -1 for a single object.
 * Returns 0 with it filled, or -1 with e filled. */
static int parse_item(const struct http_server *h, json_t *o, long idx, int64_t now,
	struct obs_item *it, struct obs_err *e)
{
	e->code = 400;
	if (!json_is_object(o))
		return item_refuse(e, idx, idx < 0 ? "body" : "", "an observation must be a JSON object");
	json_t *d = json_object_get(o, "domain");
	if (!json_is_string(d))
		return item_refuse(e, idx, "domain", d ? "domain must be a string" : "domain is required");
	const char *why = NULL;
	enum nod_outcome refusal;
	if (!nod_check_name(h->env.nod, json_string_value(d), it->norm, sizeof it->norm, &refusal,
		    &why))
		return refusal == NOD_REFUSED_PUBLIC_SUFFIX
			? item_refuse(e, idx, "domain", "%s is a public suffix and can never be listed",
				it->norm)
			: item_refuse(e, idx, "domain", "invalid domain name: %s",
				why ? why : "not a host name");
	if (parse_first_seen(h, json_object_get(o, "first_seen"), idx, now, &it->fs, e) < 0)
		return -1;
	it->source = HTTP_DEFAULT_SOURCE;
	json_t *s = json_object_get(o, "source");
	if (s && !json_is_null(s)) {
		if (!json_is_string(s))
			return item_refuse(e, idx, "source", "source must be a string");
		if (json_string_length(s) > HTTP_SOURCE_MAX)
			return item_refuse(e, idx, "source", "source is longer than %d bytes",
				HTTP_SOURCE_MAX);
		it->source = json_string_value(s);
	}
	return 0;
}

/* The core refused an item that passed parse_item (a race with a reload), or failed
 * (failed: the store): turn its answer into an error. */
static void core_error(const struct http_server *h, int failed, enum nod_outcome out,
	const char *why, long idx, struct obs_item *it, struct obs_err *e)
{
	e->code = 400;
	switch (failed ? NOD_NEW : out) {
	case NOD_REFUSED_FUTURE:
		item_refuse(e, idx, "first_seen", "first_seen is in the future");
		break;
	case NOD_REFUSED_PUBLIC_SUFFIX:
		item_refuse(e, idx, "domain", "%s is a public suffix and can never be listed", it->norm);
		break;
	case NOD_REFUSED_INVALID:
		item_refuse(e, idx, "domain", "invalid domain name: %s", why ? why : "not a host name");
		break;
	default:
		e->code = 500;
		snprintf(e->msg, sizeof e->msg, "store error: %s", nod_errmsg(h->env.nod));
		e->field[0] = '\0';
		break;
	}
}

static void send_obs_error(struct evhttp_request *req, const struct obs_err *e)
{
	http_send_error(req, e->code, e->msg, e->field[0] ? e->field : NULL);
}

/* The store failed a write of name (NULL: the batch's transaction): logged unless it was
 * only refused while a zone's first transfer is written (503, retried by the client). */
static void store_failed(struct http_server *h, struct evhttp_request *req, const char *name,
	const struct obs_err *e)
{
	const store_t *st = nod_store(h->env.nod);
	if (!store_busy(st))
		log_err("http: observation%s%s: %s", name ? " of " : "s", name ? name : "",
			nod_errmsg(h->env.nod)[0] ? nod_errmsg(h->env.nod) : store_errmsg(st));
	http_send_store_error(req, st, e->msg);
}

static void observe_one(struct http_server *h, struct evhttp_request *req, json_t *o, int64_t now)
{
	struct obs_item it;
	struct obs_err e;
	if (parse_item(h, o, -1, now, &it, &e) < 0) {
		h->refused++;
		send_obs_error(req, &e);
		return;
	}
	int64_t kept = 0;
	const char *why = NULL;
	enum nod_outcome out;
	int rc = nod_observe(h->env.nod, it.norm, it.fs, it.source, 0, now, &kept, &out, &why);
	if (rc < 0 || (out != NOD_NEW && out != NOD_KNOWN)) {
		core_error(h, rc < 0, out, why, -1, &it, &e);
		if (e.code == 500)
			store_failed(h, req, it.norm, &e);
		else
			send_obs_error(req, &e);
		return;
	}
	json_t *r = json_object();
	json_object_set_new(r, "domain", json_string(it.norm));
	json_object_set_new(r, "first_seen", json_integer(kept));
	json_object_set_new(r, "new", json_boolean(out == NOD_NEW));
	http_send_json(req, 200, r);
}

/* The order a batch is applied in: by name (the store's B-tree is then walked forward,
 * not at random), the same name in the order given, so the earliest time still wins
 * and the first item of a name is the one that counts as new. The sort keys carry the
 * name's first 8 bytes, so most comparisons stay in the small key array instead of
 * reading two items of 270 bytes each (a fifth of the sort's time at 20,000 names). */
struct item_key {
	uint64_t head; /* the first 8 bytes, big-endian: compares as strcmp does */
	size_t i;
};

static uint64_t name_head(const char *s)
{
	uint64_t h = 0;
	int k = 0;
	for (; k < 8 && s[k]; k++)
		h = h << 8 | (unsigned char)s[k];
	return h << (8 * (8 - k));
}

static int item_order(const void *a, const void *b, void *ctx)
{
	const struct obs_item *items = ctx;
	const struct item_key *x = a, *y = b;
	if (x->head != y->head)
		return x->head < y->head ? -1 : 1;
	int c = strcmp(items[x->i].norm, items[y->i].norm);
	return c ? c : (x->i > y->i) - (x->i < y->i);
}

/* Apply a checked batch (items, n; freed here) and answer; baseline: its names are
 * recorded as known, never new, listed or streamed. */
static void apply_batch(struct http_server *h, struct evhttp_request *req,
	struct obs_item *items, size_t n, int baseline, int64_t now)
{
	struct item_key *order = n ? malloc(n * sizeof *order) : NULL;
	struct obs_err e;
	if (n && !order) {
		free(items);
		http_send_error(req, 500, "out of memory", NULL);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		order[i].head = name_head(items[i].norm);
		order[i].i = i;
	}
	if (n > 1) /* qsort_r wants a non-NULL array even for none */
		qsort_r(order, n, sizeof *order, item_order, items);
	uint64_t fresh = 0;
	const char *fail = NULL;
	if (n && nod_begin(h->env.nod) < 0)
		fail = "store error: cannot begin a transaction";
	for (size_t k = 0; k < n && !fail; k++) {
		size_t i = order[k].i;
		const char *why = NULL;
		enum nod_outcome out;
		int rc = nod_observe_checked(h->env.nod, items[i].norm, items[i].fs, items[i].source,
			baseline, now, &out, &why);
		if (rc < 0 || (out != NOD_NEW && out != NOD_KNOWN)) {
			core_error(h, rc < 0, out, why, (long)i, &items[i], &e);
			if (e.code == 500)
				store_failed(h, req, items[i].norm, &e);
			nod_rollback(h->env.nod);
			free(items);
			free(order);
			if (e.code != 500)
				send_obs_error(req, &e);
			return;
		}
		fresh += out == NOD_NEW;
	}
	if (n && !fail && nod_commit(h->env.nod) < 0)
		fail = "store error: commit failed";
	free(items);
	free(order);
	if (fail) {
		snprintf(e.msg, sizeof e.msg, "%s", fail);
		store_failed(h, req, NULL, &e);
		if (nod_store(h->env.nod) && store_in_tx(nod_store(h->env.nod)))
			nod_rollback(h->env.nod);
		return;
	}
	json_t *r = json_object();
	json_object_set_new(r, "accepted", json_integer((json_int_t)n));
	/* a baseline name is never new: the count is of names the store did not hold */
	json_object_set_new(r, "new", json_integer(baseline ? 0 : (json_int_t)fresh));
	if (baseline)
		json_object_set_new(r, "baseline", json_integer((json_int_t)fresh));
	http_send_json(req, 200, r);
}

/* A batch read by jansson: every item checked, then applied. */
static void observe_batch(struct http_server *h, struct evhttp_request *req, json_t *arr,
	int baseline, int64_t now)
{
	size_t n = json_array_size(arr);
	struct obs_item *items = n ? malloc(n * sizeof *items) : NULL;
	struct obs_err e;
	if (n && !items) {
		http_send_error(req, 500, "out of memory", NULL);
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (parse_item(h, json_array_get(arr, i), (long)i, now, &items[i], &e) < 0) {
			h->refused++;
			free(items);
			send_obs_error(req, &e);
			return;
		}
	apply_batch(h, req, items, n, baseline, now);
}

/* A batch in the plain shape (server/obsfast.h), read without a JSON value per item.
 * Returns -1, having answered nothing, when the body is in another shape or an item
 * would be refused: jansson's reading then answers, with the usual messages. The sources
 * are copied, NUL-terminated, into *src (one copy per run of equal sources; caller frees,
 * after the batch is applied). */
static int observe_fast(struct http_server *h, struct evhttp_request *req, const char *body,
	size_t len, int64_t now, char **src)
{
	struct obsfast_item *v;
	int baseline;
	long n = obsfast_read(body, len, &v, &baseline);
	if (n < 0)
		return -1;
	struct obs_item *items = n ? malloc((size_t)n * sizeof *items) : NULL;
	char *sp = *src = n ? malloc(len + 1) : NULL;
	int64_t skew = h->env.cfg ? h->env.cfg->future_skew : 0;
	const struct obsfast_item *prev = NULL;
	for (long i = 0; i < n && items && sp; i++) {
		char name[DNAME_MAX_TEXT + 2];
		enum nod_outcome refusal;
		const char *why;
		if (v[i].dlen >= sizeof name || v[i].slen > HTTP_SOURCE_MAX || v[i].first_seen > now + skew)
			break;
		memcpy(name, v[i].domain, v[i].dlen);
		name[v[i].dlen] = '\0';
		if (!nod_check_name(h->env.nod, name, items[i].norm, sizeof items[i].norm, &refusal, &why))
			break;
		items[i].fs = v[i].first_seen < 0 ? 0 : v[i].first_seen;
		if (!v[i].source) {
			items[i].source = HTTP_DEFAULT_SOURCE;
		} else if (prev && prev->slen == v[i].slen &&
			   memcmp(prev->source, v[i].source, v[i].slen) == 0) {
			items[i].source = items[i - 1].source;
		} else {
			memcpy(sp, v[i].source, v[i].slen);
			sp[v[i].slen] = '\0';
			items[i].source = sp;
			sp += v[i].slen + 1;
		}
		prev = v[i].source ? &v[i] : NULL;
		if (i == n - 1) {
			free(v);
			apply_batch(h, req, items, (size_t)n, baseline, now);
			return 0;
		}
	}
	free(v);
	free(items);
	if (n == 0) {
		apply_batch(h, req, NULL, 0, baseline, now);
		return 0;
	}
	return -1;
}

/* {"observations": [...], "baseline": true}: a batch with options. An older server reads
 * the object as one observation without a domain and refuses it, so a baseline import
 * can never be listed by a server that does not know the flag. */
static void observe_options(struct http_server *h, struct evhttp_request *req, json_t *body,
	int64_t now)
{
	json_t *arr = json_object_get(body, "observations");
	json_t *b = json_object_get(body, "baseline");
	if (!json_is_array(arr) || (b && !json_is_boolean(b))) {
		h->refused++;
		http_send_error(req, 400, json_is_array(arr) ? "baseline must be true or false"
			: "observations must be an array", json_is_array(arr) ? "baseline"
			: "observations");
		return;
	}
	observe_batch(h, req, arr, json_is_true(b), now);
}

void api_observations(struct http_server *h, struct evhttp_request *req)
{
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		http_send_method_not_allowed(req, "POST");
		return;
	}
	/* Host, Origin, token and Content-Type were checked by the router (server/httpauth.c) */
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	if (len > HTTP_MAX_BODY) { /* evhttp enforces this already; belt and braces */
		http_send_error(req, 413, "request body too large", "body");
		return;
	}
	const char *data = len ? (const char *)evbuffer_pullup(in, -1) : "";
	if (len && !data) {
		http_send_error(req, 500, "out of memory", NULL);
		return;
	}
	int64_t now = unix_now();
	char *src = NULL;
	int fast = observe_fast(h, req, data, len, now, &src);
	free(src);
	if (fast == 0)
		return;
	json_error_t jerr;
	json_t *body = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!body) {
		char msg[300];
		snprintf(msg, sizeof msg, "invalid JSON: %s (line %d, column %d)", jerr.text, jerr.line,
			jerr.column);
		h->refused++;
		http_send_error(req, 400, msg, "body");
		return;
	}
	if (json_is_array(body))
		observe_batch(h, req, body, 0, now);
	else if (json_is_object(body) && json_object_get(body, "observations"))
		observe_options(h, req, body, now);
	else
		observe_one(h, req, body, now);
	json_decref(body);
}

/* ---- GET /api/v1/domains/<name> ---------------------------------------------------- */

void api_domain(struct http_server *h, struct evhttp_request *req, const char *raw)
{
	if (http_refuse_unless_get(req))
		return;
	size_t dlen = 0;
	char *name = evhttp_uridecode(raw, 0, &dlen);
	if (!name) {
		http_send_error(req, 500, "out of memory", NULL);
		return;
	}
	char norm[DNAME_MAX_TEXT + 1];
	const char *why = NULL;
	if (dlen != strlen(name) || dname_text_normalize(name, norm, sizeof norm, &why) < 0) {
		free(name);
		char msg[200];
		snprintf(msg, sizeof msg, "invalid domain name: %s", why ? why : "contains a NUL byte");
		http_send_error(req, 400, msg, "domain");
		return;
	}
	free(name);
	int64_t fs = 0;
	int baseline = 0;
	char source[512] = "";
	int rc = store_lookup(nod_store(h->env.nod), norm, &fs, source, sizeof source, &baseline);
	if (rc < 0) {
		log_err("http: lookup of %s: %s", norm, store_errmsg(nod_store(h->env.nod)));
		http_send_error(req, 500, "store error", NULL);
		return;
	}
	if (rc == 0) {
		json_t *o = json_object();
		json_object_set_new(o, "error", json_string("not found"));
		json_object_set_new(o, "domain", json_string(norm));
		http_send_json(req, 404, o);
		return;
	}
	int64_t now = unix_now();
	int64_t age = now - fs;
	if (age < 0)
		age = 0; /* a first_seen a little ahead (feed clock skew) counts as age 0 */
	json_t *o = json_object();
	json_object_set_new(o, "domain", json_string(norm));
	json_object_set_new(o, "first_seen", json_integer(fs));
	json_object_set_new(o, "age_seconds", json_integer(age));
	int code = baseline ? 0 : window_code(age);
	if (code) {
		char a[16];
		snprintf(a, sizeof a, "127.0.0.%d", code);
		json_object_set_new(o, "code", json_string(a));
	} else {
		json_object_set_new(o, "code", json_null());
	}
	json_t *ws = json_array();
	for (int w = 0; w < WINDOW_COUNT && !baseline; w++)
		if (age < window_secs[w])
			json_array_append_new(ws, json_string(window_label[w]));
	json_object_set_new(o, "windows", ws);
	json_object_set_new(o, "source", api_jstr(source));
	json_object_set_new(o, "baseline", json_boolean(baseline));
	http_send_json(req, 200, o);
}

/* ---- GET /api/v1/status and /metrics ------------------------------------------------ */

static void zone_name(const struct http_server *h, int z, char *buf, size_t n)
{
	published_zone_name(z, h->env.cfg ? h->env.cfg->suffix : "", buf, n);
}

/* The core's part of the status object: the daemon, the store and index, the zones. */
static json_t *core_status(struct http_server *h, int64_t now)
{
	nod_t *nod = h->env.nod;
	nindex_t *ix = nod_index(nod);
	json_t *o = json_object();
	json_object_set_new(o, "version", json_string(NODD_VERSION));
	json_object_set_new(o, "now", json_integer(now));
	json_object_set_new(o, "start_time", json_integer(h->env.start_time));
	json_object_set_new(o, "uptime", json_integer(now - h->env.start_time));
	int64_t stored = store_names(nod_store(nod));
	json_object_set_new(o, "store_names", stored >= 0 ? json_integer(stored) : json_null());
	/* an apply worker holds the store's write lock; the writes refused meanwhile */
	json_object_set_new(o, "store_worker_writing", json_boolean(store_worker_busy()));
	json_object_set_new(o, "store_busy_refused", json_integer((json_int_t)store_busy_refusals()));
	json_object_set_new(o, "memory_names", json_integer((json_int_t)nindex_count(ix)));
	json_object_set_new(o, "memory_bytes", json_integer((json_int_t)nindex_memory(ix)));
	json_t *win = json_object();
	for (int w = 0; w < WINDOW_COUNT; w++)
		json_object_set_new(win, window_label[w],
			json_integer((json_int_t)nindex_count_since(ix, now - window_secs[w])));
	json_object_set_new(o, "windows", win);
	json_t *ser = json_object();
	for (int z = 0; z < NOD_ZONE_COUNT; z++) {
		char zn[600];
		zone_name(h, z, zn, sizeof zn);
		json_object_set_new(ser, zn, json_integer(nod_serial(nod, z)));
	}
	json_object_set_new(o, "serials", ser);
	const struct nod_stats *st = nod_stats(nod);
	json_t *obs = json_object();
	json_object_set_new(obs, "new", json_integer((json_int_t)st->observations_new));
	json_object_set_new(obs, "known", json_integer((json_int_t)st->observations_known));
	json_object_set_new(obs, "refused",
		json_integer((json_int_t)(st->observations_refused + h->refused)));
	json_object_set_new(o, "observations", obs);
	json_object_set_new(o, "tcp_connections",
		json_integer(h->env.tcp_open ? (json_int_t)h->env.tcp_open(h->env.ctx) : 0));
	return o;
}

void api_status(struct http_server *h, struct evhttp_request *req)
{
	if (http_refuse_unless_get(req))
		return;
	json_t *o = core_status(h, unix_now());
	for (int i = 0; i < h->env.nsections; i++) {
		const struct http_section *s = &h->env.sections[i];
		json_t *v = s->status ? s->status(s->ctx) : NULL;
		if (v)
			json_object_set_new(o, s->name, v);
	}
	http_send_json(req, 200, o);
}

/* The core's families: the process counters and gauges (server/metrics.c), then the
 * observations by outcome, which live in nod_t (main thread) rather than there. */
static void core_metrics(struct http_server *h, FILE *f, int64_t now)
{
	nod_t *nod = h->env.nod;
	nindex_t *ix = nod_index(nod);
	struct metrics_gauges g;
	memset(&g, 0, sizeof g);
	for (int w = 0; w < WINDOW_COUNT && w < 7; w++)
		g.names_in_window[w] = nindex_count_since(ix, now - window_secs[w]);
	g.store_names = store_names(nod_store(nod));
	g.index_names = nindex_count(ix);
	g.index_bytes = nindex_memory(ix);
	for (int z = 0; z < NOD_ZONE_COUNT; z++)
		g.serial[z] = nod_serial(nod, z);
	g.tcp_connections = h->env.tcp_open ? h->env.tcp_open(h->env.ctx) : 0;
	g.start_time = h->env.start_time;
	metrics_write(f, &g);

	const struct nod_stats *st = nod_stats(nod);
	static const char obs[] = "nodd_observations_total";
	prom_family(f, obs, "counter", "Observations by outcome.");
	prom_sample(f, obs, "result", "new", NULL, NULL, st->observations_new);
	prom_sample(f, obs, "result", "known", NULL, NULL, st->observations_known);
	prom_sample(f, obs, "result", "refused", NULL, NULL, st->observations_refused + h->refused);
}

void api_metrics(struct http_server *h, struct evhttp_request *req)
{
	if (http_refuse_unless_get(req))
		return;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (f) {
		core_metrics(h, f, unix_now());
		for (int i = 0; i < h->env.nsections; i++) {
			const struct http_section *s = &h->env.sections[i];
			if (s->metrics)
				s->metrics(s->ctx, f);
		}
		int bad = ferror(f);
		if (fclose(f) != 0 || bad) {
			free(text);
			text = NULL;
		}
	}
	if (!text) {
		http_send_error(req, 500, "out of memory", NULL);
		return;
	}
	http_send_text(req, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
	free(text);
}
