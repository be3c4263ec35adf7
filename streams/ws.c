/* ws.c -- the resumable WebSocket stream of outbox records.
 *
 * DESIGN
 * The HTTP listener is libevent's evhttp; a request for /ws/<topic> is validated there
 * (RFC 6455 4.2.1), answered 101 by writing straight to the connection's bufferevent,
 * and from then on the bufferevent is driven by wslay: evhttp's callbacks are replaced
 * and the request is never replied to through evhttp. Closing frees the evhttp
 * connection, which frees the bufferevent. wslay reads the client's frames and answers
 * its control frames; records do not go through wslay.
 *
 * Each client has an outbox cursor (streams/sink.h; the next seq to send, no
 * acknowledgements). Records are pulled, not pushed: a client is topped up only while its
 * unsent output is below out_high, with references to chunks of frames built once for
 * every client (streams/wsframes.h: one outbox read and no copy per client), so a slow
 * client costs a cursor and its share of chunks, and never slows ingestion or other
 * clients. A client whose output has
 * stalled (the kernel takes nothing for two checks a second apart) while it is more than
 * max_lag records behind the newest is disconnected and counted. A reader that is merely
 * behind after a burst keeps going: progress is the bytes the kernel took, not the
 * length of the output buffer (which the pump keeps topping up). `?from=<seq>` starts the
 * cursor in the history (rows older than the history are gone; the stream starts at the
 * oldest kept); without it the client gets only new records. */
#include "streams/ws.h"

#include <ctype.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/keyvalq_struct.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <strings.h>
#include <wslay/wslay.h>

#include "lib/log.h"
#include "lib/prom.h"
#include "streams/sink.h"
#include "streams/wsframes.h"
#include "lib/counters.h"

struct ws_client {
	struct ws_server *ws;
	struct evhttp_connection *evcon;
	struct bufferevent *bev;
	wslay_event_context_ptr ctx;
	struct sink_cursor cur;  /* next: the next seq to queue */
	LIST_ENTRY(ws_client) link; /* in the server's clients */
	int closing;
	uint64_t queued;         /* bytes ever added to the output buffer */
	uint64_t last_taken;     /* bytes the kernel had taken at the previous check */
	int stalled;             /* checks in a row with no progress */
};

struct ws_server {
	struct event_base *base;
	outbox_t *ob;
	struct ws_options opt;
	LIST_HEAD(, ws_client) clients;
	struct ws_stats stats;
	struct event *check_ev;
	struct ws_frames *frames; /* framed records shared by every client */
};

static void client_free(struct ws_client *c)
{
	struct ws_server *ws = c->ws;
	LIST_REMOVE(c, link);
	ws->stats.clients--;
	wslay_event_context_free(c->ctx);
	/* frees the request and the bufferevent */
	evhttp_connection_free(c->evcon);
	free(c);
}

static ssize_t ws_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags, void *ud)
{
	(void)flags;
	struct ws_client *c = ud;
	int n = evbuffer_remove(bufferevent_get_input(c->bev), buf, len);
	if (n <= 0) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return -1;
	}
	return n;
}

/* wslay sends only control frames (pong, close): records are added by client_pump as
 * shared chunks. Each frame is taken whole, so a record never lands inside one; a client
 * that makes us queue control frames without reading is closed. */
static ssize_t ws_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
	void *ud)
{
	(void)flags;
	struct ws_client *c = ud;
	struct evbuffer *out = bufferevent_get_output(c->bev);
	if (evbuffer_get_length(out) >= 4 * c->ws->opt.out_high ||
	    evbuffer_add(out, data, len) < 0) {
		wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
		return -1;
	}
	c->queued += len;
	return (ssize_t)len;
}

static void ws_on_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg,
	void *ud)
{
	(void)ctx;
	(void)arg;
	(void)ud;
	/* Clients have nothing to say; control frames are handled by wslay. */
}

