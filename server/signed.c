/* signed.c -- signed answers to signed standard queries (see signed.h). Does no parsing of
 * its own but the TSIG check; the answer is answer.c's. */
#include "server/signed.h"

#include "lib/clock.h"
#include "lib/log.h"
#include "lib/wire.h"
#include "server/metrics.h"
#include "server/xfrreq.h"

size_t signed_answer(const struct tsig_keyring *kr, const struct answer_cfg *cfg,
	const struct answer_view *view, const struct answer_req *r, uint8_t *out, size_t outcap,
	struct answer_info *info)
{
	uint64_t now = (uint64_t)unix_now();
	struct tsig_result res;
	enum tsig_verdict v = tsig_verify_request(kr, r->q, r->qlen, now, &res);
	if (v == TSIG_V_UNSIGNED)
		return answer_reply(cfg, view, r, out, outcap, info);
	size_t len;
	if (v == TSIG_V_OK) {
		len = answer_reply(cfg, view, r, out, outcap, info);
	} else {
		answer_info_of(r, info);
		int rcode = v == TSIG_V_FORMERR ? WIRE_RCODE_FORMERR : res.rcode;
		info->rcode = (uint8_t)rcode;
		len = xfr_error_reply(r->q, r->qend, rcode, out, outcap);
		if (v == TSIG_V_FORMERR)
			return len;  /* RFC 8945 5.2: no TSIG on a FORMERR */
		metrics_inc("tsig_errors", 1);
	}
	size_t sl;
	if (!len || tsig_sign_response(&res, out, len, outcap, now, &sl) != 0) {
		log_warn("signed query: cannot sign the reply; dropped");
		return 0;
	}
	return sl;
}
