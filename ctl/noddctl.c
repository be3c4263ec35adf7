/* noddctl.c -- command-line client of the nodd HTTP API (docs/noddctl.md).
 *
 * A small blocking HTTP/1.1 client on plain sockets: one keep-alive connection per run,
 * requests sent one after the other (an import sends its batches back to back and waits
 * for each answer before sending the next, so a refused batch stops the import before
 * anything after it is sent). Bodies are read by Content-Length, chunked encoding, or
 * until the server closes. A connection the server closed while idle is reopened once.
 *
 * Exit codes: 0 done; 1 the server refused or did not find something, or the input is
 * malformed; 2 the daemon cannot be reached or answered something that is not HTTP;
 * 64 usage error. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "lib/dname.h"

#ifndef NODD_VERSION
#define NODD_VERSION "unknown"
#endif

#define DEFAULT_URL "http://127.0.0.1:8053"
#define CONNECT_TIMEOUT_MS 10000
#define IO_TIMEOUT_S 300          /* a large batch can take the server a while */
#define IMPORT_BATCH 5000
#define EXIT_REFUSED 1
#define EXIT_UNREACHABLE 2
#define EXIT_USAGE 64

static const char *prog = "noddctl";

static void die(int code, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));
static void die(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(code);
}

/* ---- a tiny HTTP/1.1 client ---------------------------------------------------------- */

struct client {
	char url[512];            /* as given, for messages */
	char host[256];           /* for getaddrinfo */
	char hosthdr[300];        /* Host: header */
	char port[8];
	char prefix[256];         /* path prefix from the URL, without trailing slash */
	const char *token;
	int fd;
	int used;                 /* requests sent on this connection */
	char *buf;                /* bytes received and not consumed */
	size_t len, cap;
};

struct reply {
	int status;
	char *body;               /* NUL-terminated; caller frees */
	size_t len;
};

static void client_parse_url(struct client *c, const char *url)
{
	snprintf(c->url, sizeof c->url, "%s", url);
	const char *p = url;
	if (strncasecmp(p, "http://", 7) == 0)
		p += 7;
	else if (strstr(p, "://"))
		die(EXIT_USAGE, "%s: only http:// URLs are supported", url);
	const char *hs = p, *he;
	if (*p == '[') {
		he = strchr(p, ']');
		if (!he)
			die(EXIT_USAGE, "%s: unterminated [IPv6 address]", url);
		hs = p + 1;
		p = he + 1;
	} else {
		he = p + strcspn(p, ":/");
		p = he;
	}
	if (he == hs || (size_t)(he - hs) >= sizeof c->host)
		die(EXIT_USAGE, "%s: no host in the URL", url);
	memcpy(c->host, hs, (size_t)(he - hs));
	c->host[he - hs] = '\0';
	snprintf(c->port, sizeof c->port, "80");
	if (*p == ':') {
		p++;
		size_t n = strspn(p, "0123456789");
		if (n == 0 || n > 5 || atoi(p) > 65535 || atoi(p) == 0)
			die(EXIT_USAGE, "%s: bad port", url);
		memcpy(c->port, p, n);
		c->port[n] = '\0';
		p += n;
	}
	if (*p && *p != '/')
		die(EXIT_USAGE, "%s: cannot parse the URL", url);
	snprintf(c->prefix, sizeof c->prefix, "%s", p);
	size_t pl = strlen(c->prefix);
	while (pl && c->prefix[pl - 1] == '/')
		c->prefix[--pl] = '\0';
	int v6 = strchr(c->host, ':') != NULL;
	snprintf(c->hosthdr, sizeof c->hosthdr, "%s%s%s%s%s", v6 ? "[" : "", c->host, v6 ? "]" : "",
		strcmp(c->port, "80") ? ":" : "", strcmp(c->port, "80") ? c->port : "");
	c->fd = -1;
}

static void client_close(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->used = 0;
	c->len = 0;
}

