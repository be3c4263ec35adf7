/* fuzz_answer.c -- the whole query path: arbitrary bytes as a UDP and as a TCP query,
 * answered from a small index. Every reply must fit the buffer, echo the ID, and parse
 * with ldns. */
#include <ldns/ldns.h>
#include <stdlib.h>
#include <string.h>

#include "lib/dname.h"
#include "policy/index.h"
#include "server/answer.h"

static struct answer_cfg cfg;
static struct answer_view view;
static nindex_t *ix;

static void setup(void)
{
	static const char *labels[NOD_ZONE_COUNT] = { "5m.rpz", "10m.rpz", "30m.rpz", "1h.rpz",
		"3h.rpz", "12h.rpz", "24h.rpz", "v1.bl" };
	char buf[128];
	for (int z = 0; z < NOD_ZONE_COUNT; z++) {
		snprintf(buf, sizeof buf, "%s.nod.example", labels[z]);
		cfg.apex_len[z] = (size_t)dname_text_to_wire(buf, cfg.apex[z]);
	}
	cfg.ttl = 60;
	cfg.soa_refresh = cfg.soa_retry = cfg.soa_minimum = 60;
	cfg.soa_expire = 21600;
	cfg.nns = 1;
	cfg.ns_len[0] = (size_t)dname_text_to_wire("localhost", cfg.ns[0]);
	memcpy(cfg.mname, cfg.ns[0], cfg.ns_len[0]);
	cfg.mname_len = cfg.ns_len[0];
	cfg.rname_len = (size_t)dname_text_to_wire("hostmaster.nod.example", cfg.rname);
	ix = nindex_new();
	const char *names[] = { "x.se", "mail.y.ch", "old.nu" };
	int64_t now = 1700000000;
	for (int i = 0; i < 3; i++) {
		uint8_t w[DNAME_MAX_WIRE];
		int l = dname_text_to_wire(names[i], w);
		nindex_put(ix, w, (size_t)l - 1, now - i * 1000);
	}
	view.ix = ix;
	view.now = now;
	for (int z = 0; z < NOD_ZONE_COUNT; z++)
		view.serial[z] = (uint32_t)now;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[65536];
	if (!ix)
		setup();
	for (int tcp = 0; tcp < 2; tcp++) {
		struct answer_info info;
		size_t cap = tcp ? 65535 : 4096;
		size_t n = answer_query(&cfg, &view, data, size, out, cap, tcp, &info);
		if (n > cap)
			__builtin_trap();
		if (n == 0)
			continue;
		if (n < 12 || out[0] != data[0] || out[1] != data[1] || !(out[2] & 0x80))
			__builtin_trap();
		if (!tcp && n > 1232 && n > 512)
			__builtin_trap();
		ldns_pkt *p = NULL;
		if (ldns_wire2pkt(&p, out, n) != LDNS_STATUS_OK)
			__builtin_trap();
		ldns_pkt_free(p);
	}
	return 0;
}
