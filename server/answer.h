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
#define ANSWER_MAX_TESTS 4

/* Static configuration of the nine published zones, built once from the config. */
struct answer_cfg {
	/* zone z: apex wire name (lowercase, with root label). 0..6 = <w>.rpz.<suffix>,
	 * 7 = v1.bl.<suffix>, 8 = allow.rpz.<suffix> */
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
	/* publish.test-names: DNSBL test entries besides RFC 5782's "test", relative to the
	 * DNSBL apex (wire labels, no root label). Each is listed as 127.0.0.2 with
	 * first_seen=0; for an entry "test.<rest>", invalid_rel is "invalid.<rest>", never
	 * listed (invalid_len 0 otherwise). One member, so a reload can keep the running
	 * entries whole (they change at a restart only). */
	struct answer_tests {
		uint8_t test_rel[ANSWER_MAX_TESTS][DNAME_MAX_WIRE];
		size_t test_len[ANSWER_MAX_TESTS];
		uint8_t invalid_rel[ANSWER_MAX_TESTS][DNAME_MAX_WIRE];
		size_t invalid_len[ANSWER_MAX_TESTS];
		int n;
	} tests;
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
	int listed;         /* the name (or its parent) is listed in the DNSBL or RPZ zone */
	int code;           /* DNSBL: the age code, 127.0.0.<code>, when listed */
	size_t question_end; /* offset just after the question in the query */
};

/* The index and versions a batch of queries is answered from. */
struct answer_view {
	const nindex_t *ix;
	const allow_t *allow;   /* NULL: no allow-list; read under the index read lock too */
	uint32_t serial[NOD_ZONE_COUNT];
	int64_t now;
};

/* The view of nod at now: its index, allow-list and the serials of the published zones. */
void answer_view_of(struct answer_view *v, nod_t *nod, int64_t now);

/* What answer_parse() made of a message. */
enum answer_status {
	ANSWER_DROP,         /* no reply: shorter than a header, or a response (QR=1) */
	ANSWER_BAD_OPCODE,   /* opcode other than QUERY: NOTIMP */
	ANSWER_BAD_QUESTION, /* QDCOUNT != 1 or the question does not parse: FORMERR */
	ANSWER_BAD_RECORDS,  /* a record after the question is malformed or misplaced: FORMERR */
	ANSWER_OK,           /* a well-formed standard query */
};

/* A message as parsed from the wire, with the decisions that need no zone data. Nothing
 * is copied but the question name; q is borrowed and must outlive the struct. */
struct answer_req {
	const uint8_t *q;
	size_t qlen;
	int tcp;
	enum answer_status status;
	uint8_t opcode;
	int has_question;                /* the question parsed (also for other opcodes) */
	uint8_t qname[DNAME_MAX_WIRE];   /* lowercase, with root */
	size_t qname_len;
	size_t qend;                     /* offset just after the question */
	uint16_t qtype, qclass;
	int edns, do_bit, badvers;
	size_t payload;                  /* client's EDNS UDP size, at least 512 */
	int has_tsig;
	size_t tsig_reserve;             /* room kept for the TSIG a signed reply gets */
	/* ANSWER_OK only: */
	int rcode;                       /* decided before looking at zone data */
	int zone;                        /* published zone, -1 outside ours */
	size_t rel_len;                  /* bytes of the name before the zone's apex */
	int xfr;                         /* AXFR/IXFR over TCP for one of our zones */
};

/* Parse and classify one message (qlen bytes at q, borrowed by r). tcp: 1 when it came
 * over TCP. Never fails: r->status says what the message is. One pass over the bytes. */
void answer_parse(const struct answer_cfg *cfg, const uint8_t *q, size_t qlen, int tcp,
	struct answer_req *r);

/* The reply to a parsed message: the error for a bad one, else the answer from the zone.
 * info is filled in. Returns the reply length written to out (outcap >= 65535 for TCP,
 * >= 4096 for UDP), or 0 when the message is dropped or, for r->xfr, handed back to the
 * transfer code (info->xfr set). */
size_t answer_reply(const struct answer_cfg *cfg, const struct answer_view *view,
	const struct answer_req *r, uint8_t *out, size_t outcap, struct answer_info *info);

/* Start loading the index memory answer_reply() will read for r (see nindex_prefetch;
 * stage 0, then 1). For a batch of parsed queries, under the index read lock. */
void answer_prefetch(const struct answer_view *view, const struct answer_req *r, int stage);

/* answer_parse() then answer_reply(). */
size_t answer_query(const struct answer_cfg *cfg, const struct answer_view *view,
	const uint8_t *q, size_t qlen, uint8_t *out, size_t outcap, int tcp,
	struct answer_info *info);

/* A reply with this RCODE to a query whose header and question parse: header copied
 * (ID, opcode, RD), QR set, the question echoed. Returns its length or 0. */
size_t answer_error(const uint8_t *q, size_t qlen, int rcode, uint8_t *out, size_t outcap);

/* The part of info that parsing decides: dropped, opcode, qtype, question_end, has_tsig;
 * zone -1, rcode 0, no transfer, not truncated. For messages that another handler than
 * answer_reply() answers (NOTIFY, transfers). */
void answer_info_of(const struct answer_req *r, struct answer_info *info);

#endif
