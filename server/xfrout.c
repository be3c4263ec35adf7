/* xfrout.c -- AXFR/IXFR out of the published zones, TSIG, ACL, NOTIFY and files timers.
 *
 * DESIGN
 * A transfer request is checked in RFC 8945 5.2 order (TSIG first: FORMERR, BADKEY, BADSIG,
 * BADTIME; then the ACL: REFUSED), then the names to send are copied out of the version
 * history (policy/versions.h) into a list, so the index may change while the transfer
 * streams. tcp.c pulls messages from the stream as the client reads them: memory per
 * transfer is the name list plus about one megabyte of output, however large the zone.
 *
 * Messages are written with server/wire.h and packed with whole names up to XFR_BUDGET
 * bytes (a name that does not fit is rolled back and starts the next message). Every
 * message repeats the question, so the zone apex is always at offset 12 and every owner is
 * "labels + pointer to 12" without a compression-table search; "*.n" is "*" + a pointer to
 * n, and a name's TXT points at its owner. Offsets stay below the 14-bit pointer limit
 * because the budget does. Every message is TSIG-signed when the request was
 * (RFC 8945 5.3.1, as BIND does).
 */
#include "server/xfrout.h"

#include <arpa/inet.h>
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
#include "streams/files.h"
#include "policy/versions.h"
#include "server/acl.h"
#include "server/metrics.h"
#include "server/notifyout.h"
#include "lib/wire.h"
#include "server/xfrreq.h"
#include "lib/tsig.h"

#define XFR_BUDGET 16000      /* bytes of records per message (< 16384 for pointers) */
#define XFR_FILL (1u << 20)   /* keep about this much output queued per connection */
#define XFR_MSG_CAP 65535
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

static uint16_t get16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }

/* ---- writing records (on server/wire.h) ---- */

/* Every message starts with the request's header and question, so the apex is at 12. */
#define APEX_OFF WIRE_HEADER_SIZE

static void put_soa(struct wire *w, const struct answer_cfg *c, uint32_t serial)
{
	struct wire_soa soa = { c->mname, c->mname_len, c->rname, c->rname_len, serial,
		c->soa_refresh, c->soa_retry, c->soa_expire, c->soa_minimum };
	wire_rr_soa(w, NULL, APEX_OFF, c->ttl, &soa);
}

/* Owner "rel.<apex>" as its own labels and a pointer to the apex; returns its offset. No
 * compression-table search: every owner differs from the apex only in its leading labels,
 * and a zone of a million names would otherwise cost a million searches. */
static size_t put_owner(struct wire *w, const uint8_t *rel, size_t len)
{
	size_t at = w->len;
	wire_put(w, rel, len);
	wire_name_ptr(w, APEX_OFF);
	return at;
}

/* Owner "*.<name at target>"; returns its offset. */
static size_t put_wild_owner(struct wire *w, size_t target)
{
	size_t at = w->len;
	wire_put(w, "\001*", 2);
	wire_name_ptr(w, target);
	return at;
}

/* RPZ action after an owner: CNAME . (NXDOMAIN) or CNAME *. (NODATA). */
static void put_rpz_rr(struct wire *w, const struct answer_cfg *c)
{
	size_t at = wire_rr_head(w, WIRE_T_CNAME, WIRE_C_IN, c->ttl);
	if (c->rpz_nodata)
		wire_put(w, "\001*", 2);
	wire_put8(w, 0);
	wire_rr_end(w, at);
}

/* DNSBL A code 127.0.0.<code> after an owner. */
static void put_a_rr(struct wire *w, const struct answer_cfg *c, int code)
{
	uint8_t a[4] = { 127, 0, 0, (uint8_t)code };
	size_t at = wire_rr_head(w, WIRE_T_A, WIRE_C_IN, c->ttl);
	wire_put(w, a, 4);
	wire_rr_end(w, at);
}

