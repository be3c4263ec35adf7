/* start.c -- nodd's start and stop order: keys, store, sinks, sources, listeners, HTTP,
 * then the one-second tick that versions the zones as names enter and leave windows;
 * stop in reverse (listeners first, then what they use, the store last). Wires the parts
 * together and holds no logic a part could own. */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/daemon.h"
#include "lib/clock.h"
#include "lib/dname.h"
#include "lib/log.h"
#include "policy/window.h"
#include "server/metrics.h"
#include "server/query.h"
#include "server/querylog.h"
#include "server/tcp.h"
#include "server/udp.h"
#include "server/xfrout.h"
#include "streams/kafka.h"
#include "streams/sink.h"
#include "streams/ws.h"
#include "conf/keys.h"
#include "ct/source.h"
#include "zones/secondary.h"

static int name_wire(const char *norm, uint8_t *wire, size_t *len)
{
	int l = dname_text_to_wire(norm, wire);
	if (l < 0)
		return -1;
	*len = (size_t)l;
	return 0;
}

/* publish.test-names as names relative to the DNSBL apex, with their "invalid." twins. */
static int answer_cfg_tests(const struct nodd_config *cfg, struct answer_cfg *a,
	struct nodd_err *e)
{
	size_t apex = a->apex_len[NOD_ZONE_DNSBL];
	for (int i = 0; i < cfg->ntest_names && i < ANSWER_MAX_TESTS; i++) {
		uint8_t w[DNAME_MAX_WIRE];
		size_t l;
		if (name_wire(cfg->test_names[i], w, &l) < 0 || l + apex - 1 > DNAME_MAX_WIRE)
			return nodd_fail(e, NODD_E_INVALID, "%s: publish.test-names: %s.v1.bl.%s "
				"is too long", cfg->path, cfg->test_names[i], cfg->suffix);
		memcpy(a->tests.test_rel[i], w, l - 1);
		a->tests.test_len[i] = l - 1;
		if (w[0] == 4 && memcmp(w + 1, "test", 4) == 0 && l - 1 > 5 &&
		    l + 2 + apex <= DNAME_MAX_WIRE) {
			memcpy(a->tests.invalid_rel[i], "\007invalid", 8);
			memcpy(a->tests.invalid_rel[i] + 8, w + 5, l - 6);
			a->tests.invalid_len[i] = l - 6 + 8;
		}
		a->tests.n = i + 1;
	}
	return 0;
}

int daemon_answer_cfg(const struct nodd_config *cfg, struct answer_cfg *a, struct nodd_err *e)
{
	memset(a, 0, sizeof *a);
	char buf[600];
	for (int z = 0; z < NOD_ZONE_COUNT; z++) {
		published_zone_name(z, cfg->suffix, buf, sizeof buf);
		if (name_wire(buf, a->apex[z], &a->apex_len[z]) < 0) {
			return nodd_fail(e, NODD_E_INVALID, "%s: publish.suffix: zone name %s is too long",
				cfg->path, buf);
		}
	}
	a->ttl = cfg->ttl;
	a->soa_refresh = cfg->soa_refresh;
	a->soa_retry = cfg->soa_retry;
	a->soa_expire = cfg->soa_expire;
	a->soa_minimum = cfg->soa_minimum;
	a->nns = cfg->nns;
	for (int i = 0; i < cfg->nns; i++)
		if (name_wire(cfg->ns[i], a->ns[i], &a->ns_len[i]) < 0) {
			return nodd_fail(e, NODD_E_INVALID, "%s: publish.ns: bad name %s", cfg->path,
				cfg->ns[i]);
		}
	memcpy(a->mname, a->ns[0], a->ns_len[0]);
	a->mname_len = a->ns_len[0];
	if (name_wire(cfg->hostmaster, a->rname, &a->rname_len) < 0) {
		return nodd_fail(e, NODD_E_INVALID, "%s: publish.hostmaster: name too long",
			cfg->path);
	}
	a->rpz_nodata = cfg->rpz_nodata;
	return answer_cfg_tests(cfg, a, e);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct daemon *d = arg;
	int64_t now = unix_now();
	unsigned mask = nod_tick(d->nod, now);
	xfrout_new_versions(d->xfr, mask, now); /* IXFR history, NOTIFY, files */
	if (now - d->last_prune >= 60) {
		/* Keep the stream history; with Kafka on, never drop an undelivered row. */
		d->last_prune = now;
		long n = outbox_prune(d->ob, now - d->cfg->stream_history, d->kafka != NULL);
		if (n > 0)
			log_debug("outbox: %ld records older than the history dropped", n);
	}
	for (int z = 0; z < NOD_ZONE_COUNT; z++)
		if (mask & (1u << z))
			log_debug("zone %s: new version, serial %u", published_zone_label(z),
				nod_serial(d->nod, z));
}

