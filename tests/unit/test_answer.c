/* test_answer.c -- the query path from wire to wire: queries built with ldns (or by hand
 * for the malformed ones) against a real index; every reply is parsed back with
 * ldns_wire2pkt and walked with our strict name parser (compression pointers backwards,
 * RDLENGTH exact). */
#include <ldns/ldns.h>
#include <stdlib.h>

#include "lib/dname.h"
#include "policy/index.h"
#include "server/answer.h"
#include "lib/wire.h"
#include "tests/unit/tap.h"

#define NOW 1700000000
#define SFX "nod.example"
#define BL "v1.bl." SFX

static struct answer_cfg cfg;
static struct answer_view view;

static const char *const zone_label[NOD_ZONE_COUNT] = {
	"5m.rpz", "10m.rpz", "30m.rpz", "1h.rpz", "3h.rpz", "12h.rpz", "24h.rpz", "v1.bl",
	"allow.rpz",
};

static size_t tow(const char *text, uint8_t *w)
{
	int l = dname_text_to_wire(text, w);
	return l < 0 ? 0 : (size_t)l;
}

static void setup_cfg(struct answer_cfg *c)
{
	char buf[128];
	memset(c, 0, sizeof *c);
	for (int z = 0; z < NOD_ZONE_COUNT; z++) {
		snprintf(buf, sizeof buf, "%s.%s", zone_label[z], SFX);
		c->apex_len[z] = tow(buf, c->apex[z]);
	}
	c->ttl = 60;
	c->soa_refresh = 120;
	c->soa_retry = 90;
	c->soa_expire = 21600;
	c->soa_minimum = 30;    /* below ttl: negative answers carry TTL 30 */
	c->nns = 2;
	c->ns_len[0] = tow("ns1." SFX, c->ns[0]);
	c->ns_len[1] = tow("ns2.other.test", c->ns[1]);
	memcpy(c->mname, c->ns[0], c->ns_len[0]);
	c->mname_len = c->ns_len[0];
	c->rname_len = tow("hostmaster." SFX, c->rname);
}

static void put_name(nindex_t *ix, const char *name, int64_t fs)
{
	uint8_t w[DNAME_MAX_WIRE];
	size_t l = tow(name, w);
	nindex_put(ix, w, l - 1, fs, NULL);
}

/* ---- building queries ---- */

struct qopt {
	int edns;            /* 1: OPT record */
	uint16_t payload;
	int do_bit;
	int version;
	int rd;
	int opcode;
	ldns_rr_class cls;
};

static size_t build(uint8_t *buf, const char *name, ldns_rr_type t, const struct qopt *o,
	const char *authority_rr)
{
	ldns_pkt *p = ldns_pkt_query_new(ldns_dname_new_frm_str(name), t,
		o && o->cls ? o->cls : LDNS_RR_CLASS_IN, o && o->rd ? LDNS_RD : 0);
	ldns_pkt_set_id(p, 0x4242);
	if (o && o->opcode)
		ldns_pkt_set_opcode(p, (ldns_pkt_opcode)o->opcode);
	if (o && o->edns) {
		ldns_pkt_set_edns_udp_size(p, o->payload);
		ldns_pkt_set_edns_do(p, o->do_bit != 0);
		ldns_pkt_set_edns_version(p, (uint8_t)o->version);
	}
	if (authority_rr) {
		ldns_rr *rr = NULL;
		ldns_rr_new_frm_str(&rr, authority_rr, 0, NULL, NULL);
		ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY, rr);
	}
	uint8_t *wire = NULL;
	size_t len = 0;
	ldns_pkt2wire(&wire, p, &len);
	memcpy(buf, wire, len);
	free(wire);
	ldns_pkt_free(p);
	return len;
}

/* ---- checking replies ---- */

/* Our strict view of a reply: question and every record parse with dname_wire_parse
 * (pointers strictly backwards), names inside NS/CNAME/SOA RDATA too, RDLENGTH exact,
 * nothing after the last record. */
static int strict_ok(const uint8_t *m, size_t len)
{
	uint8_t n[DNAME_MAX_WIRE];
	size_t nl, off = 12;
	if (len < 12)
		return 0;
	unsigned qd = (unsigned)(m[4] << 8 | m[5]);
	for (unsigned i = 0; i < qd; i++) {
		off = dname_wire_parse(m, len, off, n, &nl);
		if (!off || len - off < 4)
			return 0;
		off += 4;
	}
	unsigned rrs = (unsigned)((m[6] << 8 | m[7]) + (m[8] << 8 | m[9]) + (m[10] << 8 | m[11]));
	for (unsigned i = 0; i < rrs; i++) {
		off = dname_wire_parse(m, len, off, n, &nl);
		if (!off || len - off < 10)
			return 0;
		unsigned type = (unsigned)(m[off] << 8 | m[off + 1]);
		size_t rdl = (size_t)(m[off + 8] << 8 | m[off + 9]);
		size_t rd = off + 10, end = rd + rdl;
		if (end > len)
			return 0;
		if (type == WIRE_T_NS || type == WIRE_T_CNAME) {
			if (dname_wire_parse(m, len, rd, n, &nl) != end)
				return 0;
		} else if (type == WIRE_T_SOA) {
			size_t p = dname_wire_parse(m, len, rd, n, &nl);
			p = p ? dname_wire_parse(m, len, p, n, &nl) : 0;
			if (!p || p + 20 != end)
				return 0;
		}
		off = end;
	}
	return off == len;
}

struct reply {
	uint8_t raw[65536];
	size_t len;
	struct answer_info info;
	ldns_pkt *p;
};

static struct reply R;

