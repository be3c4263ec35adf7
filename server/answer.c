/* answer.c -- the query path: query bytes + index view -> reply bytes (see answer.h).
 * Pure: no I/O, no allocation, no locks. */
#include "server/answer.h"

#include <stdio.h>
#include <string.h>

#include "policy/lookup.h"

#define T_A 1
#define T_NS 2
#define T_CNAME 5
#define T_SOA 6
#define T_TXT 16
#define T_OPT 41
#define T_TSIG 250
#define T_IXFR 251
#define T_AXFR 252
#define T_ANY 255

enum { R_NOERROR = 0, R_FORMERR = 1, R_NXDOMAIN = 3, R_NOTIMP = 4, R_REFUSED = 5 };

struct wbuf {
	uint8_t *p;
	size_t len, cap;
	int err;
};

static void put(struct wbuf *w, const void *d, size_t n)
{
	if (w->err || w->len + n > w->cap) {
		w->err = 1;
		return;
	}
	memcpy(w->p + w->len, d, n);
	w->len += n;
}

static void put16(struct wbuf *w, unsigned v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	put(w, b, 2);
}

static void put32(struct wbuf *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
	put(w, b, 4);
}

static uint16_t get16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }

/* A name that is the zone apex: written as a pointer to where the apex starts inside the
 * question name (qname ends with the apex), or in full when no such place exists. */
static void put_name(struct wbuf *w, const uint8_t *name, size_t len, size_t ptr)
{
	if (ptr)
		put16(w, 0xC000 | (unsigned)ptr);
	else
		put(w, name, len);
}

struct ctx {
	const struct answer_cfg *cfg;
	const struct answer_view *view;
	int zone;
	size_t apex_ptr;   /* offset of the apex inside the question name in the reply */
	uint32_t neg_ttl;
};

static void put_soa(struct wbuf *w, const struct ctx *c, uint32_t ttl)
{
	const struct answer_cfg *cfg = c->cfg;
	put_name(w, cfg->apex[c->zone], cfg->apex_len[c->zone], c->apex_ptr);
	put16(w, T_SOA);
	put16(w, 1);
	put32(w, ttl);
	size_t rdl = w->len;
	put16(w, 0);
	put(w, cfg->mname, cfg->mname_len);
	put(w, cfg->rname, cfg->rname_len);
	put32(w, c->view->serial[c->zone]);
	put32(w, cfg->soa_refresh);
	put32(w, cfg->soa_retry);
	put32(w, cfg->soa_expire);
	put32(w, cfg->soa_minimum);
	if (!w->err) {
		size_t n = w->len - rdl - 2;
		w->p[rdl] = (uint8_t)(n >> 8);
		w->p[rdl + 1] = (uint8_t)n;
	}
}

/* Skip one RR at off; returns the offset after it or 0. Fills type and owner check. */
static size_t skip_rr(const uint8_t *q, size_t qlen, size_t off, uint16_t *type, int *root_owner)
{
	uint8_t name[DNAME_MAX_WIRE];
	size_t nl;
	size_t p = dname_wire_parse(q, qlen, off, name, &nl);
	if (!p || p + 10 > qlen)
		return 0;
	*type = get16(q + p);
	*root_owner = nl == 1;
	size_t rdl = get16(q + p + 8);
	if (p + 10 + rdl > qlen)
		return 0;
	return p + 10 + rdl;
}

size_t answer_error(const uint8_t *q, size_t qlen, int rcode, uint8_t *out, size_t outcap)
{
	if (qlen < 12 || outcap < 12)
		return 0;
	uint8_t name[DNAME_MAX_WIRE];
	size_t nl, end = 12;
	if (get16(q + 4) == 1) {
		size_t p = dname_wire_parse(q, qlen, 12, name, &nl);
		if (p && p + 4 <= qlen)
			end = p + 4;
	}
	if (end > outcap)
		end = 12;
	memcpy(out, q, end);
	out[2] = (uint8_t)(0x80 | (q[2] & 0x79));   /* QR, opcode, RD */
	out[3] = (uint8_t)(rcode & 0x0F);
	out[4] = 0;
	out[5] = end > 12 ? 1 : 0;
	memset(out + 6, 0, 6);
	return end;
}

