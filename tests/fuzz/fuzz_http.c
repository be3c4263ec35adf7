/* fuzz_http.c -- the HTTP listener as a client sees it: the real http_start() server with
 * a real core (sqlite in a temporary directory), the outbox and the WebSocket stream,
 * on a loopback port. Each input is sent on a new connection, the write side is closed,
 * and the event loop runs until the server closes the connection (bounded). The first
 * octet chooses what the rest is:
 *   0: a whole raw request (or several, pipelined), as is;
 *   1: the JSON body of POST /api/v1/observations (valid token, content type, length);
 *   2: the name of GET /api/v1/domains/<name>, as is in the path;
 *   3: the value of GET /ws/nrd?from=<value> with a valid WebSocket upgrade.
 * Every reply must start with an HTTP status line (FUZZ_HTTP_SHOW=1 prints them)
 * and no 500 (internal error); an observations body gets 200 or 400; a ?from= of digits
 * only gets 101 when it fits 64 bits and 400 when it does not. Never touches anything outside its
 * temporary directory; the daemon's other parts (DNS, upstreams) are not started. */
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "conf/config.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "policy/nod.h"
#include "policy/outbox.h"
#include "server/http.h"
#include "streams/ws.h"

#define TOKEN "fuzz-token-0123456789"

static struct event_base *base;
static struct http_server *srv;
static int port;
static char dir[64];

static void cleanup(void)
{
	char cmd[128];
	if (!dir[0])
		return;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz_http: cannot remove %s\n", dir);
}

static void setup(void)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/fuzz_http.XXXXXX", tmp && strlen(tmp) < 40 ? tmp : "/tmp");
	if (!mkdtemp(dir))
		abort();
	atexit(cleanup);
	log_set_level(LOG_ERR);
	char path[128], db[128];
	snprintf(path, sizeof path, "%s/nodd.yaml", dir);
	snprintf(db, sizeof db, "%s/nodd.db", dir);
	FILE *f = fopen(path, "w");
	if (!f)
		abort();
	fprintf(f, "server:\n  listen: [127.0.0.1@0]\n  http: 127.0.0.1@0\n  database: %s\n"
		"  http-token: %s\npublish:\n  suffix: nod.example.\n", db, TOKEN);
	fclose(f);
	struct nodd_err e;
	static struct nodd_config *cfg;
	cfg = config_load(path, &e);
	if (!cfg) {
		fprintf(stderr, "fuzz_http: %s\n", e.msg);
		abort();
	}
	struct nod_options no = { .database = cfg->database, .min_interval = 1,
		.future_skew = cfg->future_skew, .psl_file = cfg->psl_file };
	nod_t *nod = nod_open(&no, unix_now(), &e);
	outbox_t *ob = nod ? outbox_open(nod_store(nod), &e) : NULL;
	if (!ob) {
		fprintf(stderr, "fuzz_http: %s\n", e.msg);
		abort();
	}
	nod_set_outbox(nod, ob);
	base = event_base_new();
	struct ws_options wo = { .max_lag = 1000, .alias = { "zone_diff", "nrd" } };
	static struct http_env env;
	env.nod = nod;
	env.cfg = cfg;
	env.start_time = unix_now();
	env.ws = ws_new(base, ob, &wo);
	srv = http_start(base, &env, &e);
	if (!srv) {
		fprintf(stderr, "fuzz_http: %s\n", e.msg);
		abort();
	}
	port = http_port(srv);
}

/* The request the input stands for (mode in data[0]); malloc'd, length in *len. */
static char *request(const uint8_t *data, size_t size, size_t *len)
{
	const char *rest = (const char *)data + 1;
	size_t n = size - 1;
	char head[512];
	int hl;
	switch (data[0] % 4) {
	case 1:
		hl = snprintf(head, sizeof head, "POST /api/v1/observations HTTP/1.1\r\n"
			"Host: 127.0.0.1:%d\r\nAuthorization: Bearer " TOKEN "\r\n"
			"Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n", port, n);
		break;
	case 2:
		hl = snprintf(head, sizeof head, "GET /api/v1/domains/");
		break;
	case 3:
		hl = snprintf(head, sizeof head, "GET /ws/nrd?from=");
		break;
	default:
		hl = 0;
	}
	char tail[256] = "";
	if (data[0] % 4 == 2)
		snprintf(tail, sizeof tail, " HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n", port);
	if (data[0] % 4 == 3)
		snprintf(tail, sizeof tail, " HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
			"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
			"Sec-WebSocket-Version: 13\r\n\r\n", port);
	size_t tl = strlen(tail);
	char *out = malloc((size_t)hl + n + tl + 1);
	if (!out)
		abort();
	memcpy(out, head, (size_t)hl);
	memcpy(out + hl, rest, n);
	memcpy(out + (size_t)hl + n, tail, tl);
	*len = (size_t)hl + n + tl;
	return out;
}

/* One exchange: the client end of the connection, driven by the same event loop. */
struct exchange {
	int fd;
	const char *req;
	size_t len, sent;
	char *reply;
	size_t cap, got;
	int done;
	struct event *ev;
};

