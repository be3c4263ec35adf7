/* serial.c -- RFC 1982 serial number arithmetic for SOA serials.
 * Pure functions; no clock is read here. */
#include "lib/serial.h"

#include "lib/wire.h"

enum serial_order serial_compare(uint32_t a, uint32_t b)
{
	if (a == b)
		return SERIAL_EQ;
	uint32_t d = b - a; /* modulo 2^32 */
	if (d == 0x80000000u)
		return SERIAL_UNDEFINED;
	/* a < b iff b is ahead of a by less than 2^31 */
	return d < 0x80000000u ? SERIAL_LT : SERIAL_GT;
}

int serial_gt(uint32_t a, uint32_t b) { return serial_compare(a, b) == SERIAL_GT; }

int serial_ge(uint32_t a, uint32_t b)
{
	enum serial_order o = serial_compare(a, b);
	return o == SERIAL_EQ || o == SERIAL_GT;
}

static size_t skip_name(const uint8_t *rd, size_t rdlen, size_t o)
{
	while (o < rdlen) {
		uint8_t l = rd[o];
		if (l == 0)
			return o + 1;
		if (l > 63) /* compressed or extended labels have no place in stored rdata */
			return 0;
		o += 1 + (size_t)l;
	}
	return 0;
}

int serial_soa_fields(const uint8_t *rd, size_t rdlen, uint32_t *serial, uint32_t *refresh,
	uint32_t *retry, uint32_t *expire)
{
	size_t o = skip_name(rd, rdlen, 0);
	if (o)
		o = skip_name(rd, rdlen, o);
	if (!o || o + 20 != rdlen)
		return -1;
	if (serial)
		*serial = wire_get32(rd + o);
	if (refresh)
		*refresh = wire_get32(rd + o + 4);
	if (retry)
		*retry = wire_get32(rd + o + 8);
	if (expire)
		*expire = wire_get32(rd + o + 12);
	return 0;
}
