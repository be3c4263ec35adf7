/* xfrout.c -- AXFR/IXFR out of the published zones: the request checks (TSIG, ACL), the
 * choice of answer, the version history, who transferred what, NOTIFY and files timers.
 * The messages themselves are written by xfrstream.c; sockets are tcp.c's.
 *
 * A transfer request is checked in RFC 8945 5.2 order (TSIG first: FORMERR, BADKEY, BADSIG,
 * BADTIME; then NOTAUTH outside our zones, then the ACL: REFUSED). xfrout_plan() then
 * picks the answer from the request and the history alone.
 * Never makes a version (policy/nod.c does, on the tick): it keeps their history for
 * IXFR and serves them. */
#define LOG_CATEGORY LOG_CAT_XFR_OUT
#include "server/xfrout.h"

#include <event2/buffer.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/clock.h"
#include "lib/dname.h"
#include "lib/log.h"
#include "lib/serial.h"
#include "lib/sockaddr.h"
#include "streams/files.h"
#include "policy/versions.h"
#include "server/acl.h"
#include "server/metrics.h"
#include "server/notifyout.h"
#include "lib/wire.h"
#include "server/xfrreq.h"
#include "server/xfrstream.h"
#include "lib/tsig.h"

#define XFR_CONSUMERS 256     /* (peer, key, zone) kept for the status; the oldest goes */

/* What /api/v1/status shows of who transfers the zones. */
struct consumer {
	char peer[64];
	char key[DNAME_MAX_TEXT + 2];  /* "" when unsigned */
	int zone;
	uint32_t serial;               /* the serial the transfer brings the peer to */
	const char *kind;              /* "AXFR", "IXFR", "IXFR AXFR-style", "IXFR up to date" */
	int64_t at;                    /* when it began */
	uint64_t count;                /* transfers by this peer of this zone since the start */
};

struct xfrout {
	struct event_base *base;
	const struct nodd_config *cfg;
	struct answer_cfg *_Atomic *acfgp;
	nod_t *nod;
	const struct tsig_keyring *_Atomic kr; /* borrowed; replaced by a reload, read by UDP threads */
	versions_t *ver;
	struct notifyout *notify;
	struct event *files_ev;
	uint64_t transfers;
	struct consumer cons[XFR_CONSUMERS]; /* the last transfer per (peer, key, zone) */
	int ncons;
};

/* ---- the request handler ---- */

static void note_consumer(struct xfrout *x, const char *peer, const char *key, int zone,
	uint32_t serial, const char *kind, int64_t now)
{
	key = key ? key : "";
	struct consumer *c = NULL, *oldest = NULL;
	for (int i = 0; i < x->ncons && !c; i++) {
		struct consumer *e = &x->cons[i];
		if (e->zone == zone && strcmp(e->peer, peer) == 0 && strcmp(e->key, key) == 0)
			c = e;
		else if (!oldest || e->at < oldest->at)
			oldest = e;
	}
	if (!c) {
		/* a new (peer, key, zone): a free slot, or the one transferred longest ago */
		c = x->ncons < XFR_CONSUMERS ? &x->cons[x->ncons++] : oldest;
		memset(c, 0, sizeof *c);
		snprintf(c->peer, sizeof c->peer, "%s", peer);
		snprintf(c->key, sizeof c->key, "%s", key);
		c->zone = zone;
	}
	c->serial = serial;
	c->kind = kind;
	c->at = now;
	c->count++;
}

static void zone_text(const struct answer_cfg *cfg, int z, char *buf, size_t n)
{
	if (z < 0 || dname_wire_to_text(cfg->apex[z], cfg->apex_len[z], buf, n) < 0)
		snprintf(buf, n, "?");
}

/* A single-message reply queued on out: rcode and, when the request verified or failed a
 * TSIG check other than FORMERR, the TSIG answer. */
static void reply_single(const struct tsig_result *res, const uint8_t *q, size_t qend, int rcode,
	struct evbuffer *out)
{
	uint8_t buf[2 + 1024];
	size_t len = xfr_error_reply(q, qend, rcode, buf + 2, sizeof buf - 2);
	if (!len)
		return;
	if (res && res->verdict != TSIG_V_UNSIGNED && res->verdict != TSIG_V_FORMERR) {
		size_t sl;
		if (tsig_sign_response(res, buf + 2, len, sizeof buf - 2, (uint64_t)unix_now(), &sl) == 0)
			len = sl;
	}
	buf[0] = (uint8_t)(len >> 8);
	buf[1] = (uint8_t)len;
	evbuffer_add(out, buf, len + 2);
}