size_t answer_query(const struct answer_cfg *cfg, const struct answer_view *view,
	const uint8_t *q, size_t qlen, uint8_t *out, size_t outcap, int tcp,
	struct answer_info *info)
{
	memset(info, 0, sizeof *info);
	info->zone = -1;
	if (qlen < 12) {
		info->dropped = 1;
		return 0;
	}
	if (q[2] & 0x80) {
		info->dropped = 1;
		return 0;
	}
	info->opcode = (q[2] >> 3) & 0x0F;
	uint16_t qd = get16(q + 4);
	if (info->opcode != 0) {
		info->rcode = R_NOTIMP;
		return answer_error(q, qlen, R_NOTIMP, out, outcap);
	}
	if (qd != 1) {
		info->rcode = R_FORMERR;
		return answer_error(q, qlen, R_FORMERR, out, outcap);
	}
	uint8_t qname[DNAME_MAX_WIRE];
	size_t qnl;
	size_t qend = dname_wire_parse(q, qlen, 12, qname, &qnl);
	if (!qend || qend + 4 > qlen) {
		info->rcode = R_FORMERR;
		return answer_error(q, 12, R_FORMERR, out, outcap);
	}
	uint16_t qtype = get16(q + qend), qclass = get16(q + qend + 2);
	qend += 4;
	info->qtype = qtype;
	info->question_end = qend;

	/* Walk the other sections: they must parse, at most one OPT, TSIG last. */
	unsigned counts = (unsigned)get16(q + 6) + get16(q + 8) + get16(q + 10);
	size_t off = qend;
	int nopt = 0, edns = 0, do_bit = 0, badvers = 0;
	size_t payload = 512;
	for (unsigned i = 0; i < counts; i++) {
		uint16_t type;
		int root;
		size_t start = off;
		off = skip_rr(q, qlen, off, &type, &root);
		if (!off)
			goto formerr;
		if (type == T_OPT) {
			if (++nopt > 1 || !root || i < (unsigned)get16(q + 6) + get16(q + 8))
				goto formerr;
			size_t p = start + 1;
			edns = 1;
			payload = get16(q + p + 2);
			if (payload < 512)
				payload = 512;
			if (q[p + 5] != 0)
				badvers = 1;
			do_bit = (q[p + 6] & 0x80) != 0;
		} else if (type == T_TSIG) {
			if (i != counts - 1)
				goto formerr;
			info->has_tsig = 1;
		}
	}
	if (off != qlen)
		goto formerr;

	size_t limit = tcp ? 65535 : (edns ? (payload < ANSWER_EDNS_SIZE ? payload : ANSWER_EDNS_SIZE) : 512);
	if (limit > outcap)
		limit = outcap;
	struct wbuf w = { out, 0, limit, 0 };
	put(&w, q, qend);
	out[2] = (uint8_t)(0x80 | (q[2] & 0x01));    /* QR, opcode 0, RD copied */
	out[3] = 0;
	memset(out + 6, 0, 6);
	uint16_t an = 0, ns = 0;

