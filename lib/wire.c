/* wire.c -- the DNS message writer (see wire.h): sticky-error buffer, compression.
 * Never allocates and never writes past the buffer it is given. */
#include "lib/wire.h"

#include <string.h>

#include "lib/dname.h"

#define PTR_LIMIT 0x4000  /* a compression pointer holds 14 bits of offset */

void wire_init(struct wire *w, uint8_t *buf, size_t size)
{
	memset(w, 0, offsetof(struct wire, labels));
	w->buf = buf;
	w->size = size;
	w->cap = size;
}

void wire_set_cap(struct wire *w, size_t cap)
{
	w->cap = cap < w->size ? cap : w->size;
}

void wire_header(struct wire *w, uint16_t id, uint16_t flags)
{
	if (wire_room(w, WIRE_HEADER_SIZE)) {
		uint8_t *h = w->buf + w->len;
		h[0] = (uint8_t)(id >> 8);
		h[1] = (uint8_t)id;
		h[2] = (uint8_t)(flags >> 8);
		h[3] = (uint8_t)flags;
		memset(h + 4, 0, 8);
		w->len += WIRE_HEADER_SIZE;
	}
	w->section = WIRE_QD;
}

uint16_t wire_flags(const struct wire *w)
{
	if (w->len < WIRE_HEADER_SIZE)
		return 0;
	return (uint16_t)((w->buf[2] << 8) | w->buf[3]);
}

void wire_set_flags(struct wire *w, uint16_t flags)
{
	if (w->len < WIRE_HEADER_SIZE)
		return;
	w->buf[2] = (uint8_t)(flags >> 8);
	w->buf[3] = (uint8_t)flags;
}

void wire_section(struct wire *w, enum wire_section s)
{
	w->section = s;
}

/* Follow compression pointers from off to the first real label. Our own pointers always
 * point backwards; anything else ends the walk (returns w->len). */
static size_t deref(const struct wire *w, size_t off, int *hops)
{
	while (off + 1 < w->len && (w->buf[off] & 0xC0) == 0xC0) {
		size_t t = ((size_t)(w->buf[off] & 0x3F) << 8) | w->buf[off + 1];
		if (t >= off || ++*hops > DNAME_MAX_LABELS)
			return w->len;
		off = t;
	}
	return off;
}

/* 1 when the message's name at off equals name (len bytes, with root), ignoring case. */
static int name_equal_at(const struct wire *w, size_t off, const uint8_t *name, size_t len)
{
	size_t i = 0;
	int hops = 0;
	for (;;) {
		if (off < w->len && (w->buf[off] & 0xC0) == 0xC0)
			off = deref(w, off, &hops);
		if (off >= w->len || i >= len)
			return 0;
		uint8_t c = w->buf[off];
		if ((c & 0xC0) || c != name[i])
			return 0;
		if (c == 0)
			return i + 1 == len;
		if (off + 1 + c > w->len || i + 1 + c > len)
			return 0;
		for (size_t k = 1; k <= c; k++)
			if (dname_lower(w->buf[off + k]) != dname_lower(name[i + k]))
				return 0;
		off += 1 + (size_t)c;
		i += 1 + (size_t)c;
	}
}

/* Uncompressed length of the message's name at off, or 0 when it is malformed. */
static size_t name_length_at(const struct wire *w, size_t off)
{
	size_t n = 0;
	int hops = 0;
	for (;;) {
		off = deref(w, off, &hops);
		if (off >= w->len)
			return 0;
		uint8_t c = w->buf[off];
		if (c & 0xC0)
			return 0;
		n += 1 + (size_t)c;
		if (n > DNAME_MAX_WIRE)
			return 0;
		if (c == 0)
			return n;
		off += 1 + (size_t)c;
	}
}

static void remember(struct wire *w, size_t off, size_t rest)
{
	if (off < PTR_LIMIT && rest > 1 && rest <= DNAME_MAX_WIRE && w->nlabels < WIRE_MAX_NAMES) {
		w->labels[w->nlabels].off = (uint16_t)off;
		w->labels[w->nlabels].rest = (uint8_t)rest;
		w->nlabels++;
	}
}

