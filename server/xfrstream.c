/* xfrstream.c -- the messages of one outgoing transfer (see xfrstream.h).
 *
 * DESIGN
 * The names to send are copied out of the version history (policy/versions.h) into a list
 * when the transfer begins, so the index may change while it streams. tcp.c pulls
 * messages as the client reads them: memory per transfer is the name list plus about one
 * megabyte of output, however large the zone.
 *
 * Messages are written with lib/wire.h and packed with whole names up to XFR_BUDGET
 * bytes (a name that does not fit is rolled back and starts the next message). Every
 * message repeats the question, so the zone apex is always at offset 12 and every owner is
 * "labels + pointer to 12" without a compression-table search; "*.n" is "*" + a pointer to
 * n, and a name's TXT points at its owner. Offsets stay below the 14-bit pointer limit
 * because the budget does. Every message is TSIG-signed when the request was
 * (RFC 8945 5.3.1, as BIND does). */
#define LOG_CATEGORY LOG_CAT_XFR_OUT
#include "server/xfrstream.h"

#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "lib/wire.h"
#include "server/metrics.h"

#define XFR_BUDGET 16000      /* bytes of records per message (< 16384 for pointers) */
#define XFR_FILL (1u << 20)   /* keep about this much output queued per connection */
#define XFR_MSG_CAP 65535

/* ---- writing records ---- */

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

/* All records of one listed name: RPZ "name CNAME ." and "*.name CNAME ."; the allow zone
 * "pattern CNAME rpz-passthru."; DNSBL the A
 * code and TXT first_seen at the name and at "*.name" (the TXT left out when the zone
 * answers A only). Each owner is written once; its TXT points at it. */
static void put_entry(struct wire *w, const struct answer_cfg *c, int zone,
	const struct xfr_entry *e)
{
	size_t own = put_owner(w, e->rel, e->len);
	if (zone == NOD_ZONE_ALLOW) {
		/* the allow zone: the pattern ("*.x" for a wildcard entry) passes through */
		size_t at = wire_rr_head(w, WIRE_T_CNAME, WIRE_C_IN, c->ttl);
		wire_put(w, "\014rpz-passthru", 13);
		wire_put8(w, 0);
		wire_rr_end(w, at);
		return;
	}
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

struct xfrstream {
	struct query_xfr_stream base;   /* first: tcp.c sees only this */
	struct answer_cfg cfg;        /* copied: a reload must not change a transfer midway */
	int zone;
	uint8_t head[WIRE_HEADER_SIZE + DNAME_MAX_WIRE + 4]; /* the request's header, question */
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
	struct xfrstream *s = (struct xfrstream *)ts;
	if (s->is_signed)
		tsig_signer_deinit(&s->signer);
	xfr_list_free(&s->a);
	xfr_list_free(&s->b);
	free(s->msg);
	free(s);
}

/* A message in out (size bytes, cap of them for records) holding the request's header
 * and question (flags QR, AA, RD copied), ready for answer records. */
static void msg_head(struct wire *w, const uint8_t *head, size_t head_len, uint8_t *out,
	size_t size, size_t cap)
{
	wire_init(w, out, size);
	wire_set_cap(w, cap);
	wire_header(w, wire_get16(head), (uint16_t)(WIRE_QR | WIRE_AA | (wire_get16(head + 2) & WIRE_RD)));
	wire_question_copy(w, head + WIRE_HEADER_SIZE, head_len - WIRE_HEADER_SIZE);
	wire_section(w, WIRE_AN);
}

/* A message with room for the TSIG after XFR_BUDGET bytes. */
static void msg_begin(struct xfrstream *s, struct wire *w)
{
	msg_head(w, s->head, s->head_len, s->msg + 2, XFR_MSG_CAP, XFR_BUDGET);
}

size_t xfrstream_soa_message(const struct answer_cfg *cfg, const uint8_t *head,
	size_t head_len, uint32_t serial, uint8_t *out, size_t cap)
{
	struct wire w;
	msg_head(&w, head, head_len, out, cap, cap);
	put_soa(&w, cfg, serial);
	return wire_finish(&w);
}

/* Finish, sign and queue one message. -1 on a writing or signing failure. */
static int msg_end(struct xfrstream *s, struct wire *w, struct evbuffer *out)
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
static int put_item(struct xfrstream *s, struct wire *w)
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
		/* publish.test-names: listed as a name of code 2 with first_seen=0 */
		for (int i = 0; i < s->cfg.tests.n; i++) {
			size_t own = put_owner(w, s->cfg.tests.test_rel[i], s->cfg.tests.test_len[i]);
			put_a_rr(w, &s->cfg, 2);
			put_txt(w, own, &s->cfg, 0);
		}
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
	struct xfrstream *s = (struct xfrstream *)ts;
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

struct xfrstream *xfrstream_new(const struct answer_cfg *cfg, int zone, const uint8_t *head,
	size_t head_len, const struct tsig_result *signer)
{
	struct xfrstream *s = calloc(1, sizeof *s);
	if (!s || !(s->msg = malloc(XFR_MSG_CAP + 2))) {
		free(s);
		return NULL;
	}
	s->base.fill = stream_fill;
	s->base.free = stream_free;
	s->cfg = *cfg;
	s->zone = zone;
	if (head_len > sizeof s->head)
		head_len = sizeof s->head;
	memcpy(s->head, head, head_len);
	s->head_len = head_len;
	xfr_list_init(&s->a);
	xfr_list_init(&s->b);
	if (signer) {
		if (tsig_signer_init(&s->signer, signer->key, &signer->mac, signer->fudge) != 0) {
			stream_free(&s->base);
			return NULL;
		}
		s->is_signed = 1;
	}
	return s;
}

static void add_section(struct xfrstream *s, enum sec_kind kind, uint32_t serial,
	const struct xfr_list *list)
{
	s->sec[s->nsec++] = (struct section){ kind, serial, list };
}

long xfrstream_full(struct xfrstream *s, const versions_t *ver, uint32_t cur, int64_t t)
{
	add_section(s, SEC_SOA, cur, NULL);
	add_section(s, SEC_NS, 0, NULL);
	if (s->zone == NOD_ZONE_DNSBL)
		add_section(s, SEC_TEST, 0, NULL);
	add_section(s, SEC_LIST, 0, &s->a);
	add_section(s, SEC_SOA, cur, NULL);
	if (versions_content(ver, s->zone, t, &s->a) < 0)
		return -1;
	return (long)s->a.count;
}

int xfrstream_incremental(struct xfrstream *s, const versions_t *ver, uint32_t from_serial,
	uint32_t cur, int64_t from, int64_t to, size_t *ndel, size_t *nadd)
{
	add_section(s, SEC_SOA, cur, NULL);
	add_section(s, SEC_SOA, from_serial, NULL);
	add_section(s, SEC_LIST, 0, &s->a);
	add_section(s, SEC_SOA, cur, NULL);
	add_section(s, SEC_LIST, 0, &s->b);
	add_section(s, SEC_SOA, cur, NULL);
	int rc = versions_diff(ver, s->zone, from, to, &s->a, &s->b);
	*ndel = s->a.count;
	*nadd = s->b.count;
	return rc;
}

struct query_xfr_stream *xfrstream_base(struct xfrstream *s)
{
	return &s->base;
}

void xfrstream_free(struct xfrstream *s)
{
	if (s)
		stream_free(&s->base);
}