static void on_stop(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	struct daemon *d = arg;
	log_info("signal %d: stopping", (int)sig);
	event_base_loopexit(d->base, NULL);
}

static uint64_t tcp_open_cb(void *ctx)
{
	return tcp_open_connections(ctx);
}

/* Status and metrics sections of the HTTP API, in the order they appear there. */
static json_t *upstreams_status(void *sec)
{
	return sec ? secondary_status(sec) : json_array();
}

static void upstreams_metrics(void *sec, FILE *f)
{
	secondary_metrics(sec, f);
}

static json_t *publish_status(void *xfr)
{
	return xfr ? xfrout_status(xfr) : json_object();
}

/* The control endpoints' view of the upstream zones and of the reload. */
static json_t *upstream_status_cb(void *sec, const char *zone)
{
	return zone ? secondary_zone_status(sec, zone) : secondary_status(sec);
}

static int upstream_kick_cb(void *sec, const char *zone, int full)
{
	return secondary_kick(sec, zone, full ? SECONDARY_RETRANSFER : SECONDARY_REFRESH);
}

static void reload_cb(void *d, struct http_reload *out)
{
	daemon_reload_run(d, out);
}

static void set_http_control(struct daemon *d)
{
	d->henv.xfr = d->xfr;
	d->henv.control = (struct http_control){ .upstream_status = upstream_status_cb,
		.upstream_kick = upstream_kick_cb, .upstream_ctx = d->sec, .reload = reload_cb,
		.reload_ctx = d };
}

/* Every status/metrics section, or -1 (logged) when one does not fit: a section missing
 * from the status would go unnoticed. */
static int add_http_sections(struct daemon *d)
{
	struct http_env *env = &d->henv;
	int rc = 0;
	if (d->ws)
		rc |= http_add_section(env, "ws_clients", ws_status, ws_metrics, d->ws);
	rc |= http_add_section(env, "upstreams", upstreams_status, upstreams_metrics, d->sec);
	rc |= http_add_section(env, "publish", publish_status, NULL, d->xfr);
	if (d->ct) {
		rc |= http_add_section(env, "ct", ct_source_status, ct_source_metrics, d->ct);
		rc |= http_add_section(env, "ct_log_list", ct_source_list_status,
			ct_source_list_metrics, d->ct);
		rc |= http_add_section(env, "rdap", ct_source_rdap_status, ct_source_rdap_metrics,
			d->ct);
	}
	rc |= http_add_section(env, "reload", daemon_reload_status, NULL, d);
	rc |= http_add_section(env, "outbox", NULL, sink_outbox_metrics, d->ob);
	if (d->kafka)
		rc |= http_add_section(env, "kafka", NULL, kafka_metrics, d->kafka);
	if (rc) {
		log_err("http: more status sections than HTTP_MAX_SECTIONS (%d)", HTTP_MAX_SECTIONS);
		return -1;
	}
	return 0;
}

/* A start step failed: its message goes to the log (tests read it there). */
static int start_failed(const struct nodd_err *e)
{
	log_err("%s", e->msg);
	return -1;
}

static int start_store(struct daemon *d)
{
	struct nodd_err ke;
	/* One keyring for transfers out, NOTIFY and the secondary; key files are read here,
	 * so the names they bring are checked here too. */
	d->kr = keys_load_checked(d->cfg, &ke);
	if (!d->kr)
		return start_failed(&ke);
	d->nod = nod_open(&(struct nod_options){ .database = d->cfg->database,
		.min_interval = d->cfg->min_interval, .future_skew = d->cfg->future_skew,
		.psl_file = d->cfg->psl_file, .suffix = d->cfg->suffix, .ttl = d->cfg->ttl },
		unix_now(), &ke);
	if (!d->nod)
		return start_failed(&ke);
	d->ob = outbox_open(nod_store(d->nod), &ke);
	if (!d->ob)
		return start_failed(&ke);
	nod_set_outbox(d->nod, d->ob);
	if (nod_allow_config(d->nod, d->cfg->allow, d->cfg->nallow, unix_now()) < 0) {
		nodd_fail(&ke, NODD_E_STORE, "policy.allow: %s", nod_errmsg(d->nod));
		return start_failed(&ke);
	}
	return 0;
}

