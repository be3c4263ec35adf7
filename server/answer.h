/* answer.h -- the query path: a pure function from (query bytes, index view, time) to
 * reply bytes, as rbldnsd's replypacket. No I/O, no allocation, no locks taken here (the
 * caller holds the index read lock around a batch).
 *
 * Why our own writer and not ldns_pkt2wire: ldns spends about 5 us per record when
 * compressing and has no size budget or truncation (shared/REFERENCE.md section 0.2). */
#ifndef NODD_ANSWER_H
#define NODD_ANSWER_H

#include <stddef.h>
#include <stdint.h>

#include "lib/dname.h"
#include "policy/index.h"
#include "policy/nod.h"

#define ANSWER_MAX_NS 8
#define ANSWER_EDNS_SIZE 1232

/* Static configuration of the eight published zones, built once from the config. */
struct answer_cfg {
	/* zone z: apex wire name (lowercase, with root label). 0..6 = <w>.rpz.<suffix>,
	 * 7 = v1.bl.<suffix> */
	uint8_t apex[NOD_ZONE_COUNT][DNAME_MAX_WIRE];
	size_t apex_len[NOD_ZONE_COUNT];
	uint32_t ttl;                  /* TTL of every record but the SOA's minimum */
	uint32_t soa_refresh, soa_retry, soa_expire, soa_minimum;
	uint8_t mname[DNAME_MAX_WIRE]; /* SOA MNAME (first NS) */
	size_t mname_len;
	uint8_t rname[DNAME_MAX_WIRE]; /* SOA RNAME */
	size_t rname_len;
	uint8_t ns[ANSWER_MAX_NS][DNAME_MAX_WIRE]; /* apex NS targets */
	size_t ns_len[ANSWER_MAX_NS];
	int nns;
	int rpz_nodata;                /* RPZ action: 0 "CNAME ." (NXDOMAIN), 1 "CNAME *." (NODATA) */
};

/* What one query asked for, as looked at by the answer path: the caller counts it in
 * /metrics and dispatches transfers. */
struct answer_info {
	uint16_t qtype;     /* 0 when the question could not be parsed */
	uint8_t opcode;
	uint8_t rcode;      /* RCODE sent (extended RCODE included, e.g. 16 BADVERS) */
	int zone;           /* published zone index, -1 when outside our zones */
	int xfr;            /* 1: AXFR/IXFR over TCP with a valid question: not answered here,
	                     * the reply length is 0 and the transfer code takes over */
	int has_tsig;       /* the query carries a TSIG record (room for the reply's TSIG,
	                     * as long as the query's plus 6, is kept under the UDP limit) */
	int truncated;      /* TC was set */
	int dropped;        /* no reply (QR=1 query, or too short to echo) */
	size_t question_end; /* offset just after the question in the query */
};

/* The index and versions a batch of queries is answered from. */
struct answer_view {
	const nindex_t *ix;
	uint32_t serial[NOD_ZONE_COUNT];
	int64_t now;
};

/* Answer one query. tcp: 1 when the query came over TCP (size limit 65535, AXFR/IXFR
 * handed back via info->xfr). Returns the reply length written to out (outcap >= 65535
 * for TCP, >= 4096 for UDP), or 0 when the query is dropped or handed back. */
size_t answer_query(const struct answer_cfg *cfg, const struct answer_view *view,
	const uint8_t *q, size_t qlen, uint8_t *out, size_t outcap, int tcp,
	struct answer_info *info);

/* A reply with this RCODE to a query whose header and question parse: header copied
 * (ID, opcode, RD), QR set, the question echoed. Returns its length or 0. */
size_t answer_error(const uint8_t *q, size_t qlen, int rcode, uint8_t *out, size_t outcap);

#endif
