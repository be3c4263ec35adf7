/* tcp.c -- DNS over TCP on libevent bufferevents.
 *
 * Each connection reads length-prefixed messages and answers them in order (pipelining
 * is just "keep reading"). Limits, all logged and counted in /metrics:
 *  - idle timeout: no complete query for idle_timeout seconds -> close (slowloris);
 *  - a frame shorter than a DNS header -> close;
 *  - global and per-client connection caps -> new connections closed at once (a client
 *    is an IPv4 address or an IPv6 /64: tcp_same_client);
 *  - output high-water: when a client does not read its answers and the unsent output
 *    passes out_high, we stop reading from it until it drains (and the idle timeout then
 *    closes it), so memory per client is bounded.
 * Runs on the main thread, which is the index writer, so no lock is needed to read it. */
#include "server/tcp.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/listen.h"
#include "lib/log.h"
#include "lib/sockaddr.h"
#include "server/metrics.h"
#include "server/query.h"

#define TCP_MAX_LISTEN CONFIG_MAX_LISTEN

struct tcp_conn {
	struct tcp_server *srv;
	struct bufferevent *bev;
	struct sockaddr_storage peer;
	socklen_t peerlen;
	LIST_ENTRY(tcp_conn) link; /* in the server's conns */
	int paused;
	time_t last_query;      /* when the last complete query arrived (or the accept) */
	struct query_xfr_stream *xfr; /* transfer being streamed; queries wait behind it */
};

struct tcp_server {
	struct event_base *base;
	struct evconnlistener *lev[TCP_MAX_LISTEN];
	int nlev;
	struct tcp_limits lim;
	struct answer_cfg *_Atomic *cfgp;
	nod_t *nod;
	LIST_HEAD(, tcp_conn) conns;
	uint64_t nconns;
	uint8_t *qbuf, *abuf;
};

static void conn_close(struct tcp_conn *c)
{
	struct tcp_server *s = c->srv;
	LIST_REMOVE(c, link);
	s->nconns--;
	if (c->xfr)
		c->xfr->free(c->xfr);
	bufferevent_free(c->bev);
	free(c);
}

static void conn_reply(struct tcp_conn *c, const uint8_t *msg, size_t len)
{
	uint8_t pfx[2] = { (uint8_t)(len >> 8), (uint8_t)len };
	struct evbuffer *out = bufferevent_get_output(c->bev);
	evbuffer_add(out, pfx, 2);
	evbuffer_add(out, msg, len);
}

/* Drive the transfer stream: returns 1 while it runs (reading stays off, so the read
 * timeout cannot cut a long transfer; the write timeout still closes a client that stops
 * reading), 0 when it is done or there is none, -1 when the connection was closed. */
static int conn_pump_xfr(struct tcp_conn *c)
{
	if (!c->xfr)
		return 0;
	int r = c->xfr->fill(c->xfr, bufferevent_get_output(c->bev));
	if (r > 0) {
		bufferevent_disable(c->bev, EV_READ);
		return 1;
	}
	c->xfr->free(c->xfr);
	c->xfr = NULL;
	if (r < 0) {
		metrics_inc("xfr_aborted", 1);
		conn_close(c);
		return -1;
	}
	if (!c->paused)
		bufferevent_enable(c->bev, EV_READ);
	return 0;
}

static void conn_read(struct bufferevent *bev, void *arg)
{
	struct tcp_conn *c = arg;
	struct tcp_server *s = c->srv;
	struct evbuffer *in = bufferevent_get_input(bev);
	for (;;) {
		if (c->xfr)
			return; /* the write side resumes reading when the transfer is done */
		if (evbuffer_get_length(bufferevent_get_output(bev)) > s->lim.out_high) {
			/* The client is not reading its answers: stop reading its queries. */
			if (!c->paused) {
				c->paused = 1;
				metrics_inc("tcp_output_paused", 1);
				bufferevent_disable(bev, EV_READ);
			}
			return;
		}
		uint8_t pfx[2];
		/* A byte now and then resets libevent's read timeout; a whole query must still
		 * arrive within the idle timeout (slowloris). */
		if (evbuffer_get_length(in) > 0 &&
		    unix_now() - c->last_query > (time_t)s->lim.idle_timeout) {
			char p[SA_TEXT_MAX];
			sa_text((const struct sockaddr *)&c->peer, p, sizeof p);
			log_debug("tcp %s: no complete query for %d s; closing", p, s->lim.idle_timeout);
			metrics_inc("tcp_timeouts", 1);
			conn_close(c);
			return;
		}
		if (evbuffer_copyout(in, pfx, 2) < 2)
			return;
		size_t len = ((size_t)pfx[0] << 8) | pfx[1];
		if (len < 12) {
			char p[SA_TEXT_MAX];
			sa_text((const struct sockaddr *)&c->peer, p, sizeof p);
			log_debug("tcp %s: frame of %zu bytes is shorter than a DNS header; closing", p, len);
			metrics_inc("tcp_bad_frames", 1);
			conn_close(c);
			return;
		}
		if (evbuffer_get_length(in) < len + 2)
			return;
		evbuffer_drain(in, 2);
		evbuffer_remove(in, s->qbuf, len);
		c->last_query = unix_now();

		const struct answer_cfg *cfg = atomic_load(s->cfgp);
		struct answer_view view;
		answer_view_of(&view, s->nod, unix_now());
		struct answer_info info;
		struct query_out o = { s->abuf, 65535, bufferevent_get_output(bev), NULL };
		size_t alen = query_handle(cfg, &view, s->qbuf, len, (struct sockaddr *)&c->peer,
			c->peerlen, &o, &info);
		if (alen > 0)
			conn_reply(c, s->abuf, alen);
		if (o.stream) {
			c->xfr = o.stream;
			if (conn_pump_xfr(c) != 0)
				return;
		}
	}
}