/* Top the client up with shared framed records and flush. Returns -1 when it must be
 * closed. Records stop once the client has sent a close frame (wslay answers it). */
static int client_pump(struct ws_client *c)
{
	struct ws_server *ws = c->ws;
	if (wslay_event_send(c->ctx) != 0)
		return -1;
	struct evbuffer *out = bufferevent_get_output(c->bev);
	while (!c->closing && !wslay_event_get_close_received(c->ctx) &&
	       evbuffer_get_length(out) < ws->opt.out_high) {
		size_t bytes = 0;
		int n = ws_frames_add(ws->frames, c->cur.topic, c->cur.next, out, &bytes);
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		c->cur.next += (uint64_t)n;
		c->queued += bytes;
		ws->stats.messages += (uint64_t)n;
	}
	if (!wslay_event_want_read(c->ctx) && !wslay_event_want_write(c->ctx) &&
	    evbuffer_get_length(out) == 0)
		return -1;
	return 0;
}

static void on_read(struct bufferevent *bev, void *arg)
{
	(void)bev;
	struct ws_client *c = arg;
	if (wslay_event_recv(c->ctx) != 0 || client_pump(c) < 0)
		client_free(c);
}

static void on_write(struct bufferevent *bev, void *arg)
{
	(void)bev;
	struct ws_client *c = arg;
	if (client_pump(c) < 0)
		client_free(c);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)what;
	client_free(arg); /* EOF, error */
}

/* Once a second: drop clients that are stalled and too far behind. */
static void on_check(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct ws_server *ws = arg;
	struct ws_client *c = LIST_FIRST(&ws->clients);
	while (c) {
		struct ws_client *next = LIST_NEXT(c, link);
		/* progress is what the kernel took, not the buffer's length: a reader that
		 * keeps up is topped up again and again, so its buffer need not shrink */
		size_t out = evbuffer_get_length(bufferevent_get_output(c->bev));
		uint64_t taken = c->queued - out;
		c->stalled = (out > 0 && taken == c->last_taken) ? c->stalled + 1 : 0;
		c->last_taken = taken;
		uint64_t lag = sink_cursor_lag(&c->cur);
		if (!c->closing && c->stalled >= 2 && lag > ws->opt.max_lag) {
			ws->stats.dropped_slow++;
			metrics_inc("ws_dropped_slow", 1);
			log_info("ws: client stalled %llu records behind on %s (limit %llu); disconnecting",
				(unsigned long long)lag, outbox_topic_name(c->cur.topic),
				(unsigned long long)ws->opt.max_lag);
			/* it reads nothing, so a close frame would never arrive: just close */
			client_free(c);
		}
		c = next;
	}
}

static void on_rows(void *arg)
{
	struct ws_server *ws = arg;
	struct ws_client *c = LIST_FIRST(&ws->clients);
	while (c) {
		struct ws_client *next = LIST_NEXT(c, link);
		if (client_pump(c) < 0)
			client_free(c);
		c = next;
	}
}

struct ws_server *ws_new(struct event_base *base, outbox_t *ob, const struct ws_options *opt)
{
	struct ws_server *ws = calloc(1, sizeof *ws);
	if (!ws)
		return NULL;
	ws->base = base;
	ws->ob = ob;
	ws->opt = *opt;
	if (!ws->opt.max_lag)
		ws->opt.max_lag = 100000;
	if (!ws->opt.out_high)
		ws->opt.out_high = 256 * 1024;
	if (!ws->opt.max_clients)
		ws->opt.max_clients = 256;
	ws->frames = ws_frames_new(ob, 4 * 1024 * 1024);
	if (!ws->frames) {
		free(ws);
		return NULL;
	}
	outbox_subscribe(ob, on_rows, ws);
	ws->check_ev = event_new(base, -1, EV_PERSIST, on_check, ws);
	struct timeval one = { 1, 0 };
	event_add(ws->check_ev, &one);
	return ws;
}