/* Connect with a timeout. Exits (2) when the daemon cannot be reached. */
static void client_connect(struct client *c)
{
	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	int g = getaddrinfo(c->host, c->port, &hints, &res);
	if (g != 0)
		die(EXIT_UNREACHABLE, "cannot resolve %s: %s", c->host, gai_strerror(g));
	int err = 0;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		int fl = fcntl(fd, F_GETFL);
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
		int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
		if (rc < 0 && errno == EINPROGRESS) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };
			int n;
			do
				n = poll(&pfd, 1, CONNECT_TIMEOUT_MS);
			while (n < 0 && errno == EINTR);
			if (n == 0) {
				err = ETIMEDOUT;
			} else {
				socklen_t sl = sizeof err;
				err = 0;
				if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) < 0)
					err = errno;
			}
			rc = err ? -1 : 0;
		} else if (rc < 0) {
			err = errno;
		}
		if (rc == 0) {
			fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
			struct timeval tv = { IO_TIMEOUT_S, 0 };
			setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
			setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
			int one = 1;
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
			c->fd = fd;
			c->used = 0;
			c->len = 0;
			freeaddrinfo(res);
			return;
		}
		close(fd);
	}
	freeaddrinfo(res);
	die(EXIT_UNREACHABLE, "cannot connect to %s: %s%s", c->url, strerror(err),
		err == ECONNREFUSED ? " (is nodd running, with server.http set to this address?)" : "");
}

static int send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read more bytes into the buffer. Returns bytes read, 0 at EOF, -1 on error. */
static ssize_t fill(struct client *c)
{
	if (c->cap - c->len < 65536) {
		size_t nc = c->cap ? c->cap * 2 : 131072;
		while (nc - c->len < 65536)
			nc *= 2;
		char *nb = realloc(c->buf, nc);
		if (!nb)
			die(EXIT_UNREACHABLE, "out of memory");
		c->buf = nb;
		c->cap = nc;
	}
	for (;;) {
		ssize_t r = recv(c->fd, c->buf + c->len, c->cap - c->len - 1, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r > 0)
			c->len += (size_t)r;
		return r;
	}
}

static void consume(struct client *c, size_t n)
{
	memmove(c->buf, c->buf + n, c->len - n);
	c->len -= n;
}

/* Index just past "\r\n" at or after from, or 0 when none yet. */
static size_t find_crlf(const struct client *c, size_t from)
{
	for (size_t i = from; i + 1 < c->len; i++)
		if (c->buf[i] == '\r' && c->buf[i + 1] == '\n')
			return i + 2;
	return 0;
}

static void add_body(struct reply *r, const char *p, size_t n)
{
	char *nb = realloc(r->body, r->len + n + 1);
	if (!nb)
		die(EXIT_UNREACHABLE, "out of memory");
	r->body = nb;
	memcpy(r->body + r->len, p, n);
	r->len += n;
	r->body[r->len] = '\0';
}

/* Read one response. Returns 0, -1 when the connection ended before any byte of it (the
 * caller may retry on a fresh connection), or exits on a broken response. */
