/* xfrmsg.c -- see xfrmsg.h. Which rdata fields are names, per type: a short program of
 * steps (a name, fixed bytes, a character-string, the rest) read from a table. */
#include "zones/xfrmsg.h"

#include <string.h>

#include "lib/wire.h"

/* The steps of an rdata layout: 'n' a name, '2' '4' '6' '8' '9' (18) fixed bytes,
 * 's' a character-string; the rest of the rdata is copied as it is. */
static const char *layout(uint16_t type)
{
	switch (type) {
	case 2: case 3: case 4: case 5: case 7: case 8: case 9: case 12: case 39:
		return "n";     /* NS MD MF CNAME MB MG MR PTR DNAME */
	case 6:
		return "nn";    /* SOA: mname, rname, then the five numbers */
	case 14: case 17:
		return "nn";    /* MINFO, RP */
	case 15: case 18: case 21: case 36:
		return "2n";    /* MX AFSDB RT KX */
	case 26:
		return "2nn";   /* PX */
	case 33:
		return "6n";    /* SRV */
	case 35:
		return "4sssn"; /* NAPTR */
	case 24: case 46:
		return "9n";    /* SIG RRSIG: the signer's name after 18 bytes */
	case 30:
		return "n";     /* NXT: the next name, then its bitmap */
	default:
		return "";
	}
}

int xfrmsg_open(struct xfrmsg *m, const uint8_t *msg, size_t len)
{
	memset(m, 0, sizeof *m);
	if (len < WIRE_HEADER_SIZE)
		return -1;
	m->msg = msg;
	m->len = len;
	m->id = wire_get16(msg);
	uint16_t flags = wire_get16(msg + 2);
	m->qr = (flags >> 15) & 1;
	m->rcode = flags & 0xF;
	unsigned qd = wire_get16(msg + 4);
	m->ancount = m->left = wire_get16(msg + 6);
	size_t off = WIRE_HEADER_SIZE;
	for (unsigned i = 0; i < qd; i++) {
		uint8_t name[DNAME_MAX_WIRE];
		size_t nl;
		off = dname_wire_parse(msg, len, off, name, &nl);
		if (!off || off + 4 > len)
			return -1;
		off += 4;
	}
	m->off = off;
	return 0;
}

/* The rdata at msg[at, end) into rr->rd, names decompressed and lowercased where the
 * type's layout has them. 0 or -1. */
static int canon_rdata(const struct xfrmsg *m, size_t at, size_t end, struct xfrmsg_rr *rr)
{
	size_t o = 0;
	for (const char *p = layout(rr->type); *p; p++) {
		if (*p == 'n') {
			size_t nl;
			size_t next = dname_wire_parse(m->msg, end, at, rr->rd + o, &nl);
			if (!next)
				return -1;
			at = next;
			o += nl;
			continue;
		}
		size_t n = *p == 's' ? (at < end ? 1 + (size_t)m->msg[at] : 1)
			: *p == '9' ? 18 : (size_t)(*p - '0');
		if (at + n > end)
			return -1;
		memcpy(rr->rd + o, m->msg + at, n);
		at += n;
		o += n;
	}
	if (o + (end - at) > XFRMSG_RD_MAX)
		return -1;
	memcpy(rr->rd + o, m->msg + at, end - at);
	rr->rdlen = o + (end - at);
	return 0;
}

int xfrmsg_next(struct xfrmsg *m, struct xfrmsg_rr *rr)
{
	if (!m->left)
		return 0;
	size_t off = dname_wire_parse(m->msg, m->len, m->off, rr->owner, &rr->owner_len);
	if (!off || off + 10 > m->len)
		return -1;
	const uint8_t *h = m->msg + off;
	rr->type = wire_get16(h);
	rr->cls = wire_get16(h + 2);
	rr->ttl = wire_get32(h + 4);
	size_t rdlen = wire_get16(h + 8);
	off += 10;
	if (off + rdlen > m->len || canon_rdata(m, off, off + rdlen, rr) < 0)
		return -1;
	m->off = off + rdlen;
	m->left--;
	return 1;
}