/* Answer q; parse the reply (a test each: ldns and strict parse) unless none is sent. */
static ldns_pkt *ask_cfg(const struct answer_cfg *c, const uint8_t *q, size_t qlen, int tcp)
{
	ldns_pkt_free(R.p);
	R.p = NULL;
	R.len = answer_query(c, &view, q, qlen, R.raw, tcp ? 65535 : 4096, tcp, &R.info);
	if (R.len == 0)
		return NULL;
	ldns_status st = ldns_wire2pkt(&R.p, R.raw, R.len);  /* ok() evaluates twice */
	ok(st == LDNS_STATUS_OK, "  ldns parses the reply");
	ok(strict_ok(R.raw, R.len), "  strict parse of the reply");
	ok(R.raw[0] == q[0] && R.raw[1] == q[1], "  ID echoed");
	return R.p;
}

static ldns_pkt *ask(const uint8_t *q, size_t qlen, int tcp)
{
	return ask_cfg(&cfg, q, qlen, tcp);
}

static ldns_pkt *query(const char *name, ldns_rr_type t, const struct qopt *o)
{
	static uint8_t q[4096];
	size_t n = build(q, name, t, o, NULL);
	return ask(q, n, 0);
}

static int name_eq(const ldns_rdf *r, const char *text)
{
	ldns_rdf *d = ldns_dname_new_frm_str(text);
	int same = d && r && ldns_dname_compare(r, d) == 0;
	ldns_rdf_deep_free(d);
	return same;
}

static size_t count(ldns_rr_list *l)
{
	return l ? ldns_rr_list_rr_count(l) : 0;
}

/* Authoritative answer flags: QR, AA, no RA, no TC. */
static int auth_flags(const ldns_pkt *p)
{
	return p && ldns_pkt_qr(p) && ldns_pkt_aa(p) && !ldns_pkt_ra(p) && !ldns_pkt_tc(p);
}

/* the only answer record, of this type and owner, TTL 60 */
static ldns_rr *one_answer(const ldns_pkt *p, ldns_rr_type t, const char *owner)
{
	if (!p || count(ldns_pkt_answer(p)) != 1)
		return NULL;
	ldns_rr *rr = ldns_rr_list_rr(ldns_pkt_answer(p), 0);
	if (ldns_rr_get_type(rr) != t || !name_eq(ldns_rr_owner(rr), owner) || ldns_rr_ttl(rr) != 60)
		return NULL;
	return rr;
}

/* Negative answer: rcode, empty answer, the zone's SOA in authority with TTL 30. */
static int negative(const ldns_pkt *p, int rcode, int zone)
{
	if (!p || !auth_flags(p) || (int)ldns_pkt_get_rcode(p) != rcode || count(ldns_pkt_answer(p)) != 0 ||
	    count(ldns_pkt_authority(p)) != 1)
		return 0;
	ldns_rr *soa = ldns_rr_list_rr(ldns_pkt_authority(p), 0);
	char apex[64];
	snprintf(apex, sizeof apex, "%s.%s.", zone_label[zone], SFX);
	return ldns_rr_get_type(soa) == LDNS_RR_TYPE_SOA && name_eq(ldns_rr_owner(soa), apex) &&
	       ldns_rr_ttl(soa) == 30 &&
	       ldns_rdf2native_int32(ldns_rr_rdf(soa, 2)) == view.serial[zone];
}

static int a_is(const ldns_rr *rr, int code)
{
	static const uint8_t pre[3] = { 127, 0, 0 };
	const uint8_t *d = rr ? ldns_rdf_data(ldns_rr_rdf(rr, 0)) : NULL;
	return d && memcmp(d, pre, 3) == 0 && d[3] == code;
}

static int txt_is(const ldns_rr *rr, const char *text)
{
	if (!rr || ldns_rr_rd_count(rr) != 1)
		return 0;
	const uint8_t *d = ldns_rdf_data(ldns_rr_rdf(rr, 0));
	return d[0] == strlen(text) && memcmp(d + 1, text, d[0]) == 0;
}

static int cname_to(const ldns_rr *rr, const char *target)
{
	return rr && name_eq(ldns_rr_rdf(rr, 0), target);
}

/* ---- the cases ---- */

