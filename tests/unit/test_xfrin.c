/* test_xfrin.c -- the framing checks on an upstream's IXFR/AXFR answer (zones/xfrin.h). */
#include <stdlib.h>

#include "tap.h"
#include "zones/xfrin.h"

static uint8_t apex[DNAME_MAX_WIRE], other[DNAME_MAX_WIRE], child[DNAME_MAX_WIRE],
	upper[DNAME_MAX_WIRE];
static size_t apex_len, other_len, child_len, upper_len;

/* SOA rdata: ns.nodtest. hostmaster.nodtest. serial refresh retry expire minimum */
static size_t soa_rd(uint32_t serial, uint8_t *rd)
{
	size_t o = (size_t)dname_text_to_wire("ns.nodtest", rd);
	o += (size_t)dname_text_to_wire("hostmaster.nodtest", rd + o);
	uint32_t v[5] = { serial, 3600, 600, 86400, 300 };
	for (int i = 0; i < 5; i++) {
		rd[o++] = (uint8_t)(v[i] >> 24);
		rd[o++] = (uint8_t)(v[i] >> 16);
		rd[o++] = (uint8_t)(v[i] >> 8);
		rd[o++] = (uint8_t)v[i];
	}
	return o;
}

static int soa(struct xfrin *x, uint32_t serial)
{
	uint8_t rd[600];
	size_t n = soa_rd(serial, rd);
	return xfrin_record(x, apex, apex_len, 6, rd, n);
}

static int ns(struct xfrin *x)
{
	uint8_t rd[64];
	size_t n = (size_t)dname_text_to_wire("ns.elsewhere", rd);
	return xfrin_record(x, child, child_len, 2, rd, n);
}

