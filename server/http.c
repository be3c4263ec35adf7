/* http.c -- evhttp handlers: the JSON API (/api/v1/...), /metrics, /ws/ hand-over.
 *
 * DESIGN
 * One generic callback routes by path, so unknown paths and wrong methods get the same
 * JSON error shape as everything else (evhttp's own pages are HTML). Handlers run on the
 * main loop and call the nod_* core directly; none of them blocks on anything but sqlite.
 *
 * Writes are validated completely before anything is applied: a batch is first parsed
 * and checked item by item (name, public suffix, first_seen range, source), and only
 * then applied in one nod_begin()/nod_commit() transaction, rolled back if the core still
 * refuses an item. So a refused request changes nothing, neither the store nor the index.
 *
 * The body cap is evhttp's (evhttp_set_max_body_size): a larger body is refused with 413
 * by libevent itself before this file sees the request; its body is libevent's text. */
#include "server/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <jansson.h>

#include "lib/clock.h"
#include "lib/dname.h"
#include "lib/log.h"
#include "server/metrics.h"
#include "streams/ws.h"
#include "server/xfrout.h"
#include "streams/kafka.h"
#include "policy/outbox.h"
#include "zones/secondary.h"

#ifndef NODD_VERSION
#define NODD_VERSION "unknown"
#endif

#define HTTP_SOURCE_MAX 255
#define HTTP_DEFAULT_SOURCE "api"

struct http_server {
	struct evhttp *http;
	struct http_env env;
	int port;
	uint64_t refused;   /* observations refused here, before they reach the core */
};

/* ---- replies ---------------------------------------------------------------------- */

static const char *reason_phrase(int code)
{
	switch (code) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Payload Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Error";
	}
}

static void send_text(struct evhttp_request *req, int code, const char *ctype, const char *body,
	size_t len)
{
	struct evkeyvalq *oh = evhttp_request_get_output_headers(req);
	evhttp_add_header(oh, "Content-Type", ctype);
	evhttp_add_header(oh, "Cache-Control", "no-store");
	struct evbuffer *b = evbuffer_new();
	if (b)
		evbuffer_add(b, body, len);
	evhttp_send_reply(req, code, reason_phrase(code), b);
	if (b)
		evbuffer_free(b);
	if (code >= 400)
		metrics_inc(code >= 500 ? "http_server_errors" : "http_client_errors", 1);
}

/* Takes o (decrefs it). */
static void send_json(struct evhttp_request *req, int code, json_t *o)
{
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!s) {
		static const char oom[] = "{\"error\":\"out of memory\"}\n";
		send_text(req, 500, "application/json", oom, sizeof oom - 1);
		return;
	}
	size_t n = strlen(s);
	char *t = realloc(s, n + 2);
	if (t) {
		s = t;
		s[n++] = '\n';
		s[n] = '\0';
	}
	send_text(req, code, "application/json", s, n);
	free(s);
}

/* A JSON string, or null when s is not valid UTF-8 (jansson refuses those). */
static json_t *jstr(const char *s)
{
	json_t *j = s ? json_string(s) : NULL;
	return j ? j : json_null();
}

/* {"error": msg[, "field": field]} */
static void send_error(struct evhttp_request *req, int code, const char *msg, const char *field)
{
	json_t *o = json_object();
	json_object_set_new(o, "error", jstr(msg));
	if (field)
		json_object_set_new(o, "field", jstr(field));
	send_json(req, code, o);
}

static void send_method_not_allowed(struct evhttp_request *req, const char *allow)
{
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", allow);
	send_error(req, 405, "method not allowed", NULL);
}

/* ---- auth ------------------------------------------------------------------------- */

/* Compare in time that depends on the lengths only, never on where the bytes differ. */
static int token_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	unsigned char diff = (unsigned char)(alen != blen);
	size_t n = alen > blen ? alen : blen;
	for (size_t i = 0; i < n; i++) {
		unsigned char x = i < alen ? (unsigned char)a[i] : 0;
		unsigned char y = i < blen ? (unsigned char)b[i] : 0;
		diff |= (unsigned char)(x ^ y);
	}
	return diff == 0;
}

