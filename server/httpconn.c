/* httpconn.c -- the connections of the HTTP listener: which are admitted (server.http-clients
 * in all, server.http-clients-per-ip per IPv4 address or IPv6 /64), how long a client has
 * to send a request (server.http-timeout, headers and body, also the idle time between
 * requests), the gate that refuses a request before its body is read, and the pause of
 * the listener when accept() runs out of file descriptors. Routes nothing and answers no
 * request itself (server/http.c does); the checks are server/httpauth.c's.
 *
 * DESIGN
 * libevent 2.1 gives no hook between an accepted socket and evhttp, nor between a
 * request's headers and its body. So:
 * - the bufferevent of each new connection is made here (evhttp_set_bevcb), held with a
 *   reference and admitted from an event activated at once: it runs in the same loop
 *   pass, before the socket is ever read; the evhttp connection is the bufferevent's
 *   callback argument. Over a cap, the client gets a short 503 and the connection is freed.
 * - the bufferevent's read low-water mark is held above the header limit while a request's
 *   headers arrive, so evhttp parses nothing; a callback on the input buffer finds the end
 *   of the header block, parses it, and runs http_check_request(). A refused request (or
 *   any body not for a write endpoint) has its header block rewritten without
 *   Content-Length, Transfer-Encoding and Expect and with "Connection: close": evhttp sees
 *   a request without a body, the router refuses it with the same checks, and the
 *   connection closes after the reply, the body never read. Then the mark drops to 0.
 * - a deadline shuts the socket down; evhttp sees the EOF and frees the connection, whose
 *   close callback is the one place a connection is forgotten.
 * - accept() failing (EMFILE, ENFILE, ENOBUFS) turns the listener off for a second (or
 *   until a connection closes) instead of libevent logging each failed accept. */
#define LOG_CATEGORY LOG_CAT_API
#include "server/httpconn.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/keyvalq_struct.h>

#include "lib/counters.h"
#include "lib/log.h"
#include "lib/sockaddr.h"

#define GATE_MAX_HEADERS (64 * 1024) /* as evhttp_set_max_headers_size in server/http.c */
#define GATE_HOLD (GATE_MAX_HEADERS + 1)
#define LOG_EVERY 60                 /* seconds between two lines about one limit */

enum conn_phase { PHASE_HEADERS, PHASE_BODY, PHASE_OFF };

struct http_conn {
	struct http_server *h;
	struct evhttp_connection *evcon;
	struct bufferevent *bev;
	struct evbuffer_cb_entry *cbent;
	struct event *deadline;
	struct sockaddr_storage peer;
	enum conn_phase phase;
	size_t scanned;      /* bytes of the header block whose lines were looked at */
	int rewriting;       /* the gate is editing the input buffer: ignore its callback */
	struct http_conn *next;
};

static int64_t mono_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec;
}

/* ---- the gate -------------------------------------------------------------------------- */

static void gate_hold(struct http_conn *c)
{
	c->phase = PHASE_HEADERS;
	c->scanned = 0;
	evhttp_connection_set_max_body_size(c->evcon, (ev_ssize_t)HTTP_MAX_BODY);
	bufferevent_setwatermark(c->bev, EV_READ, GATE_HOLD, 0);
	struct timeval tv = { c->h->env.cfg->http_timeout, 0 };
	evtimer_add(c->deadline, &tv);
}

static void gate_open(struct http_conn *c)
{
	c->phase = PHASE_BODY;
	bufferevent_setwatermark(c->bev, EV_READ, 0, 0);
}

static enum evhttp_cmd_type method_of(const char *m, size_t n)
{
	static const struct { const char *name; enum evhttp_cmd_type cmd; } methods[] = {
		{ "GET", EVHTTP_REQ_GET }, { "POST", EVHTTP_REQ_POST }, { "HEAD", EVHTTP_REQ_HEAD },
		{ "PUT", EVHTTP_REQ_PUT }, { "DELETE", EVHTTP_REQ_DELETE },
		{ "OPTIONS", EVHTTP_REQ_OPTIONS }, { "PATCH", EVHTTP_REQ_PATCH },
	};
	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
		if (strlen(methods[i].name) == n && memcmp(methods[i].name, m, n) == 0)
			return methods[i].cmd;
	return EVHTTP_REQ_TRACE; /* any other: no body is read for it */
}

/* A header that decides whether (and how) a body follows: dropped from a refused request. */
static int body_header(const char *line, size_t n)
{
	static const char *const names[] = { "content-length", "transfer-encoding", "expect",
		"connection" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		size_t k = strlen(names[i]);
		if (n > k && line[k] == ':' && strncasecmp(line, names[i], k) == 0)
			return 1;
	}
	return 0;
}

