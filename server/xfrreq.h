/* xfrreq.h -- parsing an AXFR/IXFR request and writing its one-message error reply.
 *
 * Kept apart from xfrout.c so the parser, the only code that reads the client's bytes
 * before TSIG has decided, has a libFuzzer target of its own (tests/fuzz/fuzz_xfrreq.c)
 * and unit tests without an event loop or a store. */
#ifndef NODD_XFRREQ_H
#define NODD_XFRREQ_H

#include <stddef.h>
#include <stdint.h>

#include "lib/dname.h"
#include "server/answer.h"

struct xfr_req {
	uint16_t id, flags, qtype;
	size_t qend;                  /* end of the question; 0 when there is none */
	uint8_t qname[DNAME_MAX_WIRE];
	size_t qname_len;
	int zone;                     /* index into cfg->apex, -1 when not ours */
	int has_serial;               /* IXFR with the client's SOA in the authority section */
	uint32_t serial;              /* that SOA's serial */
};

/* q/qlen: the whole request; msglen: its length without the TSIG record (qlen when
 * unsigned). The question is read from q up to msglen, the IXFR authority SOA (RFC 1995 3)
 * up to msglen. 0 when well formed, -1 when malformed (answer FORMERR); r->qend is set as
 * soon as a question was read, so the FORMERR reply can echo it. */
int xfr_req_parse(const struct answer_cfg *cfg, const uint8_t *q, size_t qlen, size_t msglen,
	struct xfr_req *r);

/* A reply of the request's header and its question up to qend (12: no question) with this
 * RCODE, QR set, AA/TC cleared, counts zeroed but QDCOUNT. Its length, or 0 when qend is
 * below 12 or over cap. */
size_t xfr_error_reply(const uint8_t *q, size_t qend, int rcode, uint8_t *out, size_t cap);

#endif