static void test_dnsbl(void)
{
	char txt[64];
	ldns_pkt *p = query("x.se." BL, LDNS_RR_TYPE_A, NULL);
	ok(auth_flags(p) && ldns_pkt_get_rcode(p) == 0, "DNSBL listed: NOERROR, AA, no RA/TC");
	ok(a_is(one_answer(p, LDNS_RR_TYPE_A, "x.se." BL), 2), "A 127.0.0.2 (5 min old), TTL 60");
	ok(count(ldns_pkt_authority(p)) == 0 && count(ldns_pkt_additional(p)) == 0 && !ldns_pkt_edns(p),
	   "nothing else, no OPT without EDNS");
	ok(R.raw[R.info.question_end] == 0xC0 && R.raw[R.info.question_end + 1] == 12,
	   "answer owner is a pointer to the question");
	ok(R.info.zone == NOD_ZONE_DNSBL && R.info.qtype == 1 && R.info.rcode == 0, "info");
	ok(!ldns_pkt_rd(p), "RD clear when the query had none");
	struct qopt rd = { .rd = 1 };
	p = query("x.se." BL, LDNS_RR_TYPE_A, &rd);
	ok(p && ldns_pkt_rd(p) && !ldns_pkt_ra(p), "RD copied, RA never set");

	p = query("x.se." BL, LDNS_RR_TYPE_TXT, NULL);
	snprintf(txt, sizeof txt, "first_seen=%d", NOW - 60);
	ok(txt_is(one_answer(p, LDNS_RR_TYPE_TXT, "x.se." BL), txt), "TXT first_seen=<unix>");
	p = query("old.se." BL, LDNS_RR_TYPE_A, NULL);
	ok(a_is(one_answer(p, LDNS_RR_TYPE_A, "old.se." BL), 4), "20 min old: 127.0.0.4");
	p = query("a.b.mail.x.se." BL, LDNS_RR_TYPE_A, NULL);
	ok(a_is(one_answer(p, LDNS_RR_TYPE_A, "a.b.mail.x.se." BL), 2), "subdomain listed");
	p = query("mail.x.se." BL, LDNS_RR_TYPE_TXT, NULL);
	ok(txt_is(one_answer(p, LDNS_RR_TYPE_TXT, "mail.x.se." BL), txt), "subdomain TXT: the domain's");
	p = query("x.se." BL, LDNS_RR_TYPE_ANY, NULL);
	ok(a_is(one_answer(p, LDNS_RR_TYPE_A, "x.se." BL), 2), "ANY: the A only (RFC 8482)");

	p = query("x.se." BL, LDNS_RR_TYPE_AAAA, NULL);
	ok(negative(p, LDNS_RCODE_NOERROR, NOD_ZONE_DNSBL), "listed, other type: NODATA + SOA (TTL 30)");
	p = query("x.se." BL, LDNS_RR_TYPE_CNAME, NULL);
	ok(negative(p, LDNS_RCODE_NOERROR, NOD_ZONE_DNSBL), "listed, CNAME: NODATA");
	p = query("example.nu." BL, LDNS_RR_TYPE_A, NULL);
	ok(negative(p, LDNS_RCODE_NOERROR, NOD_ZONE_DNSBL), "empty non-terminal: NODATA");
	p = query("se." BL, LDNS_RR_TYPE_TXT, NULL);
	ok(negative(p, LDNS_RCODE_NOERROR, NOD_ZONE_DNSBL), "TLD above a listed name: NODATA");
	p = query("nosuch.se." BL, LDNS_RR_TYPE_A, NULL);
	ok(negative(p, LDNS_RCODE_NXDOMAIN, NOD_ZONE_DNSBL), "unlisted: NXDOMAIN + SOA");
	ok(R.info.rcode == 3, "info rcode 3");
	ldns_rr *soa = p ? ldns_rr_list_rr(ldns_pkt_authority(p), 0) : NULL;
	ok(soa && name_eq(ldns_rr_rdf(soa, 0), "ns1." SFX ".") &&
	   name_eq(ldns_rr_rdf(soa, 1), "hostmaster." SFX ".") &&
	   ldns_rdf2native_int32(ldns_rr_rdf(soa, 3)) == 120 &&
	   ldns_rdf2native_int32(ldns_rr_rdf(soa, 4)) == 90 &&
	   ldns_rdf2native_int32(ldns_rr_rdf(soa, 5)) == 21600 &&
	   ldns_rdf2native_int32(ldns_rr_rdf(soa, 6)) == 30, "SOA fields");
	ok(R.raw[R.info.question_end] == 0xC0 && R.raw[R.info.question_end + 1] == 12 + 10,
	   "SOA owner compressed into the question (apex after \"nosuch.se\")");
	p = query("gone.se." BL, LDNS_RR_TYPE_A, NULL);
	ok(negative(p, LDNS_RCODE_NXDOMAIN, NOD_ZONE_DNSBL), "older than 24 h: NXDOMAIN");

	p = query("test." BL, LDNS_RR_TYPE_A, NULL);
	ok(a_is(one_answer(p, LDNS_RR_TYPE_A, "test." BL), 2), "RFC 5782 test: 127.0.0.2");
	p = query("TEST." BL, LDNS_RR_TYPE_TXT, NULL);
	ok(txt_is(one_answer(p, LDNS_RR_TYPE_TXT, "test." BL), "first_seen=0"), "test TXT");
	p = query("invalid." BL, LDNS_RR_TYPE_A, NULL);
	ok(negative(p, LDNS_RCODE_NXDOMAIN, NOD_ZONE_DNSBL), "RFC 5782 invalid: NXDOMAIN");
	p = query("x.invalid." BL, LDNS_RR_TYPE_A, NULL);
	ok(negative(p, LDNS_RCODE_NXDOMAIN, NOD_ZONE_DNSBL), "below invalid: NXDOMAIN");
}

static void test_apex(void)
{
	char apex[64];
	int soa_ok = 1, ns_ok = 1, ptr_ok = 1;
	for (int z = 0; z < NOD_ZONE_COUNT; z++) {
		snprintf(apex, sizeof apex, "%s.%s.", zone_label[z], SFX);
		ldns_pkt *p = query(apex, LDNS_RR_TYPE_SOA, NULL);
		ldns_rr *soa = one_answer(p, LDNS_RR_TYPE_SOA, apex);
		if (!auth_flags(p) || !soa || ldns_rdf2native_int32(ldns_rr_rdf(soa, 2)) != view.serial[z] ||
		    ldns_rdf2native_int32(ldns_rr_rdf(soa, 6)) != 30 || R.info.zone != z)
			soa_ok = 0;
		if (R.raw[R.info.question_end] != 0xC0 || R.raw[R.info.question_end + 1] != 12)
			ptr_ok = 0;
		p = query(apex, LDNS_RR_TYPE_NS, NULL);
		ldns_rr_list *an = p ? ldns_pkt_answer(p) : NULL;
		if (!auth_flags(p) || count(an) != 2 ||
		    !name_eq(ldns_rr_rdf(ldns_rr_list_rr(an, 0), 0), "ns1." SFX ".") ||
		    !name_eq(ldns_rr_rdf(ldns_rr_list_rr(an, 1), 0), "ns2.other.test.") ||
		    ldns_rr_ttl(ldns_rr_list_rr(an, 1)) != 60 ||
		    !name_eq(ldns_rr_owner(ldns_rr_list_rr(an, 1)), apex))
			ns_ok = 0;
	}
	ok(soa_ok, "apex SOA of all 8 zones: serial per zone, TTL 60, minimum 30");
	ok(ptr_ok, "apex SOA owner is a pointer to the question");
	ok(ns_ok, "apex NS of all 8 zones, both targets, TTL 60");
	ldns_pkt *p = query(BL ".", LDNS_RR_TYPE_TXT, NULL);
	ok(negative(p, LDNS_RCODE_NOERROR, NOD_ZONE_DNSBL), "apex TXT: NODATA");
	p = query("5m.rpz." SFX ".", LDNS_RR_TYPE_A, NULL);
	ok(negative(p, LDNS_RCODE_NOERROR, 0), "RPZ apex A: NODATA");
	p = query("24h.rpz." SFX ".", LDNS_RR_TYPE_ANY, NULL);
	ok(one_answer(p, LDNS_RR_TYPE_SOA, "24h.rpz." SFX ".") != NULL, "apex ANY: the SOA only");
}