enum xfr_plan xfrout_plan(const versions_t *ver, const struct xfr_req *r, uint32_t cur,
	int64_t cur_time, int64_t *from, int64_t *to)
{
	*to = cur_time;
	if (r->qtype != WIRE_T_IXFR)
		return XFR_PLAN_AXFR;
	if (!r->has_serial)
		return XFR_PLAN_AXFR_STYLE;
	if (serial_ge(r->serial, cur))
		return XFR_PLAN_CURRENT;       /* RFC 1995 4: the lone current SOA */
	int64_t t1, t2;
	if (versions_find(ver, r->zone, r->serial, &t1) && t1 < cur_time &&
	    versions_find(ver, r->zone, cur, &t2)) {
		*from = t1;
		*to = t2;
		return XFR_PLAN_INCREMENTAL;
	}
	return XFR_PLAN_AXFR_STYLE;
}

/* One transfer request as checked so far. */
struct request {
	const struct answer_cfg *cfg;
	const uint8_t *q;
	struct xfr_req r;
	enum tsig_verdict v;
	struct tsig_result res;
	const char *keyname;           /* the key it verified with, NULL when unsigned */
	int64_t now;
	char who[SA_TEXT_MAX];
	char zt[DNAME_MAX_TEXT + 2];
};

/* RFC 8945 5.2 order: FORMERR, then TSIG errors, then NOTAUTH outside our zones, then the
 * ACL (REFUSED). 1 when the transfer may go on; else the reply is queued on out, 0. */
static int admit(struct xfrout *x, struct request *rq, size_t qlen, const struct sockaddr *peer,
	struct evbuffer *out)
{
	const uint8_t *q = rq->q;
	struct xfr_req *r = &rq->r;
	rq->v = tsig_verify_request(atomic_load(&x->kr), q, qlen, (uint64_t)rq->now, &rq->res);
	size_t msglen = rq->v == TSIG_V_UNSIGNED ? qlen : rq->res.msg_len;
	if (xfr_req_parse(rq->cfg, q, qlen, msglen, r) < 0 || rq->v == TSIG_V_FORMERR) {
		metrics_inc("xfr_out_formerr", 1);
		size_t qe = r->qend ? r->qend : WIRE_HEADER_SIZE;
		reply_single(NULL, q, qe <= qlen ? qe : WIRE_HEADER_SIZE, WIRE_RCODE_FORMERR, out);
		return 0;
	}
	zone_text(rq->cfg, r->zone, rq->zt, sizeof rq->zt);
	const char *kind = r->qtype == WIRE_T_AXFR ? "AXFR" : "IXFR";
	if (rq->v != TSIG_V_OK && rq->v != TSIG_V_UNSIGNED) {
		char key[LOG_LIMIT_KEY];
		snprintf(key, sizeof key, "xfr out tsig %s", rq->who);
		log_cat_limited(LOG_CAT_SECURITY, LOG_INFO, key, "xfr out %s %s from %s: TSIG %s; "
			"refused", kind, rq->zt, rq->who, tsig_verdict_str(rq->v));
		metrics_inc("xfr_out_tsig_errors", 1);
		reply_single(&rq->res, q, r->qend, rq->res.rcode, out);
		return 0;
	}
	const struct tsig_result *signer = rq->v == TSIG_V_OK ? &rq->res : NULL;
	rq->keyname = signer && rq->res.key ? rq->res.key->name_text : NULL;
	if (r->zone < 0) {
		reply_single(signer, q, r->qend, WIRE_RCODE_NOTAUTH, out);
		return 0;
	}
	if (!acl_allows(x->cfg->xfr_allow, x->cfg->nxfr_allow, peer, rq->keyname)) {
		char key[LOG_LIMIT_KEY];
		snprintf(key, sizeof key, "xfr out refused %s", rq->who);
		log_cat_limited(LOG_CAT_SECURITY, LOG_INFO, key, "xfr out %s %s from %s%s%s: not "
			"allowed (transfer.allow); REFUSED", kind, rq->zt, rq->who, rq->keyname ? " key " : " unsigned",
			rq->keyname ? rq->keyname : "");
		metrics_inc("xfr_out_refused", 1);
		reply_single(signer, q, r->qend, WIRE_RCODE_REFUSED, out);
		return 0;
	}
	return 1;
}