static int read_reply(struct client *c, struct reply *r, int is_head)
{
	memset(r, 0, sizeof *r);
	size_t hend = 0;
	for (;;) {
		for (size_t i = 3; i < c->len && !hend; i++)
			if (memcmp(c->buf + i - 3, "\r\n\r\n", 4) == 0)
				hend = i + 1;
		if (hend)
			break;
		if (c->len > 1 << 20)
			die(EXIT_UNREACHABLE, "%s: response headers too long", c->url);
		ssize_t n = fill(c);
		if (n <= 0) {
			if (c->len == 0)
				return -1;
			die(EXIT_UNREACHABLE, "%s: connection closed in the middle of a response%s%s",
				c->url, n < 0 ? ": " : "", n < 0 ? strerror(errno) : "");
		}
	}
	c->buf[hend - 1] = '\0';
	int minor = 0;
	if (sscanf(c->buf, "HTTP/1.%d %d", &minor, &r->status) != 2 || r->status < 100)
		die(EXIT_UNREACHABLE, "%s: the server does not speak HTTP/1.x", c->url);
	long long clen = -1;
	int chunked = 0, close_after = minor == 0;
	for (char *line = strstr(c->buf, "\r\n"); line && line[2]; line = strstr(line + 2, "\r\n")) {
		char *h = line + 2;
		if (strncasecmp(h, "Content-Length:", 15) == 0)
			clen = strtoll(h + 15, NULL, 10);
		else if (strncasecmp(h, "Transfer-Encoding:", 18) == 0 && strstr(h, "chunked"))
			chunked = 1;
		else if (strncasecmp(h, "Connection:", 11) == 0) {
			char *v = h + 11;
			while (*v == ' ')
				v++;
			if (strncasecmp(v, "close", 5) == 0)
				close_after = 1;
			else if (strncasecmp(v, "keep-alive", 10) == 0)
				close_after = 0;
		}
	}
	consume(c, hend);
	add_body(r, "", 0);
	int no_body = is_head || r->status == 204 || r->status == 304 || r->status < 200;
	if (no_body) {
		/* nothing */
	} else if (chunked) {
		for (;;) {
			size_t e;
			while (!(e = find_crlf(c, 0)))
				if (fill(c) <= 0)
					die(EXIT_UNREACHABLE, "%s: truncated chunked response", c->url);
			unsigned long long sz = strtoull(c->buf, NULL, 16);
			consume(c, e);
			if (sz == 0) {
				/* trailers, up to an empty line */
				for (;;) {
					while (!(e = find_crlf(c, 0)))
						if (fill(c) <= 0)
							die(EXIT_UNREACHABLE, "%s: truncated chunked response", c->url);
					consume(c, e);
					if (e == 2)
						break;
				}
				break;
			}
			while (c->len < sz + 2)
				if (fill(c) <= 0)
					die(EXIT_UNREACHABLE, "%s: truncated chunked response", c->url);
			add_body(r, c->buf, (size_t)sz);
			consume(c, (size_t)sz + 2);
		}
	} else if (clen >= 0) {
		while (c->len < (size_t)clen)
			if (fill(c) <= 0)
				die(EXIT_UNREACHABLE, "%s: truncated response", c->url);
		add_body(r, c->buf, (size_t)clen);
		consume(c, (size_t)clen);
	} else {
		for (;;) {
			ssize_t n = fill(c);
			if (n < 0)
				die(EXIT_UNREACHABLE, "%s: %s", c->url, strerror(errno));
			if (n == 0)
				break;
		}
		add_body(r, c->buf, c->len);
		c->len = 0;
		close_after = 1;
	}
	if (close_after)
		client_close(c);
	return 0;
}

/* One request and its response. body may be NULL. Exits when the daemon is unreachable. */
static void request(struct client *c, const char *method, const char *path, const char *body,
	size_t blen, struct reply *r)
{
	char hdr[2048];
	for (int attempt = 0;; attempt++) {
		if (c->fd < 0)
			client_connect(c);
		int reused = c->used > 0;
		int n = snprintf(hdr, sizeof hdr,
			"%s %s%s HTTP/1.1\r\nHost: %s\r\nUser-Agent: noddctl/%s\r\n"
			"Accept: application/json\r\n%s%s%s",
			method, c->prefix, path, c->hosthdr, NODD_VERSION,
			c->token ? "Authorization: Bearer " : "", c->token ? c->token : "",
			c->token ? "\r\n" : "");
		if (body)
			n += snprintf(hdr + n, sizeof hdr - (size_t)n,
				"Content-Type: application/json\r\nContent-Length: %zu\r\n", blen);
		n += snprintf(hdr + n, sizeof hdr - (size_t)n, "\r\n");
		if ((size_t)n >= sizeof hdr)
			die(EXIT_USAGE, "request too long (token or URL prefix)");
		c->used++;
		int bad = send_all(c->fd, hdr, (size_t)n) < 0 || (body && send_all(c->fd, body, blen) < 0);
		int serr = errno;
		if (!bad && read_reply(c, r, strcmp(method, "HEAD") == 0) == 0)
			return;
		/* A kept-alive connection the server closed meanwhile: one fresh try. The
		 * request was not answered, so sending it again is what the user asked for. */
		client_close(c);
		if (reused && attempt == 0)
			continue;
		die(EXIT_UNREACHABLE, "%s: connection lost: %s", c->url,
			bad ? strerror(serr) : "closed by the server without a response");
	}
}