void ws_free(struct ws_server *ws)
{
	if (!ws)
		return;
	while (!LIST_EMPTY(&ws->clients))
		client_free(LIST_FIRST(&ws->clients));
	if (ws->check_ev)
		event_free(ws->check_ev);
	ws_frames_free(ws->frames);
	free(ws);
}

void ws_get_stats(const struct ws_server *ws, struct ws_stats *out) { *out = ws->stats; }

json_t *ws_status(void *arg)
{
	const struct ws_server *ws = arg;
	return json_integer((json_int_t)ws->stats.clients);
}

void ws_metrics(void *arg, FILE *f)
{
	const struct ws_server *ws = arg;
	prom_family(f, "nodd_ws_clients", "gauge", "WebSocket stream clients connected now.");
	prom_sample(f, "nodd_ws_clients", NULL, NULL, NULL, NULL, ws->stats.clients);
	prom_family(f, "nodd_ws_messages_total", "counter", "WebSocket records sent.");
	prom_sample(f, "nodd_ws_messages_total", NULL, NULL, NULL, NULL, ws->stats.messages);
}

static int header_has_token(const char *v, const char *token)
{
	size_t tl = strlen(token);
	for (const char *p = v; p && *p;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		const char *e = p;
		while (*e && *e != ',')
			e++;
		const char *t = e;
		while (t > p && (t[-1] == ' ' || t[-1] == '\t'))
			t--;
		if ((size_t)(t - p) == tl && strncasecmp(p, token, tl) == 0)
			return 1;
		p = e;
	}
	return 0;
}

static void send_error(struct evhttp_request *req, int code, const char *reason, const char *msg)
{
	struct evbuffer *b = evbuffer_new();
	evbuffer_add_printf(b, "{\"error\":\"%s\"}\n", msg);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
	if (code == 426)
		evhttp_add_header(evhttp_request_get_output_headers(req), "Sec-WebSocket-Version", "13");
	evhttp_send_reply(req, code, reason, b);
	evbuffer_free(b);
}

/* The topic named by the path (canonical name or Kafka alias), or -1. */
static int path_topic(const struct ws_server *ws, const char *name)
{
	int topic = outbox_topic_by_name(name);
	for (int i = 0; topic < 0 && i < OUTBOX_TOPICS; i++)
		if (ws->opt.alias[i] && strcmp(ws->opt.alias[i], name) == 0)
			topic = i;
	return topic;
}

/* ?from=<seq>: 1 with *from set, 0 when absent, -1 when malformed. */
static int query_from(const char *query, uint64_t *from)
{
	if (!query)
		return 0;
	int rc = 0;
	struct evkeyvalq qs;
	TAILQ_INIT(&qs);
	if (evhttp_parse_query_str(query, &qs) == 0) {
		const char *f = evhttp_find_header(&qs, "from");
		if (f) {
			/* digits only, within 64 bits: no sign, no space, no saturated value */
			char *end;
			errno = 0;
			unsigned long long v = strtoull(f, &end, 10);
			rc = (f[0] < '0' || f[0] > '9' || *end || errno == ERANGE) ? -1 : 1;
			*from = v;
		}
	}
	evhttp_clear_headers(&qs);
	return rc;
}

/* The RFC 6455 4.2.1 handshake headers; answers and returns -1 when they are wrong. */
static int check_upgrade(struct evhttp_request *req, const char **key)
{
	struct evkeyvalq *h = evhttp_request_get_input_headers(req);
	const char *upgrade = evhttp_find_header(h, "Upgrade");
	const char *conn = evhttp_find_header(h, "Connection");
	const char *version = evhttp_find_header(h, "Sec-WebSocket-Version");
	*key = evhttp_find_header(h, "Sec-WebSocket-Key");
	if (!upgrade || strcasecmp(upgrade, "websocket") != 0 || !conn ||
	    !header_has_token(conn, "upgrade")) {
		send_error(req, 426, "Upgrade Required", "this is a WebSocket endpoint");
		return -1;
	}
	if (!version || strcmp(version, "13") != 0) {
		send_error(req, 426, "Upgrade Required", "only WebSocket version 13 is supported");
		return -1;
	}
	unsigned char raw[64];
	if (!*key || strlen(*key) != 24 ||
	    EVP_DecodeBlock(raw, (const unsigned char *)*key, 24) != 18) {
		send_error(req, 400, "Bad Request", "missing or malformed Sec-WebSocket-Key");
		return -1;
	}
	return 0;
}