/* The client is current (or ahead): the lone current SOA (RFC 1995 4). 0, or -1. */
static int reply_current(struct request *rq, uint32_t cur, struct evbuffer *out)
{
	uint8_t buf[2 + 2048];
	size_t len = xfrstream_soa_message(rq->cfg, rq->q, rq->r.qend, cur, buf + 2, 1024);
	if (!len)
		return -1;
	if (rq->v == TSIG_V_OK) {
		size_t sl;
		if (tsig_sign_response(&rq->res, buf + 2, len, sizeof buf - 2, (uint64_t)rq->now,
			    &sl) == 0)
			len = sl;
	}
	buf[0] = (uint8_t)(len >> 8);
	buf[1] = (uint8_t)len;
	evbuffer_add(out, buf, len + 2);
	log_info("xfr out IXFR %s to %s: serial %u is current", rq->zt, rq->who, rq->r.serial);
	metrics_inc("xfr_out_ixfr_uptodate", 1);
	return 0;
}

static const char *const plan_kind[] = {
	[XFR_PLAN_AXFR] = "AXFR", [XFR_PLAN_CURRENT] = "IXFR up to date",
	[XFR_PLAN_INCREMENTAL] = "IXFR", [XFR_PLAN_AXFR_STYLE] = "IXFR AXFR-style",
};
/* Count a streamed plan (each name spelled out, so the docs test finds it). */
static void count_plan(enum xfr_plan plan)
{
	if (plan == XFR_PLAN_AXFR)
		metrics_inc("xfr_out_axfr", 1);
	else if (plan == XFR_PLAN_INCREMENTAL)
		metrics_inc("xfr_out_ixfr", 1);
	else if (plan == XFR_PLAN_AXFR_STYLE)
		metrics_inc("xfr_out_ixfr_axfr_style", 1);
}

/* A stream for a streamed plan, its names copied out of the history; NULL on failure. */
static struct xfrstream *stream_for(struct xfrout *x, const struct request *rq,
	enum xfr_plan plan, uint32_t cur, int64_t from, int64_t to)
{
	const struct xfr_req *r = &rq->r;
	struct xfrstream *s = xfrstream_new(rq->cfg, r->zone, rq->q, r->qend,
		rq->v == TSIG_V_OK ? &rq->res : NULL);
	if (!s)
		return NULL;
	const char *key = rq->keyname ? rq->keyname : "", *sep = rq->keyname ? " key " : "";
	size_t ndel = 0, nadd = 0;
	int rc;
	if (plan == XFR_PLAN_INCREMENTAL) {
		rc = xfrstream_incremental(s, x->ver, r->serial, cur, from, to, &ndel, &nadd);
	} else {
		long n = xfrstream_full(s, x->ver, cur, to);
		rc = n < 0 ? -1 : 0;
		nadd = n < 0 ? 0 : (size_t)n;
	}
	count_plan(plan);
	if (rc < 0) {
		xfrstream_free(s);
		return NULL;
	}
	if (plan == XFR_PLAN_AXFR)
		log_info("xfr out AXFR %s to %s%s%s: serial %u, %zu names", rq->zt, rq->who, sep,
			key, cur, nadd);
	else
		log_info("xfr out IXFR %s to %s%s%s: %s from serial %u to %u (%zu deletions, %zu "
			"additions)", rq->zt, rq->who, sep, key,
			plan == XFR_PLAN_INCREMENTAL ? "incremental" : "AXFR-style", r->serial, cur,
			ndel, nadd);
	return s;
}

