/* loadgen.c -- UDP DNS load generator for the serving benchmark: sendmmsg/recvmmsg batches on a few sockets, max-rate or paced mode, every reply matched and checked. */

/*
 * Why not dnsperf: it tops out near 150k q/s on this kind of machine, so two fast
 * servers look the same. Here one thread keeps a bounded number of queries in flight per
 * socket (max-rate mode: measures the server's throughput) or sends at a fixed pace
 * (-r RATE: counts answers against queries sent, i.e. loss). Query packets are built once
 * from a file, only the 16-bit ID is patched per send.
 *
 * Matching: IDs are handed out sequentially per socket, so the oldest outstanding query
 * is found by walking forward from the oldest ID; a reply is accepted only if its socket,
 * ID and question bytes match an outstanding query. Queries older than the timeout count
 * as lost and their slot is freed.
 *
 * Query file: one line per query, "name code": code 0 expects NXDOMAIN, 2..8 expects
 * NOERROR with A 127.0.0.<code>. The zone (-z) is appended to each name.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LG_MAX_SOCKETS 64
#define LG_MAX_BATCH 256
#define LG_MAX_QUERY 300     /* header + question, no EDNS */
#define LG_REPLY_BUF 4096
#define LG_IDS 65536

struct lg_queries {
	uint8_t *wire;           /* all packets back to back */
	uint32_t *off;           /* packet i starts at wire + off[i] */
	uint16_t *len;
	uint8_t *code;           /* 0: NXDOMAIN expected, else A 127.0.0.code */
	size_t n, cap, wire_len, wire_cap;
};

struct lg_sock {
	int fd;
	uint16_t next_id;        /* ID of the next query sent */
	uint16_t oldest;         /* oldest ID not yet retired */
	uint32_t span;           /* IDs from oldest to next_id (answered ones included) */
	uint32_t inflight;       /* outstanding, unanswered queries */
	uint64_t *sent_at;       /* [LG_IDS] monotonic ns, 0 = slot free */
	uint32_t *qidx;          /* [LG_IDS] query index of the slot */
	uint8_t *sbuf;           /* batch * LG_MAX_QUERY send scratch */
	uint8_t *rbuf;           /* batch * LG_REPLY_BUF receive buffers */
	struct mmsghdr *smsg, *rmsg;
	struct iovec *siov, *riov;
};

struct lg_stats {
	uint64_t sent, received, timed_out, wrong, unexpected, send_errors;
	uint64_t rcode[16];
	uint64_t lat_sum_ns;
};

struct lg_opts {
	const char *server, *qfile, *zone;
	int port, nsock, batch, timeout_ms, wait_ready, verbose;
	uint32_t inflight;
	double duration, rate, ready_timeout;
	long long since_ns;
	int server_pid;          /* > 0: report this process's CPU share over the send window */
	size_t max_queries;
};

static uint64_t lg_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static long long lg_real_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static void *lg_xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n, sz);
	if (!p) {
		fprintf(stderr, "loadgen: out of memory\n");
		exit(2);
	}
	return p;
}

static void *lg_xrealloc(void *p, size_t sz)
{
	p = realloc(p, sz);
	if (!p) {
		fprintf(stderr, "loadgen: out of memory\n");
		exit(2);
	}
	return p;
}

/* Write name + "." + zone as wire labels into out (room for 256). Returns length or 0. */
static size_t lg_name_to_wire(const char *name, const char *zone, uint8_t *out)
{
	char full[600];
	if ((size_t)snprintf(full, sizeof full, "%s.%s", name, zone) >= sizeof full)
		return 0;
	size_t o = 0;
	const char *p = full;
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		if (l == 0) {                   /* trailing dot or empty label */
			if (dot && dot[1] == '\0')
				break;
			return 0;
		}
		if (l > 63 || o + 1 + l + 1 > 255)
			return 0;
		out[o++] = (uint8_t)l;
		memcpy(out + o, p, l);
		o += l;
		p = dot ? dot + 1 : p + l;
	}
	out[o++] = 0;
	return o;
}