/* Take the connection over from evhttp, answer 101 and start streaming topic from the
 * requested place: ?from (clamped to the oldest row kept), else only new records. */
static void client_start(struct ws_server *ws, struct evhttp_request *req, int topic,
	const char *key, int have_from, uint64_t from)
{
	/* Sec-WebSocket-Accept = base64(SHA-1(key + GUID)) (RFC 6455 4.2.2) */
	char cat[128];
	unsigned char digest[SHA_DIGEST_LENGTH];
	char accept[64];
	snprintf(cat, sizeof cat, "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", key);
	SHA1((const unsigned char *)cat, strlen(cat), digest);
	EVP_EncodeBlock((unsigned char *)accept, digest, SHA_DIGEST_LENGTH);

	struct ws_client *c = calloc(1, sizeof *c);
	if (!c) {
		send_error(req, 503, "Service Unavailable", "out of memory");
		return;
	}
	struct wslay_event_callbacks cbs = { ws_recv, ws_send, NULL, NULL, NULL, NULL, ws_on_msg };
	if (wslay_event_context_server_init(&c->ctx, &cbs, c) != 0) {
		free(c);
		send_error(req, 503, "Service Unavailable", "out of memory");
		return;
	}
	wslay_event_config_set_max_recv_msg_length(c->ctx, 4096);
	c->ws = ws;
	c->evcon = evhttp_request_get_connection(req);
	c->bev = evhttp_connection_get_bufferevent(c->evcon);
	uint64_t first = outbox_first_seq(ws->ob, topic);
	uint64_t last = outbox_last_seq(ws->ob, topic);
	uint64_t next = last + 1;
	if (have_from)
		next = from < first ? (first ? first : from) : from;
	sink_cursor_init(&c->cur, ws->ob, topic, next);

	bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
	bufferevent_set_timeouts(c->bev, NULL, NULL);
	bufferevent_setwatermark(c->bev, EV_WRITE, ws->opt.out_high / 2, 0);
	evbuffer_add_printf(bufferevent_get_output(c->bev),
		"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		"Sec-WebSocket-Accept: %s\r\n\r\n", accept);
	c->queued = evbuffer_get_length(bufferevent_get_output(c->bev));
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	LIST_INSERT_HEAD(&ws->clients, c, link);
	ws->stats.clients++;
	ws->stats.accepted++;
	metrics_inc("ws_accepted", 1);
	if (client_pump(c) < 0)
		client_free(c);
}

void ws_handle_request(struct ws_server *ws, struct evhttp_request *req)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		send_error(req, 405, "Method Not Allowed", "WebSocket streams are opened with GET");
		return;
	}
	int topic = path_topic(ws, evhttp_uri_get_path(uri) + strlen("/ws/"));
	if (topic < 0) {
		send_error(req, 404, "Not Found", "unknown topic (zone_diff, newly_registered_domain, "
			"newly_registered_fqdn or confirmed_newly_registered_domain)");
		return;
	}
	const char *key;
	if (check_upgrade(req, &key) < 0)
		return;
	uint64_t from = 0;
	int have_from = query_from(evhttp_uri_get_query(uri), &from);
	if (have_from < 0) {
		send_error(req, 400, "Bad Request", "from must be a sequence number");
		return;
	}
	if (ws->stats.clients >= (uint64_t)ws->opt.max_clients) {
		send_error(req, 503, "Service Unavailable", "too many WebSocket clients");
		return;
	}
	client_start(ws, req, topic, key, have_from, from);
}