/* TXT first_seen=<unix> at the owner written at offset owner. */
static void put_txt(struct wire *w, size_t owner, const struct answer_cfg *c, int64_t fs)
{
	char t[64];
	int n = snprintf(t, sizeof t, "first_seen=%lld", (long long)fs);
	wire_rr_txt(w, NULL, owner, c->ttl, t, (size_t)n);
}

/* All records of one listed name: RPZ "name CNAME ." and "*.name CNAME ."; DNSBL the A
 * code and TXT first_seen at the name and at "*.name" (the TXT left out when the zone
 * answers A only). Each owner is written once; its TXT points at it. */
static void put_entry(struct wire *w, const struct answer_cfg *c, int zone,
	const struct xfr_entry *e)
{
	size_t own = put_owner(w, e->rel, e->len);
	if (zone < WINDOW_COUNT) {
		put_rpz_rr(w, c);
		put_wild_owner(w, own);
		put_rpz_rr(w, c);
		return;
	}
	put_a_rr(w, c, e->code);
	if (!e->a_only)
		put_txt(w, own, c, e->first_seen);
	size_t wild = put_wild_owner(w, own);
	put_a_rr(w, c, e->code);
	if (!e->a_only)
		put_txt(w, wild, c, e->first_seen);
}

/* ---- the transfer stream ---- */

enum sec_kind { SEC_SOA, SEC_NS, SEC_TEST, SEC_LIST };

struct section {
	enum sec_kind kind;
	uint32_t serial;
	const struct xfr_list *list;
};

struct stream {
	struct query_xfr_stream base;   /* first: tcp.c sees only this */
	struct answer_cfg cfg;        /* copied: a reload must not change a transfer midway */
	int zone;
	uint8_t head[12 + DNAME_MAX_WIRE + 4]; /* header and question of the request */
	size_t head_len;
	struct section sec[8];
	int nsec, cur;
	size_t pos;                   /* in the current list */
	struct xfr_list a, b;
	int is_signed;
	struct tsig_signer signer;
	uint8_t *msg;                 /* 2-byte prefix + message */
	uint64_t messages;
};

static void stream_free(struct query_xfr_stream *ts)
{
	struct stream *s = (struct stream *)ts;
	if (s->is_signed)
		tsig_signer_deinit(&s->signer);
	xfr_list_free(&s->a);
	xfr_list_free(&s->b);
	free(s->msg);
	free(s);
}

/* A message holding the request's header and question (flags QR, AA, RD copied), with
 * room for the TSIG after XFR_BUDGET bytes. */
static void msg_begin(struct stream *s, struct wire *w)
{
	wire_init(w, s->msg + 2, XFR_MSG_CAP);
	wire_set_cap(w, XFR_BUDGET);
	wire_header(w, get16(s->head), (uint16_t)(WIRE_QR | WIRE_AA | (get16(s->head + 2) & WIRE_RD)));
	wire_question_copy(w, s->head + WIRE_HEADER_SIZE, s->head_len - WIRE_HEADER_SIZE);
	wire_section(w, WIRE_AN);
}

/* Finish, sign and queue one message. -1 on a writing or signing failure. */
static int msg_end(struct stream *s, struct wire *w, struct evbuffer *out)
{
	size_t len = wire_finish(w);
	if (!len)
		return -1;
	if (s->is_signed) {
		size_t sl;
		if (tsig_signer_sign(&s->signer, w->buf, len, XFR_MSG_CAP, (uint64_t)unix_now(), &sl) != 0)
			return -1;
		len = sl;
	}
	s->msg[0] = (uint8_t)(len >> 8);
	s->msg[1] = (uint8_t)len;
	evbuffer_add(out, s->msg, len + 2);
	s->messages++;
	return 0;
}

