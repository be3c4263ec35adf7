/* answer.c -- the query path: query bytes + index view -> reply bytes (see answer.h).
 * Pure: no I/O, no allocation, no locks; replies are written with lib/wire.h.
 *
 * Order of the checks (each one answers before the next is looked at):
 *   too short, QR=1 -> drop | opcode != QUERY -> NOTIMP | QDCOUNT != 1, bad question
 *   -> FORMERR (header only) | other sections malformed, trailing bytes, 2 OPTs, OPT not
 *   at the root or outside additional, TSIG not last -> FORMERR | EDNS version > 0 ->
 *   BADVERS | MAILA/MAILB -> NOTIMP | class not IN/ANY -> REFUSED | outside our zones ->
 *   REFUSED | AXFR/IXFR over TCP -> handed back | AXFR over UDP -> FORMERR | the zone.
 * answer_parse() takes every decision up to the zone lookup in one pass over the bytes;
 * answer_reply() writes the reply from that. */
#include "server/answer.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "policy/lookup.h"
#include "lib/wire.h"

#define UDP_PLAIN 512  /* RFC 1035 4.2.1: UDP size without EDNS; also EDNS's floor */

/* The question at offset 12: 0 and q->qend set, or -1 when malformed. */
static int parse_question(const uint8_t *pkt, size_t len, struct answer_req *q)
{
	size_t end = dname_wire_parse(pkt, len, WIRE_HEADER_SIZE, q->qname, &q->qname_len);
	if (!end || len - end < 4)
		return -1;
	q->qtype = wire_get16(pkt + end);
	q->qclass = wire_get16(pkt + end + 2);
	q->qend = end + 4;
	return 0;
}

/* EDNS options (RFC 6891 6.1.2): a sequence of code, length, data that must fill the
 * RDATA exactly. Unknown options (cookies included) are ignored. */
static int options_ok(const uint8_t *pkt, size_t rd, size_t end)
{
	while (rd < end) {
		if (end - rd < 4)
			return 0;
		size_t olen = wire_get16(pkt + rd + 2);
		if (end - rd - 4 < olen)
			return 0;
		rd += 4 + olen;
	}
	return 1;
}

/* Walk every record after the question: all must parse (names may be compressed,
 * RDLENGTH must fit) and end exactly at the end of the message. At most one OPT, owned
 * by the root, in additional; a TSIG only as the very last record (RFC 8945 5.2).
 * Returns 0, or -1 for FORMERR. */
static int parse_records(const uint8_t *pkt, size_t len, struct answer_req *q)
{
	unsigned an = wire_get16(pkt + 6), ns = wire_get16(pkt + 8), ar = wire_get16(pkt + 10);
	unsigned total = an + ns + ar;
	size_t off = q->qend;
	for (unsigned i = 0; i < total; i++) {
		uint8_t name[DNAME_MAX_WIRE];
		size_t nl;
		size_t p = dname_wire_parse(pkt, len, off, name, &nl);
		if (!p || len - p < 10)
			return -1;
		uint16_t type = wire_get16(pkt + p);
		size_t rdlen = wire_get16(pkt + p + 8);
		if (len - p - 10 < rdlen)
			return -1;
		size_t rd = p + 10;
		off = rd + rdlen;
		int additional = i >= an + ns;
		if (type == WIRE_T_OPT) {
			if (!additional || q->edns || nl != 1 || !options_ok(pkt, rd, off))
				return -1;
			q->edns = 1;
			q->payload = wire_get16(pkt + p + 2);          /* CLASS = UDP payload size */
			if (q->payload < UDP_PLAIN)
				q->payload = UDP_PLAIN;
			q->badvers = pkt[p + 5] != 0;             /* TTL: ext-rcode, VERSION, flags */
			q->do_bit = (pkt[p + 6] & 0x80) != 0;
		} else if (type == WIRE_T_TSIG) {
			if (!additional || i + 1 != total)
				return -1;
			q->has_tsig = 1;
			/* the reply's TSIG: same key and algorithm, MAC of the same size, plus a
			 * 6-byte Other Data for BADTIME */
			q->tsig_reserve = nl + 10 + rdlen + 6;
		}
	}
	return off == len ? 0 : -1;
}