static void test_rpz(void)
{
	static const ldns_rr_type types[] = { LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA, LDNS_RR_TYPE_TXT,
		LDNS_RR_TYPE_MX, LDNS_RR_TYPE_CNAME, LDNS_RR_TYPE_ANY };
	int all = 1;
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		ldns_pkt *p = query("x.se.5m.rpz." SFX, types[i], NULL);
		if (!auth_flags(p) || ldns_pkt_get_rcode(p) != 0 ||
		    !cname_to(one_answer(p, LDNS_RR_TYPE_CNAME, "x.se.5m.rpz." SFX "."), ".") ||
		    count(ldns_pkt_authority(p)) != 0)
			all = 0;
	}
	ok(all, "listed: CNAME . for every qtype (A, AAAA, TXT, MX, CNAME, ANY)");
	ldns_pkt *p = query("a.b.x.se.1h.rpz." SFX, LDNS_RR_TYPE_A, NULL);
	ok(cname_to(one_answer(p, LDNS_RR_TYPE_CNAME, "a.b.x.se.1h.rpz." SFX "."), "."),
	   "subdomain: CNAME synthesised from the wildcard, owner = qname");
	p = query("*.x.se.1h.rpz." SFX, LDNS_RR_TYPE_A, NULL);
	ok(cname_to(one_answer(p, LDNS_RR_TYPE_CNAME, "*.x.se.1h.rpz." SFX "."), "."),
	   "the wildcard owner itself");
	p = query("old.se.5m.rpz." SFX, LDNS_RR_TYPE_A, NULL);
	ok(negative(p, LDNS_RCODE_NXDOMAIN, 0), "20 min old name not in 5m: NXDOMAIN");
	p = query("old.se.30m.rpz." SFX, LDNS_RR_TYPE_A, NULL);
	ok(cname_to(one_answer(p, LDNS_RR_TYPE_CNAME, "old.se.30m.rpz." SFX "."), "."), "but in 30m");
	p = query("se.24h.rpz." SFX, LDNS_RR_TYPE_A, NULL);
	ok(negative(p, LDNS_RCODE_NOERROR, 6), "empty non-terminal: NODATA");
	p = query("nosuch.se.24h.rpz." SFX, LDNS_RR_TYPE_A, NULL);
	ok(negative(p, LDNS_RCODE_NXDOMAIN, 6), "unlisted: NXDOMAIN, 24h zone's SOA");

	struct answer_cfg nodata = cfg;
	nodata.rpz_nodata = 1;
	static uint8_t q[512];
	size_t n = build(q, "x.se.5m.rpz." SFX, LDNS_RR_TYPE_A, NULL, NULL);
	p = ask_cfg(&nodata, q, n, 0);
	ok(cname_to(one_answer(p, LDNS_RR_TYPE_CNAME, "x.se.5m.rpz." SFX "."), "*."),
	   "rpz action nodata: CNAME *.");
}

static void test_case_echo(void)
{
	static uint8_t q[512];
	size_t n = build(q, "X.sE.V1.bL.NoD.eXaMpLe.", LDNS_RR_TYPE_A, NULL, NULL);
	ldns_pkt *p = ask(q, n, 0);
	size_t qend = R.info.question_end;
	ok(qend == n && memcmp(R.raw + 12, q + 12, qend - 12) == 0, "question echoed byte for byte");
	ok(memcmp(R.raw + 12, "\001X\002sE", 5) == 0, "case kept");
	ok(a_is(one_answer(p, LDNS_RR_TYPE_A, "x.se." BL), 2), "names compared case-insensitively");
	ldns_rr *rr = p ? ldns_rr_list_rr(ldns_pkt_answer(p), 0) : NULL;
	ok(rr && memcmp(ldns_rdf_data(ldns_rr_owner(rr)), "\001X\002sE", 5) == 0,
	   "answer owner is the name as asked (0x20)");
	n = build(q, "NoSuCh.Se.V1.Bl.NoD.ExAmPlE.", LDNS_RR_TYPE_A, NULL, NULL);
	p = ask(q, n, 1);
	ok(negative(p, LDNS_RCODE_NXDOMAIN, NOD_ZONE_DNSBL) && memcmp(R.raw + 12, q + 12, n - 12) == 0,
	   "NXDOMAIN over TCP, question echoed");
}

static void test_edns(void)
{
	struct qopt o = { .edns = 1, .payload = 4096 };
	ldns_pkt *p = query("x.se." BL, LDNS_RR_TYPE_A, &o);
	ok(p && ldns_pkt_edns(p) && ldns_pkt_edns_udp_size(p) == 1232 && ldns_pkt_edns_version(p) == 0,
	   "OPT in reply, advertises 1232, version 0");
	ok(p && !ldns_pkt_edns_do(p), "DO clear when the query's is");
	ok(a_is(one_answer(p, LDNS_RR_TYPE_A, "x.se." BL), 2), "answer with EDNS");
	o.do_bit = 1;
	p = query("x.se." BL, LDNS_RR_TYPE_A, &o);
	ok(p && ldns_pkt_edns_do(p), "DO echoed");
	o.payload = 100;
	p = query("nosuch.se." BL, LDNS_RR_TYPE_A, &o);
	ok(negative(p, LDNS_RCODE_NXDOMAIN, NOD_ZONE_DNSBL) && ldns_pkt_edns(p),
	   "payload under 512 counts as 512");

	struct qopt v1 = { .edns = 1, .payload = 1232, .version = 1 };
	p = query("x.se." BL, LDNS_RR_TYPE_A, &v1);
	ok(p && ldns_pkt_get_rcode(p) == 0 && ldns_pkt_edns_extended_rcode(p) == 1,
	   "EDNS version 1: BADVERS (header 0, OPT extended rcode 1)");
	ok(p && ldns_pkt_edns_version(p) == 0 && count(ldns_pkt_answer(p)) == 0 &&
	   count(ldns_pkt_authority(p)) == 0, "with OPT version 0 and no records");
	is_int(R.info.rcode, 16, "info rcode 16");

	/* unknown options and a cookie are ignored */
	static uint8_t q[512];
	size_t n = build(q, "x.se." BL, LDNS_RR_TYPE_A, NULL, NULL);
	static const uint8_t opt[] = { 0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, 16,
		0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0xFD, 0xE9, 0, 0 };
	memcpy(q + n, opt, sizeof opt);
	q[11] = 1;
	p = ask(q, n + sizeof opt, 0);
	ok(a_is(one_answer(p, LDNS_RR_TYPE_A, "x.se." BL), 2) && ldns_pkt_edns(p),
	   "cookie and unknown empty option ignored");
	q[n + 10] = 17;  /* RDLENGTH one past the options */
	q[n + sizeof opt] = 0;
	ask(q, n + sizeof opt + 1, 0);
	is_int(R.info.rcode, 1, "option list not filling RDATA: FORMERR");
}

