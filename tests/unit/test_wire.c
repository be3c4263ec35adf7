/* test_wire.c -- the DNS message writer: sticky error, compression, RR helpers, rollback;
 * every message built is parsed back with ldns. */
#include <ldns/ldns.h>
#include <stdlib.h>

#include "lib/dname.h"
#include "lib/wire.h"
#include "tests/unit/tap.h"

static uint8_t *wirename(const char *text, size_t *len)
{
	static uint8_t buf[8][DNAME_MAX_WIRE];
	static int next;
	uint8_t *w = buf[next++ % 8];
	int l = dname_text_to_wire(text, w);
	*len = l < 0 ? 0 : (size_t)l;
	return w;
}

/* the wire form of a text name and its length, as two independent arguments */
static const uint8_t *wn(const char *text)
{
	size_t l;
	return wirename(text, &l);
}

static size_t wlen(const char *text)
{
	uint8_t w[DNAME_MAX_WIRE];
	int l = dname_text_to_wire(text, w);
	return l < 0 ? 0 : (size_t)l;
}

#define W(text) wn(text), wlen(text)

static ldns_pkt *parse(const uint8_t *msg, size_t len)
{
	ldns_pkt *p = NULL;
	if (ldns_wire2pkt(&p, msg, len) != LDNS_STATUS_OK)
		return NULL;
	return p;
}

static int owner_is(const ldns_rr *rr, const char *text)
{
	ldns_rdf *d = ldns_dname_new_frm_str(text);
	int same = d && ldns_dname_compare(ldns_rr_owner(rr), d) == 0;
	ldns_rdf_deep_free(d);
	return same;
}

static int rdf_name_is(const ldns_rdf *r, const char *text)
{
	ldns_rdf *d = ldns_dname_new_frm_str(text);
	int same = d && r && ldns_dname_compare(r, d) == 0;
	ldns_rdf_deep_free(d);
	return same;
}

static void test_sticky_error(void)
{
	uint8_t b[8];
	struct wire w;
	wire_init(&w, b, sizeof b);
	wire_put16(&w, 0x1234);
	wire_put32(&w, 0x55667788);
	is_int(w.len, 6, "writes under the limit");
	ok(!w.err, "no error yet");
	wire_put32(&w, 1);
	ok(w.err, "a write past the limit sets the error");
	is_int(w.len, 6, "and writes nothing");
	wire_put8(&w, 1);
	is_int(w.len, 6, "the error sticks: a write that would fit is skipped too");
	ok(b[0] == 0x12 && b[1] == 0x34 && b[2] == 0x55 && b[5] == 0x88, "big-endian integers");
	is_int(wire_finish(&w), 0, "finish with the error returns 0");

	wire_init(&w, b, sizeof b);
	wire_set_cap(&w, 4);
	wire_put32(&w, 1);
	ok(!w.err, "cap 4: 4 bytes fit");
	wire_put8(&w, 1);
	ok(w.err, "lowered cap enforced");
	wire_set_cap(&w, 100);
	is_int(w.cap, 8, "cap clamped to the buffer size");
}

static void test_header_and_counts(void)
{
	uint8_t b[512];
	struct wire w;
	size_t nl;
	wire_init(&w, b, sizeof b);
	wire_header(&w, 0xBEEF, WIRE_QR | WIRE_AA | WIRE_OPCODE(0) | 3);
	const uint8_t *qn = wirename("x.example", &nl);
	wire_question(&w, qn, nl, WIRE_T_A, WIRE_C_IN);
	wire_section(&w, WIRE_AN);
	uint8_t a[4] = { 192, 0, 2, 1 };
	wire_rr_a(&w, qn, nl, 300, a);
	wire_rr_a(&w, qn, nl, 300, a);
	wire_section(&w, WIRE_NS);
	size_t al;
	const uint8_t *apex = wirename("example", &al);
	wire_rr_ns(&w, apex, al, 60, W("ns1.example"));
	wire_opt(&w, 1232, 0, 0, 1);
	ok(w.section == WIRE_NS, "wire_opt leaves the current section alone");
	wire_set_flags(&w, (uint16_t)(wire_flags(&w) | WIRE_TC));
	size_t len = wire_finish(&w);
	ok(len > 12, "finished");
	ok(b[0] == 0xBE && b[1] == 0xEF, "ID");
	ok(b[4] == 0 && b[5] == 1 && b[7] == 2 && b[9] == 1 && b[11] == 1, "counts 1/2/1/1");
	ldns_pkt *p = parse(b, len);
	ok(p != NULL, "ldns parses the message");
	if (!p)
		return;
	ok(ldns_pkt_qr(p) && ldns_pkt_aa(p) && ldns_pkt_tc(p) && !ldns_pkt_rd(p), "flags");
	is_int(ldns_pkt_get_rcode(p), 3, "rcode");
	is_int(ldns_rr_list_rr_count(ldns_pkt_answer(p)), 2, "two A");
	ldns_rr *rr = ldns_rr_list_rr(ldns_pkt_answer(p), 0);
	ok(owner_is(rr, "x.example.") && ldns_rr_ttl(rr) == 300 &&
	   memcmp(ldns_rdf_data(ldns_rr_rdf(rr, 0)), a, 4) == 0, "A owner, TTL, address");
	rr = ldns_rr_list_rr(ldns_pkt_authority(p), 0);
	ok(rr && owner_is(rr, "example.") && rdf_name_is(ldns_rr_rdf(rr, 0), "ns1.example."),
	   "NS owner and target");
	ok(ldns_pkt_edns(p) && ldns_pkt_edns_udp_size(p) == 1232 && ldns_pkt_edns_do(p),
	   "OPT: payload 1232, DO");
	ldns_pkt_free(p);
}