/* ---- output ---------------------------------------------------------------------- */

/* Print a JSON body pretty on stdout; the raw text when it is not JSON. */
static void print_json(const struct reply *r)
{
	json_error_t e;
	json_t *j = json_loadb(r->body, r->len, JSON_DECODE_ANY, &e);
	if (!j) {
		fwrite(r->body, 1, r->len, stdout);
		if (r->len && r->body[r->len - 1] != '\n')
			fputc('\n', stdout);
		return;
	}
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(j);
}

/* The server's "error" (and "field"), or the status line and text. */
static void print_error(const struct reply *r, const char *what)
{
	json_error_t e;
	json_t *j = json_loadb(r->body, r->len, 0, &e);
	const char *msg = j ? json_string_value(json_object_get(j, "error")) : NULL;
	const char *field = j ? json_string_value(json_object_get(j, "field")) : NULL;
	if (msg)
		fprintf(stderr, "%s: %s%s%s%s%s%s\n", prog, what ? what : "", what ? ": " : "", msg,
			field ? " (field " : "", field ? field : "", field ? ")" : "");
	else
		fprintf(stderr, "%s: %s%sHTTP %d%s%.*s\n", prog, what ? what : "", what ? ": " : "",
			r->status, r->len ? ": " : "", (int)strcspn(r->body, "\r\n"), r->body);
	if (r->status == 401)
		fprintf(stderr, "%s: the daemon wants a bearer token: give it with -t or NODD_TOKEN\n",
			prog);
	json_decref(j);
}

/* ---- commands --------------------------------------------------------------------- */

static int cmd_status(struct client *c)
{
	struct reply r;
	request(c, "GET", "/api/v1/status", NULL, 0, &r);
	int rc = 0;
	if (r.status == 200) {
		print_json(&r);
	} else {
		print_error(&r, "status");
		rc = EXIT_REFUSED;
	}
	free(r.body);
	return rc;
}

static int cmd_lookup(struct client *c, const char *name)
{
	char path[1024] = "/api/v1/domains/";
	size_t n = strlen(path);
	for (const unsigned char *p = (const unsigned char *)name; *p && n + 4 < sizeof path; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '.' || *p == '_' || *p == '~')
			path[n++] = (char)*p;
		else
			n += (size_t)snprintf(path + n, sizeof path - n, "%%%02X", *p);
	}
	path[n] = '\0';
	struct reply r;
	request(c, "GET", path, NULL, 0, &r);
	int rc = 0;
	if (r.status == 200) {
		print_json(&r);
	} else if (r.status == 404) {
		fprintf(stderr, "%s: %s: not found (never observed)\n", prog, name);
		rc = EXIT_REFUSED;
	} else {
		print_error(&r, name);
		rc = EXIT_REFUSED;
	}
	free(r.body);
	return rc;
}

static int cmd_observe(struct client *c, const char *name, long long at, const char *source)
{
	json_t *o = json_object();
	json_object_set_new(o, "domain", json_string(name));
	if (at >= 0)
		json_object_set_new(o, "first_seen", json_integer(at));
	json_object_set_new(o, "source", json_string(source));
	if (!json_object_get(o, "domain") || !json_object_get(o, "source"))
		die(EXIT_USAGE, "NAME and --source must be UTF-8 text");
	char *body = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!body)
		die(EXIT_UNREACHABLE, "out of memory");
	struct reply r;
	request(c, "POST", "/api/v1/observations", body, strlen(body), &r);
	free(body);
	int rc = 0;
	if (r.status == 200) {
		print_json(&r);
	} else {
		print_error(&r, name);
		rc = EXIT_REFUSED;
	}
	free(r.body);
	return rc;
}

