/* tcp.h -- DNS over TCP on the main event loop: 2-byte length framing (RFC 1035 4.2.2),
 * pipelined queries (RFC 7766), idle timeouts, connection caps and an output high-water
 * mark so a client that does not read cannot make nodd buffer without bound. */
#ifndef NODD_TCP_H
#define NODD_TCP_H

#include <event2/event.h>
#include <stdatomic.h>
#include <stdint.h>

#include "policy/nod.h"
#include "server/answer.h"
#include "conf/config.h"

struct tcp_server;

/* A transfer request (AXFR/IXFR) on a connection. The handler either writes a short reply
 * (each message with its length prefix) to out and returns 0, or sets *stream to a transfer
 * that tcp.c drives from the write side: fill() is called whenever the connection's output
 * drains (and once at once) and appends more framed messages to out, returning 1 while more
 * remain, 0 when done, -1 to close the connection; free() releases it (also when the
 * connection closes mid-transfer). While a stream runs, later pipelined queries wait in the
 * input (RFC 5936 4.1.2: several transfers in turn on one connection). Returns -1 to have
 * the query answered REFUSED. NULL handler: every transfer is refused. */
struct evbuffer;
struct tcp_xfr_stream {
	int (*fill)(struct tcp_xfr_stream *s, struct evbuffer *out);
	void (*free)(struct tcp_xfr_stream *s);
};
typedef int (*tcp_xfr_fn)(void *ctx, const uint8_t *q, size_t qlen,
	const struct sockaddr *peer, socklen_t peerlen, struct evbuffer *out,
	struct tcp_xfr_stream **stream);

struct tcp_limits {
	int idle_timeout;   /* seconds without a complete query before closing */
	int max_clients;    /* global */
	int max_per_ip;
	size_t out_high;    /* stop reading a client whose unsent output passes this */
};

struct tcp_server *tcp_start(struct event_base *base, const struct config_addr *addrs,
	int naddrs, const struct tcp_limits *lim, struct answer_cfg *_Atomic *cfgp, nod_t *nod,
	char *err, size_t errlen);
void tcp_set_xfr_handler(struct tcp_server *t, tcp_xfr_fn fn, void *ctx);
uint64_t tcp_open_connections(void *tcp_server);
void tcp_stop(struct tcp_server *t); /* NULL is a no-op */

#endif
