/* test_serial.c -- RFC 1982 serial arithmetic at its edges, SOA rdata fields. */
#include "tests/unit/tap.h"
#include "lib/serial.h"

int main(void)
{
	static const struct { uint32_t a, b; int want; } cmp[] = {
		{ 0, 0, SERIAL_EQ },
		{ 1, 0, SERIAL_GT },
		{ 0, 1, SERIAL_LT },
		{ 0, 0xFFFFFFFFu, SERIAL_GT },           /* wraps: 0 follows 2^32-1 */
		{ 0xFFFFFFFFu, 0, SERIAL_LT },
		{ 0x7FFFFFFFu, 0, SERIAL_GT },           /* 2^31-1 ahead: still greater */
		{ 0, 0x7FFFFFFFu, SERIAL_LT },
		{ 0x80000000u, 0, SERIAL_UNDEFINED },    /* exactly 2^31 apart */
		{ 0, 0x80000000u, SERIAL_UNDEFINED },
		{ 0x80000001u, 0, SERIAL_LT },           /* more than 2^31 ahead = behind */
		{ 2025112201u, 2025112200u, SERIAL_GT },
		{ 1763800000u, 4294967000u, SERIAL_GT }, /* unix time after a wrap */
	};
	for (size_t i = 0; i < sizeof cmp / sizeof cmp[0]; i++)
		is_int(serial_compare(cmp[i].a, cmp[i].b), cmp[i].want, "compare(%u, %u)", cmp[i].a, cmp[i].b);
	ok(serial_gt(5, 4), "5 > 4");
	ok(!serial_gt(4, 4), "4 is not > 4");
	ok(!serial_gt(0x80000000u, 0), "undefined is not greater");
	ok(!serial_gt(0, 0x80000000u), "either way");
	static const struct { uint32_t a, b; int want; } ge[] = {
		{ 4, 4, 1 },                     /* equal */
		{ 5, 4, 1 },
		{ 4, 5, 0 },
		{ 0, 0xFFFFFFFFu, 1 },           /* wraps: 0 follows 2^32-1 */
		{ 0xFFFFFFFFu, 0, 0 },
		{ 0x80000000u, 0, 0 },           /* undefined: neither */
		{ 0, 0x80000000u, 0 },
	};
	for (size_t i = 0; i < sizeof ge / sizeof ge[0]; i++)
		is_int(serial_ge(ge[i].a, ge[i].b), ge[i].want, "ge(%u, %u)", ge[i].a, ge[i].b);

	/* ns1.x. host.x. 7 3600 900 604800 300 */
	uint8_t rd[] = { 3, 'n', 's', '1', 1, 'x', 0, 4, 'h', 'o', 's', 't', 1, 'x', 0,
		0, 0, 0, 7, 0, 0, 0x0e, 0x10, 0, 0, 0x03, 0x84, 0, 0x09, 0x3a, 0x80, 0, 0, 1, 0x2c };
	uint32_t s = 0, r = 0, t = 0, e = 0;
	is_int(serial_soa_fields(rd, sizeof rd, &s, &r, &t, &e), 0, "SOA rdata parses");
	is_int(s, 7, "serial");
	is_int(r, 3600, "refresh");
	is_int(t, 900, "retry");
	is_int(e, 604800, "expire");
	is_int(serial_soa_fields(rd, sizeof rd - 1, &s, NULL, NULL, NULL), -1, "short rdata refused");
	is_int(serial_soa_fields(rd, 5, &s, NULL, NULL, NULL), -1, "a cut name refused");
	uint8_t ptr[] = { 0xC0, 12, 0xC0, 12, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	is_int(serial_soa_fields(ptr, sizeof ptr, &s, NULL, NULL, NULL), -1, "compressed names refused");
	return tap_done();
}