struct import {
	struct client *c;
	const char *file;         /* for messages */
	char *src_json;           /* the source as a JSON string, quotes included */
	char *body;               /* the batch being built: "[{...},{...}" */
	size_t blen, bcap;
	long lines[IMPORT_BATCH]; /* line number of each item of the batch */
	int n;
	unsigned long long total, fresh;
	int tty;
	struct timespec t0;
};

static double elapsed(const struct import *im)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - im->t0.tv_sec) + (double)(t.tv_nsec - im->t0.tv_nsec) / 1e9;
}

static void body_add(struct import *im, const char *s, size_t n)
{
	if (im->blen + n + 1 > im->bcap) {
		size_t nc = im->bcap ? im->bcap * 2 : 1 << 20;
		while (nc < im->blen + n + 1)
			nc *= 2;
		char *nb = realloc(im->body, nc);
		if (!nb)
			die(EXIT_UNREACHABLE, "out of memory");
		im->body = nb;
		im->bcap = nc;
	}
	memcpy(im->body + im->blen, s, n);
	im->blen += n;
}

/* Send the batch; exits on a refusal, naming the line of the refused item. */
static void import_flush(struct import *im)
{
	if (im->n == 0)
		return;
	body_add(im, "]", 1);
	struct reply r;
	request(im->c, "POST", "/api/v1/observations", im->body, im->blen, &r);
	if (r.status != 200) {
		if (im->tty)
			fputs("\r\033[K", stderr);
		json_error_t e;
		json_t *j = json_loadb(r.body, r.len, 0, &e);
		const char *field = j ? json_string_value(json_object_get(j, "field")) : NULL;
		const char *msg = j ? json_string_value(json_object_get(j, "error")) : NULL;
		long idx = -1;
		if (field && field[0] == '[')
			idx = strtol(field + 1, NULL, 10);
		if (msg && idx >= 0 && idx < im->n)
			fprintf(stderr, "%s:%ld: %s\n", im->file, im->lines[idx], msg);
		else
			print_error(&r, "import");
		fprintf(stderr, "%s: import stopped: that batch of %d names was refused as a whole; "
			"%llu names before it were imported (%llu new)\n", prog, im->n, im->total, im->fresh);
		json_decref(j);
		free(r.body);
		exit(EXIT_REFUSED);
	}
	json_error_t e;
	json_t *j = json_loadb(r.body, r.len, 0, &e);
	json_t *acc = j ? json_object_get(j, "accepted") : NULL;
	json_t *nw = j ? json_object_get(j, "new") : NULL;
	if (!json_is_integer(acc) || !json_is_integer(nw))
		die(EXIT_UNREACHABLE, "unexpected answer to a batch: %.200s", r.body);
	im->total += (unsigned long long)json_integer_value(acc);
	im->fresh += (unsigned long long)json_integer_value(nw);
	json_decref(j);
	free(r.body);
	im->n = 0;
	im->blen = 0;
	body_add(im, "[", 1);
	if (im->tty) {
		double s = elapsed(im);
		fprintf(stderr, "\r%llu names (%llu new), %.0f names/s", im->total, im->fresh,
			s > 0 ? (double)im->total / s : 0.0);
		fflush(stderr);
	}
}

static void import_fail(const struct import *im, long line, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 3, 4)));
static void import_fail(const struct import *im, long line, const char *fmt, ...)
{
	if (im->tty)
		fputs("\r\033[K", stderr);
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s:%ld: ", im->file, line);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	fprintf(stderr, "%s: import stopped before sending the batch holding that line; "
		"%llu names before it were imported (%llu new)\n", prog, im->total, im->fresh);
	exit(EXIT_REFUSED);
}

