/* xfrclient.h -- one TCP exchange with a primary: an SOA probe, an IXFR or an AXFR.
 *
 * Two phases, as a consume/produce state machine on libevent buffers:
 *   produce  the query (lib/wire.h), signed with the upstream's key when it has one;
 *   consume  each TCP-framed message of the answer: TSIG verified (every message of the
 *            stream, RFC 8945 5.3.1), ID and QR checked, RCODE read (an IXFR refused or
 *            not implemented falls back to AXFR), then either the SOA probe's decision
 *            or the records checked by zones/xfrin.c and staged in the copy.
 * The exchange ends with one call of the owner's done callback, the connection already
 * closed; the owner decides what follows (zones/upstream.c). Main thread.
 *
 * Limits (struct xfr_limits, the upstream's max-transfer-time, max-transfer-idle and
 * max-records): an exchange running longer than time seconds from its query, going idle
 * seconds without a complete message (bytes that never complete one are no progress), or
 * staging more than records records is cut: done gets XFR_FAILED, kind NODD_E_LIMIT,
 * c->cut saying which limit, and the message "transfer exceeded max-transfer-time 7200s"
 * ("SOA query exceeded ..." for the probe). Nothing of a cut transfer has been applied. */
#ifndef NODD_XFRCLIENT_H
#define NODD_XFRCLIENT_H

#include <event2/event.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "lib/err.h"
#include "lib/tsig.h"
#include "zones/copy.h"
#include "zones/refresh.h"
#include "zones/rrtext.h"
#include "zones/xfrin.h"
#include "zones/xfrmsg.h"

enum xfr_kind { XFR_NONE = 0, XFR_PROBE, XFR_IXFR, XFR_AXFR };

/* How an exchange ended: what the owner does next. */
enum xfr_next {
	XFR_MORE,        /* read the next message (never passed to done) */
	XFR_FAILED,      /* this primary failed; the error says why */
	XFR_UP_TO_DATE,  /* the probe found our serial */
	XFR_OLDER,       /* the probe found an older serial (probe_serial): keep ours */
	XFR_DO_IXFR,     /* the probe found a newer serial and we hold a copy */
	XFR_DO_AXFR,     /* no copy yet, or an IXFR refused: transfer the whole zone */
	XFR_CURRENT,     /* an IXFR answered with the lone SOA we hold: nothing to do */
	XFR_COMPLETE,    /* a transfer is staged and verified: apply it */
};

/* The bounds of one exchange (from conf/config.h's upstream entry). */
struct xfr_limits {
	int64_t time;      /* seconds from the query sent to the last message */
	int64_t idle;      /* seconds without a complete message */
	uint64_t records;  /* records staged (the closing SOA is not staged) */
};

/* Which limit cut the last exchange. */
enum xfr_cut { XFR_CUT_NONE = 0, XFR_CUT_TIME, XFR_CUT_IDLE, XFR_CUT_RECORDS, XFR_CUT_COUNT };

struct xfrconn;
typedef void (*xfr_done_fn)(void *ctx, struct xfrconn *c, enum xfr_next next,
	const struct nodd_err *e);

struct xfrconn {
	/* set by the owner once */
	struct event_base *base;     /* borrowed */
	struct copy *copy;           /* borrowed: the IXFR staging table (shared by every
	                              * upstream; this exchange's rows are keyed by zone) */
	const char *zone;            /* borrowed: norm text, keys the staged rows, for logs */
	xfr_done_fn done;
	void *ctx;
	struct xfr_limits lim;
	/* the exchange (xfr_start) */
	enum xfr_kind kind;
	struct bufferevent *bev;
	uint16_t id;
	const struct tsig_key *key;  /* the exchange is verified with this key; NULL unsigned */
	struct tsig_verifier ver;
	int verifying;
	const struct refresh_state *rs; /* borrowed: the probe's decision reads it */
	struct xfrin in;             /* the answer stream's framing (zones/xfrin.h) */
	struct timespec t_start;     /* the query sent (CLOCK_MONOTONIC) */
	int64_t last_msg_ms;         /* the last complete message, or the start (monotonic) */
	struct event *limit_timer;   /* fires at the nearer of the time and idle limits */
	enum xfr_cut cut;            /* after XFR_FAILED: the limit that cut it, or none */
	uint32_t probe_serial;       /* the primary's serial, after a probe */
	struct stage axfr;           /* this exchange's own AXFR (or AXFR-style IXFR) stage:
	                              * the exchanges of other upstreams never touch it */
	/* buffers sized by the data, kept between messages */
	uint8_t *msg;                /* the message being read */
	size_t msgcap;
	uint8_t *rd;                 /* one record's canonical rdata (XFRMSG_RD_MAX bytes) */
	size_t rdcap;
	char owner[RRTEXT_OWNER_MAX];
};

/* Produce: the query of kind for apex (wire, borrowed) into buf (cap bytes); an IXFR
 * carries rs->serial in an SOA in authority (RFC 1995 3). Signed with key (borrowed, may
 * be NULL), which then verifies the whole answer. Sets c->id. 0, or -1 with e. */
int xfr_query(struct xfrconn *c, enum xfr_kind kind, const uint8_t *apex, size_t apex_len,
	const struct tsig_key *key, uint64_t now, uint8_t *buf, size_t cap, size_t *len,
	struct nodd_err *e);

/* Start an exchange of kind with the primary at addr (borrowed): this zone's staging
 * emptied (c->axfr and c->zone's rows; other zones' exchanges keep theirs), query
 * written, connection opened with a 30 s connect timeout and c->lim's limits. 0; or -1 with e and the connection
 * closed (done is not called). */
int xfr_start(struct xfrconn *c, enum xfr_kind kind, const struct sockaddr *addr,
	socklen_t addrlen, const uint8_t *apex, size_t apex_len, const struct refresh_state *rs,
	const struct tsig_key *key, struct nodd_err *e);

/* Consume: one complete message of the answer (borrowed). XFR_MORE, XFR_FAILED with e,
 * or how the exchange ended. The connection is left as it is. */
enum xfr_next xfr_consume(struct xfrconn *c, const uint8_t *msg, size_t len, uint64_t now,
	struct nodd_err *e);

/* Close the connection and forget the verifier (no callback). Safe to repeat. */
void xfr_close(struct xfrconn *c);
/* xfr_close and free the buffers. */
void xfr_deinit(struct xfrconn *c);

const char *xfr_kind_name(enum xfr_kind kind); /* "SOA query", "IXFR", "AXFR" */
const char *xfr_cut_name(enum xfr_cut cut);    /* "time", "idle", "records" (metric labels) */

#endif