static void test_compression(void)
{
	uint8_t b[512];
	struct wire w;

	wire_init(&w, b, sizeof b);
	wire_header(&w, 1, WIRE_QR);
	wire_question(&w, (const uint8_t *)"\003www\007Example\003COM", 17, WIRE_T_A, WIRE_C_IN);
	/* "www.example.com." is at 12, "example.com." at 16, "com." at 24 */
	size_t at = w.len;
	wire_name(&w, W("www.example.com"));
	ok(w.len - at == 2 && b[at] == 0xC0 && b[at + 1] == 12, "same name (other case) -> pointer to 12");
	at = w.len;
	wire_name(&w, W("example.com"));
	ok(w.len - at == 2 && b[at] == 0xC0 && b[at + 1] == 16, "suffix -> pointer to 16");
	at = w.len;
	wire_name(&w, W("mail.example.com"));
	ok(w.len - at == 7 && memcmp(b + at, "\004mail\300\020", 7) == 0,
	   "new label then a pointer to the longest suffix");
	size_t mail = at;
	at = w.len;
	wire_name(&w, W("a.mail.example.com"));
	ok(w.len - at == 4 && b[at + 2] == 0xC0 && b[at + 3] == mail,
	   "against a name that is itself compressed");
	at = w.len;
	wire_name(&w, W("com.example"));
	ok(w.len - at == 13, "no suffix in common: written in full");
	at = w.len;
	wire_name(&w, (const uint8_t *)"", 1);
	ok(w.len - at == 1 && b[at] == 0, "the root is one byte, never a pointer");
	at = w.len;
	wire_name(&w, W("xcom"));
	ok(w.len - at == 6, "only whole labels match");
	at = w.len;
	uint8_t a[4] = { 1, 2, 3, 4 };
	wire_rr_a(&w, NULL, 12, 60, a);
	ok(w.len - at == 16 && b[at] == 0xC0 && b[at + 1] == 12, "NULL owner: a pointer to the given offset");
	at = w.len;
	wire_name_ptr(&w, 16);
	ok(b[at] == 0xC0 && b[at + 1] == 16, "explicit pointer");
	ok(!w.err, "no error");

	/* invalid inputs */
	struct wire e;
	uint8_t eb[64];
	wire_init(&e, eb, sizeof eb);
	wire_name(&e, (const uint8_t *)"\100aaaa\000", 7);
	ok(e.err, "label over 63 octets refused");
	wire_init(&e, eb, sizeof eb);
	wire_name(&e, (const uint8_t *)"\001a\000", 2);
	ok(e.err, "length shorter than the name refused");
	wire_init(&e, eb, sizeof eb);
	wire_name(&e, (const uint8_t *)"\001a\000\000", 4);
	ok(e.err, "bytes after the root refused");
	wire_init(&e, eb, sizeof eb);
	wire_name_ptr(&e, 0x4000);
	ok(e.err, "pointer beyond 14 bits refused");
}

