/* xfrmsg.h -- one message of a transfer answer read straight from the wire: the header,
 * the question skipped, then the answer records one by one, each owner lowercased and
 * uncompressed, each rdata in the stored copy's canonical form (RFC 4034 6.2: the names of
 * the types RFC 1035 and RFC 3597 7 list decompressed and lowercased; every other rdata
 * as it came). Only the header and the answer section are read (a message's TSIG was
 * verified and taken off before, zones/xfrclient.c).
 *
 * Pure: no I/O, no store, no allocation; the fuzz target tests/fuzz/fuzz_xfrin.c feeds
 * it arbitrary bytes. Written here rather than with ldns because ldns builds a packet of
 * allocated records per message and its canonical rdata has to be copied out again:
 * on a TLD's AXFR that was most of the time spent receiving. */
#ifndef NODD_XFRMSG_H
#define NODD_XFRMSG_H

#include <stddef.h>
#include <stdint.h>

#include "lib/dname.h"

/* The longest canonical rdata kept (longer is refused as a record that cannot be stored). */
#define XFRMSG_RD_MAX 65535

struct xfrmsg {
	const uint8_t *msg;    /* borrowed */
	size_t len;
	uint16_t id;
	int qr;
	unsigned rcode;
	unsigned ancount;
	size_t off;            /* the next answer record */
	unsigned left;         /* answer records not read yet */
};

/* One answer record; owner and rd are buffers of the caller's (rd: XFRMSG_RD_MAX bytes). */
struct xfrmsg_rr {
	uint8_t owner[DNAME_MAX_WIRE];
	size_t owner_len;
	uint16_t type, cls;
	uint32_t ttl;
	uint8_t *rd;
	size_t rdlen;
};

/* Read the header of msg (borrowed, len bytes) and step over the question section.
 * 0, or -1 when the message is malformed. */
int xfrmsg_open(struct xfrmsg *m, const uint8_t *msg, size_t len);

/* The next answer record into rr (rr->rd must point to XFRMSG_RD_MAX bytes). 1 with a
 * record, 0 after the last one, -1 when the record is malformed (its length does not
 * hold, a name in its rdata is malformed, or its canonical rdata is too long). */
int xfrmsg_next(struct xfrmsg *m, struct xfrmsg_rr *rr);

#endif