static void lg_queries_add(struct lg_queries *q, const char *name, const char *zone, int code)
{
	uint8_t pkt[LG_MAX_QUERY];
	memset(pkt, 0, 12);
	pkt[5] = 1;                             /* QDCOUNT 1, RD=0: authoritative query */
	size_t nl = lg_name_to_wire(name, zone, pkt + 12);
	if (nl == 0) {
		fprintf(stderr, "loadgen: bad name %s\n", name);
		return;
	}
	size_t len = 12 + nl;
	pkt[len++] = 0;
	pkt[len++] = 1;                         /* QTYPE A */
	pkt[len++] = 0;
	pkt[len++] = 1;                         /* QCLASS IN */
	if (q->n == q->cap) {
		q->cap = q->cap ? q->cap * 2 : 65536;
		q->off = lg_xrealloc(q->off, q->cap * sizeof *q->off);
		q->len = lg_xrealloc(q->len, q->cap * sizeof *q->len);
		q->code = lg_xrealloc(q->code, q->cap * sizeof *q->code);
	}
	if (q->wire_len + len > q->wire_cap) {
		q->wire_cap = q->wire_cap ? q->wire_cap * 2 : (1u << 22);
		q->wire = lg_xrealloc(q->wire, q->wire_cap);
	}
	memcpy(q->wire + q->wire_len, pkt, len);
	q->off[q->n] = (uint32_t)q->wire_len;
	q->len[q->n] = (uint16_t)len;
	q->code[q->n] = (uint8_t)code;
	q->wire_len += len;
	q->n++;
}

static int lg_queries_load(struct lg_queries *q, const char *path, const char *zone, size_t max)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "loadgen: %s: %s\n", path, strerror(errno));
		return -1;
	}
	char line[1024], name[512];
	int code;
	while (fgets(line, sizeof line, f) && (max == 0 || q->n < max)) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "%511s %d", name, &code) != 2 || code < 0 || code > 255) {
			fprintf(stderr, "loadgen: %s: bad line: %s", path, line);
			continue;
		}
		lg_queries_add(q, name, zone, code);
	}
	fclose(f);
	if (q->n == 0) {
		fprintf(stderr, "loadgen: %s: no queries\n", path);
		return -1;
	}
	return 0;
}

/* Skip a (possibly compressed) name at off. Returns the offset after it, or 0. */
static size_t lg_skip_name(const uint8_t *p, size_t len, size_t off)
{
	while (off < len) {
		uint8_t l = p[off];
		if ((l & 0xc0) == 0xc0)
			return off + 2 <= len ? off + 2 : 0;
		if (l & 0xc0)
			return 0;
		off += 1u + l;
		if (l == 0)
			return off;
	}
	return 0;
}

/* Is reply r (rlen bytes) the right answer for query i? */
static int lg_answer_ok(const struct lg_queries *q, size_t i, const uint8_t *r, size_t rlen)
{
	int rcode = r[3] & 0x0f;
	if (!(r[2] & 0x80))
		return 0;
	if (q->code[i] == 0)
		return rcode == 3;
	if (rcode != 0)
		return 0;
	unsigned an = (unsigned)r[6] << 8 | r[7];
	size_t off = q->len[i];                 /* the question is echoed unchanged */
	for (unsigned k = 0; k < an; k++) {
		off = lg_skip_name(r, rlen, off);
		if (off == 0 || off + 10 > rlen)
			return 0;
		uint16_t type = (uint16_t)(r[off] << 8 | r[off + 1]);
		uint16_t rdlen = (uint16_t)(r[off + 8] << 8 | r[off + 9]);
		off += 10;
		if (off + rdlen > rlen)
			return 0;
		if (type == 1 && rdlen == 4 && r[off] == 127 && r[off + 1] == 0 && r[off + 2] == 0 &&
		    r[off + 3] == q->code[i])
			return 1;
		off += rdlen;
	}
	return 0;
}