static void test_errors(void)
{
	static uint8_t q[1024];
	size_t n = build(q, "x.se." BL, LDNS_RR_TYPE_A, NULL, NULL);
	size_t qend = n;
	ldns_pkt *p;

	/* dropped */
	q[2] |= 0x80;
	is_int(answer_query(&cfg, &view, q, n, R.raw, 4096, 0, &R.info), 0, "QR=1: no reply");
	ok(R.info.dropped, "counted as dropped");
	q[2] &= 0x7F;
	is_int(answer_query(&cfg, &view, q, 11, R.raw, 4096, 0, &R.info), 0, "11 bytes: no reply");
	ok(R.info.dropped, "dropped");

	/* QDCOUNT */
	q[5] = 0;
	p = ask(q, 12, 0);
	ok(p && ldns_pkt_get_rcode(p) == LDNS_RCODE_FORMERR && R.len == 12 && ldns_pkt_qr(p),
	   "QDCOUNT 0: FORMERR, header only");
	q[5] = 2;
	memcpy(q + n, q + 12, n - 12);
	p = ask(q, 2 * n - 12, 0);
	ok(p && ldns_pkt_get_rcode(p) == LDNS_RCODE_FORMERR && R.len == 12, "QDCOUNT 2: FORMERR");
	q[5] = 1;

	/* the question name */
	static const uint8_t badlabel[] = { 0x40, 'a', 'b', 0, 0, 1, 0, 1 };
	memcpy(q + 12, badlabel, sizeof badlabel);
	p = ask(q, 12 + sizeof badlabel, 0);
	ok(p && ldns_pkt_get_rcode(p) == LDNS_RCODE_FORMERR && R.len == 12,
	   "label type 0x40: FORMERR, header only");
	static const uint8_t fwd[] = { 0xC0, 0x12, 0, 1, 0, 1, 1, 'a', 0 };
	memcpy(q + 12, fwd, sizeof fwd);
	p = ask(q, 12 + sizeof fwd, 0);
	ok(p && ldns_pkt_get_rcode(p) == LDNS_RCODE_FORMERR && R.len == 12,
	   "forward pointer in the question: FORMERR");
	static const uint8_t hdr[] = { 0xC0, 0x02, 0, 1, 0, 1 };
	memcpy(q + 12, hdr, sizeof hdr);
	p = ask(q, 12 + sizeof hdr, 0);
	ok(p && ldns_pkt_get_rcode(p) == LDNS_RCODE_FORMERR, "pointer into the header: FORMERR");
	p = ask(q, 13, 0);
	ok(p && ldns_pkt_get_rcode(p) == LDNS_RCODE_FORMERR, "question cut short: FORMERR");

	/* sections */
	n = build(q, "x.se." BL, LDNS_RR_TYPE_A, NULL, NULL);
	q[n] = 0xEE;
	p = ask(q, n + 1, 0);
	ok(p && ldns_pkt_get_rcode(p) == LDNS_RCODE_FORMERR && count(ldns_pkt_question(p)) == 1,
	   "trailing garbage: FORMERR, question echoed");
	/* an additional record whose owner points to itself */
	static const uint8_t loop[] = { 0xC0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0 };
	memcpy(q + n, loop, sizeof loop);
	q[n + 1] = (uint8_t)n;
	q[11] = 1;
	p = ask(q, n + sizeof loop, 0);
	ok(p && ldns_pkt_get_rcode(p) == LDNS_RCODE_FORMERR, "pointer loop in additional: FORMERR");
	/* a compressed owner pointing to the question is fine */
	q[n + 1] = 12;
	q[n + 3] = 16;   /* type TXT, empty RDATA */
	p = ask(q, n + sizeof loop, 0);
	ok(p && ldns_pkt_get_rcode(p) == 0 && count(ldns_pkt_answer(p)) == 1,
	   "compressed additional record accepted");
	q[n + 11] = 5;   /* RDLENGTH past the end */
	p = ask(q, n + sizeof loop, 0);
	ok(p && ldns_pkt_get_rcode(p) == LDNS_RCODE_FORMERR, "RDLENGTH past the end: FORMERR");
	q[11] = 2;       /* ARCOUNT larger than the records present */
	q[n + 11] = 0;
	p = ask(q, n + sizeof loop, 0);
	ok(p && ldns_pkt_get_rcode(p) == LDNS_RCODE_FORMERR, "missing record: FORMERR");

	/* OPT rules */
	static const uint8_t opt[] = { 0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, 0 };
	memcpy(q + qend, opt, sizeof opt);
	memcpy(q + qend + sizeof opt, opt, sizeof opt);
	q[11] = 2;
	p = ask(q, qend + 2 * sizeof opt, 0);
	ok(p && ldns_pkt_get_rcode(p) == LDNS_RCODE_FORMERR, "two OPT: FORMERR");
	q[11] = 0;
	q[7] = 1;
	p = ask(q, qend + sizeof opt, 0);
	ok(p && ldns_pkt_get_rcode(p) == LDNS_RCODE_FORMERR, "OPT in the answer section: FORMERR");
	q[7] = 0;
	q[11] = 1;
	static const uint8_t optname[] = { 1, 'x', 0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, 0 };
	memcpy(q + qend, optname, sizeof optname);
	p = ask(q, qend + sizeof optname, 0);
	ok(p && ldns_pkt_get_rcode(p) == LDNS_RCODE_FORMERR, "OPT not owned by the root: FORMERR");

	/* TSIG: last is fine (answered unsigned here, flagged), anywhere else FORMERR */
	static const uint8_t tsig[] = { 3, 'k', 'e', 'y', 0, 0, 250, 0, 255, 0, 0, 0, 0, 0, 29,
		11, 'h', 'm', 'a', 'c', '-', 's', 'h', 'a', '2', '5', '6', 0,
		0, 0, 0x65, 0x53, 0xF1, 0x00, 1, 44, 0, 0, 0x42, 0x42, 0, 0, 0, 0 };
	memcpy(q + qend, tsig, sizeof tsig);
	q[11] = 1;
	p = ask(q, qend + sizeof tsig, 0);
	ok(p && ldns_pkt_get_rcode(p) == 0 && R.info.has_tsig && count(ldns_pkt_answer(p)) == 1,
	   "TSIG last: answered, has_tsig");
	memcpy(q + qend + sizeof tsig, opt, sizeof opt);
	q[11] = 2;
	p = ask(q, qend + sizeof tsig + sizeof opt, 0);
	ok(p && ldns_pkt_get_rcode(p) == LDNS_RCODE_FORMERR, "TSIG before OPT: FORMERR");
	q[11] = 0;
	q[9] = 1;
	p = ask(q, qend + sizeof tsig, 0);
	ok(p && ldns_pkt_get_rcode(p) == LDNS_RCODE_FORMERR, "TSIG in authority: FORMERR");

	/* NOTIMP, REFUSED */
	struct qopt st = { .opcode = LDNS_PACKET_STATUS, .rd = 1 };
	p = query("x.se." BL, LDNS_RR_TYPE_A, &st);
	ok(p && ldns_pkt_get_rcode(p) == LDNS_RCODE_NOTIMPL && ldns_pkt_get_opcode(p) == LDNS_PACKET_STATUS &&
	   count(ldns_pkt_question(p)) == 1 && ldns_pkt_rd(p) && !ldns_pkt_aa(p),
	   "opcode STATUS: NOTIMP, opcode and question echoed");
	struct qopt nt = { .opcode = LDNS_PACKET_NOTIFY };
	p = query(BL ".", LDNS_RR_TYPE_SOA, &nt);
	ok(p && ldns_pkt_get_rcode(p) == LDNS_RCODE_NOTIMPL && R.info.opcode == 4,
	   "NOTIFY: NOTIMP from answer.c (query.c hands NOTIFY to its handler when one is registered)");
	p = query("x.se." BL, LDNS_RR_TYPE_MAILA, NULL);
	ok(p && ldns_pkt_get_rcode(p) == LDNS_RCODE_NOTIMPL, "MAILA: NOTIMP");
	p = query("x.se." BL, LDNS_RR_TYPE_MAILB, NULL);
	ok(p && ldns_pkt_get_rcode(p) == LDNS_RCODE_NOTIMPL, "MAILB: NOTIMP");
	static const char *outside[] = { "example.com.", SFX ".", "bl." SFX ".", "x.rpz." SFX ".",
		BL ".com.", "1m.rpz." SFX ".", "." };
	int all = 1;
	for (size_t i = 0; i < sizeof outside / sizeof outside[0]; i++) {
		p = query(outside[i], LDNS_RR_TYPE_A, NULL);
		if (!p || ldns_pkt_get_rcode(p) != LDNS_RCODE_REFUSED || ldns_pkt_aa(p) ||
		    count(ldns_pkt_answer(p)) || count(ldns_pkt_authority(p)) || R.info.zone != -1)
			all = 0;
	}
	ok(all, "outside our zones (incl. the root and a suffix's parent): REFUSED, no AA");
	struct qopt ch = { .cls = LDNS_RR_CLASS_CH };
	p = query("x.se." BL, LDNS_RR_TYPE_TXT, &ch);
	ok(p && ldns_pkt_get_rcode(p) == LDNS_RCODE_REFUSED && !ldns_pkt_aa(p), "class CH: REFUSED");
	struct qopt any = { .cls = LDNS_RR_CLASS_ANY };
	p = query("x.se." BL, LDNS_RR_TYPE_A, &any);
	ok(a_is(one_answer(p, LDNS_RR_TYPE_A, "x.se." BL), 2), "class ANY: answered (class IN)");
}

