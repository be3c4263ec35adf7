/* fuzz_xfrreq.c -- libFuzzer target: arbitrary bytes as an AXFR/IXFR request, read the way
 * xfrout.c reads it (the TSIG record, when there is one, cut off first), then the FORMERR or
 * REFUSED reply built from it. An accepted request must have its question inside the
 * message, a zone that is ours or -1, a serial only for IXFR; every reply must parse with
 * ldns and echo the ID and the question. */
#include <ldns/ldns.h>
#include <stdlib.h>
#include <string.h>

#include "server/xfrreq.h"
#include "lib/tsig.h"

static struct answer_cfg cfg;

static void setup(void)
{
	static const char *apex[NOD_ZONE_COUNT] = { "5m.rpz.nod.example", "10m.rpz.nod.example",
		"30m.rpz.nod.example", "1h.rpz.nod.example", "3h.rpz.nod.example",
		"12h.rpz.nod.example", "24h.rpz.nod.example", "v1.bl.nod.example",
		"allow.rpz.nod.example" };
	for (int z = 0; z < NOD_ZONE_COUNT; z++)
		cfg.apex_len[z] = (size_t)dname_text_to_wire(apex[z], cfg.apex[z]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!cfg.apex_len[0])
		setup();
	size_t toff, msglen = size;
	if (tsig_find(data, size, &toff) == 1)
		msglen = toff;
	struct xfr_req r;
	int rc = xfr_req_parse(&cfg, data, size, msglen, &r);
	if (rc == 0) {
		if (r.qend < 12 + 1 + 4 || r.qend > msglen || r.qname_len < 1 ||
		    r.qname_len > DNAME_MAX_WIRE)
			abort();
		if (r.zone < -1 || r.zone >= NOD_ZONE_COUNT)
			abort();
		if (r.zone >= 0 && (cfg.apex_len[r.zone] != r.qname_len ||
		    memcmp(cfg.apex[r.zone], r.qname, r.qname_len) != 0))
			abort();
		if (r.has_serial && r.qtype != LDNS_RR_TYPE_IXFR)
			abort();
	} else if (r.has_serial) {
		abort();
	}
	if (size < 12)
		return 0; /* tcp.c closes on a frame shorter than a header: no reply */
	uint8_t out[1024];
	size_t qe = r.qend ? r.qend : 12;
	size_t len = xfr_error_reply(data, qe <= size ? qe : 12, rc ? 1 : 5, out, sizeof out);
	if (!len && qe <= sizeof out)
		abort();
	if (len) {
		ldns_pkt *p = NULL;
		if (ldns_wire2pkt(&p, out, len) != LDNS_STATUS_OK)
			abort();
		if (ldns_pkt_id(p) != ((data[0] << 8) | data[1]) || !ldns_pkt_qr(p) ||
		    ldns_pkt_get_rcode(p) != (rc ? 1 : 5) || ldns_pkt_qdcount(p) != (len > 12))
			abort();
		ldns_pkt_free(p);
	}
	return 0;
}
