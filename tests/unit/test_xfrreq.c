/* test_xfrreq.c -- the AXFR/IXFR request parser and its error reply (server/xfrreq.h).
 * Requests are built with ldns, so the parser is checked against another encoder. */
#include <ldns/ldns.h>
#include <stdlib.h>

#include "server/xfrreq.h"
#include "tap.h"

static struct answer_cfg cfg;

/* A request for qname/qtype with an optional authority RR in presentation format. */
static size_t build(const char *qname, ldns_rr_type qtype, const char *auth, uint8_t *out,
	size_t cap)
{
	ldns_rdf *n = ldns_dname_new_frm_str(qname);
	ldns_pkt *p = ldns_pkt_query_new(n, qtype, LDNS_RR_CLASS_IN, 0);
	ldns_pkt_set_id(p, 0x1234);
	if (auth) {
		ldns_rr *rr = NULL;
		if (ldns_rr_new_frm_str(&rr, auth, 0, NULL, NULL) != LDNS_STATUS_OK)
			abort();
		ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY, rr);
	}
	uint8_t *w = NULL;
	size_t len = 0;
	if (ldns_pkt2wire(&w, p, &len) != LDNS_STATUS_OK || len > cap)
		abort();
	memcpy(out, w, len);
	free(w);
	ldns_pkt_free(p);
	return len;
}