/* The published zone holding name: the longest apex it ends with. Returns the zone and
 * *rel_len (the bytes before the apex), or -1. */
static int zone_for(const struct answer_cfg *cfg, const uint8_t *name, size_t len,
	size_t *rel_len)
{
	int zone = -1;
	for (int z = 0; z < NOD_ZONE_COUNT; z++) {
		/* both lowercase: equal tail bytes first (cheap), then the label boundary */
		size_t alen = cfg->apex_len[z];
		if (alen > len || memcmp(name + len - alen, cfg->apex[z], alen) != 0)
			continue;
		int r = dname_strip_suffix(name, len, cfg->apex[z], alen);
		if (r >= 0 && (zone < 0 || (size_t)r < *rel_len)) {
			zone = z;
			*rel_len = (size_t)r;
		}
	}
	return zone;
}

/* The RCODE decided before looking at zone data, and the zone (-1 outside ours). */
static int decide(const struct answer_cfg *cfg, const struct answer_req *q, int *zone,
	size_t *rel_len)
{
	if (q->badvers)
		return WIRE_RCODE_BADVERS;      /* RFC 6891 6.1.3 */
	if (q->qtype == WIRE_T_MAILA || q->qtype == WIRE_T_MAILB)
		return WIRE_RCODE_NOTIMP;
	if (q->qclass != WIRE_C_IN && q->qclass != WIRE_C_ANY)
		return WIRE_RCODE_REFUSED;
	*zone = zone_for(cfg, q->qname, q->qname_len, rel_len);
	return *zone < 0 ? WIRE_RCODE_REFUSED : WIRE_RCODE_NOERROR;
}

/* The zone's SOA. Its owner is the apex, which the question name ends with: a pointer
 * to the question at 12 + rel_len (a question name never holds a pointer itself, as
 * dname_wire_parse refuses pointers that do not go below the name's start). */
static void put_soa(struct wire *w, const struct answer_cfg *cfg, const struct answer_view *v,
	int zone, size_t rel_len, uint32_t ttl)
{
	struct wire_soa soa = {
		cfg->mname, cfg->mname_len, cfg->rname, cfg->rname_len, v->serial[zone],
		cfg->soa_refresh, cfg->soa_retry, cfg->soa_expire, cfg->soa_minimum,
	};
	wire_rr_soa(w, NULL, WIRE_HEADER_SIZE + rel_len, ttl, &soa);
}

/* rel (len bytes, no root label) ends in the labels of tail (tlen bytes) on a label
 * boundary: the query name's labels before the DNSBL apex are compared by their tail. */
static int rel_ends_in(const uint8_t *rel, size_t len, const uint8_t *tail, size_t tlen)
{
	for (size_t i = 0; i < len; i += 1 + (size_t)rel[i])
		if (len - i == tlen && memcmp(rel + i, tail, tlen) == 0)
			return 1;
	return 0;
}

/* The configured DNSBL test entries (publish.test-names): an entry is listed as RFC
 * 5782's TEST is, its "invalid." twin and the names below that are never listed, and
 * an ancestor of an entry below the apex is an empty non-terminal (NODATA) when nothing
 * else lists it. Returns the match, or -1 when the name is none of these. */
static int test_entry(const struct answer_cfg *cfg, const uint8_t *rel, size_t len,
	int64_t *fs, int *code)
{
	for (int i = 0; i < cfg->tests.n; i++) {
		if (len == cfg->tests.test_len[i] && memcmp(rel, cfg->tests.test_rel[i], len) == 0) {
			*fs = 0;
			*code = 2;
			return NOD_LISTED;
		}
		if (cfg->tests.invalid_len[i] &&
		    rel_ends_in(rel, len, cfg->tests.invalid_rel[i], cfg->tests.invalid_len[i]))
			return NOD_NXDOMAIN;
	}
	return -1;
}

static int test_ancestor(const struct answer_cfg *cfg, const uint8_t *rel, size_t len)
{
	for (int i = 0; i < cfg->tests.n; i++)
		if (len < cfg->tests.test_len[i] &&
		    rel_ends_in(cfg->tests.test_rel[i], cfg->tests.test_len[i], rel, len))
			return 1;
	return 0;
}

/* The answer section for a name inside zone; returns the RCODE. Writes nothing for
 * NODATA and NXDOMAIN. Owners are the question name, compressed to a pointer to it. */
