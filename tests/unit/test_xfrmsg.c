/* test_xfrmsg.c -- the transfer message reader (zones/xfrmsg.c): header fields, the
 * question skipped, and each answer record's owner and canonical rdata equal to what ldns
 * gives for the same record (ldns_wire2pkt, then ldns_rr2canonical), with the message
 * compressed as a primary writes it; malformed records are refused. */
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "zones/xfrmsg.h"

static const char *const records[] = {
	"NodTest. 3600 IN SOA NS1.NodTest. HostMaster.NodTest. 7 3600 600 1209600 300",
	"NodTest. 3600 IN NS ns1.NODTEST.",
	"D1.NodTest. 3600 IN NS NS1.D1.NodTest.",
	"d1.nodtest. 3600 IN NS ns2.Example.NET.",
	"d1.nodtest. 3600 IN DS 12345 13 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF",
	"NS1.d1.NodTest. 3600 IN A 192.0.2.1",
	"ns1.d1.nodtest. 3600 IN AAAA 2001:db8::1",
	"Mx.NodTest. 60 IN MX 10 Mail.NodTest.",
	"c.nodtest. 60 IN CNAME Target.NodTest.",
	"s._tcp.nodtest. 60 IN SRV 1 2 3 Host.NodTest.",
	"n.nodtest. 60 IN NAPTR 100 10 \"S\" \"SIP+D2U\" \"\" _Sip._udp.NodTest.",
	"r.nodtest. 60 IN RP Admin.NodTest. Txt.NodTest.",
	"t.nodtest. 60 IN TXT \"Mixed Case Stays\" \"two\"",
	"p.nodtest. 60 IN PTR Some.Where.NodTest.",
	"a.nodtest. 60 IN AFSDB 1 AfsDb.NodTest.",
	"sig.nodtest. 60 IN RRSIG A 13 2 60 20300101000000 20200101000000 12345 NodTest. AAAA",
	"nsec.nodtest. 60 IN NSEC Next.NodTest. A NS RRSIG",
	"d.nodtest. 60 IN DNAME Other.NodTest.",
	"x.nodtest. 60 IN TYPE65280 \\# 3 414243",
};
#define NREC (sizeof records / sizeof records[0])

/* The message ldns writes (compressed) for all records in the answer section. */
static uint8_t *build(size_t *len, uint16_t id)
{
	ldns_pkt *p = ldns_pkt_new();
	ldns_pkt_set_id(p, id);
	ldns_pkt_set_qr(p, 1);
	ldns_rr *q = NULL;
	ldns_rr_new_question_frm_str(&q, "nodtest. IN AXFR", NULL, NULL);
	ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, q);
	for (size_t i = 0; i < NREC; i++) {
		ldns_rr *rr = NULL;
		if (ldns_rr_new_frm_str(&rr, records[i], 0, NULL, NULL) != LDNS_STATUS_OK)
			{ fprintf(stderr, "cannot read %s\n", records[i]); exit(1); }
		ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
	}
	uint8_t *w = NULL;
	if (ldns_pkt2wire(&w, p, len) != LDNS_STATUS_OK)
		exit(1);
	ldns_pkt_free(p);
	return w;
}

int main(void)
{
	size_t len;
	uint8_t *w = build(&len, 0x1234);
	struct xfrmsg m;
	is_int(xfrmsg_open(&m, w, len), 0, "a message opens");
	is_int(m.id, 0x1234, "its ID");
	is_int(m.qr, 1, "QR");
	is_int((int)m.rcode, 0, "RCODE");
	is_int((int)m.ancount, (int)NREC, "answer count");
	ldns_pkt *ref = NULL;
	if (ldns_wire2pkt(&ref, w, len) != LDNS_STATUS_OK)
		exit(1);
	static uint8_t rd[XFRMSG_RD_MAX];
	struct xfrmsg_rr rr;
	rr.rd = rd;
	for (size_t i = 0; i < NREC; i++) {
		if (xfrmsg_next(&m, &rr) != 1) {
			ok(0, "record %zu read", i);
			continue;
		}
		ldns_rr *l = ldns_rr_list_rr(ldns_pkt_answer(ref), i);
		ldns_rr2canonical(l);
		uint8_t want[4096];
		size_t wl = 0;
		for (size_t k = 0; k < ldns_rr_rd_count(l); k++) {
			memcpy(want + wl, ldns_rdf_data(ldns_rr_rdf(l, k)), ldns_rdf_size(ldns_rr_rdf(l, k)));
			wl += ldns_rdf_size(ldns_rr_rdf(l, k));
		}
		const ldns_rdf *own = ldns_rr_owner(l);
		ok(rr.owner_len == ldns_rdf_size(own) && !memcmp(rr.owner, ldns_rdf_data(own),
			rr.owner_len), "owner as ldns's canonical: %s", records[i]);
		is_int(rr.type, ldns_rr_get_type(l), "type: %s", records[i]);
		is_int((int)rr.ttl, (int)ldns_rr_ttl(l), "TTL: %s", records[i]);
		ok(rr.rdlen == wl && !memcmp(rr.rd, want, wl), "rdata as ldns's canonical: %s",
			records[i]);
	}
	is_int(xfrmsg_next(&m, &rr), 0, "then the end of the answer section");

	/* truncated anywhere inside the answer: a record is refused, never read past */
	int refused = 0, cuts = 0;
	for (size_t cut = 40; cut < len; cut += 7) {
		struct xfrmsg t;
		if (xfrmsg_open(&t, w, cut) < 0)
			continue;
		cuts++;
		int got;
		while ((got = xfrmsg_next(&t, &rr)) > 0)
			;
		refused += got < 0;
	}
	is_int(refused, cuts, "every truncated message ends in a refused record");

	/* a compression pointer forward (into what follows) is malformed */
	uint8_t bad[] = { 0, 1, 0x80, 0, 0, 0, 0, 1, 0, 0, 0, 0,
		0xC0, 14, 0, 2, 0, 1, 0, 0, 0, 60, 0, 2, 0xC0, 12 };
	struct xfrmsg b;
	is_int(xfrmsg_open(&b, bad, sizeof bad), 0, "a message without a question opens");
	is_int(xfrmsg_next(&b, &rr), -1, "an owner pointing forward is refused");
	/* an NS whose rdata name runs past its rdata length */
	uint8_t bad2[] = { 0, 1, 0x80, 0, 0, 0, 0, 1, 0, 0, 0, 0,
		0, 0, 2, 0, 1, 0, 0, 0, 60, 0, 2, 3, 'a', 'b', 'c', 0 };
	is_int(xfrmsg_open(&b, bad2, sizeof bad2), 0, "opens");
	is_int(xfrmsg_next(&b, &rr), -1, "an rdata name longer than the rdata is refused");
	ok(xfrmsg_open(&b, bad2, 11) < 0, "a short header is refused");
	ldns_pkt_free(ref);
	free(w);
	return tap_done();
}