static void conn_write(struct bufferevent *bev, void *arg)
{
	struct tcp_conn *c = arg;
	/* the client is reading what we send: time spent on our answers is not idle time */
	c->last_query = unix_now();
	if (c->xfr) {
		if (conn_pump_xfr(c) != 0)
			return;
		conn_read(bev, c); /* pipelined queries waited behind the transfer */
		return;
	}
	if (c->paused) {
		c->paused = 0;
		bufferevent_enable(bev, EV_READ);
		conn_read(bev, c); /* queries may be waiting in the input already */
	}
}

static void conn_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	struct tcp_conn *c = arg;
	if (what & BEV_EVENT_TIMEOUT) {
		char p[SA_TEXT_MAX];
		sa_text((const struct sockaddr *)&c->peer, p, sizeof p);
		log_debug("tcp %s: idle timeout; closing", p);
		metrics_inc("tcp_timeouts", 1);
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		conn_close(c);
}

int tcp_same_client(const struct sockaddr *a, const struct sockaddr *b)
{
	if (b->sa_family == AF_INET6 &&
	    !IN6_IS_ADDR_V4MAPPED(&((const struct sockaddr_in6 *)b)->sin6_addr))
		return sa_in_prefix(a, b, TCP_CLIENT_PREFIX6);
	return sa_same_host(a, b);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
	int salen, void *arg)
{
	(void)l;
	struct tcp_server *s = arg;
	struct sockaddr_storage peer;
	memset(&peer, 0, sizeof peer);
	memcpy(&peer, sa, (size_t)salen < sizeof peer ? (size_t)salen : sizeof peer);
	if (s->nconns >= (uint64_t)s->lim.max_clients) {
		metrics_inc("tcp_refused_global_cap", 1);
		log_debug("tcp: %d connections open (tcp-clients); refusing one", s->lim.max_clients);
		close(fd);
		return;
	}
	int same = 0;
	struct tcp_conn *o;
	LIST_FOREACH(o, &s->conns, link)
		same += tcp_same_client((const struct sockaddr *)&o->peer,
			(const struct sockaddr *)&peer);
	if (same >= s->lim.max_per_ip) {
		char p[SA_TEXT_MAX];
		sa_text((const struct sockaddr *)&peer, p, sizeof p);
		metrics_inc("tcp_refused_per_ip_cap", 1);
		log_debug("tcp %s: %d connections from this address (an IPv6 /64 counts as one; "
			"tcp-clients-per-ip); refusing", p, same);
		close(fd);
		return;
	}
	struct tcp_conn *c = calloc(1, sizeof *c);
	struct bufferevent *bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!c || !bev) {
		free(c);
		if (bev)
			bufferevent_free(bev);
		else
			close(fd);
		return;
	}
	c->srv = s;
	c->bev = bev;
	c->last_query = unix_now();
	c->peer = peer;
	c->peerlen = (socklen_t)salen;
	LIST_INSERT_HEAD(&s->conns, c, link);
	s->nconns++;
	metrics_inc("tcp_connections", 1);
	struct timeval idle = { s->lim.idle_timeout, 0 };
	bufferevent_setcb(bev, conn_read, conn_write, conn_event, c);
	bufferevent_set_timeouts(bev, &idle, &idle);
	bufferevent_setwatermark(bev, EV_WRITE, s->lim.out_high / 2, 0);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

struct tcp_server *tcp_start(struct event_base *base, const struct config_addr *addrs,
	int naddrs, const struct tcp_limits *lim, struct answer_cfg *_Atomic *cfgp, nod_t *nod,
	struct nodd_err *e)
{
	struct tcp_server *s = malloc(sizeof *s);
	if (!s) {
		nodd_fail(e, NODD_E_NOMEM, "out of memory");
		return NULL;
	}
	*s = (struct tcp_server){ .base = base, .lim = *lim, .cfgp = cfgp, .nod = nod,
		.qbuf = malloc(65536), .abuf = malloc(65536) };
	if (!s->qbuf || !s->abuf) {
		nodd_fail(e, NODD_E_NOMEM, "out of memory");
		goto fail;
	}
	for (int i = 0; i < naddrs && i < TCP_MAX_LISTEN; i++) {
		char what[sizeof addrs[i].text + 16];
		snprintf(what, sizeof what, "listen %s (tcp)", addrs[i].text);
		int fd = listen_socket((const struct sockaddr *)&addrs[i].ss, addrs[i].len, what, e);
		if (fd < 0)
			goto fail;
		/* backlog 0: the socket is listening already */
		s->lev[i] = evconnlistener_new(base, on_accept, s,
			LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
		if (!s->lev[i]) {
			close(fd);
			nodd_fail(e, NODD_E_SYSTEM, "%s: cannot watch the socket", what);
			goto fail;
		}
		s->nlev = i + 1;
	}
	return s;
fail:
	tcp_stop(s);
	return NULL;
}

uint64_t tcp_open_connections(void *t)
{
	return t ? ((struct tcp_server *)t)->nconns : 0;
}

void tcp_stop(struct tcp_server *s)
{
	if (!s)
		return;
	while (!LIST_EMPTY(&s->conns))
		conn_close(LIST_FIRST(&s->conns));
	for (int i = 0; i < s->nlev; i++)
		evconnlistener_free(s->lev[i]);
	free(s->qbuf);
	free(s->abuf);
	free(s);
}