int xfrout_transfer(void *ctx, const uint8_t *q, size_t qlen, const struct sockaddr *peer,
	socklen_t peerlen, struct evbuffer *out, struct query_xfr_stream **streamp)
{
	(void)peerlen;
	struct xfrout *x = ctx;
	struct request rq = { .cfg = atomic_load(x->acfgp), .q = q, .now = unix_now() };
	sa_host_text(peer, rq.who, sizeof rq.who);
	if (!admit(x, &rq, qlen, peer, out))
		return 0;

	uint32_t cur = nod_serial(x->nod, rq.r.zone);
	int64_t from = 0, to;
	enum xfr_plan plan = xfrout_plan(x->ver, &rq.r, cur, nod_version_time(x->nod, rq.r.zone),
		&from, &to);
	if (plan == XFR_PLAN_CURRENT) {
		if (reply_current(&rq, cur, out) < 0)
			return -1;
	} else {
		struct xfrstream *s = stream_for(x, &rq, plan, cur, from, to);
		if (!s)
			return -1;
		x->transfers++;
		*streamp = xfrstream_base(s);
	}
	note_consumer(x, rq.who, rq.keyname, rq.r.zone, cur, plan_kind[plan], rq.now);
	return 0;
}

/* ---- files ---- */

static void write_files(struct xfrout *x)
{
	const struct answer_cfg *c = atomic_load(x->acfgp);
	struct files_params p;
	memset(&p, 0, sizeof p);
	p.dir = x->cfg->files_dir;
	p.suffix = x->cfg->suffix;
	p.ttl = c->ttl;
	p.mname = x->cfg->ns[0];
	p.rname = x->cfg->hostmaster;
	p.refresh = c->soa_refresh;
	p.retry = c->soa_retry;
	p.expire = c->soa_expire;
	p.minimum = c->soa_minimum;
	p.ns = (const char *const *)x->cfg->ns;
	p.nns = x->cfg->nns;
	p.rpz_nodata = c->rpz_nodata;
	p.allow = nod_allow(x->nod);
	p.layout = x->cfg->files_layout;
	p.tests = (const char *const *)x->cfg->test_names;
	p.ntests = x->cfg->ntest_names;
	for (int z = 0; z < NOD_ZONE_COUNT; z++)
		p.serial[z] = nod_serial(x->nod, z);
	struct nodd_err e;
	if (files_write(&p, nod_index(x->nod), unix_now(), &e) < 0) {
		log_err("files: %s", e.msg);
		metrics_inc("files_errors", 1);
	} else {
		metrics_inc("files_written", 1);
	}
}

static void on_files(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	write_files(arg);
}

/* ---- lifecycle ---- */

static void sync_versions(struct xfrout *x, unsigned mask, int64_t now)
{
	uint32_t serial[NOD_ZONE_COUNT];
	int64_t vtime[NOD_ZONE_COUNT];
	for (int z = 0; z < NOD_ZONE_COUNT; z++) {
		serial[z] = nod_serial(x->nod, z);
		vtime[z] = nod_version_time(x->nod, z);
	}
	if (versions_sync(x->ver, nod_index(x->nod), mask, serial, vtime, now) < 0)
		log_err("xfr out: out of memory recording versions; IXFR may answer AXFR-style");
}

static int load_version(void *ctx, int zone, uint32_t serial, int64_t vtime)
{
	struct xfrout *x = ctx;
	return versions_add(x->ver, zone, serial, vtime);
}

