/* hooks.h -- where the transfer side plugs into the query path, without the query path
 * knowing about TSIG keys, upstreams or ACLs.
 *
 * udp.c and tcp.c call answer_query() first; then:
 *  - opcode NOTIFY (answer_info.opcode == 4): the notify hook builds the reply (zones/);
 *  - a query carrying TSIG (answer_info.has_tsig, not a transfer): the signed hook
 *    verifies it and writes the signed (or TSIG-error) reply in place of the answer;
 *  - AXFR/IXFR over TCP (answer_info.xfr): the tcp_xfr_fn set with tcp_set_xfr_handler().
 * The notify and signed hooks are called from the UDP threads too, so they must be
 * thread-safe; they return the reply length, 0 to drop. A NULL hook keeps the default
 * (NOTIMP for NOTIFY, the unsigned answer for signed queries). */
#ifndef NODD_HOOKS_H
#define NODD_HOOKS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "server/answer.h"

struct query_hooks {
	size_t (*notify)(void *ctx, const uint8_t *q, size_t qlen, const struct sockaddr *peer,
		socklen_t peerlen, uint8_t *out, size_t outcap);
	void *notify_ctx;

	/* reply: the unsigned answer answer_query() wrote (rlen bytes, in out); the hook
	 * returns the length of the reply to send instead (signed, or a TSIG error). */
	size_t (*signed_query)(void *ctx, const uint8_t *q, size_t qlen,
		const struct sockaddr *peer, socklen_t peerlen, uint8_t *out, size_t rlen,
		size_t outcap, struct answer_info *info);
	void *signed_ctx;
};

/* The hooks in force; set once before the listeners start. */
extern struct query_hooks query_hooks;

/* Apply the hooks after answer_query(): returns the final reply length. */
size_t hooks_apply(const uint8_t *q, size_t qlen, const struct sockaddr *peer,
	socklen_t peerlen, uint8_t *out, size_t rlen, size_t outcap, struct answer_info *info);

#endif
