/* tcp.h -- DNS over TCP on the main event loop: 2-byte length framing (RFC 1035 4.2.2),
 * pipelined queries (RFC 7766), idle timeouts, connection caps and an output high-water
 * mark so a client that does not read cannot make nodd buffer without bound. Each message
 * goes to query_handle() (server/query.h); a transfer it starts is streamed from here. */
#ifndef NODD_TCP_H
#define NODD_TCP_H

#include <event2/event.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/socket.h>

#include "lib/err.h"
#include "policy/nod.h"
#include "server/answer.h"
#include "conf/config.h"

struct tcp_server;

struct tcp_limits {
	int idle_timeout;   /* seconds without a complete query before closing */
	int max_clients;    /* global */
	int max_per_ip;
	size_t out_high;    /* stop reading a client whose unsent output passes this */
};

struct tcp_server *tcp_start(struct event_base *base, const struct config_addr *addrs,
	int naddrs, const struct tcp_limits *lim, struct answer_cfg *_Atomic *cfgp, nod_t *nod,
	struct nodd_err *e);
uint64_t tcp_open_connections(void *tcp_server);

/* One client for tcp-clients-per-ip: b's IPv4 address (an IPv4-mapped one too), or b's IPv6
 * /64, since one end site usually holds a whole /64 and could fill every slot with whole
 * addresses. 1 when a falls in it. */
#define TCP_CLIENT_PREFIX6 64
int tcp_same_client(const struct sockaddr *a, const struct sockaddr *b);
void tcp_stop(struct tcp_server *t); /* NULL is a no-op */

#endif
