/* main.c -- nodd: argv, --check-config, wiring, start/stop order, signals.
 *
 * Start: config -> store + index (nod_open) -> UDP threads, TCP and HTTP listeners -> a
 * one-second tick that versions the zones as names enter and leave windows.
 * SIGTERM/SIGINT stop cleanly (listeners first, then the store); SIGHUP re-reads the
 * config and applies what can change without a restart (log level, TTL, SOA timers and
 * NS names, HTTP token), keeping the old config when the new one has an error. */
#include <getopt.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "lib/clock.h"
#include "lib/dname.h"
#include "lib/log.h"
#include "streams/kafka.h"
#include "policy/nod.h"
#include "policy/outbox.h"
#include "server/answer.h"
#include "conf/config.h"
#include "server/http.h"
#include "server/tcp.h"
#include "server/udp.h"
#include "server/xfrout.h" /* issue 4: transfers out */
#include "streams/sink.h"
#include "streams/ws.h"
#include "server/query.h"
#include "conf/keys.h"
#include "server/metrics.h"
#include "zones/secondary.h"

struct old_keys {
	struct tsig_keyring *kr;
	struct old_keys *next;
};

struct daemon {
	struct nodd_config *cfg;
	struct event_base *base;
	nod_t *nod;
	outbox_t *ob;
	struct kafka_sink *kafka;
	struct ws_server *ws;
	struct secondary *sec;       /* issue 3: upstream zones */
	struct tsig_keyring *kr;     /* the keys in use (server/keys.h) */
	struct old_keys *old_kr;     /* replaced by reloads; freed at exit (reload_keys says why) */
	int64_t last_prune;
	struct answer_cfg acfg[2];
	struct answer_cfg *_Atomic active;
	struct udp_server *udp;
	struct tcp_server *tcp;
	struct xfrout *xfr; /* issue 4 */
	struct http_server *http;
	struct http_env henv;
	struct event *tick_ev, *sig_term, *sig_int, *sig_hup;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: nodd -c FILE [--check-config]\n"
		"  -c, --config FILE   YAML configuration (see docs/configuration.md)\n"
		"      --check-config  validate FILE and exit: 0 when good, 1 with FILE:LINE: message\n"
		"  -V, --version       print the version\n"
		"  -h, --help          this text\n"
		"nodd runs in the foreground and logs to stderr. SIGHUP reloads, SIGTERM stops.\n");
}

static int name_wire(const char *norm, uint8_t *wire, size_t *len)
{
	int l = dname_text_to_wire(norm, wire);
	if (l < 0)
		return -1;
	*len = (size_t)l;
	return 0;
}