/* 1 when the request may write: no token configured, or "Authorization: Bearer <token>". */
static int authorized(const struct http_server *h, struct evhttp_request *req)
{
	const char *want = h->env.cfg ? h->env.cfg->http_token : NULL;
	if (!want || !*want)
		return 1;
	const char *got = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
	if (!got)
		return 0;
	while (*got == ' ' || *got == '\t')
		got++;
	if (strncasecmp(got, "Bearer", 6) != 0 || (got[6] != ' ' && got[6] != '\t'))
		return 0;
	got += 6;
	while (*got == ' ' || *got == '\t')
		got++;
	size_t glen = strlen(got);
	while (glen && (got[glen - 1] == ' ' || got[glen - 1] == '\t'))
		glen--;
	return token_equal(got, glen, want, strlen(want));
}

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

/* Check one observation object; idx is its place in a batch, -1 for a single object.
 * Returns 0 with it filled, or -1 with e filled. */
static int parse_item(const struct http_server *h, json_t *o, long idx, int64_t now,
	struct obs_item *it, struct obs_err *e)
{
	e->code = 400;
	if (!json_is_object(o)) {
		snprintf(e->msg, sizeof e->msg, "an observation must be a JSON object");
		item_field(e, idx, idx < 0 ? "body" : "");
		return -1;
	}
	json_t *d = json_object_get(o, "domain");
	if (!json_is_string(d)) {
		snprintf(e->msg, sizeof e->msg, d ? "domain must be a string"
			: "domain is required");
		item_field(e, idx, "domain");
		return -1;
	}
	const char *why = NULL;
	int rc = nod_check_name(h->env.nod, json_string_value(d), it->norm, sizeof it->norm, &why);
	if (rc == NOD_OBS_INVALID) {
		snprintf(e->msg, sizeof e->msg, "invalid domain name: %s", why ? why : "not a host name");
		item_field(e, idx, "domain");
		return -1;
	}
	if (rc == NOD_OBS_PUBLIC_SUFFIX) {
		snprintf(e->msg, sizeof e->msg, "%s is a public suffix and can never be listed",
			it->norm);
		item_field(e, idx, "domain");
		return -1;
	}
	if (rc != NOD_OBS_NEW) {
		snprintf(e->msg, sizeof e->msg, "invalid domain name");
		item_field(e, idx, "domain");
		return -1;
	}

	it->fs = 0;
	json_t *f = json_object_get(o, "first_seen");
	if (f && !json_is_null(f)) {
		if (!json_is_integer(f)) {
			snprintf(e->msg, sizeof e->msg, "first_seen must be an integer (unix seconds)");
			item_field(e, idx, "first_seen");
			return -1;
		}
		json_int_t v = json_integer_value(f);
		if (v < 0) {
			snprintf(e->msg, sizeof e->msg, "first_seen must not be negative");
			item_field(e, idx, "first_seen");
			return -1;
		}
		int64_t skew = h->env.cfg ? h->env.cfg->future_skew : 0;
		if ((int64_t)v > now + skew) {
			snprintf(e->msg, sizeof e->msg,
				"first_seen is in the future (more than %lld s ahead of the server clock)",
				(long long)skew);
			item_field(e, idx, "first_seen");
			return -1;
		}
		it->fs = (int64_t)v;
	}

	it->source = HTTP_DEFAULT_SOURCE;
	json_t *s = json_object_get(o, "source");
	if (s && !json_is_null(s)) {
		if (!json_is_string(s)) {
			snprintf(e->msg, sizeof e->msg, "source must be a string");
			item_field(e, idx, "source");
			return -1;
		}
		if (json_string_length(s) > HTTP_SOURCE_MAX) {
			snprintf(e->msg, sizeof e->msg, "source is longer than %d bytes", HTTP_SOURCE_MAX);
			item_field(e, idx, "source");
			return -1;
		}
		it->source = json_string_value(s);
	}
	return 0;
}