/* The request line and headers of blk (len bytes, NUL-terminated, ends with an empty
 * line). Fills hdrs and *cmd, path (len paths). -1: not a shape this gate reads. */
static int parse_block(char *blk, struct evkeyvalq *hdrs, enum evhttp_cmd_type *cmd,
	char *path, size_t paths)
{
	char *line = blk, *nl = strchr(line, '\n');
	if (!nl)
		return -1;
	*nl = '\0';
	char *sp = strchr(line, ' ');
	char *sp2 = sp ? strchr(sp + 1, ' ') : NULL;
	if (!sp || !sp2 || sp[1] != '/')
		return -1;
	*cmd = method_of(line, (size_t)(sp - line));
	size_t plen = strcspn(sp + 1, " ?#");
	if (plen >= paths)
		return -1;
	memcpy(path, sp + 1, plen);
	path[plen] = '\0';
	*nl = '\n';
	for (line = nl + 1; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
		size_t n = (size_t)(nl - line);
		if (n && line[n - 1] == '\r')
			n--;
		if (n == 0)
			return 0;
		char *colon = memchr(line, ':', n);
		if (line[0] == ' ' || line[0] == '\t' || !colon)
			return -1;
		char save = line[n];
		line[n] = '\0';
		*colon = '\0';
		char *v = colon + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		int rc = evhttp_add_header(hdrs, line, v);
		*colon = ':';
		line[n] = save;
		if (rc < 0)
			return -1;
	}
	return -1;
}

/* Replace the header block (len bytes at the start of in) by itself without the body
 * headers and with "Connection: close". */
static void strip_body(struct http_conn *c, struct evbuffer *in, const char *blk, size_t len)
{
	struct evbuffer *out = evbuffer_new();
	if (!out)
		return;
	const char *line = blk, *end = blk + len;
	int first = 1;
	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t n = nl ? (size_t)(nl - line) + 1 : (size_t)(end - line);
		size_t text = n - (nl ? 1 : 0) - (n > 1 && line[n - 2] == '\r' ? 1 : 0);
		if (text == 0)
			break;
		if (first || !body_header(line, text))
			evbuffer_add(out, line, n);
		first = 0;
		line += n;
	}
	evbuffer_add_printf(out, "Connection: close\r\n\r\n");
	c->rewriting = 1;
	evbuffer_drain(in, len);
	evbuffer_prepend_buffer(in, out);
	c->rewriting = 0;
	evbuffer_free(out);
}

/* The header block of the request is the first len bytes of the input: decide. */
static void gate_decide(struct http_conn *c, struct evbuffer *in, size_t len)
{
	char *blk = malloc(len + 1);
	struct evkeyvalq hdrs;
	TAILQ_INIT(&hdrs);
	enum evhttp_cmd_type cmd;
	char path[1024];
	if (!blk || evbuffer_copyout(in, blk, len) != (ev_ssize_t)len) {
		free(blk);
		evhttp_connection_set_max_body_size(c->evcon, 0);
		gate_open(c);
		return;
	}
	blk[len] = '\0';
	if (parse_block(blk, &hdrs, &cmd, path, sizeof path) < 0) {
		/* a block this gate cannot read (a NUL in a header, a folded line) is not a write
		 * it wants: evhttp judges the rest, and no body is read for it, not even one a
		 * client announces and never sends */
		evhttp_connection_set_max_body_size(c->evcon, 0);
		strip_body(c, in, blk, len);
	} else {
		const char *msg = NULL;
		int code = http_check_request(c->h, cmd, path, &hdrs, &msg);
		int wanted = code == 0 && cmd == EVHTTP_REQ_POST &&
			(strcmp(path, HTTP_OBSERVATIONS_PATH) == 0 || api_allow_path(path));
		if (!wanted && (evhttp_find_header(&hdrs, "Content-Length") ||
				evhttp_find_header(&hdrs, "Transfer-Encoding")))
			strip_body(c, in, blk, len);
	}
	evhttp_clear_headers(&hdrs);
	free(blk);
	gate_open(c);
}