void wire_name(struct wire *w, const uint8_t *name, size_t len)
{
	if (w->err)
		return;
	if (len == 1 && name[0] == 0) {
		wire_put8(w, 0);    /* the root: never worth a pointer */
		return;
	}
	if (len == 0 || len > DNAME_MAX_WIRE) {
		w->err = 1;
		return;
	}
	/* The longest suffix already in the message: try the whole name first, then each
	 * shorter suffix. The root alone is never worth a pointer. */
	size_t i = 0;
	long target = -1;
	while (i < len && name[i] != 0) {
		if (name[i] > 63)
			break;
		size_t rest = len - i;
		for (int e = 0; e < w->nlabels; e++) {
			if (w->labels[e].rest == rest &&
			    name_equal_at(w, w->labels[e].off, name + i, rest)) {
				target = w->labels[e].off;
				break;
			}
		}
		if (target >= 0)
			break;
		i += 1 + (size_t)name[i];
	}
	if (i >= len || (target < 0 && (name[i] != 0 || i + 1 != len))) {
		w->err = 1;      /* not a wire name of len bytes */
		return;
	}
	size_t start = w->len;
	if (!wire_room(w, i + (target >= 0 ? 2 : 1)))
		return;
	memcpy(w->buf + w->len, name, i);
	w->len += i;
	if (target >= 0) {
		w->buf[w->len++] = (uint8_t)(0xC0 | (target >> 8));
		w->buf[w->len++] = (uint8_t)target;
	} else {
		w->buf[w->len++] = 0;
	}
	for (size_t j = 0; j < i; j += 1 + (size_t)name[j])
		remember(w, start + j, len - j);
}

void wire_name_ptr(struct wire *w, size_t off)
{
	if (off >= PTR_LIMIT) {
		w->err = 1;
		return;
	}
	wire_put16(w, (uint16_t)(0xC000 | off));
}

void wire_learn(struct wire *w, size_t off)
{
	/* One walk: remember each label start with the length consumed before it, then turn
	 * that into the length left once the whole name's length is known. */
	int first = w->nlabels;
	size_t done = 0, p = off;
	while (p < w->len && w->buf[p] != 0 && !(w->buf[p] & 0xC0)) {
		if (w->nlabels < WIRE_MAX_NAMES && p < PTR_LIMIT) {
			w->labels[w->nlabels].off = (uint16_t)p;
			w->labels[w->nlabels].rest = (uint8_t)(done > 255 ? 255 : done);
			w->nlabels++;
		}
		done += 1 + (size_t)w->buf[p];
		p += 1 + (size_t)w->buf[p];
	}
	size_t total = p < w->len && w->buf[p] == 0 ? done + 1 : name_length_at(w, off);
	if (total == 0 || total > DNAME_MAX_WIRE || p >= w->len) {
		w->nlabels = first;       /* malformed: forget it */
		return;
	}
	for (int i = first; i < w->nlabels; i++)
		w->labels[i].rest = (uint8_t)(total - w->labels[i].rest);
}

/* An owner: a name to compress, or (NULL) a pointer to the name at offset olen. */
static void put_owner(struct wire *w, const uint8_t *owner, size_t olen)
{
	if (owner)
		wire_name(w, owner, olen);
	else
		wire_name_ptr(w, olen);
}

void wire_question_copy(struct wire *w, const uint8_t *question, size_t n)
{
	size_t at = w->len;
	wire_put(w, question, n);
	if (w->err)
		return;
	wire_learn(w, at);
	w->count[WIRE_QD]++;
}

void wire_question(struct wire *w, const uint8_t *name, size_t len, uint16_t type,
	uint16_t cls)
{
	wire_name(w, name, len);
	wire_put16(w, type);
	wire_put16(w, cls);
	if (!w->err)
		w->count[WIRE_QD]++;
}

size_t wire_rr_head(struct wire *w, uint16_t type, uint16_t cls, uint32_t ttl)
{
	wire_put16(w, type);
	wire_put16(w, cls);
	wire_put32(w, ttl);
	wire_put16(w, 0);
	return w->err ? 0 : w->len - 2;
}