/* The core refused an item that passed parse_item (a race with a reload, or a store
 * failure): turn its answer into an error. */
static void core_error(const struct http_server *h, int rc, const char *why, long idx,
	struct obs_item *it, struct obs_err *e)
{
	e->code = 400;
	switch (rc) {
	case NOD_OBS_FUTURE:
		snprintf(e->msg, sizeof e->msg, "first_seen is in the future");
		item_field(e, idx, "first_seen");
		break;
	case NOD_OBS_PUBLIC_SUFFIX:
		snprintf(e->msg, sizeof e->msg, "%s is a public suffix and can never be listed",
			it->norm);
		item_field(e, idx, "domain");
		break;
	case NOD_OBS_INVALID:
		snprintf(e->msg, sizeof e->msg, "invalid domain name: %s", why ? why : "not a host name");
		item_field(e, idx, "domain");
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
	send_error(req, e->code, e->msg, e->field[0] ? e->field : NULL);
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
	int rc = nod_observe(h->env.nod, it.norm, it.fs, it.source, 0, now, &kept, &why);
	if (rc < 0) {
		core_error(h, rc, why, -1, &it, &e);
		if (e.code == 500)
			log_err("http: observation of %s: %s", it.norm, nod_errmsg(h->env.nod));
		send_obs_error(req, &e);
		return;
	}
	json_t *r = json_object();
	json_object_set_new(r, "domain", json_string(it.norm));
	json_object_set_new(r, "first_seen", json_integer(kept));
	json_object_set_new(r, "new", json_boolean(rc == NOD_OBS_NEW));
	send_json(req, 200, r);
}

static void observe_batch(struct http_server *h, struct evhttp_request *req, json_t *arr,
	int64_t now)
{
	size_t n = json_array_size(arr);
	struct obs_item *items = n ? malloc(n * sizeof *items) : NULL;
	struct obs_err e;
	if (n && !items) {
		send_error(req, 500, "out of memory", NULL);
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (parse_item(h, json_array_get(arr, i), (long)i, now, &items[i], &e) < 0) {
			h->refused++;
			free(items);
			send_obs_error(req, &e);
			return;
		}
	uint64_t fresh = 0;
	if (n) {
		if (nod_begin(h->env.nod) < 0) {
			log_err("http: batch: cannot begin: %s", store_errmsg(nod_store(h->env.nod)));
			free(items);
			send_error(req, 500, "store error: cannot begin a transaction", NULL);
			return;
		}
		for (size_t i = 0; i < n; i++) {
			const char *why = NULL;
			int rc = nod_observe(h->env.nod, items[i].norm, items[i].fs, items[i].source, 0,
				now, NULL, &why);
			if (rc < 0) {
				core_error(h, rc, why, (long)i, &items[i], &e);
				nod_rollback(h->env.nod);
				if (e.code == 500)
					log_err("http: batch item %zu (%s): %s", i, items[i].norm,
						nod_errmsg(h->env.nod));
				free(items);
				send_obs_error(req, &e);
				return;
			}
			if (rc == NOD_OBS_NEW)
				fresh++;
		}
		if (nod_commit(h->env.nod) < 0) {
			log_err("http: batch: commit failed: %s", store_errmsg(nod_store(h->env.nod)));
			nod_rollback(h->env.nod);
			free(items);
			send_error(req, 500, "store error: commit failed", NULL);
			return;
		}
	}
	free(items);
	json_t *r = json_object();
	json_object_set_new(r, "accepted", json_integer((json_int_t)n));
	json_object_set_new(r, "new", json_integer((json_int_t)fresh));
	send_json(req, 200, r);
}

static void handle_observations(struct http_server *h, struct evhttp_request *req)
{
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		send_method_not_allowed(req, "POST");
		return;
	}
	if (!authorized(h, req)) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate",
			"Bearer realm=\"nodd\"");
		metrics_inc("http_unauthorized", 1);
		send_error(req, 401, "missing or wrong bearer token", NULL);
		return;
	}
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	if (len > HTTP_MAX_BODY) { /* evhttp enforces this already; belt and braces */
		send_error(req, 413, "request body too large", "body");
		return;
	}
	const char *data = len ? (const char *)evbuffer_pullup(in, -1) : "";
	if (len && !data) {
		send_error(req, 500, "out of memory", NULL);
		return;
	}
	json_error_t jerr;
	json_t *body = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!body) {
		char msg[300];
		snprintf(msg, sizeof msg, "invalid JSON: %s (line %d, column %d)", jerr.text, jerr.line,
			jerr.column);
		h->refused++;
		send_error(req, 400, msg, "body");
		return;
	}
	int64_t now = unix_now();
	if (json_is_array(body))
		observe_batch(h, req, body, now);
	else
		observe_one(h, req, body, now);
	json_decref(body);
}