static void test_learn(void)
{
	/* a question as a client may send it: the first label holds bytes that are a name,
	 * and a pointer to them (backwards, not into the header) ends the name */
	static const uint8_t q[] = "\x13\x02v1\x02" "bl\x03nod\x07" "example\x00\xC0\x0D\x00\x01\x00\x01";
	uint8_t b[512];
	struct wire w;
	
	wire_init(&w, b, sizeof b);
	wire_header(&w, 7, WIRE_QR);
	wire_question_copy(&w, q, sizeof q - 1);
	is_int(w.count[WIRE_QD], 1, "copied question counted");
	is_int(w.nlabels, 1, "only the label before the pointer is remembered");
	is_int(w.labels[0].off, 12, "at 12");
	is_int(w.labels[0].rest, 20 + 19, "with the uncompressed length of the whole name");
	size_t at = w.len;
	uint8_t full[DNAME_MAX_WIRE];
	memcpy(full, q, 20);
	memcpy(full + 20, q + 1, 19);
	wire_name(&w, full, 39);
	ok(w.len - at == 2 && b[at + 1] == 12, "the whole name compresses to the copy");
	at = w.len;
	wire_name(&w, W("v1.bl.nod.example"));
	ok(w.len - at == wlen("v1.bl.nod.example"), "a suffix inside a label is not used");
	size_t len = wire_finish(&w);
	ldns_pkt *p = parse(b, len);
	ok(p != NULL, "ldns parses it");
	ldns_pkt_free(p);

	/* a malformed name is ignored */
	wire_init(&w, b, sizeof b);
	wire_put(&w, "\003ab", 3);
	wire_learn(&w, 0);
	is_int(w.nlabels, 0, "truncated name not learnt");
}

static void test_rollback(void)
{
	uint8_t b[512];
	struct wire w;
	
	wire_init(&w, b, sizeof b);
	wire_header(&w, 1, WIRE_QR);
	wire_question(&w, W("q.example"), WIRE_T_A, WIRE_C_IN);
	struct wire_mark m;
	wire_section(&w, WIRE_AN);
	wire_mark(&w, &m);
	size_t before = w.len;
	wire_rr_cname(&w, W("q.example"), 60, W("target.other"));
	is_int(w.count[WIRE_AN], 1, "counted");
	wire_set_cap(&w, w.len + 3);
	wire_rr_cname(&w, W("q.example"), 60, W("x.other"));
	ok(w.err, "second record does not fit");
	wire_rollback(&w, &m);
	ok(!w.err && w.len == before && w.count[WIRE_AN] == 0, "rollback: length, count, error");
	wire_set_cap(&w, sizeof b);
	size_t at = w.len;
	wire_name(&w, W("target.other"));
	ok(w.len - at == wlen("target.other"), "names written after the mark are forgotten");
	is_int(wire_finish(&w) > 0, 1, "finish after rollback");
}

static void test_records(void)
{
	static uint8_t b[4096];
	struct wire w;
	size_t al;
	wire_init(&w, b, sizeof b);
	wire_header(&w, 9, WIRE_QR | WIRE_AA);
	const uint8_t *apex = wirename("5m.rpz.nod.example", &al);
	wire_question(&w, apex, al, WIRE_T_SOA, WIRE_C_IN);
	wire_section(&w, WIRE_AN);
	size_t mn, rn;
	const uint8_t *mname = wirename("ns1.nod.example", &mn);
	const uint8_t *rname = wirename("hostmaster.nod.example", &rn);
	struct wire_soa soa = { mname, mn, rname, rn, 1700000000u, 60, 30, 21600, 15 };
	size_t at = w.len;
	wire_rr_soa(&w, apex, al, 120, &soa);
	ok(b[at] == 0xC0 && b[at + 1] == 12, "SOA owner is a pointer to the question");
	wire_rr_ns(&w, apex, al, 120, mname, mn);
	wire_rr_cname(&w, W("x.se.5m.rpz.nod.example"), 60, (const uint8_t *)"", 1);
	wire_rr_cname(&w, W("y.se.5m.rpz.nod.example"), 60,
		(const uint8_t *)"\001*", 3);
	char txt[300];
	memset(txt, 't', sizeof txt);
	wire_rr_txt(&w, W("t.5m.rpz.nod.example"), 60, txt, sizeof txt);
	wire_rr_txt(&w, W("e.5m.rpz.nod.example"), 60, "", 0);
	ok(b[w.len - 1] == 0 && b[w.len - 2] == 1 && b[w.len - 3] == 0, "empty TXT: one empty string");
	size_t len = wire_finish(&w);
	ldns_pkt *p = parse(b, len);
	ok(p != NULL, "ldns parses SOA/NS/CNAME/TXT");
	if (!p)
		return;
	ldns_rr_list *an = ldns_pkt_answer(p);
	is_int(ldns_rr_list_rr_count(an), 6, "six records");
	ldns_rr *rr = ldns_rr_list_rr(an, 0);
	ok(ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA && owner_is(rr, "5m.rpz.nod.example.") &&
	   ldns_rr_ttl(rr) == 120, "SOA owner, TTL");
	ok(rdf_name_is(ldns_rr_rdf(rr, 0), "ns1.nod.example.") &&
	   rdf_name_is(ldns_rr_rdf(rr, 1), "hostmaster.nod.example."), "SOA MNAME, RNAME");
	ok(ldns_rdf2native_int32(ldns_rr_rdf(rr, 2)) == 1700000000u &&
	   ldns_rdf2native_int32(ldns_rr_rdf(rr, 3)) == 60 &&
	   ldns_rdf2native_int32(ldns_rr_rdf(rr, 4)) == 30 &&
	   ldns_rdf2native_int32(ldns_rr_rdf(rr, 5)) == 21600 &&
	   ldns_rdf2native_int32(ldns_rr_rdf(rr, 6)) == 15, "SOA serial and timers");
	rr = ldns_rr_list_rr(an, 1);
	ok(ldns_rr_get_type(rr) == LDNS_RR_TYPE_NS && rdf_name_is(ldns_rr_rdf(rr, 0), "ns1.nod.example."),
	   "NS target (compressed against the SOA's MNAME)");
	rr = ldns_rr_list_rr(an, 2);
	ok(ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME && owner_is(rr, "x.se.5m.rpz.nod.example.") &&
	   rdf_name_is(ldns_rr_rdf(rr, 0), "."), "CNAME .");
	rr = ldns_rr_list_rr(an, 3);
	ok(rdf_name_is(ldns_rr_rdf(rr, 0), "*."), "CNAME *.");
	rr = ldns_rr_list_rr(an, 4);
	ok(ldns_rr_get_type(rr) == LDNS_RR_TYPE_TXT && ldns_rr_rd_count(rr) == 2 &&
	   ldns_rdf_size(ldns_rr_rdf(rr, 0)) == 256 && ldns_rdf_size(ldns_rr_rdf(rr, 1)) == 46,
	   "300-octet TXT split into 255 + 45");
	ldns_pkt_free(p);
}

