/* metrics.c -- process-wide counters (relaxed atomics) and their Prometheus text.
 *
 * DESIGN
 * Query counters are bumped by every UDP thread for every query, so they are sharded:
 * a thread takes a shard (a cache-line aligned block of counters) the first time it
 * counts and keeps it, which keeps threads off each other's cache lines. Two threads may
 * share a shard (more threads than shards), which is why the counters stay atomic. The
 * renderer sums the shards; a sum read while threads count is a moment's view, which is
 * all Prometheus asks of a counter (it never goes down).
 * Named event counters (metrics_inc) live in lib/counters.c, where every folder can
 * count; this file renders them after its own families.
 * Every counter exists from the first scrape with 0, so that an alert on increase() sees
 * the first event: the named counters of known_counters[] (every name a metrics_inc() of
 * nodd passes; tests/layout/check_counters.py keeps the list complete) and each query
 * series of an RCODE nodd answers with (answered_rcodes[]) are written even when zero.
 *
 * The text goes through lib/prom.h; this file never formats an exposition line itself. */
#include "server/metrics.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/prom.h"

#ifndef NODD_VERSION
#define NODD_VERSION "unknown"
#endif

#define METRICS_SHARDS 16

/* Query type buckets: the common types by name, then "other". */
static const struct {
	unsigned type;
	const char *name;
} qtypes[] = {
	{ 1, "A" }, { 28, "AAAA" }, { 16, "TXT" }, { 6, "SOA" }, { 2, "NS" }, { 5, "CNAME" },
	{ 255, "ANY" }, { 252, "AXFR" }, { 251, "IXFR" }, { 15, "MX" }, { 12, "PTR" },
	{ 33, "SRV" }, { 43, "DS" }, { 48, "DNSKEY" },
};
#define NQTYPE (sizeof qtypes / sizeof qtypes[0] + 1) /* + other */

/* RCODEs 0..23 (RFC 6895 registry; 16 is BADVERS in a header with EDNS), then the two
 * pseudo codes. */
static const char *const rcode_names[] = {
	"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN",
	"YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE", "DSOTYPENI", "RCODE12", "RCODE13",
	"RCODE14", "RCODE15", "BADVERS", "BADKEY", "BADTIME", "BADMODE", "BADNAME", "BADALG",
	"BADTRUNC", "BADCOOKIE",
};
#define NRCODE_NAMED (sizeof rcode_names / sizeof rcode_names[0])
#define RC_DROPPED NRCODE_NAMED
#define RC_OTHER (NRCODE_NAMED + 1)
#define NRCODE (NRCODE_NAMED + 2)

/* The RCODEs nodd's answers carry (and "dropped"): their query series start at 0. */
static const size_t answered_rcodes[] = { 0, 1, 3, 4, 5, 9, 16, RC_DROPPED };

/* Every name nodd counts with metrics_inc(), sorted; each is on /metrics from the start.
 * check_counters.py fails on a metrics_inc() name missing here (begin/end marks it). */
static const char *const known_counters[] = {
	/* known counters begin */
	"files_errors", "files_written",
	"http_accept_paused", "http_client_errors", "http_connections_refused",
	"http_cross_origin", "http_requests", "http_server_errors", "http_timeouts",
	"http_unauthorized", "http_wrong_content_type", "http_wrong_host",
	"notify_acknowledged", "notify_failed", "notify_in_refused", "notify_muted",
	"notify_retries", "notify_sent",
	"query_log_lines", "query_log_suppressed",
	"reload_errors", "reloads",
	"store_checkpoint_errors", "store_checkpoints",
	"tcp_bad_frames", "tcp_connections", "tcp_output_paused", "tcp_refused_global_cap",
	"tcp_refused_per_ip_cap", "tcp_timeouts",
	"tsig_errors",
	"ws_accepted", "ws_dropped_slow",
	"xfr_aborted", "xfr_out_axfr", "xfr_out_formerr", "xfr_out_ixfr",
	"xfr_out_ixfr_axfr_style", "xfr_out_ixfr_uptodate", "xfr_out_messages",
	"xfr_out_refused", "xfr_out_tsig_errors",
	/* known counters end */
};

struct shard {
	_Alignas(64) atomic_uint_least64_t q[2][NQTYPE][NRCODE];
};

static struct shard shards[METRICS_SHARDS];
static atomic_uint shard_next;
static _Thread_local struct shard *my_shard;

static size_t qtype_index(unsigned qtype)
{
	for (size_t i = 0; i < NQTYPE - 1; i++)
		if (qtypes[i].type == qtype)
			return i;
	return NQTYPE - 1;
}

const char *metrics_qtype_name(unsigned qtype)
{
	size_t i = qtype_index(qtype);
	return i < NQTYPE - 1 ? qtypes[i].name : NULL;
}

