/* xfrin.h -- the answer stream of an IXFR or AXFR nodd sent upstream, checked record by
 * record (RFC 5936 2.2, RFC 1995 4).
 *
 * Pure: no I/O, no store, no clock, so that the checks the secondary makes on what an
 * upstream sends have unit tests and a libFuzzer target (tests/fuzz/fuzz_xfrin.c).
 * zones/xfrclient.c parses each message with ldns, feeds the answer records here in
 * order, stages those it is told to, and ends the transfer when told so. */
#ifndef NODD_XFRIN_H
#define NODD_XFRIN_H

#include <stddef.h>
#include <stdint.h>

#include "lib/dname.h"

enum {
	XFRIN_STYLE_UNKNOWN = 0,      /* an AXFR, or an IXFR before its second record */
	XFRIN_STYLE_INCREMENTAL = 1,  /* an IXFR answered with differences */
	XFRIN_STYLE_AXFR = 2,         /* an IXFR answered AXFR-style */
};

/* What xfrin_record() says of one record. */
enum { XFRIN_ERROR = -1, XFRIN_SKIP = 0, XFRIN_STAGE = 1 };

/* What xfrin_message_end() says of the transfer. */
enum { XFRIN_MORE = 0, XFRIN_DONE = 1, XFRIN_CURRENT = 2 };

struct xfrin {
	/* the request (xfrin_init) */
	uint8_t apex[DNAME_MAX_WIRE];
	size_t apex_len;
	int ixfr;                     /* the request was an IXFR */
	int have_copy;                /* a copy is held, at held_serial */
	uint32_t held_serial;
	/* progress */
	uint64_t nrr;                 /* answer records so far, the closing SOA included */
	uint64_t staged;              /* records xfrin_record() said to stage */
	uint32_t new_serial;          /* of the first SOA: the version being transferred */
	uint32_t refresh, retry, expire; /* and its timers */
	int soas;                     /* apex SOAs seen with new_serial */
	int style;                    /* XFRIN_STYLE_* */
	int ended;                    /* the closing SOA was seen */
	unsigned msgs;                /* messages ended */
	char err[160];                /* why, after XFRIN_ERROR */
};

/* apex: the zone's wire name (compared case-insensitively); held_serial is read only when
 * have_copy. */
void xfrin_init(struct xfrin *x, const uint8_t *apex, size_t apex_len, int ixfr, int have_copy,
	uint32_t held_serial);

/* The next answer record: owner as uncompressed wire, rdata as uncompressed wire.
 * XFRIN_STAGE: keep it (for an IXFR, the n-th staged record is the n-th of the stream
 * without the closing SOA; the SOAs that separate the differences are staged too);
 * XFRIN_SKIP: the closing SOA; XFRIN_ERROR: the transfer is bad, x->err says why. After
 * XFRIN_ERROR or the closing SOA every further record is an error. */
int xfrin_record(struct xfrin *x, const uint8_t *owner, size_t owner_len, uint16_t type,
	const uint8_t *rd, size_t rdlen);

/* The end of one message that had ancount answer records: XFRIN_DONE when the closing SOA
 * was seen, XFRIN_CURRENT when an IXFR was answered by the lone SOA of the serial held
 * (nothing to do), else XFRIN_MORE. */
int xfrin_message_end(struct xfrin *x, unsigned ancount);

#endif
