/* fuzz_answer.c -- the whole query path: arbitrary bytes as a UDP and as a TCP query,
 * answered from a small index. Every reply must fit the buffer and the size limit, echo
 * the ID and the question, parse with ldns and with our strict name parser (compression
 * pointers only backwards). */
#include <ldns/ldns.h>
#include <stdlib.h>
#include <string.h>

#include "lib/dname.h"
#include "policy/allow.h"
#include "policy/index.h"
#include "server/answer.h"
#include "lib/wire.h"

static struct answer_cfg cfg, cfg_nodata;
static struct answer_view view;
static nindex_t *ix;

static void setup(void)
{
	static const char *labels[NOD_ZONE_COUNT] = { "5m.rpz", "10m.rpz", "30m.rpz", "1h.rpz",
		"3h.rpz", "12h.rpz", "24h.rpz", "v1.bl", "allow.rpz" };
	char buf[128];
	for (int z = 0; z < NOD_ZONE_COUNT; z++) {
		snprintf(buf, sizeof buf, "%s.nod.example", labels[z]);
		cfg.apex_len[z] = (size_t)dname_text_to_wire(buf, cfg.apex[z]);
	}
	cfg.ttl = 60;
	cfg.soa_refresh = cfg.soa_retry = 60;
	cfg.soa_minimum = 30;
	cfg.soa_expire = 21600;
	cfg.nns = 2;
	cfg.ns_len[0] = (size_t)dname_text_to_wire("ns1.nod.example", cfg.ns[0]);
	cfg.ns_len[1] = (size_t)dname_text_to_wire("localhost", cfg.ns[1]);
	memcpy(cfg.mname, cfg.ns[0], cfg.ns_len[0]);
	cfg.mname_len = cfg.ns_len[0];
	cfg.rname_len = (size_t)dname_text_to_wire("hostmaster.nod.example", cfg.rname);
	cfg_nodata = cfg;
	cfg_nodata.rpz_nodata = 1;
	ix = nindex_new();
	const char *names[] = { "x.se", "mail.y.ch", "old.nu", "deep.sub.example.se" };
	int64_t now = 1700000000;
	for (int i = 0; i < 4; i++) {
		uint8_t w[DNAME_MAX_WIRE];
		int l = dname_text_to_wire(names[i], w);
		nindex_put(ix, w, (size_t)l - 1, now - i * 1000, NULL);
	}
	/* an allow-list, so the allow zone and the allowed names are answered too */
	allow_t *al = allow_new();
	allow_add(al, "x.se", 1, 0, ALLOW_OPEN);
	allow_add(al, "*.sub.example.se", 0, 0, ALLOW_OPEN);
	allow_add(al, "a.b.c.example", 1, 0, ALLOW_OPEN);
	allow_rebuild(al, ix);
	view.allow = al;
	view.ix = ix;
	view.now = now;
	for (int z = 0; z < NOD_ZONE_COUNT; z++)
		view.serial[z] = (uint32_t)now + (uint32_t)z;
}

/* Question and records parse with dname_wire_parse, RDATA names too, nothing after. */
static int strict_ok(const uint8_t *m, size_t len)
{
	uint8_t n[DNAME_MAX_WIRE];
	size_t nl, off = 12;
	unsigned qd = (unsigned)(m[4] << 8 | m[5]);
	for (unsigned i = 0; i < qd; i++) {
		off = dname_wire_parse(m, len, off, n, &nl);
		if (!off || len - off < 4)
			return 0;
		off += 4;
	}
	unsigned rrs = (unsigned)((m[6] << 8 | m[7]) + (m[8] << 8 | m[9]) + (m[10] << 8 | m[11]));
	for (unsigned i = 0; i < rrs; i++) {
		off = dname_wire_parse(m, len, off, n, &nl);
		if (!off || len - off < 10)
			return 0;
		unsigned type = (unsigned)(m[off] << 8 | m[off + 1]);
		size_t end = off + 10 + (size_t)(m[off + 8] << 8 | m[off + 9]);
		if (end > len)
			return 0;
		if (type == WIRE_T_NS || type == WIRE_T_CNAME) {
			if (dname_wire_parse(m, len, off + 10, n, &nl) != end)
				return 0;
		} else if (type == WIRE_T_SOA) {
			size_t p = dname_wire_parse(m, len, off + 10, n, &nl);
			p = p ? dname_wire_parse(m, len, p, n, &nl) : 0;
			if (!p || p + 20 != end)
				return 0;
		}
		off = end;
	}
	return off == len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[65536];
	if (!ix)
		setup();
	const struct answer_cfg *c = (size && (data[size - 1] & 1)) ? &cfg_nodata : &cfg;
	for (int tcp = 0; tcp < 2; tcp++) {
		struct answer_info info;
		size_t cap = tcp ? 65535 : 4096;
		size_t n = answer_query(c, &view, data, size, out, cap, tcp, &info);
		if (n > cap)
			__builtin_trap();
		if (n == 0) {
			if (!info.dropped && !info.xfr)
				__builtin_trap();
			continue;
		}
		if (n < 12 || out[0] != data[0] || out[1] != data[1] || !(out[2] & 0x80))
			__builtin_trap();
		if (!tcp && n > ANSWER_EDNS_SIZE && n > 512)
			__builtin_trap();
		/* the question, when echoed, is the query's byte for byte */
		if (out[5] == 1 && (info.question_end == 0 || info.question_end > n ||
		    memcmp(out + 12, data + 12, info.question_end - 12) != 0))
			__builtin_trap();
		if (!strict_ok(out, n))
			__builtin_trap();
		ldns_pkt *p = NULL;
		if (ldns_wire2pkt(&p, out, n) != LDNS_STATUS_OK)
			__builtin_trap();
		/* over 512 bytes on UDP only for a client that sent EDNS: the reply has OPT
		 * (ldns is not run on the query itself: 1.8.3 leaks on some malformed ones) */
		if (!tcp && n > 512 && !ldns_pkt_edns(p))
			__builtin_trap();
		ldns_pkt_free(p);
	}
	return 0;
}
