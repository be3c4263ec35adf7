/* xfrclient.c -- the TCP client of the transfers in: produce the query, consume the
 * answer message by message. zones/xfrmsg.c reads each message from the wire and
 * zones/xfrin.c checks the framing of the answer records; the client is ours because
 * ldns's is blocking, checks no TSIG and stops after two SOAs (REFERENCE.md 0.3). Never touches the
 * refresh timers, the observations or the copy itself (only its staging tables). */
#define LOG_CATEGORY LOG_CAT_XFR_IN
#include "zones/xfrclient.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <stdlib.h>
#include <string.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "lib/serial.h"
#include "lib/wire.h"

#define XFR_CONNECT_TIMEOUT 30 /* connecting and sending the query; reading is c->lim's */

const char *xfr_kind_name(enum xfr_kind kind)
{
	return kind == XFR_PROBE ? "SOA query" : kind == XFR_IXFR ? "IXFR" : "AXFR";
}

const char *xfr_cut_name(enum xfr_cut cut)
{
	return cut == XFR_CUT_TIME ? "time" : cut == XFR_CUT_IDLE ? "idle" : "records";
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Mark the exchange cut by a limit: e says which, in the words docs/secondary.md gives. */
static void xfr_cut(struct xfrconn *c, enum xfr_cut cut, struct nodd_err *e)
{
	static const char *const key[] = { [XFR_CUT_TIME] = "max-transfer-time",
		[XFR_CUT_IDLE] = "max-transfer-idle", [XFR_CUT_RECORDS] = "max-records" };
	const int64_t val[] = { [XFR_CUT_TIME] = c->lim.time, [XFR_CUT_IDLE] = c->lim.idle,
		[XFR_CUT_RECORDS] = (int64_t)c->lim.records };
	c->cut = cut;
	nodd_fail(e, NODD_E_LIMIT, "%s exceeded %s %lld%s", c->kind == XFR_PROBE ? "SOA query"
		: "transfer", key[cut], (long long)val[cut], cut == XFR_CUT_RECORDS ? "" : "s");
}

/* ---- produce --------------------------------------------------------------------- */

int xfr_query(struct xfrconn *c, enum xfr_kind kind, const uint8_t *apex, size_t apex_len,
	const struct tsig_key *key, uint64_t now, uint8_t *buf, size_t cap, size_t *len,
	struct nodd_err *e)
{
	struct wire w;
	c->id = (uint16_t)(random() & 0xFFFF);
	wire_init(&w, buf, cap);
	wire_header(&w, c->id, 0);
	uint16_t qtype = kind == XFR_PROBE ? WIRE_T_SOA : kind == XFR_IXFR ? WIRE_T_IXFR : WIRE_T_AXFR;
	wire_question(&w, apex, apex_len, qtype, WIRE_C_IN);
	if (kind == XFR_IXFR) {
		/* our SOA in authority; only the serial matters to the server */
		wire_section(&w, WIRE_NS);
		wire_name_ptr(&w, WIRE_HEADER_SIZE);
		size_t rdl = wire_rr_head(&w, WIRE_T_SOA, WIRE_C_IN, 0);
		wire_put8(&w, 0); /* mname . */
		wire_put8(&w, 0); /* rname . */
		wire_put32(&w, c->rs ? c->rs->serial : 0);
		for (int i = 0; i < 4; i++)
			wire_put32(&w, 0);
		wire_rr_end(&w, rdl);
	}
	*len = wire_finish(&w);
	if (!*len)
		return nodd_fail(e, NODD_E_LIMIT, "cannot build the query");
	c->key = key;
	if (!key)
		return 0;
	struct tsig_mac mac;
	if (tsig_sign_request(key, buf, *len, cap, now, 0, &mac, len) != 0 ||
	    tsig_verifier_init(&c->ver, key, &mac) != 0)
		return nodd_fail(e, NODD_E_INVALID, "cannot build the query (TSIG)");
	c->verifying = 1;
	return 0;
}

/* ---- consume --------------------------------------------------------------------- */

/* Verify the message's TSIG and give the message without it (ARCOUNT lowered too), in
 * *bare: msg itself when it has none, else c->msg. 0, or -1 with e. */
static int xfr_unsign(struct xfrconn *c, const uint8_t *msg, size_t len, uint64_t now,
	const uint8_t **bare, size_t *barelen, struct nodd_err *e)
{
	size_t plen = len;
	*bare = msg;
	*barelen = len;
	if (c->verifying) {
		struct tsig_result res;
		enum tsig_verdict v = tsig_verifier_feed(&c->ver, msg, len, now, &res);
		if (v != TSIG_V_OK && v != TSIG_V_UNSIGNED)
			return nodd_fail(e, NODD_E_REFUSED, "TSIG: %s (key %s)", tsig_verdict_str(v),
				c->key->name_text);
		plen = res.msg_len;
	} else if (len >= 12 && tsig_find(msg, len, &plen) != 0) {
		plen = len; /* an unexpected TSIG on an unsigned exchange: left in, not read */
	}
	if (len < 12 || plen >= len)
		return 0;
	if (plen > c->msgcap) {
		uint8_t *m = realloc(c->msg, plen);
		if (!m)
			return nodd_fail(e, NODD_E_NOMEM, "out of memory");
		c->msg = m;
		c->msgcap = plen;
	}
	memcpy(c->msg, msg, plen);
	unsigned ar = wire_get16(c->msg + 10);
	ar = ar ? ar - 1 : 0;
	c->msg[10] = (uint8_t)(ar >> 8);
	c->msg[11] = (uint8_t)ar;
	*bare = c->msg;
	*barelen = plen;
	return 0;
}

/* ID, QR and RCODE. XFR_MORE when the message answers our query with NOERROR. */
static enum xfr_next xfr_check(struct xfrconn *c, const struct xfrmsg *m, struct nodd_err *e)
{
	unsigned rc = m->rcode;
	if (m->id != c->id || !m->qr) {
		nodd_fail(e, NODD_E_PEER, "answer with a wrong ID or without QR");
		return XFR_FAILED;
	}
	if (rc == WIRE_RCODE_NOERROR)
		return XFR_MORE;
	if (c->kind == XFR_IXFR && (rc == WIRE_RCODE_NOTIMP || rc == WIRE_RCODE_FORMERR ||
		    rc == WIRE_RCODE_REFUSED)) {
		log_info("upstream %s: IXFR answered RCODE %u; falling back to AXFR", c->zone, rc);
		return XFR_DO_AXFR;
	}
	nodd_fail(e, NODD_E_PEER, "%s answered with RCODE %u", xfr_kind_name(c->kind), rc);
	return XFR_FAILED;
}

/* The SOA probe's answer: the primary's serial against ours (zones/refresh.c). */
static enum xfr_next xfr_probe_decide(struct xfrconn *c, struct xfrmsg *m, struct nodd_err *e)
{
	struct xfrmsg_rr rr;
	rr.rd = c->rd;
	int got = xfrmsg_next(m, &rr);
	if (got < 0) {
		nodd_fail(e, NODD_E_PEER, "malformed message in the answer");
		return XFR_FAILED;
	}
	if (got == 0 || rr.type != WIRE_T_SOA ||
	    serial_soa_fields(rr.rd, rr.rdlen, &c->probe_serial, NULL, NULL, NULL) < 0) {
		nodd_fail(e, NODD_E_PEER, "SOA query: no SOA in the answer");
		return XFR_FAILED;
	}
	if (c->verifying && tsig_verifier_end(&c->ver) != TSIG_V_OK) {
		nodd_fail(e, NODD_E_REFUSED, "SOA query: the answer is not signed");
		return XFR_FAILED;
	}
	switch (refresh_after_probe(c->rs, c->probe_serial)) {
	case REFRESH_OLDER:
		return XFR_OLDER;
	case REFRESH_UP_TO_DATE:
		return XFR_UP_TO_DATE;
	case REFRESH_IXFR:
		return XFR_DO_IXFR;
	case REFRESH_AXFR:
		break;
	}
	return XFR_DO_AXFR;
}

/* Stage one checked record where the transfer's style puts it. */
static int xfr_stage_one(struct xfrconn *c, const struct zone_rr *rr)
{
	if (c->kind == XFR_AXFR || c->in.style == XFRIN_STYLE_AXFR)
		return stage_add(&c->axfr, c->zone, rr);
	return copy_stage_ixfr(c->copy, c->zone, (int64_t)(c->in.nrr - 1), rr); /* its place */
}

/* The answer records of one message: read from the wire (zones/xfrmsg.c), checked in
 * order (zones/xfrin.c) and staged. */
static int xfr_take_records(struct xfrconn *c, struct xfrmsg *m, struct nodd_err *e)
{
	struct xfrmsg_rr rr;
	rr.rd = c->rd;
	int got;
	while ((got = xfrmsg_next(m, &rr)) > 0) {
		if (dname_wire_to_zone_text(rr.owner, rr.owner_len, c->owner, sizeof c->owner) < 0)
			return nodd_fail(e, NODD_E_PEER, "a record that cannot be stored");
		struct zone_rr z = { c->owner, rr.type, rr.ttl, rr.rd, rr.rdlen };
		int was = c->in.style;
		int v = xfrin_record(&c->in, rr.owner, rr.owner_len, z.type, z.rd, z.rdlen);
		if (v == XFRIN_ERROR)
			return nodd_fail(e, NODD_E_PEER, "%s", c->in.err);
		if (v == XFRIN_STAGE && c->in.staged > c->lim.records) {
			xfr_cut(c, XFR_CUT_RECORDS, e);
			return -1;
		}
		if (was != c->in.style && c->in.style == XFRIN_STYLE_AXFR) {
			/* From here on the records go straight to the AXFR table, keyed for the
			 * difference; the one staged before the style was known (the SOA) moves
			 * there too. Copying a whole AXFR-style answer across at apply time cost a
			 * second per 700,000 records. */
			log_info("upstream %s: AXFR-style answer to IXFR", c->zone);
			if (copy_stage_ixfr_to_axfr(c->copy, c->zone, &c->axfr) < 0)
				return copy_fail(c->copy, e, "staging");
		}
		if (v == XFRIN_STAGE && xfr_stage_one(c, &z) < 0) {
			if (c->kind == XFR_AXFR || c->in.style == XFRIN_STYLE_AXFR) /* in memory */
				return nodd_fail(e, NODD_E_NOMEM, "staging: out of memory after %llu records",
					(unsigned long long)c->in.staged);
			return copy_fail(c->copy, e, "staging");
		}
	}
	return got < 0 ? nodd_fail(e, NODD_E_PEER, "malformed message in the answer") : 0;
}

/* A message of a transfer: its records staged in one temp-only transaction (it never
 * spans a loop turn, so it cannot mix with other writers of the connection). */
static enum xfr_next xfr_stage(struct xfrconn *c, struct xfrmsg *m, struct nodd_err *e)
{
	if (copy_stage_begin(c->copy) < 0) {
		copy_fail(c->copy, e, "staging");
		return XFR_FAILED;
	}
	if (xfr_take_records(c, m, e) < 0) {
		copy_stage_rollback(c->copy);
		return XFR_FAILED;
	}
	if (copy_stage_commit(c->copy) < 0) {
		copy_fail(c->copy, e, "staging");
		copy_stage_rollback(c->copy);
		return XFR_FAILED;
	}
	int done = xfrin_message_end(&c->in, m->ancount);
	if (done == XFRIN_MORE)
		return XFR_MORE;
	if (c->verifying && tsig_verifier_end(&c->ver) != TSIG_V_OK) {
		nodd_fail(e, NODD_E_REFUSED, "TSIG: the last message is not signed");
		return XFR_FAILED;
	}
	return done == XFRIN_CURRENT ? XFR_CURRENT : XFR_COMPLETE;
}

enum xfr_next xfr_consume(struct xfrconn *c, const uint8_t *msg, size_t len, uint64_t now,
	struct nodd_err *e)
{
	const uint8_t *bare;
	size_t blen;
	if (xfr_unsign(c, msg, len, now, &bare, &blen, e) < 0)
		return XFR_FAILED;
	if (!c->rd && !(c->rd = malloc(XFRMSG_RD_MAX))) {
		nodd_fail(e, NODD_E_NOMEM, "out of memory");
		return XFR_FAILED;
	}
	struct xfrmsg m;
	if (len < 12 || xfrmsg_open(&m, bare, blen) < 0) {
		nodd_fail(e, NODD_E_PEER, "malformed message in the answer");
		return XFR_FAILED;
	}
	enum xfr_next next = xfr_check(c, &m, e);
	if (next == XFR_MORE)
		next = c->kind == XFR_PROBE ? xfr_probe_decide(c, &m, e) : xfr_stage(c, &m, e);
	return next;
}

/* ---- the connection -------------------------------------------------------------- */

void xfr_close(struct xfrconn *c)
{
	if (c->limit_timer)
		evtimer_del(c->limit_timer);
	if (c->bev) {
		bufferevent_free(c->bev);
		c->bev = NULL;
	}
	if (c->verifying) {
		tsig_verifier_deinit(&c->ver);
		c->verifying = 0;
	}
}

void xfr_deinit(struct xfrconn *c)
{
	xfr_close(c);
	if (c->limit_timer)
		event_free(c->limit_timer);
	c->limit_timer = NULL;
	free(c->msg);
	free(c->rd);
	stage_clear(&c->axfr);
	c->msg = c->rd = NULL;
	c->msgcap = c->rdcap = 0;
}

static void xfr_end(struct xfrconn *c, enum xfr_next next, const struct nodd_err *e)
{
	xfr_close(c);
	c->done(c->ctx, c, next, e);
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct xfrconn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	for (;;) {
		uint8_t pfx[2];
		if (evbuffer_copyout(in, pfx, 2) < 2)
			return;
		size_t len = wire_get16(pfx);
		if (evbuffer_get_length(in) < len + 2)
			return;
		const uint8_t *msg = evbuffer_pullup(in, (ev_ssize_t)(len + 2));
		struct nodd_err e = { 0 };
		enum xfr_next next = msg ? xfr_consume(c, msg + 2, len, (uint64_t)unix_now(), &e)
			: (nodd_fail(&e, NODD_E_NOMEM, "out of memory"), XFR_FAILED);
		if (next != XFR_MORE) {
			xfr_end(c, next, &e); /* frees bev and its buffer */
			return;
		}
		c->last_msg_ms = mono_ms(); /* progress: the idle limit counts from here */
		evbuffer_drain(in, len + 2);
	}
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	struct xfrconn *c = arg;
	struct nodd_err e = { 0 };
	if (what & BEV_EVENT_CONNECTED)
		return;
	if (what & BEV_EVENT_TIMEOUT)
		nodd_fail(&e, NODD_E_LIMIT, "timed out");
	else if (what & BEV_EVENT_EOF)
		nodd_fail(&e, NODD_E_PEER, "connection closed in the middle of the %s",
			c->kind == XFR_PROBE ? "SOA query" : "transfer");
	else
		nodd_fail(&e, NODD_E_SYSTEM, "connection failed: %s", strerror(EVUTIL_SOCKET_ERROR()));
	xfr_end(c, XFR_FAILED, &e);
}

/* Arm the limit timer for the nearer of the time limit and the idle limit. */
static void limit_arm(struct xfrconn *c, int64_t now)
{
	int64_t start = (int64_t)c->t_start.tv_sec * 1000 + c->t_start.tv_nsec / 1000000;
	int64_t at = start + c->lim.time * 1000, idle_at = c->last_msg_ms + c->lim.idle * 1000;
	int64_t wait = (idle_at < at ? idle_at : at) - now;
	if (wait < 0)
		wait = 0;
	struct timeval tv = { (time_t)(wait / 1000), (suseconds_t)(wait % 1000) * 1000 };
	evtimer_add(c->limit_timer, &tv);
}

/* The limit timer: cut the exchange past a limit, else wait for the next one. Progress
 * only moves last_msg_ms; the timer re-arms itself here rather than per message. */
static void on_limit(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct xfrconn *c = arg;
	int64_t now = mono_ms();
	int64_t start = (int64_t)c->t_start.tv_sec * 1000 + c->t_start.tv_nsec / 1000000;
	struct nodd_err e = { 0 };
	if (now - start >= c->lim.time * 1000)
		xfr_cut(c, XFR_CUT_TIME, &e);
	else if (now - c->last_msg_ms >= c->lim.idle * 1000)
		xfr_cut(c, XFR_CUT_IDLE, &e);
	else {
		limit_arm(c, now);
		return;
	}
	xfr_end(c, XFR_FAILED, &e);
}

int xfr_start(struct xfrconn *c, enum xfr_kind kind, const struct sockaddr *addr,
	socklen_t addrlen, const uint8_t *apex, size_t apex_len, const struct refresh_state *rs,
	const struct tsig_key *key, struct nodd_err *e)
{
	c->kind = kind;
	c->rs = rs;
	c->cut = XFR_CUT_NONE;
	xfrin_init(&c->in, apex, apex_len, kind == XFR_IXFR, rs->have_copy, rs->serial);
	copy_stage_clear(c->copy, c->zone, &c->axfr);
	uint8_t q[1024];
	size_t qlen;
	if (xfr_query(c, kind, apex, apex_len, key, (uint64_t)unix_now(), q, sizeof q, &qlen, e) < 0) {
		xfr_close(c);
		return -1;
	}
	if (!c->limit_timer)
		c->limit_timer = evtimer_new(c->base, on_limit, c);
	c->bev = c->limit_timer ? bufferevent_socket_new(c->base, -1, BEV_OPT_CLOSE_ON_FREE) : NULL;
	if (!c->bev) {
		xfr_close(c);
		return nodd_fail(e, NODD_E_NOMEM, "out of memory");
	}
	struct timeval to = { XFR_CONNECT_TIMEOUT, 0 };
	bufferevent_setcb(c->bev, on_read, NULL, on_event, c);
	bufferevent_set_timeouts(c->bev, NULL, &to);
	uint8_t pfx[2] = { (uint8_t)(qlen >> 8), (uint8_t)qlen };
	bufferevent_write(c->bev, pfx, 2);
	bufferevent_write(c->bev, q, qlen);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	clock_gettime(CLOCK_MONOTONIC, &c->t_start);
	c->last_msg_ms = mono_ms();
	limit_arm(c, c->last_msg_ms);
	if (bufferevent_socket_connect(c->bev, addr, (int)addrlen) < 0) {
		nodd_fail(e, NODD_E_SYSTEM, "connect: %s", strerror(errno));
		xfr_close(c);
		return -1;
	}
	return 0;
}