static void on_client(evutil_socket_t fd, short what, void *arg)
{
	struct exchange *x = arg;
	if (what & EV_TIMEOUT) {
		x->done = 1;
		return;
	}
	if (what & EV_WRITE) {
		ssize_t w = x->sent < x->len
			? send(fd, x->req + x->sent, x->len - x->sent, MSG_NOSIGNAL) : 0;
		if (w > 0)
			x->sent += (size_t)w;
		else if (w < 0 && errno != EAGAIN)
			x->sent = x->len; /* the server closed early */
		if (x->sent == x->len) {
			shutdown(fd, SHUT_WR);
			event_del(x->ev);
			event_assign(x->ev, base, fd, EV_READ | EV_PERSIST, on_client, x);
			struct timeval five = { 5, 0 };
			event_add(x->ev, &five);
		}
	}
	if (!(what & EV_READ))
		return;
	for (;;) {
		char buf[4096];
		ssize_t r = recv(fd, buf, sizeof buf, 0);
		if (r > 0) {
			size_t take = x->got < x->cap ? x->cap - x->got : 0;
			memcpy(x->reply + x->got, buf, (size_t)r < take ? (size_t)r : take);
			x->got += (size_t)r;
			continue;
		}
		if (r == 0 || errno != EAGAIN)
			x->done = 1;
		return;
	}
}

/* Send req on a new connection, close the write side, and run the loop until the server
 * closes (or 5 s pass without a word from it, 10 s in all). The reply's first octets go to reply. */
static size_t exchange(const char *req, size_t len, char *reply, size_t cap)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	/* each connection from the next of 65,000 loopback source addresses: the TIME_WAITs
	 * of a long run do not use up one address's ports */
	static uint32_t src;
	struct sockaddr_in from = { .sin_family = AF_INET,
		.sin_addr.s_addr = htonl(0x7f000002u + src++ % 65000u) };
	/* connect without blocking (libFuzzer's timer signal would interrupt a blocking one);
	 * the loop sends once the socket is writable */
	if (fd < 0 || bind(fd, (struct sockaddr *)&from, sizeof from) < 0 ||
	    evutil_make_socket_nonblocking(fd) < 0 ||
	    (connect(fd, (struct sockaddr *)&sin, sizeof sin) < 0 && errno != EINPROGRESS)) {
		fprintf(stderr, "fuzz_http: cannot connect: %s\n", strerror(errno));
		abort();
	}
	struct exchange x = { .fd = fd, .req = req, .len = len, .reply = reply, .cap = cap };
	x.ev = event_new(base, fd, EV_READ | EV_WRITE | EV_PERSIST, on_client, &x);
	struct timeval five = { 5, 0 };
	event_add(x.ev, &five);
	time_t deadline = time(NULL) + 10;
	while (!x.done && time(NULL) < deadline)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(x.ev);
	close(fd);
	/* let the server see the close and free the connection */
	for (int i = 0; i < 3; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
	return x.got;
}

/* The status the listener must give mode's input (0: any), from what the input is. */
static int expected_status(const uint8_t *data, size_t size)
{
	if (data[0] % 4 != 3)
		return 0;
	/* ?from= made of digits only: 101 when it fits 64 bits, else 400 (no number) */
	if (size == 1)
		return 400;
	for (size_t i = 1; i < size; i++)
		if (data[i] < '0' || data[i] > '9')
			return 0;
	uint64_t v = 0;
	for (size_t i = 1; i < size; i++) {
		unsigned d = (unsigned)(data[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return 400;
		v = v * 10 + d;
	}
	return 101;
}

/* Whether mode may answer status. An observations body is delimited by its length, so
 * it gets 200 or 400; the other modes can inject anything into the request line and
 * headers, so they may get any status but 500 (501 for an unknown method is right). */
static int allowed_status(int mode, int status)
{
	if (mode == 1)
		return status == 200 || status == 400;
	return status >= 100 && status < 600 && status != 500;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!base)
		setup();
	if (size < 1 || size > 65536)
		return 0;
	size_t len;
	char *req = request(data, size, &len);
	char reply[32];
	size_t got = exchange(req, len, reply, sizeof reply);
	free(req);
	if (getenv("FUZZ_HTTP_SHOW")) /* FUZZ_HTTP_SHOW=1 replay_http DIR: each status line */
		fprintf(stderr, "%zu octets: %.14s\n", got, got ? reply : "");
	if (got == 0 && data[0] % 4 == 0)
		return 0; /* a raw request may be closed without a reply */
	/* "HTTP/x.y NNN": evhttp answers in the request's version (HTTP/0.1, HTTP/1.21) */
	int major, minor, status, at = 0;
	reply[got < sizeof reply ? got : sizeof reply - 1] = 0;
	if (sscanf(reply, "HTTP/%d.%d %3d%n", &major, &minor, &status, &at) != 3 || at == 0) {
		fprintf(stderr, "fuzz_http: no status line in the reply (%zu octets)\n", got);
		abort();
	}
	int want = expected_status(data, size);
	if (!allowed_status(data[0] % 4, status) || (want && status != want)) {
		fprintf(stderr, "fuzz_http: status %d for mode %d (expected %d)\n", status,
			data[0] % 4, want);
		abort();
	}
	return 0;
}