static int cmd_import(struct client *c, const char *path, const char *source)
{
	struct import *im = calloc(1, sizeof *im);
	if (!im)
		die(EXIT_UNREACHABLE, "out of memory");
	im->c = c;
	FILE *f = stdin;
	im->file = "<stdin>";
	if (strcmp(path, "-") != 0) {
		f = fopen(path, "r");
		if (!f)
			die(EXIT_REFUSED, "%s: %s", path, strerror(errno));
		im->file = path;
	}
	json_t *js = json_string(source);
	im->src_json = js ? json_dumps(js, JSON_ENCODE_ANY) : NULL;
	json_decref(js);
	if (!im->src_json)
		die(EXIT_USAGE, "--source must be UTF-8 text");
	im->tty = isatty(STDERR_FILENO);
	clock_gettime(CLOCK_MONOTONIC, &im->t0);
	body_add(im, "[", 1);

	char *line = NULL;
	size_t lcap = 0;
	ssize_t ll;
	long lineno = 0;
	char item[DNAME_MAX_TEXT + 600];
	while ((ll = getline(&line, &lcap, f)) >= 0) {
		lineno++;
		if ((size_t)ll != strlen(line))
			import_fail(im, lineno, "NUL byte in the line");
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *save = NULL;
		char *name = strtok_r(line, " \t\r\n\v\f", &save);
		if (!name)
			continue;
		char *fs = strtok_r(NULL, " \t\r\n\v\f", &save);
		if (strtok_r(NULL, " \t\r\n\v\f", &save))
			import_fail(im, lineno, "too many fields (expected: name [first_seen])");
		char norm[DNAME_MAX_TEXT + 1];
		const char *why = NULL;
		if (dname_text_normalize(name, norm, sizeof norm, &why) < 0)
			import_fail(im, lineno, "invalid domain name: %s", why);
		long long at = -1;
		if (fs) {
			char *end = NULL;
			errno = 0;
			at = strtoll(fs, &end, 10);
			if (errno || *end || at < 0 || fs[0] == '-' || fs[0] == '+')
				import_fail(im, lineno, "first_seen must be a non-negative integer (unix seconds): %s",
					fs);
		}
		/* Norm text is [a-z0-9_.-] only, so it goes into JSON unescaped. */
		int n = at >= 0
			? snprintf(item, sizeof item, "%s{\"domain\":\"%s\",\"first_seen\":%lld,\"source\":%s}",
				im->n ? "," : "", norm, at, im->src_json)
			: snprintf(item, sizeof item, "%s{\"domain\":\"%s\",\"source\":%s}",
				im->n ? "," : "", norm, im->src_json);
		if (n < 0 || (size_t)n >= sizeof item)
			import_fail(im, lineno, "line too long");
		body_add(im, item, (size_t)n);
		im->lines[im->n++] = lineno;
		if (im->n == IMPORT_BATCH)
			import_flush(im);
	}
	if (ferror(f))
		die(EXIT_REFUSED, "%s: read error: %s", im->file, strerror(errno));
	import_flush(im);
	if (f != stdin)
		fclose(f);
	free(line);
	if (im->tty)
		fputs("\r\033[K", stderr);
	printf("imported %llu names (%llu new) in %.1f s\n", im->total, im->fresh, elapsed(im));
	free(im->body);
	free(im->src_json);
	free(im);
	return 0;
}