static int put_answer(struct wire *w, const struct answer_cfg *cfg, const struct answer_view *v,
	const struct answer_req *q, int zone, size_t rel_len, struct answer_info *info)
{
	const uint8_t *owner = NULL;            /* a pointer to the question name */
	size_t olen = WIRE_HEADER_SIZE;
	uint16_t qt = q->qtype;
	if (rel_len == 0) {
		/* apex: SOA (also the minimal RFC 8482 answer to ANY, and the whole answer to an
		 * IXFR over UDP, RFC 1995 2), NS; any other type is NODATA */
		if (qt == WIRE_T_SOA || qt == WIRE_T_ANY || qt == WIRE_T_IXFR)
			put_soa(w, cfg, v, zone, 0, cfg->ttl);
		else if (qt == WIRE_T_NS)
			for (int i = 0; i < cfg->nns; i++)
				wire_rr_ns(w, owner, olen, cfg->ttl, cfg->ns[i], cfg->ns_len[i]);
		return WIRE_RCODE_NOERROR;
	}
	if (zone == NOD_ZONE_DNSBL) {
		int64_t fs = 0;
		int code = 0;
		int m = test_entry(cfg, q->qname, rel_len, &fs, &code);
		if (m < 0)
			m = (int)dnsbl_lookup(v->ix, v->allow, q->qname, rel_len, v->now, &fs, &code);
		switch (m) {
		case NOD_NXDOMAIN:
			return test_ancestor(cfg, q->qname, rel_len) ? WIRE_RCODE_NOERROR :
				WIRE_RCODE_NXDOMAIN;
		case NOD_NODATA:
			return WIRE_RCODE_NOERROR;
		case NOD_LISTED:
			info->listed = 1;
			info->code = code;
			if (qt == WIRE_T_A || qt == WIRE_T_ANY) {
				uint8_t a[4] = { 127, 0, 0, (uint8_t)code };
				wire_rr_a(w, owner, olen, cfg->ttl, a);
			} else if (qt == WIRE_T_TXT) {
				/* the test entry has first_seen 0, as in the dnset file */
				char txt[40];
				int n = snprintf(txt, sizeof txt, "first_seen=%lld", (long long)fs);
				wire_rr_txt(w, owner, olen, cfg->ttl, txt, (size_t)n);
			}
			return WIRE_RCODE_NOERROR;
		}
		return WIRE_RCODE_NOERROR;
	}
	if (zone == NOD_ZONE_ALLOW) {
		/* "pattern CNAME rpz-passthru.", synthesised for a wildcard pattern */
		int m = allow_zone_lookup(v->allow, q->qname, rel_len);
		if (m == 2)
			wire_rr_cname(w, owner, olen, cfg->ttl,
				(const uint8_t *)"\014rpz-passthru", 14);
		return m ? WIRE_RCODE_NOERROR : WIRE_RCODE_NXDOMAIN;
	}
	switch (rpz_lookup(v->ix, v->allow, zone, q->qname, rel_len, v->now)) {
	case NOD_NXDOMAIN:
		return WIRE_RCODE_NXDOMAIN;
	case NOD_NODATA:
		return WIRE_RCODE_NOERROR;
	case NOD_LISTED:
		info->listed = 1;
		/* A CNAME owner answers its CNAME whatever the type (RFC 1034 3.6.2); the target
		 * is the RPZ action, never chased. */
		if (cfg->rpz_nodata)
			wire_rr_cname(w, owner, olen, cfg->ttl, (const uint8_t *)"\001*", 3);
		else
			wire_rr_cname(w, owner, olen, cfg->ttl, (const uint8_t *)"", 1);
		return WIRE_RCODE_NOERROR;
	}
	return WIRE_RCODE_NOERROR;
}