static void on_input(struct evbuffer *in, const struct evbuffer_cb_info *info, void *arg)
{
	struct http_conn *c = arg;
	if (c->rewriting || c->phase != PHASE_HEADERS || info->n_added == 0)
		return;
	for (;;) {
		struct evbuffer_ptr p;
		if (evbuffer_ptr_set(in, &p, c->scanned, EVBUFFER_PTR_SET) < 0)
			break;
		size_t eol = 0;
		struct evbuffer_ptr e = evbuffer_search_eol(in, &p, &eol, EVBUFFER_EOL_CRLF);
		if (e.pos < 0)
			break;
		int empty = (size_t)e.pos == c->scanned;
		c->scanned = (size_t)e.pos + eol;
		if (empty) {
			gate_decide(c, in, c->scanned);
			return;
		}
	}
	if (evbuffer_get_length(in) > GATE_MAX_HEADERS) {
		/* evhttp refuses the oversized header block itself */
		evhttp_connection_set_max_body_size(c->evcon, 0);
		gate_open(c);
	}
}

/* ---- connections ------------------------------------------------------------------------ */

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct http_conn *c = arg;
	metrics_inc("http_timeouts", 1);
	evutil_socket_t s = bufferevent_getfd(c->bev);
	if (s >= 0)
		shutdown(s, SHUT_RDWR); /* evhttp sees the end and frees the connection */
}

static void resume_accepting(struct http_server *h)
{
	if (!h->accept_paused || h->stopping)
		return;
	h->accept_paused = 0;
	evtimer_del(h->resume_ev);
	evconnlistener_enable(h->listener);
}