static void test_xfr(void)
{
	static uint8_t q[1024];
	size_t n = build(q, BL ".", LDNS_RR_TYPE_AXFR, NULL, NULL);
	ldns_pkt *p = ask(q, n, 0);
	ok(p && ldns_pkt_get_rcode(p) == LDNS_RCODE_FORMERR && !R.info.xfr, "AXFR over UDP: FORMERR");
	is_int(answer_query(&cfg, &view, q, n, R.raw, 65535, 1, &R.info), 0, "AXFR over TCP: handed back");
	ok(R.info.xfr && R.info.zone == NOD_ZONE_DNSBL && R.info.question_end == n, "info->xfr, zone");
	n = build(q, "1h.rpz." SFX ".", LDNS_RR_TYPE_IXFR, NULL,
		"1h.rpz." SFX ". 0 IN SOA ns1." SFX ". hostmaster." SFX ". 5 60 60 21600 60");
	p = ask(q, n, 0);
	ldns_rr *soa = one_answer(p, LDNS_RR_TYPE_SOA, "1h.rpz." SFX ".");
	ok(auth_flags(p) && soa && ldns_rdf2native_int32(ldns_rr_rdf(soa, 2)) == view.serial[3] &&
	   count(ldns_pkt_authority(p)) == 0,
	   "IXFR over UDP: only the current SOA (client's SOA in authority, compressed)");
	is_int(answer_query(&cfg, &view, q, n, R.raw, 65535, 1, &R.info), 0, "IXFR over TCP: handed back");
	ok(R.info.xfr && R.info.zone == 3, "info->xfr for IXFR");
	n = build(q, "example.com.", LDNS_RR_TYPE_AXFR, NULL, NULL);
	p = ask(q, n, 1);
	ok(p && ldns_pkt_get_rcode(p) == LDNS_RCODE_REFUSED && !R.info.xfr, "AXFR outside our zones: REFUSED");
}