	if (badvers) {
		info->rcode = 16;
		goto finish;
	}
	if (qclass != 1 && qclass != 255) {
		info->rcode = R_REFUSED;
		goto finish;
	}
	/* the zone: longest apex that qname ends with */
	int zone = -1;
	int rel_len = -1;
	for (int z = 0; z < NOD_ZONE_COUNT; z++) {
		int r = dname_strip_suffix(qname, qnl, cfg->apex[z], cfg->apex_len[z]);
		if (r >= 0 && (zone < 0 || r < rel_len)) {
			zone = z;
			rel_len = r;
		}
	}
	if (zone < 0) {
		info->rcode = R_REFUSED;
		goto finish;
	}
	info->zone = zone;
	out[2] |= 0x04; /* AA */
	if (qtype == T_AXFR || qtype == T_IXFR) {
		if (tcp) {
			info->xfr = 1;
			return 0;
		}
		if (qtype == T_AXFR) {
			info->rcode = R_FORMERR;
			goto finish;
		}
	}
	if (qtype == 253 || qtype == 254) {
		info->rcode = R_NOTIMP;
		out[2] &= (uint8_t)~0x04;
		goto finish;
	}
	/* The apex inside the echoed question name is at 12 + rel_len when the question is
	 * written uncompressed (it always is in practice); otherwise write it in full. */
	size_t apex_ptr = (qend - 4 - 12 == qnl) ? 12 + (size_t)rel_len : 0;
	struct ctx c = { cfg, view, zone, apex_ptr,
		cfg->ttl < cfg->soa_minimum ? cfg->ttl : cfg->soa_minimum };
	int rcode = R_NOERROR;
	size_t ans_start = w.len;
	if (rel_len == 0) {
		if (qtype == T_SOA || qtype == T_ANY || qtype == T_IXFR) {
			put_soa(&w, &c, cfg->ttl);
			an++;
		} else if (qtype == T_NS) {
			for (int i = 0; i < cfg->nns; i++) {
				put16(&w, 0xC00C);
				put16(&w, T_NS);
				put16(&w, 1);
				put32(&w, cfg->ttl);
				put16(&w, (unsigned)cfg->ns_len[i]);
				put(&w, cfg->ns[i], cfg->ns_len[i]);
				an++;
			}
		}
	} else {
		/* relative name without the root label */
		const uint8_t *rel = qname;
		size_t rl = (size_t)rel_len;
		if (zone == NOD_ZONE_DNSBL) {
			int64_t fs = 0;
			int code = 0;
			enum nod_match m = dnsbl_lookup(view->ix, rel, rl, view->now, &fs, &code);
			if (m == NOD_NXDOMAIN) {
				rcode = R_NXDOMAIN;
			} else if (m == NOD_LISTED && (qtype == T_A || qtype == T_ANY)) {
				put16(&w, 0xC00C);
				put16(&w, T_A);
				put16(&w, 1);
				put32(&w, cfg->ttl);
				put16(&w, 4);
				uint8_t a[4] = { 127, 0, 0, (uint8_t)code };
				put(&w, a, 4);
				an++;
			} else if (m == NOD_LISTED && qtype == T_TXT) {
				char txt[64];
				int n = fs ? snprintf(txt, sizeof txt, "first_seen=%lld", (long long)fs)
					   : snprintf(txt, sizeof txt, "first_seen=0");
				put16(&w, 0xC00C);
				put16(&w, T_TXT);
				put16(&w, 1);
				put32(&w, cfg->ttl);
				put16(&w, (unsigned)n + 1);
				uint8_t l = (uint8_t)n;
				put(&w, &l, 1);
				put(&w, txt, (size_t)n);
				an++;
			}
		} else {
			enum nod_match m = rpz_lookup(view->ix, zone, rel, rl, view->now);
			if (m == NOD_NXDOMAIN) {
				rcode = R_NXDOMAIN;
			} else if (m == NOD_LISTED) {
				put16(&w, 0xC00C);
				put16(&w, T_CNAME);
				put16(&w, 1);
				put32(&w, cfg->ttl);
				if (cfg->rpz_nodata) {
					put16(&w, 3);
					put(&w, "\001*\000", 3);
				} else {
					put16(&w, 1);
					put(&w, "\000", 1);
				}
				an++;
			}
		}
	}
	if (w.err) {
		/* the answer does not fit: TC, no partial answer */
		w.err = 0;
		w.len = ans_start;
		an = 0;
		out[2] |= 0x02;
		info->truncated = 1;
		goto finish_rcode;
	}
	if (an == 0) {
		size_t before = w.len;
		put_soa(&w, &c, c.neg_ttl);
		if (w.err) {
			w.err = 0;
			w.len = before;
		} else {
			ns = 1;
		}
	}
	info->rcode = (uint8_t)rcode;
finish_rcode:
	out[3] = (uint8_t)(rcode & 0x0F);
	out[6] = (uint8_t)(an >> 8);
	out[7] = (uint8_t)an;
	out[8] = (uint8_t)(ns >> 8);
	out[9] = (uint8_t)ns;
	if (edns) {
		put(&w, "\000\000\051", 3);   /* root, OPT */
		put16(&w, ANSWER_EDNS_SIZE);
		put(&w, "\000\000", 2);       /* ext rcode, version */
		put16(&w, do_bit ? 0x8000 : 0);
		put16(&w, 0);
		if (!w.err)
			out[11] = 1;
	}
	return w.len;
finish:
	out[3] = (uint8_t)(info->rcode & 0x0F);
	if (edns) {
		put(&w, "\000\000\051", 3);
		put16(&w, ANSWER_EDNS_SIZE);
		uint8_t ext[2] = { (uint8_t)(info->rcode >> 4), 0 };
		put(&w, ext, 2);
		put16(&w, do_bit ? 0x8000 : 0);
		put16(&w, 0);
		if (!w.err)
			out[11] = 1;
	}
	return w.len;
formerr:
	info->rcode = R_FORMERR;
	return answer_error(q, qlen, R_FORMERR, out, outcap);
}