/* Published zone names and records from the config. */
static int build_answer_cfg(const struct nodd_config *cfg, struct answer_cfg *a, char *err,
	size_t errlen)
{
	memset(a, 0, sizeof *a);
	char buf[600];
	for (int z = 0; z < NOD_ZONE_COUNT; z++) {
		published_zone_name(z, cfg->suffix, buf, sizeof buf);
		if (name_wire(buf, a->apex[z], &a->apex_len[z]) < 0) {
			snprintf(err, errlen, "%s: publish.suffix: zone name %s is too long", cfg->path, buf);
			return -1;
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
			snprintf(err, errlen, "%s: publish.ns: bad name %s", cfg->path, cfg->ns[i]);
			return -1;
		}
	memcpy(a->mname, a->ns[0], a->ns_len[0]);
	a->mname_len = a->ns_len[0];
	if (name_wire(cfg->hostmaster, a->rname, &a->rname_len) < 0) {
		snprintf(err, errlen, "%s: publish.hostmaster: name too long", cfg->path);
		return -1;
	}
	a->rpz_nodata = cfg->rpz_nodata;
	return 0;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct daemon *d = arg;
	int64_t now = unix_now();
	unsigned mask = nod_tick(d->nod, now);
	xfrout_new_versions(d->xfr, mask, now); /* issue 4: IXFR history, NOTIFY */
	if (now - d->last_prune >= 60) {
		/* Keep the stream history; with Kafka on, never drop an undelivered row. */
		d->last_prune = now;
		long n = outbox_prune(d->ob, now - d->cfg->stream_history, d->kafka != NULL);
		if (n > 0)
			log_debug("outbox: %ld records older than the history dropped", n);
	}
	for (int z = 0; z < NOD_ZONE_COUNT; z++)
		if (mask & (1u << z))
			log_debug("zone %s: new version, serial %u",
				z == NOD_ZONE_DNSBL ? "dnsbl" : window_label[z], nod_serial(d->nod, z));
}

static void on_stop(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	struct daemon *d = arg;
	log_info("signal %d: stopping", (int)sig);
	event_base_loopexit(d->base, NULL);
}

/* Keys and key files are re-read by every reload (as BIND's reconfig re-reads its key
 * files), so a secret can be rotated without a restart, and take effect only when every
 * key named by transfer.allow, transfer.notify and upstreams is there. The replaced keyring
 * is not freed: a transfer in progress (in or out) goes on verifying or signing with the
 * key it began with, and a UDP thread may be checking a query with it at this moment.
 * Reloads that change keys are rare and a key is under 1 KB, so they are kept until exit;
 * a reload with the same keys keeps the running keyring. */
static void reload_keys(struct daemon *d, const struct nodd_config *n)
{
	struct nodd_err err;
	struct tsig_keyring *kr = keys_load_checked(n, &err);
	if (!kr || keys_check_refs(d->cfg, kr, &err) < 0) {
		log_err("reload: %s (keeping the running keys)", err.msg);
		metrics_inc("reload_errors", 1);
		tsig_keyring_free(kr);
		return;
	}
	if (tsig_keyring_same(kr, d->kr)) {
		tsig_keyring_free(kr);
		return;
	}
	struct old_keys *o = malloc(sizeof *o);
	if (!o) {
		log_err("reload: out of memory (keeping the running keys)");
		metrics_inc("reload_errors", 1);
		tsig_keyring_free(kr);
		return;
	}
	o->kr = d->kr;
	o->next = d->old_kr;
	d->old_kr = o;
	d->kr = kr;
	xfrout_set_keys(d->xfr, kr);
	query_set_keys(kr);
	secondary_set_keys(d->sec, kr);
	log_info("reload: TSIG keys replaced (%zu keys)", tsig_keyring_count(kr));
}

static void on_hup(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	struct daemon *d = arg;
	char err[1024];
	struct nodd_err cerr;
	struct nodd_config *n = config_load(d->cfg->path, &cerr);
	if (!n) {
		log_err("reload: %s (keeping the running configuration)", cerr.msg);
		metrics_inc("reload_errors", 1);
		return;
	}
	struct config_changes later;
	int nlater = config_restart_changes(d->cfg, n, &later);
	/* A new suffix renames every zone: the whole publish section waits for the restart,
	 * so that the answers, the transfers and the files keep agreeing. */
	int same_suffix = strcmp(n->suffix, d->cfg->suffix) == 0;
	if (same_suffix) {
		struct answer_cfg *cur = atomic_load(&d->active);
		struct answer_cfg *next = cur == &d->acfg[0] ? &d->acfg[1] : &d->acfg[0];
		if (build_answer_cfg(n, next, err, sizeof err) < 0) {
			log_err("reload: %s (keeping the running configuration)", err);
		metrics_inc("reload_errors", 1);
			config_free(n);
			return;
		}
		atomic_store(&d->active, next);
		d->cfg->ttl = n->ttl;
	}
	log_set_level((enum log_level)n->log_level);
	/* Swap in the fields read live (main thread: HTTP, the transfer handler); the rest needs
	 * a restart and is named in the log. */
	char *tok = d->cfg->http_token;
	d->cfg->http_token = n->http_token;
	n->http_token = tok;
	d->cfg->log_level = n->log_level;
	d->cfg->future_skew = n->future_skew;
	struct config_acl *acl = d->cfg->xfr_allow;
	int nacl = d->cfg->nxfr_allow;
	d->cfg->xfr_allow = n->xfr_allow;
	d->cfg->nxfr_allow = n->nxfr_allow;
	n->xfr_allow = acl;
	n->nxfr_allow = nacl;
	reload_keys(d, n); /* after the swap: the refs checked are the allow list now in use */
	config_free(n);
	if (nlater)
		log_warn("reload: changed %s: %s at the next restart%s", later.names,
			nlater == 1 ? "takes effect" : "take effect",
			same_suffix ? "" : " (the publish section is kept as running until then)");
	log_info("reload: configuration re-read");
	metrics_inc("reloads", 1);
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

static void add_http_sections(struct daemon *d)
{
	if (d->ws)
		http_add_section(&d->henv, "ws_clients", ws_status, ws_metrics, d->ws);
	http_add_section(&d->henv, "upstreams", upstreams_status, upstreams_metrics, d->sec);
	http_add_section(&d->henv, "publish", publish_status, NULL, d->xfr);
	http_add_section(&d->henv, "outbox", NULL, sink_outbox_metrics, d->ob);
	if (d->kafka)
		http_add_section(&d->henv, "kafka", NULL, kafka_metrics, d->kafka);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL;
	int check = 0, ch;
	while ((ch = getopt_long(argc, argv, "c:Vh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': path = optarg; break;
		case 'C': check = 1; break;
		case 'V': printf("nodd %s\n", NODD_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!path || optind != argc) {
		usage(stderr);
		return 2;
	}
	char err[1024];
	struct daemon d;
	memset(&d, 0, sizeof d);
	struct nodd_err cerr;
	d.cfg = config_load(path, &cerr);
	if (!d.cfg) {
		fprintf(stderr, "%s\n", cerr.msg);
		return 1;
	}
	if (build_answer_cfg(d.cfg, &d.acfg[0], err, sizeof err) < 0) {
		fprintf(stderr, "%s\n", err);
		config_free(d.cfg);
		return 1;
	}
	if (check) {
		/* the key files too, and the key names they bring (as named-checkconf reads the
		 * files a configuration includes): what the start would refuse, this refuses */
		struct tsig_keyring *kr = keys_load_checked(d.cfg, &cerr);
		if (!kr) {
			fprintf(stderr, "%s\n", cerr.msg);
			config_free(d.cfg);
			return 1;
		}
		tsig_keyring_free(kr);
		printf("%s: configuration is valid (min-interval %llds)\n", path,
			(long long)d.cfg->min_interval);
		config_free(d.cfg);
		return 0;
	}
	atomic_store(&d.active, &d.acfg[0]);
	log_set_level((enum log_level)d.cfg->log_level);
	signal(SIGPIPE, SIG_IGN);

	int rc = 1;
	/* One keyring for transfers out, NOTIFY and the secondary; key files are read here,
	 * so the names they bring are checked here too. */
	d.kr = keys_load_checked(d.cfg, &cerr);
	if (!d.kr) {
		log_err("%s", cerr.msg);
		goto out;
	}
	struct nod_options no = {
		.database = d.cfg->database,
		.min_interval = d.cfg->min_interval,
		.future_skew = d.cfg->future_skew,
		.psl_file = d.cfg->psl_file,
	};
	d.nod = nod_open(&no, unix_now(), err, sizeof err);
	if (!d.nod) {
		log_err("%s", err);
		goto out;
	}
	d.ob = outbox_open(nod_store(d.nod), err, sizeof err);
	if (!d.ob) {
		log_err("%s", err);
		goto out;
	}
	nod_set_outbox(d.nod, d.ob);
	d.base = event_base_new();
	if (!d.base) {
		log_err("cannot create the event loop");
		goto out;
	}
	if (d.cfg->kafka_brokers) {
		struct kafka_options ko = {
			.brokers = d.cfg->kafka_brokers,
			.topic = { d.cfg->kafka_topic_zone_diff, d.cfg->kafka_topic_nrd },
			.props = d.cfg->kafka_props,
			.nprops = d.cfg->nkafka_props,
		};
		d.kafka = kafka_start(d.base, d.ob, &ko, err, sizeof err);
		if (!d.kafka) {
			log_err("%s", err);
			goto out;
		}
	}
	struct ws_options wo = {
		.max_lag = d.cfg->ws_max_lag,
		.alias = { d.cfg->kafka_topic_zone_diff, d.cfg->kafka_topic_nrd },
	};
	d.ws = ws_new(d.base, d.ob, &wo);
	/* issue 3: follow upstream zones; the NOTIFY hook is set before the UDP threads start */
	if (d.cfg->nupstreams > 0) {
		struct nodd_err se = { 0 };
		d.sec = secondary_start(d.base, d.cfg, d.nod, d.ob, d.kr, &se);
		if (!d.sec) {
			log_err("%s", se.msg);
			goto out;
		}
		query_set_notify(secondary_notify, d.sec);
	}
	int nthreads = d.cfg->udp_threads;
	if (nthreads <= 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		nthreads = n > 0 ? (int)n : 1;
	}
	d.udp = udp_start(d.cfg->listen, d.cfg->nlisten, nthreads, &d.active, d.nod, err, sizeof err);
	if (!d.udp) {
		log_err("%s", err);
		goto out;
	}
	struct tcp_limits lim = {
		.idle_timeout = d.cfg->tcp_idle_timeout,
		.max_clients = d.cfg->tcp_clients,
		.max_per_ip = d.cfg->tcp_clients_per_ip,
		.out_high = 1 << 20,
	};
	d.tcp = tcp_start(d.base, d.cfg->listen, d.cfg->nlisten, &lim, &d.active, d.nod, err, sizeof err);
	if (!d.tcp) {
		log_err("%s", err);
		goto out;
	}
	d.xfr = xfrout_start(d.base, d.cfg, &d.active, d.nod, d.kr, err, sizeof err); /* issue 4 */
	if (!d.xfr) {
		log_err("%s", err);
		goto out;
	}
	query_set_transfer(xfrout_transfer, d.xfr);
	query_set_keys(d.kr);
	if (d.cfg->has_http) {
		d.henv.nod = d.nod;
		d.henv.cfg = d.cfg;
		d.henv.start_time = unix_now();
		d.henv.tcp_open = tcp_open_cb;
		d.henv.ctx = d.tcp;
		d.henv.ws = d.ws;
		add_http_sections(&d);
		struct nodd_err he;
		d.http = http_start(d.base, &d.henv, &he);
		if (!d.http) {
			log_err("%s", he.msg);
			goto out;
		}
	}
	struct timeval one = { 1, 0 };
	d.tick_ev = event_new(d.base, -1, EV_PERSIST, on_tick, &d);
	event_add(d.tick_ev, &one);
	d.sig_term = evsignal_new(d.base, SIGTERM, on_stop, &d);
	d.sig_int = evsignal_new(d.base, SIGINT, on_stop, &d);
	d.sig_hup = evsignal_new(d.base, SIGHUP, on_hup, &d);
	event_add(d.sig_term, NULL);
	event_add(d.sig_int, NULL);
	event_add(d.sig_hup, NULL);

	for (int i = 0; i < d.cfg->nlisten; i++)
		log_info("serving DNS on %s (udp, %d threads; tcp)", d.cfg->listen[i].text, nthreads);
	if (d.cfg->has_http)
		log_info("HTTP API on %s", d.cfg->http.text);
	char zones[NOD_ZONE_COUNT * 300] = "", *zp = zones;
	for (int z = 0; z < NOD_ZONE_COUNT; z++) {
		int n = published_zone_name(z, d.cfg->suffix, zp + 1, sizeof zones - (size_t)(zp - zones) - 1);
		if (n < 0 || (size_t)n >= sizeof zones - (size_t)(zp - zones) - 1)
			break;
		*zp = ' ';
		zp += n + 1;
	}
	log_info("zones:%s", zones);
	on_tick(-1, 0, &d);
	event_base_dispatch(d.base);
	rc = 0;
	log_info("stopped");
out:
	ws_free(d.ws);   /* before http_stop: evhttp_free frees the connections ws.c took over */
	http_stop(d.http);
	tcp_stop(d.tcp);
	udp_stop(d.udp);
	xfrout_stop(d.xfr); /* issue 4: after TCP/UDP (their transfers and hooks use it) */
	secondary_stop(d.sec);
	tsig_keyring_free(d.kr);
	while (d.old_kr) {
		struct old_keys *o = d.old_kr;
		d.old_kr = o->next;
		tsig_keyring_free(o->kr);
		free(o);
	}
	kafka_stop(d.kafka, 2000);
	outbox_close(d.ob);
	if (d.tick_ev)
		event_free(d.tick_ev);
	if (d.sig_term)
		event_free(d.sig_term);
	if (d.sig_int)
		event_free(d.sig_int);
	if (d.sig_hup)
		event_free(d.sig_hup);
	if (d.base)
		event_base_free(d.base);
	nod_close(d.nod);
	config_free(d.cfg);
	return rc;
}
