/* metrics.h -- process-wide counters, updated from any thread with relaxed atomics, and
 * their Prometheus text rendering for GET /metrics.
 * Never counts anything itself; callers count, this file renders. */
#ifndef NODD_METRICS_H
#define NODD_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/counters.h"
#include "policy/window.h"
#include <stdio.h>

struct nod;

/* Count one answered (or dropped) DNS query. proto: 0 UDP, 1 TCP.
 * qtype is counted by name for the common types (A, AAAA, TXT, SOA, NS, CNAME, ANY,
 * AXFR, IXFR, MX, PTR, SRV, DS, DNSKEY) and as "other" otherwise; rcode 0..23 by
 * name (NOERROR, FORMERR, SERVFAIL, NXDOMAIN, NOTIMP, REFUSED, NOTAUTH, BADVERS, ...),
 * dropped queries as rcode "dropped". */
void metrics_query(int proto, unsigned qtype, int rcode, int dropped);
/* The name a type is counted by ("A", "AAAA", ...), NULL for those counted as "other". */
const char *metrics_qtype_name(unsigned qtype);


/* Gauges supplied at render time by the caller. */
struct metrics_gauges {
	size_t names_in_window[7];  /* per window, 5m..24h */
	int64_t store_names;        /* rows in the store */
	size_t index_names;         /* names in memory */
	size_t index_bytes;
	uint32_t serial[NOD_ZONE_COUNT]; /* zone serials: 7 RPZ, DNSBL, allow */
	uint64_t tcp_connections;   /* open now */
	int64_t start_time;
};

#define METRICS_ZONE_LABEL_MAX 256
/* The full names of the published zones in order (7 RPZ, then DNSBL; copied), used as the
 * zone label of nodd_zone_serial; until set, the labels are "5m" ... "24h", "dnsbl". */
void metrics_set_zone_names(const char *const names[], int n);

/* Write all counters and the gauges in Prometheus text exposition format 0.0.4 to f. */
void metrics_write(FILE *f, const struct metrics_gauges *g);

/* The same into a malloc'd NUL-terminated string (caller frees); NULL when out of memory. */
char *metrics_render(const struct metrics_gauges *g);

#endif