size_t answer_error(const uint8_t *q, size_t qlen, int rcode, uint8_t *out, size_t outcap)
{
	if (qlen < WIRE_HEADER_SIZE)
		return 0;
	struct wire w;
	wire_init(&w, out, outcap);
	/* QR, the opcode and RD copied; everything else clear */
	wire_header(&w, wire_get16(q), (uint16_t)(WIRE_QR | (wire_get16(q + 2) & (0x7800 | WIRE_RD)) |
		(rcode & WIRE_RCODE_MASK)));
	struct answer_req qq;
	if (wire_get16(q + 4) == 1 && parse_question(q, qlen, &qq) == 0) {
		struct wire_mark m;
		wire_mark(&w, &m);
		wire_question_copy(&w, q + WIRE_HEADER_SIZE, qq.qend - WIRE_HEADER_SIZE);
		if (w.err)
			wire_rollback(&w, &m);
	}
	return wire_finish(&w);
}

void answer_parse(const struct answer_cfg *cfg, const uint8_t *q, size_t qlen, int tcp,
	struct answer_req *r)
{
	/* the name buffer needs no clearing */
	memset((char *)r + offsetof(struct answer_req, qname_len), 0,
		sizeof *r - offsetof(struct answer_req, qname_len));
	r->q = q;
	r->qlen = qlen;
	r->tcp = tcp;
	r->zone = -1;
	r->status = ANSWER_DROP;
	if (qlen < WIRE_HEADER_SIZE || (q[2] & 0x80))
		return;
	r->opcode = (q[2] >> 3) & 0x0F;
	r->has_question = wire_get16(q + 4) == 1 && parse_question(q, qlen, r) == 0;
	if (r->opcode != WIRE_OPCODE_QUERY) {
		r->status = ANSWER_BAD_OPCODE;
		return;
	}
	if (!r->has_question) {
		r->status = ANSWER_BAD_QUESTION;
		return;
	}
	if (parse_records(q, qlen, r) < 0) {
		r->status = ANSWER_BAD_RECORDS;
		return;
	}
	r->status = ANSWER_OK;
	r->rcode = decide(cfg, r, &r->zone, &r->rel_len);
	if (r->zone >= 0 && (r->qtype == WIRE_T_AXFR || r->qtype == WIRE_T_IXFR)) {
		if (tcp)
			r->xfr = 1;
		else if (r->qtype == WIRE_T_AXFR)
			r->rcode = WIRE_RCODE_FORMERR; /* AXFR over UDP is undefined (RFC 5936 4.2) */
	}
}

void answer_info_of(const struct answer_req *r, struct answer_info *info)
{
	memset(info, 0, sizeof *info);
	info->zone = -1;
	if (r->status == ANSWER_DROP) {
		info->dropped = 1;
		return;
	}
	info->opcode = r->opcode;
	if (r->has_question) {
		info->qtype = r->qtype;
		info->question_end = r->qend;
	}
	info->has_tsig = r->status == ANSWER_OK && r->has_tsig;
}

/* An error reply (header and, when it parses, the question of the first qlen bytes). */
static size_t error_reply(const struct answer_req *r, size_t qlen, int rcode, uint8_t *out,
	size_t outcap, struct answer_info *info)
{
	info->rcode = (uint8_t)rcode;
	return answer_error(r->q, qlen, rcode, out, outcap);
}

/* The answer section, or the SOA in authority for NXDOMAIN/NODATA; TC when it does not
 * fit. Returns the RCODE. */
static int put_zone_answer(struct wire *w, const struct answer_cfg *cfg,
	const struct answer_view *view, const struct answer_req *q, uint16_t *flags,
	struct answer_info *info)
{
	struct wire_mark m;
	*flags |= WIRE_AA;
	wire_section(w, WIRE_AN);
	wire_mark(w, &m);
	int rcode = put_answer(w, cfg, view, q, q->zone, q->rel_len, info);
	if (w->err) {
		/* the RRset does not fit: TC and an empty answer (RFC 2181 9) */
		wire_rollback(w, &m);
		*flags |= WIRE_TC;
		info->truncated = 1;
	} else if (w->count[WIRE_AN] == 0) {
		/* NXDOMAIN/NODATA: the SOA, TTL min(ttl, minimum) (RFC 2308 3, 5) */
		wire_section(w, WIRE_NS);
		wire_mark(w, &m);
		put_soa(w, cfg, view, q->zone, q->rel_len,
			cfg->ttl < cfg->soa_minimum ? cfg->ttl : cfg->soa_minimum);
		if (w->err) {
			wire_rollback(w, &m);
			*flags |= WIRE_TC;
			info->truncated = 1;
		}
	}
	return rcode;
}