int main(void)
{
	static const char *apex[NOD_ZONE_COUNT] = { "5m.rpz.nod.example", "10m.rpz.nod.example",
		"30m.rpz.nod.example", "1h.rpz.nod.example", "3h.rpz.nod.example",
		"12h.rpz.nod.example", "24h.rpz.nod.example", "v1.bl.nod.example",
		"allow.rpz.nod.example" };
	for (int z = 0; z < NOD_ZONE_COUNT; z++)
		cfg.apex_len[z] = (size_t)dname_text_to_wire(apex[z], cfg.apex[z]);

	uint8_t q[1024], out[1024];
	struct xfr_req r;
	size_t len;

	len = build("24h.rpz.nod.example.", LDNS_RR_TYPE_AXFR, NULL, q, sizeof q);
	is_int(xfr_req_parse(&cfg, q, len, len, &r), 0, "AXFR of the 24h zone parses");
	is_int(r.zone, 6, "its zone is 24h");
	is_int(r.qtype, 252, "qtype AXFR");
	is_int(r.id, 0x1234, "ID kept");
	is_int(r.qend, len, "question ends the message");
	ok(!r.has_serial, "an AXFR carries no serial");

	len = build("V1.BL.nod.EXAMPLE.", LDNS_RR_TYPE_AXFR, NULL, q, sizeof q);
	is_int(xfr_req_parse(&cfg, q, len, len, &r), 0, "mixed-case apex parses");
	is_int(r.zone, 7, "and is matched case-insensitively (the DNSBL zone)");

	len = build("other.example.", LDNS_RR_TYPE_AXFR, NULL, q, sizeof q);
	is_int(xfr_req_parse(&cfg, q, len, len, &r), 0, "AXFR of a zone not ours parses");
	is_int(r.zone, -1, "with zone -1 (NOTAUTH later)");

	len = build("5m.rpz.nod.example.", LDNS_RR_TYPE_IXFR,
		"5m.rpz.nod.example. 0 IN SOA ns1.nod.example. hostmaster.nod.example. "
		"1764400000 60 60 21600 30", q, sizeof q);
	is_int(xfr_req_parse(&cfg, q, len, len, &r), 0, "IXFR with the client's SOA parses");
	is_int(r.zone, 0, "its zone is 5m");
	ok(r.has_serial, "it has a serial");
	is_int(r.serial, 1764400000u, "the serial is the client's");

	/* ldns compresses the SOA owner to the question; a pointer is what BIND sends too. */
	ok(q[r.qend] == 0xc0, "the SOA owner in that request is a compression pointer");

	is_int(xfr_req_parse(&cfg, q, len, len - 1, &r), -1,
		"an IXFR whose SOA is cut short by the TSIG boundary is malformed");
	is_int(r.qend, 12 + cfg.apex_len[0] + 4, "the question is still known for the FORMERR");

	len = build("5m.rpz.nod.example.", LDNS_RR_TYPE_IXFR,
		"5m.rpz.nod.example. 0 IN NS ns1.nod.example.", q, sizeof q);
	is_int(xfr_req_parse(&cfg, q, len, len, &r), -1, "an IXFR whose authority is not a SOA is malformed");

	len = build("5m.rpz.nod.example.", LDNS_RR_TYPE_IXFR, NULL, q, sizeof q);
	is_int(xfr_req_parse(&cfg, q, len, len, &r), 0, "an IXFR without authority parses");
	ok(!r.has_serial, "and has no serial (answered AXFR-style)");

	/* A SOA whose RDLENGTH is shorter than its names and counters. */
	len = build("5m.rpz.nod.example.", LDNS_RR_TYPE_IXFR,
		"5m.rpz.nod.example. 0 IN SOA ns1.nod.example. hostmaster.nod.example. "
		"1764400000 60 60 21600 30", q, sizeof q);
	xfr_req_parse(&cfg, q, len, len, &r);
	size_t rdlen_at = r.qend + 2 + 2 + 2 + 4; /* pointer, type, class, TTL */
	size_t rdlen = (size_t)(q[rdlen_at] << 8 | q[rdlen_at + 1]);
	q[rdlen_at + 1] = (uint8_t)(rdlen - 4);
	is_int(xfr_req_parse(&cfg, q, len - 4, len - 4, &r), -1,
		"a SOA RDATA too short for its serial and counters is malformed");

	len = build("24h.rpz.nod.example.", LDNS_RR_TYPE_AXFR, NULL, q, sizeof q);
	q[5] = 2;
	is_int(xfr_req_parse(&cfg, q, len, len, &r), -1, "QDCOUNT 2 is malformed");
	is_int(r.qend, 0, "with no question to echo");
	q[5] = 1;
	is_int(xfr_req_parse(&cfg, q, len - 1, len - 1, &r), -1, "a question cut short is malformed");
	is_int(xfr_req_parse(&cfg, q, 11, 11, &r), -1, "less than a header is malformed");

	/* The error reply. */
	len = build("24h.rpz.nod.example.", LDNS_RR_TYPE_AXFR, NULL, q, sizeof q);
	q[2] |= 0x04 | 0x02 | 0x01; /* AA, TC, RD set by a confused client */
	xfr_req_parse(&cfg, q, len, len, &r);
	size_t el = xfr_error_reply(q, r.qend, 5, out, sizeof out);
	is_int(el, r.qend, "the REFUSED reply is header + question");
	ldns_pkt *p = NULL;
	ok(ldns_wire2pkt(&p, out, el) == LDNS_STATUS_OK, "and parses with ldns");
	if (p) {
		is_int(ldns_pkt_get_rcode(p), 5, "RCODE REFUSED");
		ok(ldns_pkt_qr(p) && !ldns_pkt_aa(p) && !ldns_pkt_tc(p) && ldns_pkt_rd(p),
			"QR set, AA and TC cleared, RD kept");
		is_int(ldns_pkt_id(p), 0x1234, "ID echoed");
		is_int(ldns_pkt_qdcount(p), 1, "question echoed");
		ldns_pkt_free(p);
	}
	el = xfr_error_reply(q, 12, 1, out, sizeof out);
	is_int(el, 12, "a FORMERR without a question is a bare header");
	is_int(out[5], 0, "with QDCOUNT 0");
	is_int(out[3] & 0x0f, 1, "and RCODE FORMERR");
	is_int(xfr_error_reply(q, 11, 1, out, sizeof out), 0, "no reply below a header");
	is_int(xfr_error_reply(q, len, 1, out, 16), 0, "no reply larger than the buffer");
	return tap_done();
}