static int lg_sock_open(struct lg_sock *s, const struct sockaddr_in *sa, int batch)
{
	memset(s, 0, sizeof *s);
	s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (s->fd < 0) {
		perror("loadgen: socket");
		return -1;
	}
	/* Large buffers so that drops happen at the server, not here. FORCE works as root. */
	int sz = 8 << 20;
	setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
	setsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
	setsockopt(s->fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof sz);
	setsockopt(s->fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof sz);
	if (connect(s->fd, (const struct sockaddr *)sa, sizeof *sa) < 0) {
		perror("loadgen: connect");
		return -1;
	}
	s->sent_at = lg_xcalloc(LG_IDS, sizeof *s->sent_at);
	s->qidx = lg_xcalloc(LG_IDS, sizeof *s->qidx);
	s->sbuf = lg_xcalloc((size_t)batch, LG_MAX_QUERY);
	s->rbuf = lg_xcalloc((size_t)batch, LG_REPLY_BUF);
	s->smsg = lg_xcalloc((size_t)batch, sizeof *s->smsg);
	s->rmsg = lg_xcalloc((size_t)batch, sizeof *s->rmsg);
	s->siov = lg_xcalloc((size_t)batch, sizeof *s->siov);
	s->riov = lg_xcalloc((size_t)batch, sizeof *s->riov);
	for (int k = 0; k < batch; k++) {
		s->siov[k].iov_base = s->sbuf + (size_t)k * LG_MAX_QUERY;
		s->smsg[k].msg_hdr.msg_iov = &s->siov[k];
		s->smsg[k].msg_hdr.msg_iovlen = 1;
		s->riov[k].iov_base = s->rbuf + (size_t)k * LG_REPLY_BUF;
		s->riov[k].iov_len = LG_REPLY_BUF;
		s->rmsg[k].msg_hdr.msg_iov = &s->riov[k];
		s->rmsg[k].msg_hdr.msg_iovlen = 1;
	}
	return 0;
}

static void lg_sock_close(struct lg_sock *s)
{
	if (s->fd >= 0)
		close(s->fd);
	free(s->sent_at);
	free(s->qidx);
	free(s->sbuf);
	free(s->rbuf);
	free(s->smsg);
	free(s->rmsg);
	free(s->siov);
	free(s->riov);
	memset(s, 0, sizeof *s);
	s->fd = -1;
}

static void lg_queries_free(struct lg_queries *q)
{
	free(q->wire);
	free(q->off);
	free(q->len);
	free(q->code);
	memset(q, 0, sizeof *q);
}

/* Send up to n queries on s, starting at query *cursor. Returns the number sent. */
static int lg_send(struct lg_sock *s, const struct lg_queries *q, size_t *cursor, int n,
	struct lg_stats *st, uint64_t now)
{
	if (s->span + (uint32_t)n >= LG_IDS)
		n = (int)(LG_IDS - 1 - s->span);
	if (n <= 0)
		return 0;
	size_t c = *cursor;
	for (int k = 0; k < n; k++) {
		size_t i = (c + (size_t)k) % q->n;
		uint8_t *b = s->siov[k].iov_base;
		uint16_t id = (uint16_t)(s->next_id + k);
		memcpy(b, q->wire + q->off[i], q->len[i]);
		b[0] = (uint8_t)(id >> 8);
		b[1] = (uint8_t)id;
		s->siov[k].iov_len = q->len[i];
	}
	int sent = sendmmsg(s->fd, s->smsg, (unsigned)n, MSG_DONTWAIT);
	if (sent < 0) {
		/* EAGAIN/ENOBUFS: buffers full; ECONNREFUSED: server not there (yet). */
		st->send_errors++;
		return 0;
	}
	for (int k = 0; k < sent; k++) {
		uint16_t id = (uint16_t)(s->next_id + k);
		s->sent_at[id] = now ? now : 1;
		s->qidx[id] = (uint32_t)((c + (size_t)k) % q->n);
	}
	s->next_id = (uint16_t)(s->next_id + sent);
	s->span += (uint32_t)sent;
	s->inflight += (uint32_t)sent;
	*cursor = (c + (size_t)sent) % q->n;
	st->sent += (uint64_t)sent;
	return sent;
}