int main(void)
{
	apex_len = (size_t)dname_text_to_wire("nodtest", apex);
	other_len = (size_t)dname_text_to_wire("other", other);
	child_len = (size_t)dname_text_to_wire("new.nodtest", child);
	upper_len = (size_t)dname_text_to_wire("nodtest", upper);
	upper[1] = 'N';
	upper[4] = 'T';
	struct xfrin x;
	uint8_t rd[600];
	size_t n;

	/* AXFR */
	xfrin_init(&x, apex, apex_len, 0, 0, 0);
	is_int(soa(&x, 100), XFRIN_STAGE, "AXFR: the first SOA is staged");
	is_int(x.new_serial, 100, "its serial is the new one");
	is_int(x.refresh, 3600, "its timers are kept");
	is_int(ns(&x), XFRIN_STAGE, "a delegation is staged");
	is_int(xfrin_message_end(&x, 2), XFRIN_MORE, "a first message without the closing SOA: more");
	is_int(ns(&x), XFRIN_STAGE, "a record in the second message is staged");
	is_int(soa(&x, 100), XFRIN_SKIP, "the closing SOA is not staged");
	is_int(xfrin_message_end(&x, 2), XFRIN_DONE, "and ends the transfer");
	is_int(x.staged, 3, "three records staged");
	is_int(x.nrr, 4, "four received");
	is_int(x.style, XFRIN_STYLE_UNKNOWN, "an AXFR has no IXFR style");
	is_int(ns(&x), XFRIN_ERROR, "a record after the closing SOA is an error");
	is_str(x.err, "records after the end of the transfer", "saying so");
	is_int(soa(&x, 100), XFRIN_ERROR, "and every record after an error is one");

	xfrin_init(&x, apex, apex_len, 0, 0, 0);
	is_int(ns(&x), XFRIN_ERROR, "an AXFR that starts with another record is refused");
	is_str(x.err, "transfer does not start with the zone's SOA", "saying so");

	xfrin_init(&x, apex, apex_len, 0, 0, 0);
	n = soa_rd(100, rd);
	is_int(xfrin_record(&x, other, other_len, 6, rd, n), XFRIN_ERROR,
		"an AXFR that starts with another zone's SOA is refused");

	xfrin_init(&x, apex, apex_len, 0, 0, 0);
	is_int(xfrin_record(&x, upper, upper_len, 6, rd, n), XFRIN_STAGE,
		"the apex in another case is the apex");

	xfrin_init(&x, apex, apex_len, 0, 0, 0);
	soa(&x, 100);
	ns(&x);
	is_int(soa(&x, 99), XFRIN_ERROR, "an apex SOA of another serial mid-AXFR is refused");
	is_str(x.err, "AXFR: an apex SOA in the middle of the transfer", "saying so");

	xfrin_init(&x, apex, apex_len, 0, 0, 0);
	is_int(xfrin_record(&x, apex, apex_len, 6, rd, 10), XFRIN_ERROR, "a truncated SOA rdata is refused");
	is_str(x.err, "a malformed SOA record", "saying so");

	xfrin_init(&x, apex, apex_len, 0, 1, 100);
	is_int(soa(&x, 99), XFRIN_ERROR, "a serial going backwards from the copy held is refused");
	is_str(x.err, "serial would go backwards from 100 to 99", "saying so");
	xfrin_init(&x, apex, apex_len, 0, 1, 100);
	is_int(soa(&x, 100 + 0x80000000u), XFRIN_ERROR, "a serial 2^31 away (undefined order) too");
	xfrin_init(&x, apex, apex_len, 0, 1, 0xfffffff0u);
	is_int(soa(&x, 5), XFRIN_STAGE, "a serial that wrapped forward is accepted (RFC 1982)");
	xfrin_init(&x, apex, apex_len, 0, 1, 100);
	is_int(soa(&x, 100), XFRIN_STAGE, "an AXFR of the serial held is accepted");

	/* IXFR, incremental: 3 = 1 -> 2 -> 3 */
	xfrin_init(&x, apex, apex_len, 1, 1, 1);
	is_int(soa(&x, 3), XFRIN_STAGE, "IXFR: the new SOA");
	is_int(soa(&x, 1), XFRIN_STAGE, "the first difference's old SOA is staged");
	is_int(x.style, XFRIN_STYLE_INCREMENTAL, "an SOA second: incremental");
	is_int(ns(&x), XFRIN_STAGE, "a deletion");
	is_int(soa(&x, 2), XFRIN_STAGE, "the intermediate SOA");
	is_int(ns(&x), XFRIN_STAGE, "an addition");
	is_int(soa(&x, 2), XFRIN_STAGE, "the next difference's old SOA");
	is_int(soa(&x, 3), XFRIN_STAGE, "its new SOA (the second of serial 3) is not the end");
	is_int(xfrin_message_end(&x, 7), XFRIN_MORE, "more");
	is_int(ns(&x), XFRIN_STAGE, "an addition");
	is_int(soa(&x, 3), XFRIN_SKIP, "the third SOA of serial 3 closes");
	is_int(xfrin_message_end(&x, 2), XFRIN_DONE, "done");
	is_int(x.staged, 8, "eight records staged, in order");

	/* IXFR answered AXFR-style */
	xfrin_init(&x, apex, apex_len, 1, 1, 1);
	soa(&x, 3);
	is_int(ns(&x), XFRIN_STAGE, "IXFR with a record second");
	is_int(x.style, XFRIN_STYLE_AXFR, "is AXFR-style");
	is_int(soa(&x, 2), XFRIN_ERROR, "and then an apex SOA of another serial is refused");
	xfrin_init(&x, apex, apex_len, 1, 1, 1);
	soa(&x, 3);
	ns(&x);
	is_int(soa(&x, 3), XFRIN_SKIP, "an AXFR-style answer closes at the second SOA");
	is_int(xfrin_message_end(&x, 3), XFRIN_DONE, "done");

	/* IXFR answered by the lone SOA */
	xfrin_init(&x, apex, apex_len, 1, 1, 7);
	soa(&x, 7);
	is_int(xfrin_message_end(&x, 1), XFRIN_CURRENT, "a lone SOA of the serial held: current");
	xfrin_init(&x, apex, apex_len, 1, 1, 7);
	soa(&x, 8);
	is_int(xfrin_message_end(&x, 1), XFRIN_MORE, "a lone newer SOA in a first message: more to come");
	xfrin_init(&x, apex, apex_len, 0, 1, 7);
	soa(&x, 7);
	is_int(xfrin_message_end(&x, 1), XFRIN_MORE, "an AXFR's first message of one SOA: more to come");
	return tap_done();
}