static int start_sinks(struct daemon *d)
{
	if (d->cfg->kafka_brokers) {
		struct kafka_options ko = {
			.brokers = d->cfg->kafka_brokers,
			.topic = { d->cfg->kafka_topic_zone_diff, d->cfg->kafka_topic_nrd,
				d->cfg->kafka_topic_nrfqdn, d->cfg->kafka_topic_confirmed },
			.props = d->cfg->kafka_props,
			.nprops = d->cfg->nkafka_props,
		};
		struct nodd_err ke;
		d->kafka = kafka_start(d->base, d->ob, &ko, &ke);
		if (!d->kafka)
			return start_failed(&ke);
	}
	struct ws_options wo = {
		.max_lag = d->cfg->ws_max_lag,
		.alias = { d->cfg->kafka_topic_zone_diff, d->cfg->kafka_topic_nrd,
			d->cfg->kafka_topic_nrfqdn, d->cfg->kafka_topic_confirmed },
	};
	d->ws = ws_new(d->base, d->ob, &wo);
	return 0;
}

/* Upstream zones; the NOTIFY handler is registered before the UDP threads start. */
static int start_sources(struct daemon *d)
{
	if (d->cfg->nupstreams == 0)
		return 0;
	struct nodd_err se = { 0 };
	d->sec = secondary_start(d->base, d->cfg, d->nod, d->ob, d->kr, &se);
	if (!d->sec)
		return start_failed(&se);
	query_set_notify(secondary_notify, d->sec);
	return 0;
}

/* Certificate Transparency logs, when ct names any. */
static int start_ct(struct daemon *d)
{
	struct nodd_err ce = { 0 };
	d->ct = ct_source_start(d->base, d->cfg, d->nod, d->ob, &ce);
	return !d->ct && ce.kind ? start_failed(&ce) : 0;
}

static int start_listeners(struct daemon *d)
{
	struct nodd_err le;
	int nthreads = d->cfg->udp_threads;
	if (nthreads <= 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		nthreads = n > 0 ? (int)n : 1;
	}
	d->udp_threads = nthreads;
	d->udp = udp_start(d->cfg->listen, d->cfg->nlisten, nthreads, &d->active, d->nod, &le);
	if (!d->udp)
		return start_failed(&le);
	struct tcp_limits lim = {
		.idle_timeout = d->cfg->tcp_idle_timeout,
		.max_clients = d->cfg->tcp_clients,
		.max_per_ip = d->cfg->tcp_clients_per_ip,
		.out_high = 1 << 20,
	};
	d->tcp = tcp_start(d->base, d->cfg->listen, d->cfg->nlisten, &lim, &d->active, d->nod,
		&le);
	if (!d->tcp)
		return start_failed(&le);
	d->xfr = xfrout_start(d->base, d->cfg, &d->active, d->nod, d->kr, &le);
	if (!d->xfr)
		return start_failed(&le);
	query_set_transfer(xfrout_transfer, d->xfr);
	query_set_keys(d->kr);
	return 0;
}

static int start_http(struct daemon *d)
{
	if (!d->cfg->has_http)
		return 0;
	d->henv.nod = d->nod;
	d->henv.cfg = d->cfg;
	d->henv.start_time = unix_now();
	d->henv.tcp_open = tcp_open_cb;
	d->henv.ctx = d->tcp;
	d->henv.ws = d->ws;
	if (add_http_sections(d) < 0)
		return -1;
	set_http_control(d);
	struct nodd_err he;
	d->http = http_start(d->base, &d->henv, &he);
	if (!d->http)
		return start_failed(&he);
	return 0;
}