/* Read what has arrived on s (at most max_rounds recvmmsg calls). Returns replies read. */
static int lg_recv(struct lg_sock *s, const struct lg_queries *q, int batch, int max_rounds,
	struct lg_stats *st, uint64_t now)
{
	int total = 0;
	for (int round = 0; round < max_rounds; round++) {
		for (int k = 0; k < batch; k++)
			s->riov[k].iov_len = LG_REPLY_BUF;
		int n = recvmmsg(s->fd, s->rmsg, (unsigned)batch, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;
		for (int k = 0; k < n; k++) {
			const uint8_t *r = s->riov[k].iov_base;
			size_t rlen = s->rmsg[k].msg_len;
			if (rlen < 12) {
				st->unexpected++;
				continue;
			}
			uint16_t id = (uint16_t)(r[0] << 8 | r[1]);
			if (s->sent_at[id] == 0) {      /* late (timed out) or duplicate */
				st->unexpected++;
				continue;
			}
			uint32_t i = s->qidx[id];
			/* The question must come back as sent: guards against a stale ID. */
			if (rlen < q->len[i] || memcmp(r + 12, q->wire + q->off[i] + 12, q->len[i] - 12u) != 0) {
				st->unexpected++;
				continue;
			}
			st->lat_sum_ns += now - s->sent_at[id];
			s->sent_at[id] = 0;
			s->inflight--;
			st->received++;
			st->rcode[r[3] & 0x0f]++;
			if (!lg_answer_ok(q, i, r, rlen))
				st->wrong++;
		}
		total += n;
		if (n < batch)
			break;
	}
	return total;
}

/* Retire answered slots at the old end; queries older than timeout are lost. */
static void lg_expire(struct lg_sock *s, uint64_t now, uint64_t timeout_ns, struct lg_stats *st)
{
	while (s->span > 0) {
		uint64_t t = s->sent_at[s->oldest];
		if (t != 0) {
			if (now - t < timeout_ns)
				break;
			s->sent_at[s->oldest] = 0;
			s->inflight--;
			st->timed_out++;
		}
		s->oldest++;
		s->span--;
	}
}

/* utime + stime of a process in seconds, from /proc/PID/stat; -1 if unreadable. */
static double lg_proc_cpu(int pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')');            /* comm may hold spaces */
	unsigned long long ut, st;
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static void lg_usage(void)
{
	fprintf(stderr,
		"usage: loadgen -p PORT -q FILE [options]\n"
		"  -s ADDR      server IPv4 address (127.0.0.1)\n"
		"  -p PORT      server UDP port\n"
		"  -q FILE      queries, lines \"name code\" (0 = NXDOMAIN, N = A 127.0.0.N)\n"
		"  -z ZONE      appended to every name (v1.bl.nod.example)\n"
		"  -d SECS      duration (10)\n"
		"  -r RATE      fixed rate in q/s (default: max rate)\n"
		"  -c N         sockets (4)\n"
		"  -i N         max in flight per socket in max-rate mode (32)\n"
		"  -b N         batch size per sendmmsg/recvmmsg (64)\n"
		"  -t MS        reply timeout (500)\n"
		"  -n N         use only the first N queries of the file\n"
		"  -w           wait-ready: query until a correct answer for a listed name, print\n"
		"               the time taken and exit (0 ready, 1 timeout)\n"
		"  -T SECS      wait-ready timeout (120)\n"
		"  -S NS        wait-ready: count from this CLOCK_REALTIME time in ns (date +%%s%%N)\n"
		"  -P PID       also report the CPU share of process PID (the server)\n"
		"  -v           progress every second\n"
		"Last line: \"result key=value ...\" for scripts.\n");
}

static int lg_wait_ready(const struct lg_opts *o, const struct lg_queries *q,
	const struct sockaddr_in *sa)
{
	long long start = o->since_ns > 0 ? o->since_ns : lg_real_ns();
	size_t i = 0;
	while (i < q->n && q->code[i] == 0)
		i++;
	if (i == q->n) {
		fprintf(stderr, "loadgen: -w needs a listed name (code > 0) in the query file\n");
		return 2;
	}
	struct lg_queries one = {0};
	one.wire = q->wire + q->off[i];
	one.off = &(uint32_t){0};
	one.len = &q->len[i];
	one.code = &q->code[i];
	one.n = 1;
	struct lg_sock s;
	if (lg_sock_open(&s, sa, 4) < 0)
		return 2;
	struct lg_stats st = {0};
	int rc = 1;
	uint64_t deadline = lg_mono_ns() + (uint64_t)(o->ready_timeout * 1e9);
	uint64_t wrong_seen = 0, last_probe = 0;
	for (;;) {
		uint64_t now = lg_mono_ns();
		if (now > deadline) {
			printf("result mode=wait ready=0 wrong=%llu\n", (unsigned long long)wrong_seen);
			break;
		}
		/* One probe per 5 ms at most: a starting server should not be flooded. */
		if (now - last_probe >= 5000000ull) {
			size_t cursor = 0;
			lg_send(&s, &one, &cursor, 1, &st, now);
			last_probe = now;
		}
		struct pollfd pfd = {.fd = s.fd, .events = POLLIN};
		poll(&pfd, 1, 5);
		uint64_t before_ok = st.received - st.wrong;
		lg_recv(&s, &one, 4, 1, &st, lg_mono_ns());
		if (st.received - st.wrong > before_ok) {
			double secs = (double)(lg_real_ns() - start) / 1e9;
			printf("result mode=wait ready=1 startup_s=%.3f wrong=%llu\n", secs,
				(unsigned long long)st.wrong);
			rc = 0;
			break;
		}
		wrong_seen = st.wrong;
		lg_expire(&s, lg_mono_ns(), 200000000ull, &st);
	}
	lg_sock_close(&s);
	return rc;
}

int main(int argc, char **argv)
{
	struct lg_opts o = {
		.server = "127.0.0.1", .zone = "v1.bl.nod.example", .nsock = 4, .batch = 64,
		.timeout_ms = 500, .inflight = 32, .duration = 10, .ready_timeout = 120,
	};
	int c;
	while ((c = getopt(argc, argv, "s:p:q:z:d:r:c:i:b:t:n:wT:S:P:vh")) != -1) {
		switch (c) {
		case 's': o.server = optarg; break;
		case 'p': o.port = atoi(optarg); break;
		case 'q': o.qfile = optarg; break;
		case 'z': o.zone = optarg; break;
		case 'd': o.duration = atof(optarg); break;
		case 'r': o.rate = atof(optarg); break;
		case 'c': o.nsock = atoi(optarg); break;
		case 'i': o.inflight = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'b': o.batch = atoi(optarg); break;
		case 't': o.timeout_ms = atoi(optarg); break;
		case 'n': o.max_queries = strtoul(optarg, NULL, 10); break;
		case 'w': o.wait_ready = 1; break;
		case 'T': o.ready_timeout = atof(optarg); break;
		case 'S': o.since_ns = atoll(optarg); break;
		case 'P': o.server_pid = atoi(optarg); break;
		case 'v': o.verbose = 1; break;
		default: lg_usage(); return 2;
		}
	}
	if (o.port <= 0 || o.port > 65535 || !o.qfile || o.nsock < 1 || o.nsock > LG_MAX_SOCKETS ||
	    o.batch < 1 || o.batch > LG_MAX_BATCH || o.duration <= 0 || o.timeout_ms < 1 ||
	    o.inflight < 1 || o.inflight > LG_IDS / 2 || o.rate < 0) {
		lg_usage();
		return 2;
	}
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)o.port)};
	if (inet_pton(AF_INET, o.server, &sa.sin_addr) != 1) {
		fprintf(stderr, "loadgen: bad address %s\n", o.server);
		return 2;
	}
	struct lg_queries q = {0};
	if (lg_queries_load(&q, o.qfile, o.zone, o.max_queries) < 0)
		return 2;
	if (o.wait_ready) {
		int rc = lg_wait_ready(&o, &q, &sa);
		lg_queries_free(&q);
		return rc;
	}

	struct lg_sock socks[LG_MAX_SOCKETS];
	struct pollfd pfd[LG_MAX_SOCKETS];
	for (int k = 0; k < o.nsock; k++) {
		if (lg_sock_open(&socks[k], &sa, o.batch) < 0)
			return 2;
		pfd[k].fd = socks[k].fd;
		pfd[k].events = POLLIN;
	}
	struct lg_stats st = {0};
	struct rusage ru0;
	getrusage(RUSAGE_SELF, &ru0);
	double cpu_at_start = (double)(ru0.ru_utime.tv_sec + ru0.ru_stime.tv_sec) +
		(double)(ru0.ru_utime.tv_usec + ru0.ru_stime.tv_usec) / 1e6;
	uint64_t timeout_ns = (uint64_t)o.timeout_ms * 1000000ull;
	double srv_cpu0 = o.server_pid > 0 ? lg_proc_cpu(o.server_pid) : -1, srv_cpu1 = -1;
	uint64_t start = lg_mono_ns();
	uint64_t end = start + (uint64_t)(o.duration * 1e9);
	uint64_t drain_end = 0, next_report = start + 1000000000ull, last_sent = 0, last_recv = 0;
	size_t cursor = 0;
	int draining = 0, rr = 0;
	uint64_t send_end = end;

	for (;;) {
		uint64_t now = lg_mono_ns();
		if (!draining && now >= end) {
			draining = 1;
			send_end = now;
			if (o.server_pid > 0)
				srv_cpu1 = lg_proc_cpu(o.server_pid);
			drain_end = now + timeout_ns;
		}
		int did = 0;
		if (!draining) {
			if (o.rate > 0) {
				/* Paced: send what is due now, spread round-robin over the sockets. */
				double due_d = o.rate * (double)(now - start) / 1e9 - (double)st.sent;
				uint64_t due = due_d > 0 ? (uint64_t)due_d : 0;
				while (due > 0) {
					int n = due > (uint64_t)o.batch ? o.batch : (int)due;
					int sent = lg_send(&socks[rr], &q, &cursor, n, &st, now);
					rr = (rr + 1) % o.nsock;
					if (sent <= 0)
						break;
					due -= (uint64_t)sent;
					did = 1;
				}
			} else {
				for (int k = 0; k < o.nsock; k++) {
					struct lg_sock *s = &socks[k];
					if (s->inflight >= o.inflight)
						continue;
					uint32_t room = o.inflight - s->inflight;
					int n = room > (uint32_t)o.batch ? o.batch : (int)room;
					if (lg_send(s, &q, &cursor, n, &st, now) > 0)
						did = 1;
				}
			}
		}
		now = lg_mono_ns();
		uint32_t inflight = 0;
		for (int k = 0; k < o.nsock; k++) {
			if (lg_recv(&socks[k], &q, o.batch, 4, &st, now) > 0)
				did = 1;
			lg_expire(&socks[k], now, timeout_ns, &st);
			inflight += socks[k].inflight;
		}
		if (draining && (inflight == 0 || now >= drain_end))
			break;
		if (o.verbose && now >= next_report) {
			fprintf(stderr, "loadgen: %.0f s sent %llu/s received %llu/s in flight %u\n",
				(double)(now - start) / 1e9, (unsigned long long)(st.sent - last_sent),
				(unsigned long long)(st.received - last_recv), inflight);
			last_sent = st.sent;
			last_recv = st.received;
			next_report += 1000000000ull;
		}
		if (!did) {
			/* Nothing to do: wait for replies, or until the next paced send is due. */
			struct timespec ts = {0, 1000000};
			if (o.rate > 0 && !draining) {
				long ns = (long)(1e9 / o.rate);
				ts.tv_nsec = ns < 1000000 ? (ns > 20000 ? ns : 20000) : 1000000;
			}
			ppoll(pfd, (nfds_t)o.nsock, &ts, NULL);
		}
	}
	/* Whatever is still out after the drain period is lost. */
	uint64_t left = 0;
	for (int k = 0; k < o.nsock; k++)
		left += socks[k].inflight;

	double secs = (double)(send_end - start) / 1e9;
	/* Our own CPU share: near 100 % means the generator, not the server, may be the limit. */
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
		(double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6 - cpu_at_start;
	double wall = (double)(lg_mono_ns() - start) / 1e9;
	uint64_t lost = st.sent - st.received;
	double loss = st.sent ? 100.0 * (double)lost / (double)st.sent : 0;
	double qps = (double)st.received / secs;
	double lat_us = st.received ? (double)st.lat_sum_ns / (double)st.received / 1000.0 : 0;
	printf("loadgen: %s, %d sockets, %.1f s, %zu distinct queries\n",
		o.rate > 0 ? "fixed rate" : "max rate", o.nsock, secs, q.n);
	printf("  sent %llu  received %llu  lost %llu (%.3f %%; %llu timed out, %llu at end)\n",
		(unsigned long long)st.sent, (unsigned long long)st.received,
		(unsigned long long)lost, loss, (unsigned long long)st.timed_out,
		(unsigned long long)left);
	printf("  answers/s %.0f  mean latency %.1f us  wrong answers %llu  unexpected %llu\n",
		qps, lat_us, (unsigned long long)st.wrong, (unsigned long long)st.unexpected);
	double srv_pct = srv_cpu0 >= 0 && srv_cpu1 >= 0 ? 100.0 * (srv_cpu1 - srv_cpu0) / secs : -1;
	printf("  loadgen CPU %.0f %% of one core", 100.0 * cpu / wall);
	if (srv_pct >= 0)
		printf(", server (pid %d) CPU %.0f %%", o.server_pid, srv_pct);
	printf("\n");
	printf("  rcodes: NOERROR %llu  SERVFAIL %llu  NXDOMAIN %llu  REFUSED %llu  other %llu\n",
		(unsigned long long)st.rcode[0], (unsigned long long)st.rcode[2],
		(unsigned long long)st.rcode[3], (unsigned long long)st.rcode[5],
		(unsigned long long)(st.received - st.rcode[0] - st.rcode[2] - st.rcode[3] - st.rcode[5]));
	printf("result mode=%s sent=%llu received=%llu lost=%llu loss_pct=%.4f qps=%.0f "
		"wrong=%llu unexpected=%llu latency_us=%.1f cpu_pct=%.0f server_cpu_pct=%.0f\n",
		o.rate > 0 ? "rate" : "max", (unsigned long long)st.sent,
		(unsigned long long)st.received, (unsigned long long)lost, loss, qps,
		(unsigned long long)st.wrong, (unsigned long long)st.unexpected, lat_us,
		100.0 * cpu / wall, srv_pct);
	for (int k = 0; k < o.nsock; k++)
		lg_sock_close(&socks[k]);
	lg_queries_free(&q);
	return 0;
}