/* Write the next section item; 1 when it was the end of the section. */
static int put_item(struct stream *s, struct wire *w)
{
	struct section *sec = &s->sec[s->cur];
	if (sec->kind == SEC_SOA) {
		put_soa(w, &s->cfg, sec->serial);
	} else if (sec->kind == SEC_NS) {
		for (int i = 0; i < s->cfg.nns; i++)
			wire_rr_ns(w, NULL, APEX_OFF, s->cfg.ttl, s->cfg.ns[i], s->cfg.ns_len[i]);
	} else if (sec->kind == SEC_TEST) {
		/* RFC 5782 5: TEST is always listed. */
		put_owner(w, (const uint8_t *)"\004test", 5);
		put_a_rr(w, &s->cfg, 2);
	} else {
		struct xfr_entry e;
		size_t p = s->pos;
		if (xfr_list_next(sec->list, &p, &e)) {
			put_entry(w, &s->cfg, s->zone, &e);
			if (!w->err)
				s->pos = p;
			return 0;
		}
		s->pos = 0;
	}
	return 1;
}

static int stream_fill(struct query_xfr_stream *ts, struct evbuffer *out)
{
	struct stream *s = (struct stream *)ts;
	while (s->cur < s->nsec && evbuffer_get_length(out) < XFR_FILL) {
		struct wire w;
		msg_begin(s, &w);
		int items = 0;
		while (s->cur < s->nsec) {
			/* Whole names per message: what does not fit goes into the next one. */
			struct wire_mark m;
			wire_mark(&w, &m);
			int done = put_item(s, &w);
			if (w.err) {
				wire_rollback(&w, &m);
				if (items == 0) {
					log_warn("xfr out: a record does not fit in a message; closing the connection");
					return -1;
				}
				break;
			}
			items++;
			if (done)
				s->cur++;
		}
		if (msg_end(s, &w, out) < 0) {
			log_warn("xfr out: cannot finish or sign a message; closing the connection");
			return -1;
		}
	}
	if (s->cur < s->nsec)
		return 1;
	metrics_inc("xfr_out_messages", s->messages);
	return 0;
}

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

static void peer_str(const struct sockaddr *sa, char *buf, size_t n)
{
	char host[64] = "?";
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, host, sizeof host);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, host, sizeof host);
	snprintf(buf, n, "%s", host);
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

/* RFC 1982: s1 >= s2. */
static int serial_ge(uint32_t s1, uint32_t s2)
{
	return s1 == s2 || (int32_t)(s1 - s2) > 0;
}

