/* xfrout.h -- the published zones going out: AXFR/IXFR over TCP (RFC 5936, RFC 1995) with
 * TSIG on every message, the transfer ACL, NOTIFY on new versions and the files for rsync.
 * Main thread only. Signed standard queries are server/signed.c's. */
#ifndef NODD_XFROUT_H
#define NODD_XFROUT_H

#include <event2/event.h>
#include <jansson.h>

#include "policy/nod.h"
#include "server/answer.h"
#include "conf/config.h"
#include "policy/versions.h"
#include "server/query.h"
#include "server/xfrreq.h"
#include "lib/err.h"
#include "lib/tsig.h"

struct xfrout;

/* Start: loads the version history, opens the NOTIFY socket and the files timer. Borrows
 * everything; cfg, acfgp, nod and kr (the keys, conf/keys.h, their names checked with
 * keys_check_refs) must outlive the xfrout. NULL with e set on failure. */
struct xfrout *xfrout_start(struct event_base *base, const struct nodd_config *cfg,
	struct answer_cfg *_Atomic *acfgp, nod_t *nod, const struct tsig_keyring *kr,
	struct nodd_err *e);

/* What a transfer request gets. */
enum xfr_plan {
	XFR_PLAN_AXFR,        /* AXFR: the whole zone */
	XFR_PLAN_CURRENT,     /* IXFR from the current serial or one ahead of it (RFC 1982):
	                       * the lone current SOA (RFC 1995 4) */
	XFR_PLAN_INCREMENTAL, /* IXFR from a version the history can diff from: the condensed
	                       * difference (RFC 1995 4) */
	XFR_PLAN_AXFR_STYLE,  /* IXFR from a serial never issued, older than the history
	                       * floor, or without the client's SOA: the whole zone */
};

/* The plan for a well-formed request r of our zone r->zone whose current version is cur,
 * of version time cur_time, given the history ver (borrowed, only read). *to is the
 * version time of the content to send (cur_time, or cur's time in the history for an
 * incremental plan); *from, set for an incremental plan only, the client's. Pure. */
enum xfr_plan xfrout_plan(const versions_t *ver, const struct xfr_req *r, uint32_t cur,
	int64_t cur_time, int64_t *from, int64_t *to);

/* The transfer handler (a query_xfr_fn, query_set_transfer() with ctx = the xfrout): an
 * AXFR/IXFR request checked in RFC 8945 5.2 order, then the ACL, answered with a stream
 * or a single message. */
int xfrout_transfer(void *ctx, const uint8_t *q, size_t qlen, const struct sockaddr *peer,
	socklen_t peerlen, struct evbuffer *out, struct query_xfr_stream **stream);

/* A reload's new keys (borrowed; checked with keys_check_refs): transfers verify with
 * them from now on, NOTIFY is signed with them. The previous keyring must stay alive until
 * the process ends: a transfer in progress may still hold one of its keys. Main thread. */
void xfrout_set_keys(struct xfrout *x, const struct tsig_keyring *kr);

/* Call after every nod_tick() with the mask it returned: records the new versions for IXFR,
 * sends NOTIFY for each zone in mask. */
void xfrout_new_versions(struct xfrout *x, unsigned mask, int64_t now);

void xfrout_stop(struct xfrout *x); /* NULL is a no-op */

/* For GET /api/v1/status: {"consumers": [...], "notify": [...]} (docs/api.md). New
 * reference; main thread. */
json_t *xfrout_status(struct xfrout *x);

/* One published zone (0..7) for GET /api/v1/zones: {"serial", "version_time",
 * "consumers": the peers that transferred it (as in xfrout_status), "notify": the
 * transfer.notify targets and what they answered for it (notifyout_zone_status)}.
 * New reference; main thread. */
json_t *xfrout_zone_status(struct xfrout *x, int zone);

/* NOTIFY the current serial of zone (0..7; -1: every zone) to every transfer.notify
 * target again, muted ones included. Returns the NOTIFYs sent. Main thread. */
int xfrout_notify(struct xfrout *x, int zone);

#endif
