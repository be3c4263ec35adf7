/* wsread.c -- a WebSocket stream reader for the streams benchmark (tests/bench/bench_streams.py).
 *
 * Opens K connections to ws://127.0.0.1:PORT/PATH, prints "ready" once every handshake is
 * answered 101, then reads text frames on all of them (poll) until each has COUNT records.
 * Each record's "seq" must be one more than the one before (order and no loss are checked,
 * so the figure is for a correct stream). At the end one line per connection:
 *     conn I records N first T0 last T1 errors E
 * with T0/T1 the CLOCK_MONOTONIC seconds of the first and the COUNT-th record.
 * A reader written in C so that the reader's own cost does not limit the figure; it owns
 * no part of nodd and is built for `make bench` only. Loopback only; no masking needed
 * for reading, the handshake key is fixed (the server checks its form only).
 * usage: wsread PORT PATH COUNT [CONNECTIONS] */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXC 64
#define BUFSZ (1 << 20)

struct conn {
	int fd;
	unsigned char *buf;
	size_t len;
	uint64_t records, last_seq, errors;
	double first, last;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int handshake(int port, const char *path)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		perror("wsread: connect");
		exit(1);
	}
	char req[512];
	int n = snprintf(req, sizeof req,
		"GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", path);
	if (write(fd, req, (size_t)n) != n) {
		perror("wsread: write");
		exit(1);
	}
	/* read the reply byte by byte up to the blank line: the frames after it stay queued */
	char hdr[2048];
	size_t h = 0;
	while (h < sizeof hdr - 1 && (h < 4 || memcmp(hdr + h - 4, "\r\n\r\n", 4) != 0)) {
		if (read(fd, hdr + h, 1) != 1) {
			fprintf(stderr, "wsread: handshake cut short\n");
			exit(1);
		}
		h++;
	}
	hdr[h] = 0;
	if (strncmp(hdr, "HTTP/1.1 101", 12) != 0) {
		fprintf(stderr, "wsread: not upgraded: %s\n", hdr);
		exit(1);
	}
	return fd;
}

/* One record's payload: check its seq follows the previous one. */
static void record(struct conn *c, const unsigned char *p, size_t n, uint64_t want)
{
	if (c->records == 0)
		c->first = now();
	c->records++;
	const char *s = memmem(p, n, "\"seq\":", 6);
	uint64_t seq = s ? strtoull(s + 6, NULL, 10) : 0;
	if (c->last_seq && seq != c->last_seq + 1)
		c->errors++;
	c->last_seq = seq;
	if (c->records == want)
		c->last = now();
}

/* Consume whole frames from c->buf; returns bytes used. */
static size_t frames(struct conn *c, uint64_t want)
{
	size_t off = 0;
	for (;;) {
		const unsigned char *p = c->buf + off;
		size_t avail = c->len - off, hl = 2;
		if (avail < 2)
			break;
		uint64_t plen = p[1] & 0x7f;
		if (plen == 126) {
			hl = 4;
			if (avail < hl)
				break;
			plen = (uint64_t)p[2] << 8 | p[3];
		} else if (plen == 127) {
			hl = 10;
			if (avail < hl)
				break;
			plen = 0;
			for (int i = 0; i < 8; i++)
				plen = plen << 8 | p[2 + i];
		}
		if (p[1] & 0x80 || plen > BUFSZ - 16) {
			fprintf(stderr, "wsread: bad frame\n");
			exit(1);
		}
		if (avail < hl + plen)
			break;
		if ((p[0] & 0x0f) == 1)
			record(c, p + hl, (size_t)plen, want);
		off += hl + (size_t)plen;
	}
	return off;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: wsread PORT PATH COUNT [CONNECTIONS]\n");
		return 2;
	}
	int port = atoi(argv[1]);
	uint64_t want = strtoull(argv[3], NULL, 10);
	int k = argc > 4 ? atoi(argv[4]) : 1;
	if (k < 1 || k > MAXC)
		k = 1;
	static struct conn cs[MAXC];
	struct pollfd pf[MAXC];
	for (int i = 0; i < k; i++) {
		cs[i].fd = handshake(port, argv[2]);
		cs[i].buf = malloc(BUFSZ);
		pf[i] = (struct pollfd){ cs[i].fd, POLLIN, 0 };
	}
	printf("ready\n");
	fflush(stdout);
	int done = 0;
	while (done < k) {
		if (poll(pf, (nfds_t)k, -1) < 0)
			break;
		for (int i = 0; i < k; i++) {
			struct conn *c = &cs[i];
			if (pf[i].fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t r = read(c->fd, c->buf + c->len, BUFSZ - c->len);
			if (r <= 0) {
				pf[i].fd = -1;
				done++;
				continue;
			}
			c->len += (size_t)r;
			size_t used = frames(c, want);
			memmove(c->buf, c->buf + used, c->len - used);
			c->len -= used;
			if (c->records >= want) {
				pf[i].fd = -1;
				done++;
			}
		}
	}
	for (int i = 0; i < k; i++)
		printf("conn %d records %llu first %.6f last %.6f errors %llu\n", i,
			(unsigned long long)cs[i].records, cs[i].first, cs[i].last,
			(unsigned long long)cs[i].errors);
	return 0;
}