struct xfrout *xfrout_start(struct event_base *base, const struct nodd_config *cfg,
	struct answer_cfg *_Atomic *acfgp, nod_t *nod, const struct tsig_keyring *kr,
	struct nodd_err *e)
{
	struct xfrout *x = nodd_calloc(1, sizeof *x, e);
	if (!x)
		return NULL;
	*x = (struct xfrout){ .base = base, .cfg = cfg, .acfgp = acfgp, .nod = nod, .kr = kr,
		.ver = versions_new() };
	if (!x->ver) {
		nodd_fail(e, NODD_E_NOMEM, "out of memory");
		goto fail;
	}
	/* The history from before this start (policy/nod.c keeps it in the store). */
	if (nod_each_version(nod, load_version, x) != 0)
		log_warn("xfr out: cannot load the stored zone versions (%s); IXFR from versions "
			"before this start answers AXFR-style", store_errmsg(nod_store(nod)));
	versions_set_floor(x->ver, nod_history_floor(nod));
	versions_set_allow(x->ver, nod_allow(nod));
	sync_versions(x, 0, unix_now());
	if (cfg->nnotify > 0) {
		x->notify = notifyout_start(base, cfg, kr, acfgp, e);
		if (!x->notify)
			goto fail;
	}
	if (cfg->files_dir) {
		x->files_ev = event_new(base, -1, EV_PERSIST, on_files, x);
		struct timeval iv = { (time_t)cfg->files_interval, 0 };
		if (!x->files_ev || event_add(x->files_ev, &iv) < 0) {
			nodd_fail(e, NODD_E_SYSTEM, "cannot start the files timer");
			goto fail;
		}
		write_files(x);
	}
	log_info("transfers out: %d allow entries, %zu TSIG keys, %d notify targets%s%s",
		cfg->nxfr_allow, tsig_keyring_count(kr), cfg->nnotify,
		cfg->files_dir ? ", files in " : "", cfg->files_dir ? cfg->files_dir : "");
	return x;
fail:
	xfrout_stop(x);
	return NULL;
}

void xfrout_new_versions(struct xfrout *x, unsigned mask, int64_t now)
{
	if (!x || !mask)
		return;
	sync_versions(x, mask, now);
	for (int z = 0; z < NOD_ZONE_COUNT; z++)
		if (mask & (1u << z))
			notifyout_zone(x->notify, z, nod_serial(x->nod, z));
}

void xfrout_set_keys(struct xfrout *x, const struct tsig_keyring *kr)
{
	if (!x)
		return;
	atomic_store(&x->kr, kr);
	notifyout_set_keys(x->notify, kr);
}

void xfrout_stop(struct xfrout *x)
{
	if (!x)
		return;
	if (x->files_ev)
		event_free(x->files_ev);
	notifyout_stop(x->notify);
	versions_free(x->ver);
	free(x);
}

static json_t *consumer_json(struct xfrout *x, const struct consumer *c,
	const struct answer_cfg *cfg)
{
	char zt[300];
	zone_text(cfg, c->zone, zt, sizeof zt);
	json_t *e = json_object();
	json_object_set_new(e, "peer", json_string(c->peer));
	json_object_set_new(e, "key", c->key[0] ? json_string(c->key) : json_null());
	json_object_set_new(e, "zone", json_string(zt));
	json_object_set_new(e, "serial", json_integer(c->serial));
	json_object_set_new(e, "current", json_boolean(c->serial == nod_serial(x->nod, c->zone)));
	json_object_set_new(e, "last", json_string(c->kind));
	json_object_set_new(e, "at", json_integer(c->at));
	json_object_set_new(e, "transfers", json_integer((json_int_t)c->count));
	return e;
}

json_t *xfrout_status(struct xfrout *x)
{
	json_t *o = json_object();
	json_t *cons = json_array();
	const struct answer_cfg *cfg = atomic_load(x->acfgp);
	for (int i = 0; i < x->ncons; i++)
		json_array_append_new(cons, consumer_json(x, &x->cons[i], cfg));
	json_object_set_new(o, "consumers", cons);
	json_object_set_new(o, "notify", x->notify ? notifyout_status(x->notify) : json_array());
	return o;
}

json_t *xfrout_zone_status(struct xfrout *x, int zone)
{
	json_t *o = json_object();
	json_object_set_new(o, "serial", json_integer(nod_serial(x->nod, zone)));
	json_object_set_new(o, "version_time", json_integer(nod_version_time(x->nod, zone)));
	json_t *cons = json_array();
	const struct answer_cfg *cfg = atomic_load(x->acfgp);
	for (int i = 0; i < x->ncons; i++)
		if (x->cons[i].zone == zone)
			json_array_append_new(cons, consumer_json(x, &x->cons[i], cfg));
	json_object_set_new(o, "consumers", cons);
	json_object_set_new(o, "notify", notifyout_zone_status(x->notify, zone));
	return o;
}

int xfrout_notify(struct xfrout *x, int zone)
{
	int sent = 0;
	for (int z = 0; z < NOD_ZONE_COUNT; z++)
		if (zone < 0 || z == zone)
			sent += notifyout_resend(x->notify, z, nod_serial(x->nod, z));
	return sent;
}
