/* hooks.c -- the hook table the transfer side fills in (see hooks.h). */
#include "server/hooks.h"

struct query_hooks query_hooks;

size_t hooks_apply(const uint8_t *q, size_t qlen, const struct sockaddr *peer,
	socklen_t peerlen, uint8_t *out, size_t rlen, size_t outcap, struct answer_info *info)
{
	if (info->opcode == 4 && query_hooks.notify)
		return query_hooks.notify(query_hooks.notify_ctx, q, qlen, peer, peerlen, out, outcap);
	if (info->has_tsig && !info->xfr && query_hooks.signed_query && rlen > 0)
		return query_hooks.signed_query(query_hooks.signed_ctx, q, qlen, peer, peerlen,
			out, rlen, outcap, info);
	return rlen;
}
