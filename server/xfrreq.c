/* xfrreq.c -- see xfrreq.h.
 * Pure: parses, never answers. */
#include "server/xfrreq.h"

#include <string.h>

#include "lib/wire.h"

static int zone_of(const struct answer_cfg *cfg, const uint8_t *name, size_t len)
{
	for (int z = 0; z < NOD_ZONE_COUNT; z++)
		if (cfg->apex_len[z] == len && memcmp(cfg->apex[z], name, len) == 0)
			return z;
	return -1;
}

int xfr_req_parse(const struct answer_cfg *cfg, const uint8_t *q, size_t qlen, size_t msglen,
	struct xfr_req *r)
{
	memset(r, 0, sizeof *r);
	r->zone = -1;
	if (msglen > qlen)
		msglen = qlen;
	if (msglen < WIRE_HEADER_SIZE)
		return -1;
	r->id = wire_get16(q);
	r->flags = wire_get16(q + 2);
	if (wire_get16(q + 4) != 1)
		return -1;
	size_t off = dname_wire_parse(q, msglen, WIRE_HEADER_SIZE, r->qname, &r->qname_len);
	if (!off || off + 4 > msglen)
		return -1;
	r->qtype = wire_get16(q + off);
	r->qend = off + 4;
	r->zone = zone_of(cfg, r->qname, r->qname_len);
	if (r->qtype == WIRE_T_IXFR && wire_get16(q + 8) >= 1 && wire_get16(q + 6) == 0) {
		/* IXFR: the client's SOA in the authority section (RFC 1995 3): owner, type 6,
		 * class, TTL, RDLENGTH, then MNAME, RNAME and the serial inside RDLENGTH. */
		uint8_t nm[DNAME_MAX_WIRE];
		size_t nl;
		off = dname_wire_parse(q, msglen, r->qend, nm, &nl);
		if (!off || off + 10 > msglen || wire_get16(q + off) != WIRE_T_SOA)
			return -1;
		size_t rd = off + 10, rdlen = wire_get16(q + off + 8);
		if (rd + rdlen > msglen)
			return -1;
		size_t p = dname_wire_parse(q, rd + rdlen, rd, nm, &nl);
		if (p)
			p = dname_wire_parse(q, rd + rdlen, p, nm, &nl);
		if (!p || p + 20 > rd + rdlen)
			return -1;
		r->serial = wire_get32(q + p);
		r->has_serial = 1;
	}
	return 0;
}

size_t xfr_error_reply(const uint8_t *q, size_t qend, int rcode, uint8_t *out, size_t cap)
{
	if (qend < WIRE_HEADER_SIZE || qend > cap)
		return 0;
	memcpy(out, q, qend);
	out[2] = (uint8_t)(0x80 | (q[2] & 0x79)); /* QR, opcode, RD kept; AA/TC cleared */
	out[3] = (uint8_t)(rcode & WIRE_RCODE_MASK);
	out[4] = 0;
	out[5] = qend > WIRE_HEADER_SIZE ? 1 : 0;
	memset(out + 6, 0, 6);
	return qend;
}
