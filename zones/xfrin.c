/* xfrin.c -- see xfrin.h.
 *
 * An AXFR is SOA, records, SOA (the same serial). An IXFR is either the lone SOA (the
 * client is current), or AXFR-style (second record not an SOA), or incremental: SOA new,
 * then per difference SOA old + deletions, SOA new' + additions, and the SOA new again to
 * close. Whether the differences chain from our serial is checked when they are applied
 * (zones/ixfr.c); here only the framing: the first record is the zone's SOA, the
 * serial does not go backwards, an AXFR has no apex SOA in the middle, nothing follows the
 * closing SOA. */
#include "zones/xfrin.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/serial.h"

#define TYPE_SOA 6

void xfrin_init(struct xfrin *x, const uint8_t *apex, size_t apex_len, int ixfr, int have_copy,
	uint32_t held_serial)
{
	memset(x, 0, sizeof *x);
	if (apex_len > sizeof x->apex)
		apex_len = 0;
	memcpy(x->apex, apex, apex_len);
	x->apex_len = apex_len;
	x->ixfr = ixfr;
	x->have_copy = have_copy;
	x->held_serial = have_copy ? held_serial : 0;
}

static int fail(struct xfrin *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct xfrin *x, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(x->err, sizeof x->err, fmt, ap);
	va_end(ap);
	x->ended = -1;
	return XFRIN_ERROR;
}

int xfrin_record(struct xfrin *x, const uint8_t *owner, size_t owner_len, uint16_t type,
	const uint8_t *rd, size_t rdlen)
{
	if (x->ended < 0)
		return XFRIN_ERROR;
	if (x->ended)
		return fail(x, "records after the end of the transfer");
	uint32_t ser = 0, refresh = 0, retry = 0, expire = 0;
	int is_soa = type == TYPE_SOA && serial_soa_fields(rd, rdlen, &ser, &refresh, &retry, &expire) == 0;
	if (type == TYPE_SOA && !is_soa)
		return fail(x, "a malformed SOA record");
	int apex_soa = is_soa && dname_wire_equal(owner, owner_len, x->apex, x->apex_len);
	if (x->nrr == 0) {
		if (!apex_soa)
			return fail(x, "transfer does not start with the zone's SOA");
		if (x->have_copy && !serial_gt(ser, x->held_serial) && ser != x->held_serial)
			return fail(x, "serial would go backwards from %u to %u", x->held_serial, ser);
		x->new_serial = ser;
		x->refresh = refresh;
		x->retry = retry;
		x->expire = expire;
		x->soas = 1;
	} else {
		if (x->nrr == 1 && x->ixfr) {
			/* the second record: an SOA = incremental (if its serial is not ours the
			 * differences do not chain and apply_ixfr() refuses them), anything else =
			 * AXFR-style */
			x->style = is_soa ? XFRIN_STYLE_INCREMENTAL : XFRIN_STYLE_AXFR;
		}
		int incremental = x->style == XFRIN_STYLE_INCREMENTAL;
		if (apex_soa && ser == x->new_serial) {
			/* an AXFR ends at the second SOA of the new serial; an incremental IXFR at the
			 * third (the last difference's own new SOA is the second) */
			if (++x->soas >= (incremental ? 3 : 2)) {
				x->ended = 1;
				x->nrr++;
				return XFRIN_SKIP;
			}
		} else if (apex_soa && !incremental) {
			return fail(x, "AXFR: an apex SOA in the middle of the transfer");
		}
	}
	x->nrr++;
	x->staged++;
	return XFRIN_STAGE;
}

int xfrin_message_end(struct xfrin *x, unsigned ancount)
{
	x->msgs++;
	if (x->ended > 0)
		return XFRIN_DONE;
	if (x->ixfr && x->msgs == 1 && ancount == 1 && x->nrr == 1 && x->have_copy &&
	    x->new_serial == x->held_serial)
		return XFRIN_CURRENT;
	return XFRIN_MORE;
}
