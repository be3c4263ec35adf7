/* udp.c -- the UDP query path.
 *
 * Each thread owns one socket per listen address (SO_REUSEPORT spreads the load) and
 * loops: recvmmsg up to UDP_BATCH datagrams without blocking, parse them all, take the
 * index read lock once, prefetch the batch's lookups, answer each (query_reply) into a
 * preallocated reply buffer, release the lock, sendmmsg; poll only when no socket had
 * anything waiting. Nothing is allocated per query. The stop flag is checked at least
 * every 200 ms. */
#include "server/udp.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "server/query.h"

#define UDP_BATCH 64
#define UDP_INBUF 4096
#define UDP_OUTBUF 4096

struct udp_thread {
	struct udp_server *u;
	pthread_t tid;
	int fds[CONFIG_MAX_LISTEN];
	int nfds;
	int started;
};

struct udp_server {
	struct answer_cfg *_Atomic *cfgp;
	nod_t *nod;
	atomic_int stop;
	struct udp_thread *threads;
	int nthreads;
};

static int udp_socket(const struct config_addr *a, int reuse, struct nodd_err *e)
{
	int fd = socket(a->ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return nodd_fail(e, NODD_E_SYSTEM, "listen %s (udp): socket: %s", a->text,
			strerror(errno));
	int one = 1;
	if (reuse)
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
	if (a->ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	/* Large receive buffers absorb bursts instead of dropping them. */
	int rcv = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &rcv, sizeof rcv);
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) < 0) {
		nodd_fail(e, NODD_E_SYSTEM, "listen %s (udp): bind: %s", a->text, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* One datagram of a recvmmsg/sendmmsg batch: its buffer and its peer's address. */
static void msg_set(struct mmsghdr *m, struct iovec *iov, void *buf, size_t len, void *peer,
	socklen_t peerlen)
{
	iov->iov_base = buf;
	iov->iov_len = len;
	memset(&m->msg_hdr, 0, sizeof m->msg_hdr);
	m->msg_hdr.msg_iov = iov;
	m->msg_hdr.msg_iovlen = 1;
	m->msg_hdr.msg_name = peer;
	m->msg_hdr.msg_namelen = peerlen;
}

/* A thread's batch buffers: allocated once, nothing per query. */
struct udp_bufs {
	uint8_t in[UDP_BATCH][UDP_INBUF];
	uint8_t out[UDP_BATCH][UDP_OUTBUF];
	struct answer_req req[UDP_BATCH];
	struct mmsghdr rmsg[UDP_BATCH], smsg[UDP_BATCH];
	struct iovec riov[UDP_BATCH], siov[UDP_BATCH];
	struct sockaddr_storage peers[UDP_BATCH];
};

/* Send the ns replies of a batch; one unsendable reply (e.g. an unreachable peer) must
 * not drop the rest. */
static void send_all(int fd, struct mmsghdr *smsg, int ns)
{
	int sent = 0;
	while (sent < ns) {
		int r = sendmmsg(fd, smsg + sent, (unsigned)(ns - sent), 0);
		if (r < 0) {
			if (errno != EINTR)
				sent++;
			continue;
		}
		sent += r;
	}
}

/* Read one batch from fd and answer it. The whole batch is parsed first and its index
 * lookups prefetched in two stages (slots, then records), so the cache misses of the
 * lookups overlap instead of stalling one query after another. Returns the number of
 * datagrams read, 0 when none was waiting. */
static int udp_batch(struct udp_server *u, int fd, struct udp_bufs *b)
{
	for (int i = 0; i < UDP_BATCH; i++)
		msg_set(&b->rmsg[i], &b->riov[i], b->in[i], UDP_INBUF, &b->peers[i],
			sizeof b->peers[i]);
	int n = recvmmsg(fd, b->rmsg, UDP_BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return 0;
	const struct answer_cfg *cfg = atomic_load(u->cfgp);
	for (int i = 0; i < n; i++)
		answer_parse(cfg, b->in[i], b->rmsg[i].msg_len, 0, &b->req[i]);
	struct answer_view view;
	answer_view_of(&view, u->nod, unix_now());
	int ns = 0;
	nindex_rdlock(nod_index(u->nod));
	for (int stage = 0; stage < 2; stage++)
		for (int i = 0; i < n; i++)
			answer_prefetch(&view, &b->req[i], stage);
	for (int i = 0; i < n; i++) {
		struct answer_info info;
		struct query_out o = { b->out[ns], UDP_OUTBUF, NULL, NULL };
		size_t len = query_reply(cfg, &view, &b->req[i], (struct sockaddr *)&b->peers[i],
			b->rmsg[i].msg_hdr.msg_namelen, &o, &info);
		if (len == 0)
			continue;
		msg_set(&b->smsg[ns], &b->siov[ns], b->out[ns], len, &b->peers[i],
			b->rmsg[i].msg_hdr.msg_namelen);
		ns++;
	}
	nindex_rdunlock(nod_index(u->nod));
	send_all(fd, b->smsg, ns);
	return n;
}

/* The thread: read every socket until it has nothing waiting (recvmmsg without
 * blocking), and only then sleep in poll: under load no poll call between batches. */
static void *udp_main(void *arg)
{
	struct udp_thread *t = arg;
	struct udp_server *u = t->u;
	struct udp_bufs *b = malloc(sizeof *b);
	if (!b) {
		log_err("UDP thread: out of memory");
		return NULL;
	}
	struct pollfd pfd[CONFIG_MAX_LISTEN];
	for (int i = 0; i < t->nfds; i++) {
		pfd[i].fd = t->fds[i];
		pfd[i].events = POLLIN;
	}
	while (!atomic_load(&u->stop)) {
		int busy = 0;
		for (int f = 0; f < t->nfds; f++)
			if (udp_batch(u, t->fds[f], b) > 0)
				busy = 1;
		if (!busy)
			poll(pfd, (nfds_t)t->nfds, 200);
	}
	free(b);
	return NULL;
}

struct udp_server *udp_start(const struct config_addr *addrs, int naddrs, int nthreads,
	struct answer_cfg *_Atomic *cfgp, nod_t *nod, struct nodd_err *e)
{
	if (nthreads < 1)
		nthreads = 1;
	struct udp_server *u = malloc(sizeof *u);
	struct udp_thread *threads = calloc((size_t)nthreads, sizeof *threads);
	if (!u || !threads) {
		free(u);
		free(threads);
		nodd_fail(e, NODD_E_NOMEM, "out of memory");
		return NULL;
	}
	*u = (struct udp_server){ .cfgp = cfgp, .nod = nod, .threads = threads,
		.nthreads = nthreads };
	for (int t = 0; t < nthreads; t++) {
		u->threads[t].u = u;
		for (int a = 0; a < naddrs; a++)
			u->threads[t].fds[a] = -1;
	}
	for (int a = 0; a < naddrs; a++) {
		struct config_addr addr = addrs[a];
		for (int t = 0; t < nthreads; t++) {
			int fd = udp_socket(&addr, nthreads > 1, e);
			if (fd < 0)
				goto fail;
			if (t == 0) {
				/* port 0: the others must share the port the kernel picked */
				socklen_t l = addr.len;
				getsockname(fd, (struct sockaddr *)&addr.ss, &l);
			}
			u->threads[t].fds[a] = fd;
			u->threads[t].nfds = a + 1;
		}
	}
	for (int t = 0; t < nthreads; t++) {
		int rc = pthread_create(&u->threads[t].tid, NULL, udp_main, &u->threads[t]);
		if (rc != 0) {
			nodd_fail(e, NODD_E_SYSTEM, "cannot start UDP thread: %s", strerror(rc));
			goto fail;
		}
		u->threads[t].started = 1;
	}
	return u;
fail:
	udp_stop(u);
	return NULL;
}

void udp_stop(struct udp_server *u)
{
	if (!u)
		return;
	atomic_store(&u->stop, 1);
	for (int t = 0; t < u->nthreads; t++) {
		if (u->threads[t].started)
			pthread_join(u->threads[t].tid, NULL);
		for (int a = 0; a < u->threads[t].nfds; a++)
			if (u->threads[t].fds[a] >= 0)
				close(u->threads[t].fds[a]);
	}
	free(u->threads);
	free(u);
}