/* ---- main -------------------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: noddctl [-s URL] [-t TOKEN] COMMAND [ARGS]\n"
		"commands:\n"
		"  observe NAME [--at UNIX] [--source S]  record an observation (default source \"noddctl\")\n"
		"  lookup NAME                            what nodd knows of a name\n"
		"  status                                 daemon status\n"
		"  import FILE|-                          lines \"name [first_seen]\", # comments;\n"
		"         [--source S]                    sent in batches of %d (default source \"import\")\n"
		"options:\n"
		"  -s, --server URL   daemon HTTP API (env NODD_URL; default %s)\n"
		"  -t, --token TOKEN  bearer token for observe/import (env NODD_TOKEN)\n"
		"  -V, --version      print the version\n"
		"  -h, --help         this text\n"
		"exit: 0 ok; 1 refused, not found or bad input; 2 daemon unreachable; 64 usage\n",
		IMPORT_BATCH, DEFAULT_URL);
}

/* Options after the command: --at N, --source S (also --at=N). */
static const char *sub_opt(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);
	if (strncmp(argv[*i], name, n) != 0)
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] != '\0')
		return NULL;
	if (*i + 1 >= argc)
		die(EXIT_USAGE, "%s needs a value", name);
	return argv[++*i];
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "server", required_argument, NULL, 's' },
		{ "token", required_argument, NULL, 't' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *url = getenv("NODD_URL");
	const char *token = getenv("NODD_TOKEN");
	if (url && !*url)
		url = NULL;
	int ch;
	while ((ch = getopt_long(argc, argv, "+s:t:Vh", opts, NULL)) != -1) {
		switch (ch) {
		case 's': url = optarg; break;
		case 't': token = optarg; break;
		case 'V': printf("noddctl %s\n", NODD_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (token && !*token)
		token = NULL;
	if (token && strpbrk(token, "\r\n"))
		die(EXIT_USAGE, "the token must be one line");
	const char *cmd = argv[optind++];
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0) {
		usage(stdout);
		return 0;
	}

	/* Arguments of the command: one positional, then its options. */
	const char *arg = NULL, *source = NULL;
	long long at = -1;
	for (int i = optind; i < argc; i++) {
		const char *v;
		if ((v = sub_opt(argc, argv, &i, "--at")) != NULL) {
			if (strcmp(cmd, "observe") != 0)
				die(EXIT_USAGE, "--at is an option of observe");
			char *end = NULL;
			errno = 0;
			at = strtoll(v, &end, 10);
			if (errno || !*v || *end || at < 0)
				die(EXIT_USAGE, "--at: not a unix time: %s", v);
		} else if ((v = sub_opt(argc, argv, &i, "--source")) != NULL) {
			if (strcmp(cmd, "observe") != 0 && strcmp(cmd, "import") != 0)
				die(EXIT_USAGE, "--source is an option of observe and import");
			if (strlen(v) > 255)
				die(EXIT_USAGE, "--source: at most 255 bytes");
			source = v;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0' && strcmp(argv[i], "--") != 0) {
			die(EXIT_USAGE, "%s: unknown option for %s (see noddctl --help)", argv[i], cmd);
		} else if (!arg) {
			if (strcmp(argv[i], "--") == 0 && i + 1 < argc)
				i++;
			arg = argv[i];
		} else {
			die(EXIT_USAGE, "%s: unexpected argument (see noddctl --help)", argv[i]);
		}
	}

	struct client c;
	memset(&c, 0, sizeof c);
	client_parse_url(&c, url ? url : DEFAULT_URL);
	c.token = token;
	int rc;
	if (strcmp(cmd, "status") == 0) {
		if (arg)
			die(EXIT_USAGE, "status takes no argument");
		rc = cmd_status(&c);
	} else if (strcmp(cmd, "lookup") == 0) {
		if (!arg)
			die(EXIT_USAGE, "usage: noddctl lookup NAME");
		rc = cmd_lookup(&c, arg);
	} else if (strcmp(cmd, "observe") == 0) {
		if (!arg)
			die(EXIT_USAGE, "usage: noddctl observe NAME [--at UNIX] [--source S]");
		rc = cmd_observe(&c, arg, at, source ? source : "noddctl");
	} else if (strcmp(cmd, "import") == 0) {
		if (!arg)
			die(EXIT_USAGE, "usage: noddctl import FILE|-");
		rc = cmd_import(&c, arg, source ? source : "import");
	} else {
		die(EXIT_USAGE, "%s: unknown command (see noddctl --help)", cmd);
	}
	client_close(&c);
	free(c.buf);
	return rc;
}
