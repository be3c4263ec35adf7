/* fuzz_xfrin.c -- libFuzzer target: arbitrary bytes as an upstream's answer to nodd's IXFR or
 * AXFR, read as zones/xfrclient.c reads it: each TCP-framed message read straight from the wire, its
 * answer records read from the wire and canonicalised (zones/xfrmsg.c) and checked in
 * order by zones/xfrin.c.
 *
 * Input: one byte of flags (bit 0: the request was an IXFR, bit 1: a copy is held), four
 * bytes of the serial held, then messages each with a two-byte length. The checks: nothing
 * is staged or skipped after the end or an error, the end comes only from a skipped closing
 * SOA, every staged record is counted, "current" only answers an IXFR with the serial held;
 * the wire reader never reads past a message nor writes past its rdata buffer, and its
 * owners are lowercase. */
#include <stdlib.h>
#include <string.h>

#include "zones/rrtext.h"
#include "zones/xfrin.h"
#include "zones/xfrmsg.h"

static uint8_t apex[DNAME_MAX_WIRE];
static size_t apex_len;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t rd[XFRMSG_RD_MAX];
	static char owner[RRTEXT_OWNER_MAX];
	if (!apex_len)
		apex_len = (size_t)dname_text_to_wire("nodtest", apex);
	if (size < 5)
		return 0;
	int ixfr = data[0] & 1, have = (data[0] >> 1) & 1;
	uint32_t held = ((uint32_t)data[1] << 24) | ((uint32_t)data[2] << 16) |
		((uint32_t)data[3] << 8) | data[4];
	struct xfrin x;
	xfrin_init(&x, apex, apex_len, ixfr, have, held);
	size_t off = 5;
	int state = XFRIN_MORE, failed = 0;
	while (state == XFRIN_MORE && !failed && off + 2 <= size) {
		size_t len = ((size_t)data[off] << 8) | data[off + 1];
		off += 2;
		if (len > size - off)
			break;
		struct xfrmsg m;
		if (xfrmsg_open(&m, data + off, len) < 0)
			break;
		off += len;
		struct xfrmsg_rr rr;
		rr.rd = rd;
		int got;
		while ((got = xfrmsg_next(&m, &rr)) > 0) {
			if (m.off > m.len || rr.rdlen > XFRMSG_RD_MAX)
				abort();
			for (size_t k = 0; k < rr.owner_len; k++)
				if (rr.owner[k] >= 'A' && rr.owner[k] <= 'Z')
					abort();
			if (dname_wire_to_zone_text(rr.owner, rr.owner_len, owner, sizeof owner) < 0) {
				failed = 1;
				break;
			}
			int was_ended = x.ended;
			uint64_t staged = x.staged, nrr = x.nrr;
			int v = xfrin_record(&x, rr.owner, rr.owner_len, rr.type, rr.rd, rr.rdlen);
			if (was_ended && v != XFRIN_ERROR)
				abort();
			if (v == XFRIN_STAGE && (x.staged != staged + 1 || x.nrr != nrr + 1 || x.ended))
				abort();
			if (v == XFRIN_SKIP && (x.ended != 1 || rr.type != 6 || x.staged != staged))
				abort();
			if (v == XFRIN_ERROR) {
				if (!x.err[0] || x.ended >= 0)
					abort();
				failed = 1;
				break;
			}
		}
		if (got < 0)
			failed = 1;
		if (!failed) {
			state = xfrin_message_end(&x, m.ancount);
			if (state == XFRIN_DONE && (x.ended != 1 || x.nrr != x.staged + 1))
				abort();
			if (state == XFRIN_CURRENT && (!ixfr || !have || x.new_serial != held || x.nrr != 1))
				abort();
			if (state == XFRIN_DONE && x.staged < 1)
				abort();
		}
	}
	return 0;
}