static void test_truncation(void)
{
	/* eight long NS names do not fit 512 bytes */
	struct answer_cfg big = cfg;
	big.nns = 8;
	for (int i = 0; i < 8; i++) {
		char name[128];
		snprintf(name, sizeof name, "%060d.ns%d.nameservers.test", i, i);
		big.ns_len[i] = tow(name, big.ns[i]);
	}
	static uint8_t q[512];
	size_t n = build(q, BL ".", LDNS_RR_TYPE_NS, NULL, NULL);
	ldns_pkt *p = ask_cfg(&big, q, n, 0);
	ok(p && ldns_pkt_tc(p) && ldns_pkt_aa(p) && ldns_pkt_get_rcode(p) == 0 &&
	   count(ldns_pkt_answer(p)) == 0 && count(ldns_pkt_question(p)) == 1,
	   "NS over 512 without EDNS: TC, empty answer, question kept");
	ok(R.len <= 512 && R.info.truncated, "within 512, info->truncated");
	p = ask_cfg(&big, q, n, 1);
	ok(p && !ldns_pkt_tc(p) && count(ldns_pkt_answer(p)) == 8, "over TCP: all 8 NS");
	size_t full = R.len;
	ok(full > 512, "(the full answer is %zu bytes)", full);
	struct qopt o = { .edns = 1, .payload = 4096 };
	n = build(q, BL ".", LDNS_RR_TYPE_NS, &o, NULL);
	p = ask_cfg(&big, q, n, 0);
	ok(p && !ldns_pkt_tc(p) && count(ldns_pkt_answer(p)) == 8 && ldns_pkt_edns(p),
	   "EDNS 4096 (capped at 1232): all 8 NS");
	o.payload = 600;
	n = build(q, BL ".", LDNS_RR_TYPE_NS, &o, NULL);
	p = ask_cfg(&big, q, n, 0);
	ok(p && ldns_pkt_tc(p) && count(ldns_pkt_answer(p)) == 0 && ldns_pkt_edns(p) &&
	   ldns_pkt_edns_udp_size(p) == 1232 && R.len <= 600,
	   "EDNS payload 600: TC, the OPT kept");
	/* a payload that just fits the answer but not the OPT after it */
	o.payload = (uint16_t)(full + 3);
	n = build(q, BL ".", LDNS_RR_TYPE_NS, &o, NULL);
	p = ask_cfg(&big, q, n, 0);
	ok(p && ldns_pkt_tc(p) && ldns_pkt_edns(p) && R.len <= full + 3, "room kept for the OPT");
	o.payload = (uint16_t)(full + WIRE_OPT_SIZE);
	n = build(q, BL ".", LDNS_RR_TYPE_NS, &o, NULL);
	p = ask_cfg(&big, q, n, 0);
	ok(p && !ldns_pkt_tc(p) && count(ldns_pkt_answer(p)) == 8 && R.len == full + WIRE_OPT_SIZE,
	   "exactly fitting answer + OPT: no TC");

	/* a signed query: room is kept for the reply's TSIG */
	static const uint8_t tsig[] = { 3, 'k', 'e', 'y', 0, 0, 250, 0, 255, 0, 0, 0, 0, 0, 29,
		11, 'h', 'm', 'a', 'c', '-', 's', 'h', 'a', '2', '5', '6', 0,
		0, 0, 0x65, 0x53, 0xF1, 0x00, 1, 44, 0, 0, 0x42, 0x42, 0, 0, 0, 0 };
	memcpy(q + n, tsig, sizeof tsig);
	q[11] = 2;
	p = ask_cfg(&big, q, n + sizeof tsig, 0);
	ok(p && R.info.has_tsig && ldns_pkt_tc(p) && count(ldns_pkt_answer(p)) == 0 &&
	   R.len + sizeof tsig + 6 <= full + WIRE_OPT_SIZE,
	   "signed query whose answer would leave no room for the TSIG: TC");

	/* the SOA of a negative answer that does not fit: omitted, TC */
	struct answer_cfg longsoa = cfg;
	char name[300];
	snprintf(name, sizeof name, "%063d.%063d.%063d.%055d", 1, 2, 3, 4);
	longsoa.mname_len = tow(name, longsoa.mname);
	snprintf(name, sizeof name, "%063d.%063d.%063d.%055d", 5, 6, 7, 8);
	longsoa.rname_len = tow(name, longsoa.rname);
	n = build(q, "nosuch.se." BL, LDNS_RR_TYPE_A, NULL, NULL);
	p = ask_cfg(&longsoa, q, n, 0);
	ok(p && ldns_pkt_tc(p) && ldns_pkt_get_rcode(p) == LDNS_RCODE_NXDOMAIN &&
	   count(ldns_pkt_authority(p)) == 0 && R.len <= 512,
	   "NXDOMAIN whose SOA does not fit 512: TC, no authority");
	p = ask_cfg(&longsoa, q, n, 1);
	ok(p && !ldns_pkt_tc(p) && negative(p, LDNS_RCODE_NXDOMAIN, NOD_ZONE_DNSBL), "fits over TCP");

	/* a small out buffer is never overrun */
	n = build(q, "x.se." BL, LDNS_RR_TYPE_A, NULL, NULL);
	uint8_t small[40];
	memset(small, 0xAA, sizeof small);
	size_t len = answer_query(&cfg, &view, q, n, small, 30, 0, &R.info);
	ok(len > 0 && len <= 30 && small[30] == 0xAA && (small[2] & 0x02), "30-byte buffer: TC, no overrun");
	memset(small, 0xAA, sizeof small);
	len = answer_query(&cfg, &view, q, n, small, 11, 0, &R.info);
	ok(len == 0 && small[11] == 0xAA, "buffer under a header: nothing written");
}

