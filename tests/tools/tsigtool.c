/* tsigtool.c -- TSIG interop helper: send a signed AXFR or query, verify every reply message.
 *
 *   tsigtool [options] axfr  SERVER PORT ZONE
 *   tsigtool [options] query SERVER PORT NAME TYPE       (TYPE: SOA, A, NS, TXT or a number)
 * options:
 *   -y ALG:NAME:SECRET   key (as dig -y); or -k FILE for a BIND key file (first key is used)
 *   -s SECONDS           clock skew added to the signing time (BADTIME tests)
 *   -t N                 flip the last octet before the TSIG of reply message N (0-based)
 *   -u                   query over UDP instead of TCP
 *
 * Prints key=value lines (messages, signed, unsigned, records, rcode, tsig_error,
 * server_time, verdict) and exits 0 when the whole reply verified, 1 when it did not,
 * 2 on usage or I/O errors. Only for tests: talks to one server, waits at most 10 s. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "lib/dname.h"
#include "lib/keyfile.h"
#include "lib/tsig.h"

static void usage(void)
{
	fprintf(stderr, "usage: tsigtool [-y ALG:NAME:SECRET | -k FILE] [-s SKEW] [-t N] [-u] "
		"axfr SERVER PORT ZONE | query SERVER PORT NAME TYPE\n");
	exit(2);
}

static int read_full(int fd, uint8_t *b, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, b + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

static int qtype_of(const char *s)
{
	static const struct { const char *n; int t; } tab[] = {
		{ "A", 1 }, { "NS", 2 }, { "SOA", 6 }, { "TXT", 16 }, { "AXFR", 252 }, { "IXFR", 251 },
	};
	for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
		if (strcasecmp(s, tab[i].n) == 0)
			return tab[i].t;
	int v = atoi(s);
	return v > 0 && v < 65536 ? v : -1;
}

/* Answer records of a message (parsed up to len, the TSIG excluded); counts SOAs. */
static int count_answers(const uint8_t *m, size_t len, unsigned *records, unsigned *soas)
{
	uint8_t name[DNAME_MAX_WIRE];
	size_t nl, off = 12;
	if (len < 12)
		return -1;
	unsigned qd = (unsigned)(m[4] << 8 | m[5]), an = (unsigned)(m[6] << 8 | m[7]);
	for (unsigned i = 0; i < qd; i++) {
		off = dname_wire_parse(m, len, off, name, &nl);
		if (!off || off + 4 > len)
			return -1;
		off += 4;
	}
	for (unsigned i = 0; i < an; i++) {
		off = dname_wire_parse(m, len, off, name, &nl);
		if (!off || off + 10 > len)
			return -1;
		unsigned type = (unsigned)(m[off] << 8 | m[off + 1]);
		size_t rdlen = (size_t)(m[off + 8] << 8 | m[off + 9]);
		off += 10 + rdlen;
		if (off > len)
			return -1;
		(*records)++;
		if (type == 6)
			(*soas)++;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *yspec = NULL, *kfile = NULL;
	long skew = 0;
	int tamper = -1, udp = 0, opt;
	while ((opt = getopt(argc, argv, "y:k:s:t:u")) != -1) {
		switch (opt) {
		case 'y': yspec = optarg; break;
		case 'k': kfile = optarg; break;
		case 's': skew = strtol(optarg, NULL, 10); break;
		case 't': tamper = atoi(optarg); break;
		case 'u': udp = 1; break;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 4 || (!yspec && !kfile))
		usage();
	int axfr = strcmp(argv[0], "axfr") == 0;
	if (!axfr && (strcmp(argv[0], "query") != 0 || argc < 5))
		usage();
	int qtype = axfr ? 252 : qtype_of(argv[4]);
	if (qtype < 0)
		usage();

	struct tsig_keyring *kr = tsig_keyring_new();
	const struct tsig_key *key;
	if (kfile) {
		struct nodd_err err;
		int n = keyfile_load(kfile, kr, &err);
		if (n < 1) {
			fprintf(stderr, "tsigtool: %s\n", n < 0 ? err.msg : "no key in the file");
			return 2;
		}
	} else {
		char buf[1024];
		snprintf(buf, sizeof buf, "%s", yspec);
		char *c1 = strchr(buf, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			usage();
		*c1 = *c2 = '\0';
		struct tsig_key k;
		const char *why;
		if (tsig_key_init(&k, c1 + 1, buf, c2 + 1, &why) < 0) {
			fprintf(stderr, "tsigtool: -y: %s\n", why);
			return 2;
		}
		tsig_keyring_add(kr, &k);
	}
	key = tsig_keyring_get(kr, 0);

	/* The query: header, question, TSIG. */
	uint8_t q[600];
	memset(q, 0, 12);
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	uint16_t id = (uint16_t)rand();
	q[0] = (uint8_t)(id >> 8);
	q[1] = (uint8_t)id;
	q[5] = 1;
	char norm[256];
	const char *why = NULL;
	if (dname_text_normalize(argv[3], norm, sizeof norm, &why) < 0) {
		fprintf(stderr, "tsigtool: %s: %s\n", argv[3], why);
		return 2;
	}
	int nl = dname_text_to_wire(norm, q + 12);
	size_t qlen = 12 + (size_t)nl;
	q[qlen++] = (uint8_t)(qtype >> 8);
	q[qlen++] = (uint8_t)qtype;
	q[qlen++] = 0;
	q[qlen++] = 1;
	struct tsig_mac mac;
	size_t slen;
	uint64_t now = (uint64_t)time(NULL);
	if (tsig_sign_request(key, q, qlen, sizeof q, (uint64_t)((int64_t)now + skew), 300, &mac,
		&slen) != TSIG_OK) {
		fprintf(stderr, "tsigtool: signing failed\n");
		return 2;
	}

	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2])) };
	if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1)
		usage();
	int fd = socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
	struct timeval tv = { .tv_sec = 10 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		fprintf(stderr, "tsigtool: connect: %s\n", strerror(errno));
		return 2;
	}
	uint8_t out[2 + sizeof q];
	out[0] = (uint8_t)(slen >> 8);
	out[1] = (uint8_t)slen;
	memcpy(out + 2, q, slen);
	if (udp ? send(fd, q, slen, 0) != (ssize_t)slen : write(fd, out, slen + 2) != (ssize_t)(slen + 2)) {
		fprintf(stderr, "tsigtool: send: %s\n", strerror(errno));
		return 2;
	}

	struct tsig_verifier v;
	tsig_verifier_init(&v, key, &mac);
	static uint8_t m[65536];
	unsigned nmsg = 0, nsigned = 0, nunsigned = 0, records = 0, soas = 0;
	int rcode = -1, tsig_error = 0, io_error = 0;
	uint64_t server_time = 0;
	enum tsig_verdict verdict = TSIG_V_OK;
	for (;;) {
		size_t len;
		if (udp) {
			ssize_t r = recv(fd, m, sizeof m, 0);
			if (r < 0) {
				io_error = 1;
				break;
			}
			len = (size_t)r;
		} else {
			uint8_t lb[2];
			if (read_full(fd, lb, 2) < 0) {
				io_error = 1;
				break;
			}
			len = (size_t)(lb[0] << 8 | lb[1]);
			if (read_full(fd, m, len) < 0) {
				io_error = 1;
				break;
			}
		}
		if (len < 12 || m[0] != q[0] || m[1] != q[1]) {
			io_error = 1;
			break;
		}
		if ((int)nmsg == tamper) {
			size_t off;
			if (tsig_find(m, len, &off) == 1 && off > 12)
				m[off - 1] ^= 0x01;
			else if (len > 12)
				m[len - 1] ^= 0x01;
		}
		struct tsig_result res;
		uint64_t t = (uint64_t)time(NULL);
		enum tsig_verdict vd = tsig_verifier_feed(&v, m, len, t, &res);
		nmsg++;
		rcode = m[3] & 0x0f;
		tsig_error = res.error;
		if (res.other_time)
			server_time = res.other_time;
		if (vd == TSIG_V_OK)
			nsigned++;
		else if (vd == TSIG_V_UNSIGNED)
			nunsigned++;
		else {
			verdict = vd;
			break;
		}
		count_answers(m, res.msg_len, &records, &soas);
		if (!axfr || rcode != 0 || soas >= 2)
			break;
	}
	if (verdict == TSIG_V_OK && !io_error)
		verdict = tsig_verifier_end(&v);
	tsig_verifier_deinit(&v);
	close(fd);
	printf("messages=%u\nsigned=%u\nunsigned=%u\nrecords=%u\nrcode=%d\ntsig_error=%d\n"
		"server_time=%llu\nio_error=%d\nverdict=%s\n", nmsg, nsigned, nunsigned, records, rcode,
		tsig_error, (unsigned long long)server_time, io_error,
		io_error ? "io error" : tsig_verdict_str(verdict));
	tsig_keyring_free(kr);
	return (!io_error && verdict == TSIG_V_OK) ? 0 : 1;
}
