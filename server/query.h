/* query.h -- the one entry of every DNS message that udp.c and tcp.c receive: classify the
 * message once (from answer_parse()), then hand it to exactly one handler:
 *
 *   dropped (QR=1, shorter than a header)         -> no reply
 *   malformed, or an opcode other than QUERY/NOTIFY -> answer_reply(): FORMERR / NOTIMP
 *   NOTIFY                                         -> the registered NOTIFY handler
 *                                                     (none registered: NOTIMP)
 *   AXFR/IXFR for one of our zones, over TCP       -> the registered transfer handler
 *                                                     (none registered: REFUSED)
 *   a standard query carrying TSIG                 -> signed_answer() with the registered
 *                                                     keys (none registered: unsigned)
 *   any other standard query                       -> answer_reply()
 *
 * AXFR/IXFR over UDP are standard queries (IXFR: the SOA, AXFR: FORMERR). The handlers are
 * registered by the daemon, so server/ never includes the code behind them (zones/). The
 * NOTIFY handler and the keys are used from the UDP threads too. */
#ifndef NODD_QUERY_H
#define NODD_QUERY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "server/answer.h"
#include "lib/tsig.h"

/* What a message is, as far as the dispatcher is concerned. */
enum query_kind {
	QUERY_DROP,       /* no reply */
	QUERY_ERROR,      /* malformed, or an unknown opcode: an error reply from answer.c */
	QUERY_STANDARD,   /* a well-formed standard query without TSIG */
	QUERY_NOTIFY,     /* opcode NOTIFY (RFC 1996) */
	QUERY_TRANSFER,   /* AXFR/IXFR of one of our zones over TCP */
	QUERY_SIGNED,     /* a well-formed standard query with a TSIG record */
};

enum query_kind query_classify(const struct answer_req *r);

/* A NOTIFY: write the reply to out (outcap bytes) and return its length, 0 to drop it.
 * Called from any thread: must be thread-safe. q and peer are borrowed for the call. */
typedef size_t (*query_notify_fn)(void *ctx, const uint8_t *q, size_t qlen,
	const struct sockaddr *peer, socklen_t peerlen, uint8_t *out, size_t outcap);

/* A transfer in progress on a TCP connection, driven by tcp.c from the write side:
 * fill() is called whenever the connection's output drains (and once at once) and appends
 * more framed messages to out, returning 1 while more remain, 0 when done, -1 to close the
 * connection; free() releases it (also when the connection closes mid-transfer). While a
 * stream runs, later pipelined queries wait in the input (RFC 5936 4.1.2: several
 * transfers in turn on one connection). */
struct evbuffer;
struct query_xfr_stream {
	int (*fill)(struct query_xfr_stream *s, struct evbuffer *out);
	void (*free)(struct query_xfr_stream *s);
};

/* A transfer request (AXFR/IXFR) on a TCP connection. The handler either writes a short
 * reply (each message with its 2-byte length prefix) to out and returns 0, or sets *stream
 * to a transfer (ownership passes to tcp.c). Returns -1 to have the query answered
 * REFUSED. Main thread only. */
typedef int (*query_xfr_fn)(void *ctx, const uint8_t *q, size_t qlen,
	const struct sockaddr *peer, socklen_t peerlen, struct evbuffer *out,
	struct query_xfr_stream **stream);

/* Registration, one set per process. The NOTIFY handler is set before the UDP threads
 * start; the transfer handler is only read on the main thread; the keys may be replaced
 * at any time (a reload), the previous keyring staying alive until the process ends.
 * fn NULL / kr NULL: the default above. ctx and kr are borrowed. */
void query_set_notify(query_notify_fn fn, void *ctx);
void query_set_transfer(query_xfr_fn fn, void *ctx);
void query_set_keys(const struct tsig_keyring *kr);

/* Where the reply to one message goes. */
struct query_out {
	uint8_t *buf;                    /* the reply; cap >= 65535 for TCP, >= 4096 for UDP */
	size_t cap;
	struct evbuffer *tcp;            /* TCP: the connection's output, where a transfer
	                                  * writes; NULL for UDP */
	struct query_xfr_stream *stream; /* set when a transfer goes on streaming */
};

/* Handle one message (qlen bytes at q, from peer; all borrowed) with the index view of
 * the caller (who holds its read lock). Counts it in /metrics and fills info. Returns the
 * length of the reply in o->buf, 0 when there is none to send (dropped, or a transfer
 * handler wrote to o->tcp). */
size_t query_handle(const struct answer_cfg *cfg, const struct answer_view *view,
	const uint8_t *q, size_t qlen, const struct sockaddr *peer, socklen_t peerlen,
	struct query_out *o, struct answer_info *info);

/* query_handle() for a message answer_parse() has already parsed into r (the UDP
 * threads parse a whole batch first, to prefetch its index lookups). */
size_t query_reply(const struct answer_cfg *cfg, const struct answer_view *view,
	const struct answer_req *r, const struct sockaddr *peer, socklen_t peerlen,
	struct query_out *o, struct answer_info *info);

#endif
