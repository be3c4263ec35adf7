/* signed.h -- the reply to a standard query that carries a TSIG record (RFC 8945), such as
 * the SOA query a secondary signs before a transfer: the answer signed with the query's
 * key, or the TSIG error in its place. Only reads the keyring: safe on any thread. */
#ifndef NODD_SIGNED_H
#define NODD_SIGNED_H

#include <stddef.h>
#include <stdint.h>

#include "server/answer.h"
#include "lib/tsig.h"

/* r: a well-formed standard query with a TSIG record (query_classify() said
 * QUERY_SIGNED); kr: the keys it may be signed with (borrowed). Verified in RFC 8945 5.2
 * order:
 *   unsigned after all           -> the answer, unsigned
 *   malformed TSIG (FORMERR)     -> FORMERR with the question, unsigned
 *   BADKEY, BADSIG, BADTRUNC, BADTIME -> NOTAUTH with the question and a TSIG record
 *                                   carrying the error (tsig_sign_response)
 *   verified                     -> the answer, signed.
 * Fills info; returns the reply length in out, 0 when it cannot be signed (dropped). */
size_t signed_answer(const struct tsig_keyring *kr, const struct answer_cfg *cfg,
	const struct answer_view *view, const struct answer_req *r, uint8_t *out, size_t outcap,
	struct answer_info *info);

#endif