size_t answer_reply(const struct answer_cfg *cfg, const struct answer_view *view,
	const struct answer_req *qq, uint8_t *out, size_t outcap, struct answer_info *info)
{
	if (outcap < WIRE_HEADER_SIZE) {
		memset(info, 0, sizeof *info);
		info->zone = -1;
		info->dropped = 1;
		return 0;
	}
	answer_info_of(qq, info);
	if (qq->status == ANSWER_DROP)
		return 0;
	const uint8_t *q = qq->q;
	switch (qq->status) {
	case ANSWER_BAD_OPCODE:
		return error_reply(qq, qq->qlen, WIRE_RCODE_NOTIMP, out, outcap, info);
	case ANSWER_BAD_QUESTION:
		return error_reply(qq, WIRE_HEADER_SIZE, WIRE_RCODE_FORMERR, out, outcap, info);
	case ANSWER_BAD_RECORDS:
		return error_reply(qq, qq->qlen, WIRE_RCODE_FORMERR, out, outcap, info);
	default:
		break;
	}

	size_t limit = 65535;
	if (!qq->tcp)
		limit = !qq->edns ? UDP_PLAIN :
			qq->payload < ANSWER_EDNS_SIZE ? qq->payload : ANSWER_EDNS_SIZE;
	if (limit > outcap)
		limit = outcap;
	/* what must still fit after the answer: our OPT, and the TSIG a signed reply gets */
	size_t reserve = (qq->edns ? WIRE_OPT_SIZE : 0) + qq->tsig_reserve;

	struct wire w;
	wire_init(&w, out, limit);
	uint16_t flags = (uint16_t)(WIRE_QR | (wire_get16(q + 2) & WIRE_RD));
	wire_header(&w, wire_get16(q), flags);
	struct wire_mark m;
	wire_mark(&w, &m);
	wire_question_copy(&w, q + WIRE_HEADER_SIZE, qq->qend - WIRE_HEADER_SIZE);
	int rcode = WIRE_RCODE_NOERROR;
	if (w.err) {
		/* only with an out buffer smaller than the question */
		wire_rollback(&w, &m);
		flags |= WIRE_TC;
		info->truncated = 1;
	} else {
		rcode = qq->rcode;
		info->zone = qq->zone;
		if (qq->xfr) {
			info->xfr = 1;
			return 0;
		}
	}
	wire_set_cap(&w, limit > reserve ? limit - reserve : 0);
	if (info->zone >= 0 && rcode == WIRE_RCODE_NOERROR)
		rcode = put_zone_answer(&w, cfg, view, qq, &flags, info);

	wire_set_cap(&w, limit);
	if (qq->edns) {
		wire_mark(&w, &m);
		wire_opt(&w, ANSWER_EDNS_SIZE, (uint8_t)(rcode >> 4), 0, qq->do_bit);
		if (w.err)
			wire_rollback(&w, &m);   /* only with a tiny out buffer */
	}
	info->rcode = (uint8_t)rcode;
	wire_set_flags(&w, (uint16_t)(flags | (rcode & WIRE_RCODE_MASK)));
	return wire_finish(&w);
}

void answer_prefetch(const struct answer_view *view, const struct answer_req *r, int stage)
{
	/* the first key every DNSBL and RPZ lookup lands on: the name itself */
	if (r->status == ANSWER_OK && r->rcode == WIRE_RCODE_NOERROR && r->zone >= 0 &&
	    r->zone != NOD_ZONE_ALLOW && r->rel_len > 0)
		nindex_prefetch(view->ix, r->qname, r->rel_len, stage);
}

size_t answer_query(const struct answer_cfg *cfg, const struct answer_view *view,
	const uint8_t *q, size_t qlen, uint8_t *out, size_t outcap, int tcp,
	struct answer_info *info)
{
	struct answer_req r;
	answer_parse(cfg, q, qlen, tcp, &r);
	return answer_reply(cfg, view, &r, out, outcap, info);
}

void answer_view_of(struct answer_view *v, nod_t *nod, int64_t now)
{
	v->ix = nod_index(nod);
	v->allow = nod_allow(nod);
	v->now = now;
	for (int z = 0; z < NOD_ZONE_COUNT; z++)
		v->serial[z] = nod_serial(nod, z);
}