void metrics_query(int proto, unsigned qtype, int rcode, int dropped)
{
	struct shard *s = my_shard;
	if (!s) {
		unsigned n = atomic_fetch_add_explicit(&shard_next, 1, memory_order_relaxed);
		s = my_shard = &shards[n % METRICS_SHARDS];
	}
	size_t rc = dropped ? RC_DROPPED
		: (rcode >= 0 && (size_t)rcode < NRCODE_NAMED) ? (size_t)rcode : RC_OTHER;
	atomic_fetch_add_explicit(&s->q[proto ? 1 : 0][qtype_index(qtype)][rc], 1,
		memory_order_relaxed);
}

static void render_queries(FILE *f)
{
	prom_family(f, "nodd_dns_queries_total", "counter",
		"DNS queries answered (or dropped) by transport, query type and response code.");
	static const char *const proto_names[2] = { "udp", "tcp" };
	for (int p = 0; p < 2; p++)
		for (size_t t = 0; t < NQTYPE; t++)
			for (size_t r = 0; r < NRCODE; r++) {
				uint64_t sum = 0;
				for (int s = 0; s < METRICS_SHARDS; s++)
					sum += atomic_load_explicit(&shards[s].q[p][t][r],
						memory_order_relaxed);
				int always = 0;
				for (size_t a = 0; a < sizeof answered_rcodes / sizeof answered_rcodes[0]; a++)
					always |= answered_rcodes[a] == r;
				if (!sum && !always)
					continue;
				const char *kv[] = {
					"proto", proto_names[p],
					"qtype", t < NQTYPE - 1 ? qtypes[t].name : "other",
					"rcode", r < NRCODE_NAMED ? rcode_names[r]
						: r == RC_DROPPED ? "dropped" : "other",
					NULL,
				};
				prom_sample_kv(f, "nodd_dns_queries_total", kv, sum);
			}
}

static const char *const window_names[7] = { "5m", "10m", "30m", "1h", "3h", "12h", "24h" };

/* The full names of the published zones, the zone label of their series. */
static char zone_labels[NOD_ZONE_COUNT][METRICS_ZONE_LABEL_MAX];

void metrics_set_zone_names(const char *const names[], int n)
{
	for (int z = 0; z < n && z < NOD_ZONE_COUNT; z++)
		snprintf(zone_labels[z], sizeof zone_labels[z], "%s", names[z]);
}

void metrics_write(FILE *f, const struct metrics_gauges *g)
{
	for (size_t i = 0; i < sizeof known_counters / sizeof known_counters[0]; i++)
		metrics_inc(known_counters[i], 0); /* claims the name: written from now on */
	prom_family(f, "nodd_build_info", "gauge", "Always 1; the version is in the label.");
	prom_sample(f, "nodd_build_info", "version", NODD_VERSION, NULL, NULL, 1);
	prom_family(f, "nodd_start_time_seconds", "gauge", "Unix time the daemon started.");
	prom_sample_i(f, "nodd_start_time_seconds", NULL, NULL, g->start_time);

	render_queries(f);

	prom_family(f, "nodd_names_in_window", "gauge",
		"Names listed in each rolling window (first seen less than the window ago).");
	for (int w = 0; w < 7; w++)
		prom_sample(f, "nodd_names_in_window", "window", window_names[w], NULL, NULL,
			g->names_in_window[w]);
	if (g->store_names >= 0) {
		prom_family(f, "nodd_store_names", "gauge",
			"Names in the first-seen store (all ever seen).");
		prom_sample_i(f, "nodd_store_names", NULL, NULL, g->store_names);
	}
	prom_family(f, "nodd_index_names", "gauge", "Names of the last 24 hours held in memory.");
	prom_sample(f, "nodd_index_names", NULL, NULL, NULL, NULL, g->index_names);
	prom_family(f, "nodd_index_bytes", "gauge", "Approximate heap bytes of the in-memory index.");
	prom_sample(f, "nodd_index_bytes", NULL, NULL, NULL, NULL, g->index_bytes);
	prom_family(f, "nodd_zone_serial", "gauge", "SOA serial of each published zone.");
	for (int z = 0; z < NOD_ZONE_COUNT; z++)
		prom_sample(f, "nodd_zone_serial", "zone", zone_labels[z][0] ? zone_labels[z]
			: z < 7 ? window_names[z] : z == NOD_ZONE_DNSBL ? "dnsbl" : "allow", NULL, NULL,
			g->serial[z]);
	prom_family(f, "nodd_tcp_connections_open", "gauge", "DNS TCP connections open now.");
	prom_sample(f, "nodd_tcp_connections_open", NULL, NULL, NULL, NULL, g->tcp_connections);

	counters_write(f);
}

char *metrics_render(const struct metrics_gauges *g)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	metrics_write(f, g);
	if (ferror(f)) {
		fclose(f);
		free(buf);
		return NULL;
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