void wire_rr_end(struct wire *w, size_t rdlen_at)
{
	if (w->err)
		return;
	size_t n = w->len - rdlen_at - 2;
	if (n > 0xFFFF) {
		w->err = 1;
		return;
	}
	w->buf[rdlen_at] = (uint8_t)(n >> 8);
	w->buf[rdlen_at + 1] = (uint8_t)n;
	w->count[w->section]++;
}

void wire_rr_soa(struct wire *w, const uint8_t *owner, size_t olen, uint32_t ttl,
	const struct wire_soa *soa)
{
	put_owner(w, owner, olen);
	size_t at = wire_rr_head(w, WIRE_T_SOA, WIRE_C_IN, ttl);
	wire_name(w, soa->mname, soa->mname_len);
	wire_name(w, soa->rname, soa->rname_len);
	wire_put32(w, soa->serial);
	wire_put32(w, soa->refresh);
	wire_put32(w, soa->retry);
	wire_put32(w, soa->expire);
	wire_put32(w, soa->minimum);
	wire_rr_end(w, at);
}

static void rr_name_rdata(struct wire *w, uint16_t type, const uint8_t *owner, size_t olen,
	uint32_t ttl, const uint8_t *target, size_t tlen)
{
	put_owner(w, owner, olen);
	size_t at = wire_rr_head(w, type, WIRE_C_IN, ttl);
	wire_name(w, target, tlen);
	wire_rr_end(w, at);
}

void wire_rr_ns(struct wire *w, const uint8_t *owner, size_t olen, uint32_t ttl,
	const uint8_t *target, size_t tlen)
{
	rr_name_rdata(w, WIRE_T_NS, owner, olen, ttl, target, tlen);
}

void wire_rr_cname(struct wire *w, const uint8_t *owner, size_t olen, uint32_t ttl,
	const uint8_t *target, size_t tlen)
{
	rr_name_rdata(w, WIRE_T_CNAME, owner, olen, ttl, target, tlen);
}

void wire_rr_a(struct wire *w, const uint8_t *owner, size_t olen, uint32_t ttl,
	const uint8_t addr[4])
{
	put_owner(w, owner, olen);
	size_t at = wire_rr_head(w, WIRE_T_A, WIRE_C_IN, ttl);
	wire_put(w, addr, 4);
	wire_rr_end(w, at);
}

void wire_rr_txt(struct wire *w, const uint8_t *owner, size_t olen, uint32_t ttl,
	const void *text, size_t n)
{
	const uint8_t *p = text;
	put_owner(w, owner, olen);
	size_t at = wire_rr_head(w, WIRE_T_TXT, WIRE_C_IN, ttl);
	do {
		size_t chunk = n > 255 ? 255 : n;
		wire_put8(w, (uint8_t)chunk);
		wire_put(w, p, chunk);
		p += chunk;
		n -= chunk;
	} while (n > 0);
	wire_rr_end(w, at);
}

void wire_opt(struct wire *w, uint16_t payload, uint8_t ext_rcode, uint8_t version,
	int do_bit)
{
	enum wire_section s = w->section;
	w->section = WIRE_AR;
	wire_put8(w, 0);                       /* owner: root */
	size_t at = wire_rr_head(w, WIRE_T_OPT, payload,
		((uint32_t)ext_rcode << 24) | ((uint32_t)version << 16) | (do_bit ? 0x8000u : 0));
	wire_rr_end(w, at);
	w->section = s;
}

void wire_mark(const struct wire *w, struct wire_mark *m)
{
	m->len = w->len;
	memcpy(m->count, w->count, sizeof m->count);
	m->nlabels = w->nlabels;
}

void wire_rollback(struct wire *w, const struct wire_mark *m)
{
	w->len = m->len;
	memcpy(w->count, m->count, sizeof w->count);
	w->nlabels = m->nlabels;
	w->err = 0;
}

size_t wire_finish(struct wire *w)
{
	if (w->err || w->len < WIRE_HEADER_SIZE)
		return 0;
	for (int s = 0; s < 4; s++) {
		w->buf[4 + 2 * s] = (uint8_t)(w->count[s] >> 8);
		w->buf[5 + 2 * s] = (uint8_t)w->count[s];
	}
	return w->len;
}