int xfrout_transfer(void *ctx, const uint8_t *q, size_t qlen, const struct sockaddr *peer,
	socklen_t peerlen, struct evbuffer *out, struct query_xfr_stream **streamp)
{
	(void)peerlen;
	struct xfrout *x = ctx;
	const struct answer_cfg *cfg = atomic_load(x->acfgp);
	int64_t now = unix_now();
	char who[64], zt[300];
	peer_str(peer, who, sizeof who);

	struct tsig_result res;
	enum tsig_verdict v = tsig_verify_request(atomic_load(&x->kr), q, qlen, (uint64_t)now, &res);
	size_t msglen = v == TSIG_V_UNSIGNED ? qlen : res.msg_len;
	struct xfr_req r;
	if (xfr_req_parse(cfg, q, qlen, msglen, &r) < 0 || v == TSIG_V_FORMERR) {
		metrics_inc("xfr_out_formerr", 1);
		size_t qe = r.qend ? r.qend : 12;
		reply_single(NULL, q, qe <= qlen ? qe : 12, 1, out);
		return 0;
	}
	zone_text(cfg, r.zone, zt, sizeof zt);
	const char *kind = r.qtype == 252 ? "AXFR" : "IXFR";
	if (v != TSIG_V_OK && v != TSIG_V_UNSIGNED) {
		log_info("xfr out %s %s from %s: TSIG %s; refused", kind, zt, who, tsig_verdict_str(v));
		metrics_inc("xfr_out_tsig_errors", 1);
		reply_single(&res, q, r.qend, res.rcode, out);
		return 0;
	}
	const char *keyname = v == TSIG_V_OK && res.key ? res.key->name_text : NULL;
	if (r.zone < 0) {
		reply_single(v == TSIG_V_OK ? &res : NULL, q, r.qend, 9 /* NOTAUTH */, out);
		return 0;
	}
	if (!acl_allows(x->cfg->xfr_allow, x->cfg->nxfr_allow, peer, keyname)) {
		log_info("xfr out %s %s from %s%s%s: not allowed (transfer.allow); REFUSED", kind, zt,
			who, keyname ? " key " : " unsigned", keyname ? keyname : "");
		metrics_inc("xfr_out_refused", 1);
		reply_single(v == TSIG_V_OK ? &res : NULL, q, r.qend, 5, out);
		return 0;
	}

	uint32_t cur = nod_serial(x->nod, r.zone);
	if (r.qtype == 251 && r.has_serial && serial_ge(r.serial, cur)) {
		/* Up to date: the lone current SOA (RFC 1995 4). */
		uint8_t buf[2 + 2048];
		struct wire w;
		wire_init(&w, buf + 2, sizeof buf - 2);
		wire_set_cap(&w, 1024);
		wire_header(&w, r.id, (uint16_t)(WIRE_QR | WIRE_AA | (r.flags & WIRE_RD)));
		wire_question_copy(&w, q + WIRE_HEADER_SIZE, r.qend - WIRE_HEADER_SIZE);
		wire_section(&w, WIRE_AN);
		put_soa(&w, cfg, cur);
		size_t len = wire_finish(&w);
		if (!len)
			return -1;
		if (v == TSIG_V_OK) {
			size_t sl;
			if (tsig_sign_response(&res, w.buf, len, sizeof buf - 2, (uint64_t)now, &sl) == 0)
				len = sl;
		}
		buf[0] = (uint8_t)(len >> 8);
		buf[1] = (uint8_t)len;
		evbuffer_add(out, buf, len + 2);
		log_info("xfr out IXFR %s to %s: serial %u is current", zt, who, r.serial);
		metrics_inc("xfr_out_ixfr_uptodate", 1);
		note_consumer(x, who, keyname, r.zone, cur, "IXFR up to date", now);
		return 0;
	}

	struct stream *s = calloc(1, sizeof *s);
	if (!s || !(s->msg = malloc(XFR_MSG_CAP + 2))) {
		free(s);
		return -1;
	}
	s->base.fill = stream_fill;
	s->base.free = stream_free;
	s->cfg = *cfg;
	s->zone = r.zone;
	memcpy(s->head, q, r.qend);
	s->head_len = r.qend;
	xfr_list_init(&s->a);
	xfr_list_init(&s->b);
	if (v == TSIG_V_OK) {
		if (tsig_signer_init(&s->signer, res.key, &res.mac, res.fudge) != 0) {
			stream_free(&s->base);
			return -1;
		}
		s->is_signed = 1;
	}
	int64_t t2 = nod_version_time(x->nod, r.zone), t1;
	int rc;
	const char *how;
	if (r.qtype == 251 && r.has_serial && versions_find(x->ver, r.zone, r.serial, &t1) &&
	    t1 < t2 && versions_find(x->ver, r.zone, cur, &t2)) {
		rc = versions_diff(x->ver, r.zone, t1, t2, &s->a, &s->b);
		s->sec[s->nsec++] = (struct section){ SEC_SOA, cur, NULL };
		s->sec[s->nsec++] = (struct section){ SEC_SOA, r.serial, NULL };
		s->sec[s->nsec++] = (struct section){ SEC_LIST, 0, &s->a };
		s->sec[s->nsec++] = (struct section){ SEC_SOA, cur, NULL };
		s->sec[s->nsec++] = (struct section){ SEC_LIST, 0, &s->b };
		s->sec[s->nsec++] = (struct section){ SEC_SOA, cur, NULL };
		how = "incremental";
		metrics_inc("xfr_out_ixfr", 1);
	} else {
		rc = versions_content(x->ver, r.zone, t2, &s->a);
		s->sec[s->nsec++] = (struct section){ SEC_SOA, cur, NULL };
		s->sec[s->nsec++] = (struct section){ SEC_NS, 0, NULL };
		if (r.zone == NOD_ZONE_DNSBL)
			s->sec[s->nsec++] = (struct section){ SEC_TEST, 0, NULL };
		s->sec[s->nsec++] = (struct section){ SEC_LIST, 0, &s->a };
		s->sec[s->nsec++] = (struct section){ SEC_SOA, cur, NULL };
		how = r.qtype == 251 ? "AXFR-style" : "full";
		metrics_inc(r.qtype == 251 ? "xfr_out_ixfr_axfr_style" : "xfr_out_axfr", 1);
	}
	if (rc < 0) {
		stream_free(&s->base);
		return -1;
	}
	if (r.qtype == 251)
		log_info("xfr out IXFR %s to %s%s%s: %s from serial %u to %u (%zu deletions, %zu additions)",
			zt, who, keyname ? " key " : "", keyname ? keyname : "", how, r.serial, cur,
			s->nsec == 6 ? s->a.count : 0, s->nsec == 6 ? s->b.count : s->a.count);
	else
		log_info("xfr out AXFR %s to %s%s%s: serial %u, %zu names", zt, who,
			keyname ? " key " : "", keyname ? keyname : "", cur, s->a.count);
	x->transfers++;
	note_consumer(x, who, keyname, r.zone, cur, r.qtype == 252 ? "AXFR" :
		s->nsec == 6 ? "IXFR" : "IXFR AXFR-style", now);
	*streamp = &s->base;
	return 0;
}

