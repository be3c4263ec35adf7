/* tsig_msg.c -- the message side of TSIG: finding the TSIG RR in a message (exactly one,
 * last in the additional section, nothing after it), reading its fields, and appending a
 * new one. "Stripping" is a length: a verified message is parsed up to tsig_off. Computes
 * no MAC (lib/tsig.c) and holds no keys (lib/tsig_key.c). */
#include "lib/tsig.h"

#include <string.h>

#include "lib/dname.h"
#include "lib/tsig_internal.h"
#include "lib/wire.h"

int tsig_find(const uint8_t *msg, size_t len, size_t *tsig_off)
{
	if (!msg || len < 12)
		return -1;
	uint8_t name[DNAME_MAX_WIRE];
	size_t nl, off = 12;
	unsigned qd = wire_get16(msg + 4), an = wire_get16(msg + 6), ns = wire_get16(msg + 8),
		ar = wire_get16(msg + 10);
	for (unsigned i = 0; i < qd; i++) {
		off = dname_wire_parse(msg, len, off, name, &nl);
		if (off == 0 || off + 4 > len)
			return -1;
		off += 4;
	}
	/* Every record is walked (not just searched for type 250), because names in earlier
	 * records may be compressed and a TSIG anywhere but last must be refused. */
	unsigned total = an + ns + ar;
	int found = 0;
	for (unsigned i = 0; i < total; i++) {
		size_t start = off;
		off = dname_wire_parse(msg, len, off, name, &nl);
		if (off == 0 || off + 10 > len)
			return -1;
		uint16_t type = wire_get16(msg + off);
		size_t rdlen = wire_get16(msg + off + 8);
		off += 10;
		if (off + rdlen > len)
			return -1;
		off += rdlen;
		if (type == TSIG_RR_TYPE) {
			if (i != total - 1 || i < an + ns)
				return -1;
			*tsig_off = start;
			found = 1;
		}
	}
	if (off != len)
		return -1; /* trailing bytes: the MAC would not cover them */
	return found;
}

int tsig_rr_parse(const uint8_t *msg, size_t len, size_t off, struct tsig_rr *t)
{
	off = dname_wire_parse(msg, len, off, t->key_name, &t->key_name_len);
	if (off == 0 || off + 10 > len)
		return -1;
	uint16_t cls = wire_get16(msg + off + 2);
	uint32_t ttl = wire_get32(msg + off + 4);
	size_t rdlen = wire_get16(msg + off + 8);
	off += 10;
	size_t end = off + rdlen;
	if (cls != TSIG_CLASS_ANY || ttl != 0 || end != len)
		return -1;
	off = dname_wire_parse(msg, end, off, t->alg_name, &t->alg_name_len);
	if (off == 0 || off + 10 > end)
		return -1;
	t->time = tsig_get48(msg + off);
	t->fudge = wire_get16(msg + off + 6);
	t->mac_len = wire_get16(msg + off + 8);
	off += 10;
	if (t->mac_len > TSIG_MAX_MAC || off + t->mac_len + 6 > end)
		return -1;
	t->mac = msg + off;
	off += t->mac_len;
	t->orig_id = wire_get16(msg + off);
	t->error = wire_get16(msg + off + 2);
	t->other_len = wire_get16(msg + off + 4);
	off += 6;
	if (off + t->other_len != end)
		return -1;
	t->other = msg + off;
	return 0;
}

struct tsig_vars tsig_rr_vars(const struct tsig_rr *t)
{
	return (struct tsig_vars){
		.key_name = t->key_name, .key_name_len = t->key_name_len,
		.alg_name = t->alg_name, .alg_name_len = t->alg_name_len,
		.time = t->time, .fudge = t->fudge, .error = t->error,
		.other = t->other, .other_len = t->other_len,
	};
}

void tsig_result_from_rr(struct tsig_result *res, const struct tsig_rr *t, size_t off)
{
	memcpy(res->key_name, t->key_name, t->key_name_len);
	res->key_name_len = t->key_name_len;
	memcpy(res->alg_name, t->alg_name, t->alg_name_len);
	res->alg_name_len = t->alg_name_len;
	memcpy(res->mac.data, t->mac, t->mac_len);
	res->mac.len = t->mac_len;
	res->time_signed = t->time;
	res->fudge = t->fudge;
	res->orig_id = t->orig_id;
	res->error = t->error;
	res->other_time = t->other_len == 6 ? tsig_get48(t->other) : 0;
	res->msg_len = off;
	res->tsig_off = off;
}

int tsig_rr_append(uint8_t *msg, size_t len, size_t cap, const struct tsig_vars *v,
	const uint8_t *mac, size_t mac_len, uint16_t orig_id, size_t *out_len)
{
	size_t rdlen = v->alg_name_len + 6 + 2 + 2 + mac_len + 2 + 2 + 2 + v->other_len;
	size_t need = v->key_name_len + 10 + rdlen;
	if (len < 12)
		return TSIG_E_INVAL;
	if (len + need > cap || len + need > 65535 || wire_get16(msg + 10) == 0xffff)
		return TSIG_E_SPACE;
	uint8_t *p = msg + len;
	memcpy(p, v->key_name, v->key_name_len);
	p += v->key_name_len;
	tsig_put16(p, TSIG_RR_TYPE);
	tsig_put16(p + 2, TSIG_CLASS_ANY);
	memset(p + 4, 0, 4);
	tsig_put16(p + 8, (uint16_t)rdlen);
	p += 10;
	memcpy(p, v->alg_name, v->alg_name_len);
	p += v->alg_name_len;
	tsig_put48(p, v->time);
	tsig_put16(p + 6, v->fudge);
	tsig_put16(p + 8, (uint16_t)mac_len);
	p += 10;
	if (mac_len)
		memcpy(p, mac, mac_len);
	p += mac_len;
	tsig_put16(p, orig_id);
	tsig_put16(p + 2, v->error);
	tsig_put16(p + 4, (uint16_t)v->other_len);
	p += 6;
	if (v->other_len)
		memcpy(p, v->other, v->other_len);
	tsig_put16(msg + 10, (uint16_t)(wire_get16(msg + 10) + 1));
	*out_len = len + need;
	return TSIG_OK;
}
