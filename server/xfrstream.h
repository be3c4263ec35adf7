/* xfrstream.h -- the messages of one outgoing transfer (AXFR, RFC 5936; IXFR, RFC 1995):
 * the records of a zone version or of the difference between two, packed into messages
 * that tcp.c pulls as the client reads, each TSIG-signed when the request was. Knows
 * nothing of ACLs, keys or sockets: xfrout.c decides what to send, this writes it. */
#ifndef NODD_XFRSTREAM_H
#define NODD_XFRSTREAM_H

#include <stddef.h>
#include <stdint.h>

#include "lib/tsig.h"
#include "policy/versions.h"
#include "server/answer.h"
#include "server/query.h"

struct xfrstream;

/* A transfer answering the request whose header and question are head (head_len bytes,
 * copied) for zone; cfg is copied (a reload must not change a transfer midway). signer:
 * the verified request's TSIG result (borrowed for the call), NULL when unsigned. No
 * records yet: call xfrstream_full() or xfrstream_incremental(). NULL when out of memory. */
struct xfrstream *xfrstream_new(const struct answer_cfg *cfg, int zone, const uint8_t *head,
	size_t head_len, const struct tsig_result *signer);

/* The whole zone at version time t, serial cur: SOA, NS, [TEST], the names, SOA. The
 * names are copied out of ver now. Returns the number of names, or -1 out of memory. */
long xfrstream_full(struct xfrstream *s, const versions_t *ver, uint32_t cur, int64_t t);

/* The condensed difference from version time from (serial from_serial) to to (serial
 * cur): SOA cur, SOA from_serial, deletions, SOA cur, additions, SOA cur. Counts in
 * *ndel and *nadd. 0, or -1 out of memory. */
int xfrstream_incremental(struct xfrstream *s, const versions_t *ver, uint32_t from_serial,
	uint32_t cur, int64_t from, int64_t to, size_t *ndel, size_t *nadd);

/* What tcp.c drives (ownership passes with it; its free() releases the xfrstream). */
struct query_xfr_stream *xfrstream_base(struct xfrstream *s);
void xfrstream_free(struct xfrstream *s); /* NULL is a no-op */

/* A one-message answer to the request head: its header (QR, AA, RD copied) and question,
 * then the zone's SOA with this serial, into out (cap bytes). Its length, 0 when it does
 * not fit. */
size_t xfrstream_soa_message(const struct answer_cfg *cfg, const uint8_t *head,
	size_t head_len, uint32_t serial, uint8_t *out, size_t cap);

#endif