static void test_pointer_in_question(void)
{
	/* a question name whose end is a pointer into its own first label: dname_wire_parse
	 * wants pointers below the start of the name, so a question never has one */
	static uint8_t q[] = { 0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
		0x13, 2, 'v', '1', 2, 'b', 'l', 3, 'n', 'o', 'd', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0,
		0xC0, 13, 0, 1, 0, 1 };
	ldns_pkt *p = ask(q, sizeof q, 0);
	ok(p && ldns_pkt_get_rcode(p) == LDNS_RCODE_FORMERR && R.len == 12,
	   "pointer inside the question name: FORMERR, header only");
}

static void test_answer_error(void)
{
	static uint8_t q[512];
	struct qopt o = { .rd = 1 };
	size_t n = build(q, "x.se." BL, LDNS_RR_TYPE_A, &o, NULL);
	uint8_t out[512];
	size_t len = answer_error(q, n, LDNS_RCODE_REFUSED, out, sizeof out);
	ldns_pkt *p = NULL;
	ldns_status st = ldns_wire2pkt(&p, out, len);
	ok(len == n && st == LDNS_STATUS_OK, "answer_error: question echoed");
	ok(p && ldns_pkt_qr(p) && ldns_pkt_rd(p) && !ldns_pkt_aa(p) &&
	   ldns_pkt_get_rcode(p) == LDNS_RCODE_REFUSED, "QR, RD copied, rcode");
	ldns_pkt_free(p);
	is_int(answer_error(q, n, 2, out, 20), 12, "no room for the question: header only");
	is_int(answer_error(q, 8, 2, out, sizeof out), 0, "short query: nothing");
}
/* publish.test-names: test.dns-nod.net listed as RFC 5782's test is; its invalid twin and
 * the names below it never, though dns-nod.net itself is listed; the empty non-terminal
 * above an entry is NODATA when nothing else lists it. */
static void test_test_names(void)
{
	/* name, type, RCODE, A code (0: no answer; the SOA in authority) */
	static const struct {
		const char *name;
		ldns_rr_type t;
		ldns_pkt_rcode rcode;
		int code;
		const char *what;
	} rows[] = {
		{ "test.dns-nod.net", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, 2, "test name: 127.0.0.2" },
		{ "invalid.dns-nod.net", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, 0, "invalid twin" },
		{ "a.invalid.dns-nod.net", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, 0, "below the twin" },
		{ "www.dns-nod.net", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, 2, "the parent's other names" },
		{ "x.test.dns-nod.net", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, 2, "below: the parent's" },
		{ "other.example", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, 0, "above a test name: NODATA" },
		{ "example", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, 0, "two labels above: NODATA" },
		{ "invalid.other.example", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, 0, "no twin configured" },
		{ "test", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, 2, "RFC 5782 test unchanged" },
	};
	struct answer_cfg saved = cfg;
	memcpy(cfg.tests.test_rel[0], "\004test\007dns-nod\003net", 17);
	cfg.tests.test_len[0] = 17;
	memcpy(cfg.tests.invalid_rel[0], "\007invalid\007dns-nod\003net", 20);
	cfg.tests.invalid_len[0] = 20;
	memcpy(cfg.tests.test_rel[1], "\004test\005other\007example", 19);
	cfg.tests.test_len[1] = 19;
	cfg.tests.n = 2;
	char q[128];
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		snprintf(q, sizeof q, "%s." BL, rows[i].name);
		ldns_pkt *p = query(q, rows[i].t, NULL);
		int good = rows[i].code ? a_is(one_answer(p, LDNS_RR_TYPE_A, q), rows[i].code) &&
			ldns_pkt_get_rcode(p) == rows[i].rcode :
			negative(p, rows[i].rcode, NOD_ZONE_DNSBL);
		ok(good, "publish.test-names: %s (%s)", rows[i].what, rows[i].name);
	}
	ldns_pkt *p = query("TEST.dns-nod.NET." BL, LDNS_RR_TYPE_TXT, NULL);
	ok(txt_is(one_answer(p, LDNS_RR_TYPE_TXT, "test.dns-nod.net." BL), "first_seen=0"),
	   "publish.test-names: TXT first_seen=0, any case");
	cfg = saved;
}

int main(void)
{
	setup_cfg(&cfg);
	nindex_t *ix = nindex_new();
	put_name(ix, "x.se", NOW - 60);                 /* 5m, .2 */
	put_name(ix, "old.se", NOW - 1200);             /* 30m, .4 */
	put_name(ix, "deep.sub.example.nu", NOW - 60);  /* ENTs example.nu, sub.example.nu */
	put_name(ix, "gone.se", NOW - 90000);           /* older than 24 h */
	put_name(ix, "dns-nod.net", NOW - 60);          /* parent of a test name, .2 */
	view.ix = ix;
	view.now = NOW;
	for (int z = 0; z < NOD_ZONE_COUNT; z++)
		view.serial[z] = (uint32_t)(NOW - 1000 + z);

	test_dnsbl();
	test_test_names();
	test_apex();
	test_rpz();
	test_case_echo();
	test_edns();
	test_errors();
	test_xfr();
	test_truncation();
	test_pointer_in_question();
	test_answer_error();

	ldns_pkt_free(R.p);
	nindex_free(ix);
	return tap_done();
}