/* ---- GET /api/v1/domains/<name> ---------------------------------------------------- */

static void handle_domain(struct http_server *h, struct evhttp_request *req, const char *raw)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		send_method_not_allowed(req, "GET, HEAD");
		return;
	}
	size_t dlen = 0;
	char *name = evhttp_uridecode(raw, 0, &dlen);
	if (!name) {
		send_error(req, 500, "out of memory", NULL);
		return;
	}
	char norm[DNAME_MAX_TEXT + 1];
	const char *why = NULL;
	if (dlen != strlen(name) || dname_text_normalize(name, norm, sizeof norm, &why) < 0) {
		free(name);
		char msg[200];
		snprintf(msg, sizeof msg, "invalid domain name: %s", why ? why : "contains a NUL byte");
		send_error(req, 400, msg, "domain");
		return;
	}
	free(name);
	int64_t fs = 0;
	int baseline = 0;
	char source[512] = "";
	int rc = store_lookup(nod_store(h->env.nod), norm, &fs, source, sizeof source, &baseline);
	if (rc < 0) {
		log_err("http: lookup of %s: %s", norm, store_errmsg(nod_store(h->env.nod)));
		send_error(req, 500, "store error", NULL);
		return;
	}
	if (rc == 0) {
		json_t *o = json_object();
		json_object_set_new(o, "error", json_string("not found"));
		json_object_set_new(o, "domain", json_string(norm));
		send_json(req, 404, o);
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
	json_object_set_new(o, "source", jstr(source));
	json_object_set_new(o, "baseline", json_boolean(baseline));
	send_json(req, 200, o);
}

/* ---- GET /api/v1/status and /metrics ------------------------------------------------ */

static void zone_name(const struct http_server *h, int z, char *buf, size_t n)
{
	published_zone_name(z, h->env.cfg ? h->env.cfg->suffix : "", buf, n);
}

static void handle_status(struct http_server *h, struct evhttp_request *req)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		send_method_not_allowed(req, "GET, HEAD");
		return;
	}
	nod_t *nod = h->env.nod;
	nindex_t *ix = nod_index(nod);
	int64_t now = unix_now();
	json_t *o = json_object();
	json_object_set_new(o, "version", json_string(NODD_VERSION));
	json_object_set_new(o, "now", json_integer(now));
	json_object_set_new(o, "start_time", json_integer(h->env.start_time));
	json_object_set_new(o, "uptime", json_integer(now - h->env.start_time));
	int64_t stored = store_count(nod_store(nod));
	json_object_set_new(o, "store_names", stored >= 0 ? json_integer(stored) : json_null());
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
	if (h->env.ws) {
		struct ws_stats wst;
		ws_get_stats(h->env.ws, &wst);
		json_object_set_new(o, "ws_clients", json_integer((json_int_t)wst.clients));
	}
	json_object_set_new(o, "upstreams", h->env.sec ? secondary_status(h->env.sec) : json_array());
	json_object_set_new(o, "publish", h->env.xfr ? xfrout_status(h->env.xfr) : json_object());
	send_json(req, 200, o);
}

