/* udp.h -- UDP service: one thread per core, each with its own SO_REUSEPORT socket per
 * listen address, answering batches with recvmmsg/sendmmsg.
 * The UDP threads only read the index and the answer configuration; they never write either. */
#ifndef NODD_UDP_H
#define NODD_UDP_H

#include <stdatomic.h>

#include "lib/err.h"
#include "policy/nod.h"
#include "server/answer.h"
#include "conf/config.h"

struct udp_server;

/* Bind UDP sockets for every listen address (nthreads sockets each, sharing the port by
 * SO_REUSEPORT) and start the threads. *cfgp is read at each batch, so a reload can swap
 * it. nod: borrowed; read-only from the threads (index under its read lock, serials).
 * Returns NULL with e set. */
struct udp_server *udp_start(const struct config_addr *addrs, int naddrs, int nthreads,
	struct answer_cfg *_Atomic *cfgp, nod_t *nod, struct nodd_err *e);
void udp_stop(struct udp_server *u); /* joins the threads; NULL is a no-op */

#endif