static void start_events(struct daemon *d)
{
	struct timeval one = { 1, 0 };
	d->tick_ev = event_new(d->base, -1, EV_PERSIST, on_tick, d);
	event_add(d->tick_ev, &one);
	d->sig_term = evsignal_new(d->base, SIGTERM, on_stop, d);
	d->sig_int = evsignal_new(d->base, SIGINT, on_stop, d);
	d->sig_hup = evsignal_new(d->base, SIGHUP, daemon_reload, d);
	event_add(d->sig_term, NULL);
	event_add(d->sig_int, NULL);
	event_add(d->sig_hup, NULL);
}

/* The published zones' full names label their series on /metrics. */
static void zone_labels(const struct daemon *d)
{
	static char names[NOD_ZONE_COUNT][METRICS_ZONE_LABEL_MAX];
	const char *p[NOD_ZONE_COUNT];
	for (int z = 0; z < NOD_ZONE_COUNT; z++) {
		published_zone_name(z, d->cfg->suffix, names[z], sizeof names[z]);
		p[z] = names[z];
	}
	metrics_set_zone_names(p, NOD_ZONE_COUNT);
}

static void log_started(const struct daemon *d)
{
	for (int i = 0; i < d->cfg->nlisten; i++)
		log_info("serving DNS on %s (udp, %d threads; tcp)", d->cfg->listen[i].text,
			d->udp_threads);
	if (d->cfg->has_http)
		log_info("HTTP API on %s", d->cfg->http.text);
	char zones[NOD_ZONE_COUNT * 300] = "", *zp = zones;
	for (int z = 0; z < NOD_ZONE_COUNT; z++) {
		size_t room = sizeof zones - (size_t)(zp - zones) - 1;
		int n = published_zone_name(z, d->cfg->suffix, zp + 1, room);
		if (n < 0 || (size_t)n >= room)
			break;
		*zp = ' ';
		zp += n + 1;
	}
	log_info("zones:%s", zones);
}

void daemon_log_apply(const struct nodd_config *cfg)
{
	log_set_level((enum log_level)cfg->log_level);
	for (int c = 0; c < LOG_CAT_COUNT; c++)
		log_set_cat_level((enum log_cat)c, cfg->log_cat_level[c] - 1);
	querylog_set(cfg->log_queries, cfg->log_query_rate);
}

int daemon_start(struct daemon *d)
{
	atomic_store(&d->active, &d->acfg[0]);
	if (d->cfg->log_syslog)
		log_use_syslog(log_facility_parse(d->cfg->log_facility));
	daemon_log_apply(d->cfg);
	signal(SIGPIPE, SIG_IGN);
	if (start_store(d) < 0)
		return -1;
	d->base = event_base_new();
	if (!d->base) {
		log_err("cannot create the event loop");
		return -1;
	}
	if (start_sinks(d) < 0 || start_sources(d) < 0 || start_ct(d) < 0 ||
	    start_listeners(d) < 0 || start_http(d) < 0)
		return -1;
	start_events(d);
	zone_labels(d);
	log_started(d);
	on_tick(-1, 0, d);
	return 0;
}

void daemon_stop(struct daemon *d)
{
	ws_free(d->ws);   /* before http_stop: evhttp_free frees the connections ws.c took over */
	http_stop(d->http);
	tcp_stop(d->tcp);
	udp_stop(d->udp);
	xfrout_stop(d->xfr); /* after TCP/UDP: their transfers use it */
	secondary_stop(d->sec);
	ct_source_stop(d->ct);
	while (d->reloaded) { /* no reader is left: listeners, transfers, NOTIFY stopped */
		struct reloaded_acfg *r = d->reloaded;
		d->reloaded = r->next;
		free(r);
	}
	tsig_keyring_free(d->kr);
	while (d->old_kr) {
		struct old_keys *o = d->old_kr;
		d->old_kr = o->next;
		tsig_keyring_free(o->kr);
		free(o);
	}
	kafka_stop(d->kafka, 2000);
	daemon_reload_free(d);
	outbox_close(d->ob);
	if (d->tick_ev)
		event_free(d->tick_ev);
	if (d->sig_term)
		event_free(d->sig_term);
	if (d->sig_int)
		event_free(d->sig_int);
	if (d->sig_hup)
		event_free(d->sig_hup);
	if (d->base)
		event_base_free(d->base);
	nod_close(d->nod);
	config_free(d->cfg);
}