static void test_table_limits(void)
{
	/* more names than the table remembers: still correct, just less compressed */
	static uint8_t b[65536];
	struct wire w;

	char name[64];
	wire_init(&w, b, sizeof b);
	wire_header(&w, 1, WIRE_QR);
	wire_question(&w, W("zone.example"), WIRE_T_AXFR, WIRE_C_IN);
	wire_section(&w, WIRE_AN);
	uint8_t a[4] = { 127, 0, 0, 2 };
	for (int i = 0; i < 100; i++) {
		snprintf(name, sizeof name, "host%d.sub%d.zone.example", i, i);
		wire_rr_a(&w, W(name), 60, a);
	}
	is_int(w.nlabels, WIRE_MAX_NAMES, "table full");
	/* and past 0x4000 nothing more can be pointed at */
	while (w.len < 0x4100) {
		snprintf(name, sizeof name, "pad%zu.zone.example", w.len);
		wire_rr_a(&w, W(name), 60, a);
	}
	int before = w.nlabels;
	snprintf(name, sizeof name, "late.zone.example");
	wire_rr_a(&w, W(name), 60, a);
	is_int(w.nlabels, before, "labels past 0x4000 are not remembered");
	size_t len = wire_finish(&w);
	ldns_pkt *p = parse(b, len);
	ok(p != NULL, "ldns parses the large message");
	if (p) {
		ldns_rr *rr = ldns_rr_list_rr(ldns_pkt_answer(p), 99);
		snprintf(name, sizeof name, "host99.sub99.zone.example.");
		ok(owner_is(rr, name), "100th name intact");
		rr = ldns_rr_list_rr(ldns_pkt_answer(p), ldns_rr_list_rr_count(ldns_pkt_answer(p)) - 1);
		ok(owner_is(rr, "late.zone.example."), "last name intact");
	}
	ldns_pkt_free(p);

	/* a record over 65535 bytes of RDATA is refused */
	static uint8_t big[70000];
	wire_init(&w, big, sizeof big);
	wire_header(&w, 1, WIRE_QR);
	size_t at = wire_rr_head(&w, WIRE_T_TXT, WIRE_C_IN, 0);
	static uint8_t junk[65536];
	wire_put(&w, junk, sizeof junk);
	wire_rr_end(&w, at);
	ok(w.err, "RDATA over 65535 octets is an error");
}

int main(void)
{
	test_sticky_error();
	test_header_and_counts();
	test_compression();
	test_learn();
	test_rollback();
	test_records();
	test_table_limits();
	return tap_done();
}