static void handle_metrics(struct http_server *h, struct evhttp_request *req)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		send_method_not_allowed(req, "GET, HEAD");
		return;
	}
	nod_t *nod = h->env.nod;
	nindex_t *ix = nod_index(nod);
	int64_t now = unix_now();
	struct metrics_gauges g;
	memset(&g, 0, sizeof g);
	for (int w = 0; w < WINDOW_COUNT && w < 7; w++)
		g.names_in_window[w] = nindex_count_since(ix, now - window_secs[w]);
	g.store_names = store_count(nod_store(nod));
	g.index_names = nindex_count(ix);
	g.index_bytes = nindex_memory(ix);
	for (int z = 0; z < NOD_ZONE_COUNT && z < 8; z++)
		g.serial[z] = nod_serial(nod, z);
	g.tcp_connections = h->env.tcp_open ? h->env.tcp_open(h->env.ctx) : 0;
	g.start_time = h->env.start_time;
	char *text = metrics_render(&g);
	if (!text) {
		send_error(req, 500, "out of memory", NULL);
		return;
	}
	/* The core's own counters, which live in nod_t (main thread) rather than here. */
	const struct nod_stats *st = nod_stats(nod);
	char *full = NULL;
	size_t flen = 0;
	FILE *f = open_memstream(&full, &flen);
	if (f) {
		fputs(text, f);
		fputs("# HELP nodd_observations_total Observations by outcome.\n"
			"# TYPE nodd_observations_total counter\n", f);
		fprintf(f, "nodd_observations_total{result=\"new\"} %llu\n",
			(unsigned long long)st->observations_new);
		fprintf(f, "nodd_observations_total{result=\"known\"} %llu\n",
			(unsigned long long)st->observations_known);
		fprintf(f, "nodd_observations_total{result=\"refused\"} %llu\n",
			(unsigned long long)(st->observations_refused + h->refused));
		if (h->env.ws) {
			struct ws_stats wst;
			ws_get_stats(h->env.ws, &wst);
			fputs("# HELP nodd_ws_clients WebSocket stream clients connected now.\n"
				"# TYPE nodd_ws_clients gauge\n", f);
			fprintf(f, "nodd_ws_clients %llu\n", (unsigned long long)wst.clients);
			fputs("# HELP nodd_ws_messages_total WebSocket records sent.\n"
				"# TYPE nodd_ws_messages_total counter\n", f);
			fprintf(f, "nodd_ws_messages_total %llu\n", (unsigned long long)wst.messages);
		}
		secondary_metrics(h->env.sec, f);
		if (h->env.ob) {
			fputs("# HELP nodd_outbox_last_seq Last sequence number given to a stream record.\n"
				"# TYPE nodd_outbox_last_seq gauge\n", f);
			for (int t = 0; t < OUTBOX_TOPICS; t++)
				fprintf(f, "nodd_outbox_last_seq{topic=\"%s\"} %llu\n", outbox_topic_name(t),
					(unsigned long long)outbox_last_seq(h->env.ob, t));
		}
		if (h->env.kafka) {
			struct kafka_stats ks;
			kafka_get_stats(h->env.kafka, &ks);
			fputs("# HELP nodd_outbox_backlog Stream records not yet acknowledged by Kafka.\n"
				"# TYPE nodd_outbox_backlog gauge\n", f);
			for (int t = 0; t < OUTBOX_TOPICS; t++)
				fprintf(f, "nodd_outbox_backlog{topic=\"%s\"} %llu\n", outbox_topic_name(t),
					(unsigned long long)ks.backlog[t]);
			fputs("# HELP nodd_kafka_delivered_total Records acknowledged by the brokers.\n"
				"# TYPE nodd_kafka_delivered_total counter\n", f);
			fprintf(f, "nodd_kafka_delivered_total %llu\n", (unsigned long long)ks.delivered);
			fputs("# HELP nodd_kafka_errors_total Delivery errors and producer restarts.\n"
				"# TYPE nodd_kafka_errors_total counter\n", f);
			fprintf(f, "nodd_kafka_errors_total %llu\n", (unsigned long long)ks.errors);
			fputs("# HELP nodd_kafka_up 1 when a broker acknowledged a record in the last 30 s.\n"
				"# TYPE nodd_kafka_up gauge\n", f);
			fprintf(f, "nodd_kafka_up %d\n", ks.up);
		}
		if (fclose(f) != 0) {
			free(full);
			full = NULL;
		}
	}
	free(text);
	if (!full) {
		send_error(req, 500, "out of memory", NULL);
		return;
	}
	send_text(req, 200, "text/plain; version=0.0.4; charset=utf-8", full, flen);
	free(full);
}