static void on_close(struct evhttp_connection *evcon, void *arg)
{
	(void)evcon;
	struct http_conn *c = arg;
	struct http_server *h = c->h;
	evbuffer_remove_cb_entry(bufferevent_get_input(c->bev), c->cbent);
	event_free(c->deadline);
	for (struct http_conn **pp = &h->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	h->nconns--;
	free(c);
	resume_accepting(h);
}

/* One client: an IPv4 address, an IPv6 /64. */
static int same_client(const struct sockaddr *a, const struct sockaddr_storage *b)
{
	if (a->sa_family == AF_INET6 &&
	    !IN6_IS_ADDR_V4MAPPED(&((const struct sockaddr_in6 *)a)->sin6_addr))
		return sa_in_prefix(a, (const struct sockaddr *)b, 64);
	return sa_same_host(a, (const struct sockaddr *)b);
}

static void refuse(struct http_server *h, struct evhttp_connection *evcon,
	const struct sockaddr *sa, int same)
{
	static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\n"
		"Content-Type: application/json\r\nContent-Length: 34\r\nConnection: close\r\n\r\n"
		"{\"error\":\"too many connections\"}\r\n";
	metrics_inc("http_connections_refused", 1);
	int64_t now = mono_now();
	if (!h->cap_logged || now - h->cap_logged >= LOG_EVERY) {
		char who[SA_TEXT_MAX] = "?";
		if (sa)
			sa_host_text(sa, who, sizeof who);
		log_warn("http: connection limit reached (%d open, %d from %s; server.http-clients "
			"%d, http-clients-per-ip %d): refusing connections", h->nconns, same, who,
			h->env.cfg->http_clients, h->env.cfg->http_clients_per_ip);
		h->cap_logged = now;
	}
	evutil_socket_t s = bufferevent_getfd(evhttp_connection_get_bufferevent(evcon));
	if (s >= 0)
		(void)!send(s, busy, sizeof busy - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	evhttp_connection_free(evcon);
}

static void admit(struct http_server *h, struct bufferevent *bev, struct evhttp_connection *evcon)
{
	const struct nodd_config *cfg = h->env.cfg;
	const struct sockaddr *sa = evhttp_connection_get_addr(evcon);
	h->exhausted = 0; /* an accept worked: an episode of failed accepts is over */
	int same = 0;
	for (struct http_conn *c = h->conns; c && sa; c = c->next)
		same += same_client(sa, &c->peer);
	if (h->nconns >= cfg->http_clients || same >= cfg->http_clients_per_ip) {
		refuse(h, evcon, sa, same);
		return;
	}
	struct http_conn *c = calloc(1, sizeof *c);
	if (c)
		c->deadline = evtimer_new(evhttp_connection_get_base(evcon), on_deadline, c);
	if (c && c->deadline)
		c->cbent = evbuffer_add_cb(bufferevent_get_input(bev), on_input, c);
	if (!c || !c->deadline || !c->cbent) {
		if (c && c->deadline)
			event_free(c->deadline);
		free(c);
		refuse(h, evcon, sa, same);
		return;
	}
	c->h = h;
	c->evcon = evcon;
	c->bev = bev;
	if (sa)
		memcpy(&c->peer, sa, sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
			: sizeof(struct sockaddr_in));
	c->next = h->conns;
	h->conns = c;
	h->nconns++;
	evhttp_connection_set_closecb(evcon, on_close, c);
	gate_hold(c);
}

static void admit_fresh(struct http_server *h)
{
	for (size_t i = 0; i < h->nfresh; i++) {
		void *evcon = NULL;
		bufferevent_getcb(h->fresh[i], NULL, NULL, NULL, &evcon);
		if (evcon) /* NULL: freed by evhttp already */
			admit(h, h->fresh[i], evcon);
		bufferevent_decref(h->fresh[i]);
	}
	h->nfresh = 0;
}

static void on_admit(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	admit_fresh(arg);
}

static struct bufferevent *new_bev(struct event_base *base, void *arg)
{
	struct http_server *h = arg;
	struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (!bev)
		return NULL;
	if (h->nfresh == h->capfresh) {
		size_t n = h->capfresh ? 2 * h->capfresh : 16;
		struct bufferevent **f = realloc(h->fresh, n * sizeof *f);
		if (!f) {
			bufferevent_free(bev);
			return NULL;
		}
		h->fresh = f;
		h->capfresh = n;
	}
	bufferevent_incref(bev);
	bufferevent_setwatermark(bev, EV_READ, GATE_HOLD, 0);
	h->fresh[h->nfresh++] = bev;
	event_active(h->admit_ev, EV_TIMEOUT, 0);
	return bev;
}

/* ---- the listener ------------------------------------------------------------------------ */

static void on_resume(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	resume_accepting(arg);
}

/* The listener's argument is evhttp's (evhttp_bind_listener sets it): the servers with a
 * listener are found by their evhttp. Main thread only, like every listener. */
#define MAX_SERVERS 4
static struct http_server *servers[MAX_SERVERS];

static struct http_server *server_of(const void *http)
{
	for (int i = 0; i < MAX_SERVERS; i++)
		if (servers[i] && servers[i]->http == http)
			return servers[i];
	return NULL;
}

static void on_accept_error(struct evconnlistener *l, void *arg)
{
	struct http_server *h = server_of(arg);
	if (!h) {
		evconnlistener_disable(l);
		return;
	}
	int err = EVUTIL_SOCKET_ERROR();
	evconnlistener_disable(l);
	h->accept_paused = 1;
	metrics_inc("http_accept_paused", 1);
	int64_t now = mono_now();
	if (!h->exhausted && (!h->exhausted_logged || now - h->exhausted_logged >= LOG_EVERY)) {
		log_warn("http: cannot accept connections: %s (%d HTTP connections open); the "
			"listener pauses until a descriptor is free", strerror(err), h->nconns);
		h->exhausted_logged = now;
	}
	h->exhausted = 1;
	struct timeval one = { 1, 0 };
	evtimer_add(h->resume_ev, &one);
}

int httpconn_start(struct http_server *h, struct evconnlistener *l, struct nodd_err *e)
{
	struct event_base *base = evconnlistener_get_base(l);
	h->listener = l;
	h->admit_ev = event_new(base, -1, 0, on_admit, h);
	h->resume_ev = evtimer_new(base, on_resume, h);
	if (!h->admit_ev || !h->resume_ev)
		return nodd_fail(e, NODD_E_NOMEM, "http: out of memory");
	int slot = 0;
	while (slot < MAX_SERVERS && servers[slot])
		slot++;
	if (slot == MAX_SERVERS)
		return nodd_fail(e, NODD_E_LIMIT, "http: more than %d listeners", MAX_SERVERS);
	servers[slot] = h;
	evconnlistener_set_error_cb(l, on_accept_error);
	evhttp_set_bevcb(h->http, new_bev, h);
	return 0;
}

void httpconn_request_done(struct http_server *h, struct evhttp_request *req, int takeover)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct http_conn *c = h->conns;
	while (c && c->evcon != evcon)
		c = c->next;
	if (!c)
		return;
	evtimer_del(c->deadline);
	if (takeover) {
		c->phase = PHASE_OFF;
		bufferevent_setwatermark(c->bev, EV_READ, 0, 0);
		return;
	}
	if (evbuffer_get_length(bufferevent_get_input(c->bev))) {
		/* pipelined bytes: evhttp would parse them past the gate; close after the reply */
		evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
		c->phase = PHASE_OFF;
		return;
	}
	gate_hold(c);
}

void httpconn_stopping(struct http_server *h)
{
	h->stopping = 1;
}

void httpconn_free(struct http_server *h)
{
	for (int i = 0; i < MAX_SERVERS; i++)
		if (servers[i] == h)
			servers[i] = NULL;
	for (size_t i = 0; i < h->nfresh; i++)
		bufferevent_decref(h->fresh[i]);
	free(h->fresh);
	if (h->admit_ev)
		event_free(h->admit_ev);
	if (h->resume_ev)
		event_free(h->resume_ev);
}
