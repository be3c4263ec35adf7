/* serial.h -- RFC 1982 serial number arithmetic for SOA serials (REFERENCE.md 3.5).
 * Pure functions: no clock, no state. */
#ifndef NODD_SERIAL_H
#define NODD_SERIAL_H

#include <stddef.h>
#include <stdint.h>

enum serial_order {
	SERIAL_LT = -1,
	SERIAL_EQ = 0,
	SERIAL_GT = 1,
	SERIAL_UNDEFINED = 2, /* the two differ by exactly 2^31: neither is greater */
};

/* Compare a with b in sequence space (RFC 1982 3.2). */
enum serial_order serial_compare(uint32_t a, uint32_t b);

/* 1 when a is strictly greater than b; an undefined comparison is not greater. */
int serial_gt(uint32_t a, uint32_t b);
/* 1 when a equals b or is greater; an undefined comparison is neither. */
int serial_ge(uint32_t a, uint32_t b);

/* The serial and timers of an SOA rdata in wire form (two uncompressed names, then
 * serial, refresh, retry, expire, minimum). rd is borrowed. Returns 0, or -1 when the
 * rdata is malformed. Any of the out pointers may be NULL. */
int serial_soa_fields(const uint8_t *rd, size_t rdlen, uint32_t *serial, uint32_t *refresh,
	uint32_t *retry, uint32_t *expire);

#endif