/* ---- routing ---------------------------------------------------------------------- */

#define DOMAINS_PREFIX "/api/v1/domains/"

static void on_request(struct evhttp_request *req, void *arg)
{
	struct http_server *h = arg;
	metrics_inc("http_requests", 1);
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	const char *path = u ? evhttp_uri_get_path(u) : NULL;
	if (!path || !*path) {
		send_error(req, 400, "bad request target", NULL);
		return;
	}
	if (strcmp(path, "/api/v1/observations") == 0)
		handle_observations(h, req);
	else if (strncmp(path, DOMAINS_PREFIX, sizeof DOMAINS_PREFIX - 1) == 0)
		handle_domain(h, req, path + sizeof DOMAINS_PREFIX - 1);
	else if (strcmp(path, "/api/v1/status") == 0)
		handle_status(h, req);
	else if (strcmp(path, "/metrics") == 0)
		handle_metrics(h, req);
	else if (h->env.ws && strncmp(path, "/ws/", 4) == 0)
		ws_handle_request(h->env.ws, req);
	else
		send_error(req, 404, "no such endpoint", NULL);
}

/* ---- lifecycle -------------------------------------------------------------------- */

struct http_server *http_start(struct event_base *base, const struct http_env *env, char *err,
	size_t errlen)
{
	const struct config_addr *a = &env->cfg->http;
	struct http_server *h = calloc(1, sizeof *h);
	if (!h) {
		snprintf(err, errlen, "http: out of memory");
		return NULL;
	}
	h->env = *env;
	h->http = evhttp_new(base);
	if (!h->http) {
		snprintf(err, errlen, "http: cannot create the HTTP server");
		free(h);
		return NULL;
	}
	evhttp_set_max_body_size(h->http, (ev_ssize_t)HTTP_MAX_BODY);
	evhttp_set_max_headers_size(h->http, 64 * 1024);
	evhttp_set_timeout(h->http, 120);
	/* Let every method reach on_request, so a wrong one gets a JSON 405 with Allow. */
	evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
		EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	/* Read the rest of a refused (413) body before closing, so the client sees the reply. */
	evhttp_set_flags(h->http, EVHTTP_SERVER_LINGERING_CLOSE);
	evhttp_set_gencb(h->http, on_request, h);

	struct evconnlistener *l = evconnlistener_new_bind(base, NULL, NULL,
		LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 128,
		(const struct sockaddr *)&a->ss, (int)a->len);
	if (!l) {
		snprintf(err, errlen, "http: cannot listen on %s: %s", a->text, strerror(errno));
		evhttp_free(h->http);
		free(h);
		return NULL;
	}
	if (!evhttp_bind_listener(h->http, l)) {
		snprintf(err, errlen, "http: cannot bind the listener on %s", a->text);
		evconnlistener_free(l);
		evhttp_free(h->http);
		free(h);
		return NULL;
	}
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	if (getsockname(evconnlistener_get_fd(l), (struct sockaddr *)&ss, &sl) == 0)
		h->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
			: ((struct sockaddr_in *)&ss)->sin_port);
	if (a->ss.ss_family == AF_INET6 ? ((const struct sockaddr_in6 *)&a->ss)->sin6_port == 0
	    : ((const struct sockaddr_in *)&a->ss)->sin_port == 0)
		log_info("http: listening on port %d (configured %s)", h->port, a->text);
	return h;
}

void http_stop(struct http_server *h)
{
	if (!h)
		return;
	evhttp_free(h->http); /* frees the bound listener and open connections */
	free(h);
}

int http_port(const struct http_server *h)
{
	return h ? h->port : 0;
}