/* ---- files ---- */

static void write_files(struct xfrout *x)
{
	const struct answer_cfg *c = atomic_load(x->acfgp);
	struct export_params p;
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
	for (int z = 0; z < NOD_ZONE_COUNT; z++)
		p.serial[z] = nod_serial(x->nod, z);
	char err[512];
	if (export_write(&p, nod_index(x->nod), unix_now(), err, sizeof err) < 0) {
		log_err("files: %s", err);
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
	struct answer_cfg *_Atomic *acfgp, nod_t *nod, const struct tsig_keyring *kr, char *err,
	size_t errlen)
{
	struct xfrout *x = calloc(1, sizeof *x);
	if (!x) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	x->base = base;
	x->cfg = cfg;
	x->acfgp = acfgp;
	x->nod = nod;
	atomic_init(&x->kr, kr);
	x->ver = versions_new();
	if (!x->ver) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	/* The history from before this start (policy/nod.c keeps it in the store). */
	if (nod_each_version(nod, load_version, x) != 0)
		log_warn("xfr out: cannot load the stored zone versions (%s); IXFR from versions "
			"before this start answers AXFR-style", store_errmsg(nod_store(nod)));
	versions_set_floor(x->ver, nod_history_floor(nod));
	sync_versions(x, 0, unix_now());
	if (cfg->nnotify > 0) {
		x->notify = notifyout_start(base, cfg, kr, acfgp, err, errlen);
		if (!x->notify)
			goto fail;
	}
	if (cfg->files_dir) {
		x->files_ev = event_new(base, -1, EV_PERSIST, on_files, x);
		struct timeval iv = { (time_t)cfg->files_interval, 0 };
		if (!x->files_ev || event_add(x->files_ev, &iv) < 0) {
			snprintf(err, errlen, "cannot start the files timer");
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

json_t *xfrout_status(struct xfrout *x)
{
	json_t *o = json_object();
	json_t *cons = json_array();
	const struct answer_cfg *cfg = atomic_load(x->acfgp);
	for (int i = 0; i < x->ncons; i++) {
		const struct consumer *c = &x->cons[i];
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
		json_array_append_new(cons, e);
	}
	json_object_set_new(o, "consumers", cons);
	json_object_set_new(o, "notify", x->notify ? notifyout_status(x->notify) : json_array());
	return o;
}
