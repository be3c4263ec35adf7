/* querylog.c -- the query log (see querylog.h): the rate limit is a lock-free token bucket
 * (GCRA: one atomic "theoretical arrival time", advanced by compare-and-swap), so UDP
 * threads never queue behind each other or the main loop for it; each admitted line is one
 * write(2) through lib/log.h, as every log line. */
#define LOG_CATEGORY LOG_CAT_QUERIES
#include "server/querylog.h"

#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

#include "lib/counters.h"
#include "lib/dname.h"
#include "lib/log.h"
#include "lib/sockaddr.h"
#include "lib/wire.h"
#include "server/metrics.h"

static atomic_int qlog_on;
static atomic_int_fast64_t qlog_interval_ns = 10000000; /* 1 s / rate */
static atomic_int_fast64_t qlog_tat;                    /* theoretical arrival time (ns) */
static atomic_uint_fast64_t qlog_dropped;               /* since the last line written */

void querylog_set(int on, int rate)
{
	if (rate < 1)
		rate = 1;
	atomic_store(&qlog_interval_ns, 1000000000LL / rate);
	atomic_store(&qlog_on, on ? 1 : 0);
}

int querylog_admit(int64_t now)
{
	int64_t iv = atomic_load_explicit(&qlog_interval_ns, memory_order_relaxed);
	int64_t burst = 1000000000LL; /* one second's worth of lines at once */
	int64_t tat = atomic_load_explicit(&qlog_tat, memory_order_relaxed);
	for (;;) {
		int64_t base = tat > now ? tat : now;
		if (base - now + iv > burst) {
			atomic_fetch_add_explicit(&qlog_dropped, 1, memory_order_relaxed);
			metrics_inc("query_log_suppressed", 1);
			return 0;
		}
		if (atomic_compare_exchange_weak_explicit(&qlog_tat, &tat, base + iv,
			memory_order_relaxed, memory_order_relaxed))
			return 1;
	}
}

static const char *rcode_text(int rc, char *buf, size_t n)
{
	static const char *const names[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
		"NOTIMP", "REFUSED" };
	if (rc >= 0 && rc < 6)
		return names[rc];
	if (rc == WIRE_RCODE_NOTAUTH)
		return "NOTAUTH";
	snprintf(buf, n, "RCODE%d", rc);
	return buf;
}

/* The type's mnemonic for the common ones (the metrics' names), else TYPEn (RFC 3597). */
static const char *type_text(unsigned t, char *buf, size_t n)
{
	const char *name = metrics_qtype_name(t);
	if (name)
		return name;
	snprintf(buf, n, "TYPE%u", t);
	return buf;
}

void querylog_note(const struct answer_cfg *cfg, const struct answer_req *r,
	const struct answer_info *info, const struct sockaddr *peer)
{
	if (!atomic_load_explicit(&qlog_on, memory_order_relaxed))
		return;
	if (r->status != ANSWER_OK || r->zone < 0 || info->xfr || info->dropped ||
	    !log_enabled(LOG_INFO))
		return;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (!querylog_admit((int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec))
		return;
	/* names escaped as dig writes them: \DDD for any byte outside LDH and '_' */
	char who[SA_TEXT_MAX], name[DNAME_MAX_TEXT * 4 + 2], zone[DNAME_MAX_TEXT * 4 + 2];
	char tb[16], rb[16], answer[32];
	sa_text(peer, who, sizeof who);
	if (dname_wire_to_text(r->qname, r->qname_len, name, sizeof name) < 0)
		snprintf(name, sizeof name, "?");
	if (dname_wire_to_text(cfg->apex[r->zone], cfg->apex_len[r->zone], zone, sizeof zone) < 0)
		snprintf(zone, sizeof zone, "?");
	if (info->rcode == WIRE_RCODE_NOERROR && info->listed && r->zone == NOD_ZONE_DNSBL)
		snprintf(answer, sizeof answer, "listed 127.0.0.%d", info->code);
	else if (info->rcode == WIRE_RCODE_NOERROR && info->listed)
		snprintf(answer, sizeof answer, "listed");
	else
		snprintf(answer, sizeof answer, "%s", rcode_text(info->rcode, rb, sizeof rb));
	uint64_t dropped = atomic_exchange_explicit(&qlog_dropped, 0, memory_order_relaxed);
	metrics_inc("query_log_lines", 1);
	char more[48] = "";
	if (dropped)
		snprintf(more, sizeof more, " (%llu more suppressed)", (unsigned long long)dropped);
	log_info("client %s %s: query %s %s: %s%s", who, zone, name[0] ? name : ".",
		type_text(r->qtype, tb, sizeof tb), answer, more);
}
