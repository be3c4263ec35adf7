/* secondary.c -- follow upstream zones as a secondary and turn their changes into
 * observations.
 *
 * DESIGN
 * Per upstream zone, one task at a time, all on the main libevent loop (the timers and
 * their clamps are zones/refresh.c, pure in now; serials zones/serial.c; which changes are
 * observations zones/observe.c):
 *
 *     refresh timer / NOTIFY
 *            |
 *            v
 *     SOA probe (TCP) --- up to date ---------------------------> wait refresh
 *            | newer serial, or no copy
 *            v
 *     IXFR (held SOA in authority) --- REFUSED/NOTIMP/FORMERR,
 *            |                          AXFR-style answer ------> AXFR
 *            v                                                     |
 *     verify TSIG on every message (RFC 8945 5.3.1, zones/tsig.c)  |
 *     stage its records in temp tables (one temp-only transaction  |
 *     per message: memory stays flat for a zone the size of .se)   |
 *            v                                                     v
 *     apply in ONE transaction: zone copy, first-seen names, zone_diff and
 *     newly_registered_domain outbox rows, refresh state ---> commit ---> index
 *
 * Any failure (connect, timeout, bad TSIG, malformed or cut stream, IXFR that starts at the
 * wrong serial or deletes an absent record, a serial going backwards) discards the whole
 * transfer: the transaction is rolled back, the last good version keeps serving, the error
 * is kept for /api/v1/status, and the next primary is tried, then the retry timer.
 * ldns parses each message (ldns_wire2pkt) and zones/xfrin.c checks the framing of the
 * answer records (pure, fuzzed); the transfer client is ours because ldns's is blocking,
 * checks no TSIG and stops after two SOAs (REFERENCE.md 0.3).
 *
 * Observations: an owner below the apex that gains NS records is observed at commit time;
 * the store keeps the earliest first_seen, so a name seen before (also in the baseline, the
 * first AXFR of a zone) is not new. DNSSEC and glue changes add no NS and so observe
 * nothing. A deleted name that comes back keeps its first_seen.
 */
#include "zones/secondary.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <ldns/ldns.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/dname.h"
#include "lib/log.h"
#include "policy/record.h"
#include "zones/observe.h"
#include "zones/refresh.h"
#include "lib/serial.h"
#include "zones/xfrin.h"

#define SEC_MAX_MSG 65535
#define SEC_TIMEOUT 30

enum task { T_IDLE, T_PROBE, T_IXFR, T_AXFR };

struct upstream {
	struct secondary *sec;
	const struct config_upstream *cfg;
	char zone[DNAME_MAX_TEXT + 2];         /* norm text, "" for the root */
	uint8_t apex[DNAME_MAX_WIRE];
	size_t apex_len;
	struct sockaddr_storage prim[CONFIG_MAX_PRIMARIES];
	socklen_t prim_len[CONFIG_MAX_PRIMARIES];
	char prim_text[CONFIG_MAX_PRIMARIES][160];
	int nprim;
	const struct tsig_key *_Atomic key; /* by cfg->key; a reload replaces it (UDP threads read it) */

	/* held copy and timers (serial and last success persisted in the upstream table, the
	 * timers come back from the held SOA in zone_rr) */
	struct refresh_bounds bounds;
	struct refresh_state rs;
	struct event *timer;
	int64_t next_at;

	/* the running task; the records of a transfer are staged in temp tables as they
	 * arrive (axfr_new for AXFR, ixfr_seq in order for IXFR), so memory stays flat
	 * whatever the zone size; they reach the zone copy only in apply() */
	enum task task;
	int pi;                                 /* primary being tried */
	struct bufferevent *bev;
	uint16_t id;
	struct tsig_verifier ver;
	int signed_req;
	struct xfrin in;                        /* the answer stream's framing (zones/xfrin.h) */
	struct timespec t_start;                /* the transfer's query sent (CLOCK_MONOTONIC) */

	/* status */
	uint64_t n_ixfr, n_axfr, n_fail, n_obs, n_up_to_date;
	char last_error[256];
	int64_t last_error_at;
};

enum stmt {
	S_LOAD, S_SAVE, S_ADD, S_DEL, S_CLEAR, S_HELD_SOA,
	S_AXFR_ADD, S_AXFR_CLEAR, S_COPY_ORDERED, S_NEW_ORDERED, S_BASE_COPY, S_BASE_NAMES,
	S_IXFR_ADD, S_IXFR_CLEAR, S_IXFR_READ, S_IXFR_TO_AXFR,
	S_NS_COUNT, S_LOST_ADD, S_LOST_HAS, S_LOST_CLEAR,
	S_COUNT
};

struct secondary {
	struct event_base *base;
	nod_t *nod;
	outbox_t *ob;
	sqlite3 *db;
	const struct tsig_keyring *_Atomic kr; /* borrowed; replaced by a reload */
	struct upstream *ups;
	int nups;
	sqlite3_stmt *st[S_COUNT];
	/* NOTIFY from the UDP threads */
	pthread_mutex_t nlock;
	int *nflag;
	struct event *nev;
	struct evdns_base *dns;   /* host names of primaries are resolved without blocking */
};

static void start_task(struct upstream *up, enum task t);
static int resolve(struct upstream *up, const char *spec, char *err, size_t errlen);

static int64_t now_s(void) { return unix_now(); }

static double ts_diff(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void schedule(struct upstream *up, int64_t delay)
{
	if (delay < 0)
		delay = 0;
	struct timeval tv = { (time_t)delay, 0 };
	up->next_at = now_s() + delay;
	evtimer_add(up->timer, &tv);
}

static void set_error(struct upstream *up, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void set_error(struct upstream *up, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(up->last_error, sizeof up->last_error, fmt, ap);
	va_end(ap);
	up->last_error_at = now_s();
	if (up->pi < up->nprim)
		log_warn("upstream %s: %s: %s", up->zone[0] ? up->zone : ".", up->prim_text[up->pi],
			up->last_error);
	else /* no primary address yet: the message names the primary it is about */
		log_warn("upstream %s: %s", up->zone[0] ? up->zone : ".", up->last_error);
}

/* ---- the stored copy -------------------------------------------------------------- */

/* One record as the copy keeps it: owner text (lowercase, no trailing dot), type, TTL
 * and canonical rdata wire (RFC 4034 6.2: names in rdata lowercased, uncompressed). */
struct rrpart {
	char owner[DNAME_MAX_TEXT * 4 + 8];  /* room for \DDD escapes */
	int type;
	uint32_t ttl;
	size_t rdlen;
	uint8_t rd[65536];
};

/* Fill p from rr; rr is canonicalised in place (it belongs to a parsed message). */
static int rr_parts(ldns_rr *rr, struct rrpart *p)
{
	/* the owner as ldns_rdf2str writes it, lowercased, without the trailing dot (the form
	 * the zone copy has always stored), without ldns's printf per character */
	const ldns_rdf *own = ldns_rr_owner(rr);
	if (!own || dname_wire_to_zone_text(ldns_rdf_data(own), ldns_rdf_size(own), p->owner,
		    sizeof p->owner) < 0)
		return -1;
	ldns_rr2canonical(rr);
	size_t o = 0;
	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
		ldns_rdf *f = ldns_rr_rdf(rr, i);
		if (o + ldns_rdf_size(f) > sizeof p->rd)
			return -1;
		memcpy(p->rd + o, ldns_rdf_data(f), ldns_rdf_size(f));
		o += ldns_rdf_size(f);
	}
	p->rdlen = o;
	p->type = ldns_rr_get_type(rr);
	p->ttl = ldns_rr_ttl(rr);
	return 0;
}

/* Fill p from the four columns (owner, type, rdata, ttl) at column c0 of st. */
static void rr_parts_from_row(sqlite3_stmt *st, int c0, struct rrpart *p)
{
	snprintf(p->owner, sizeof p->owner, "%s", (const char *)sqlite3_column_text(st, c0));
	p->type = sqlite3_column_int(st, c0 + 1);
	p->rdlen = (size_t)sqlite3_column_bytes(st, c0 + 2);
	if (p->rdlen > sizeof p->rd)
		p->rdlen = sizeof p->rd;
	if (p->rdlen)
		memcpy(p->rd, sqlite3_column_blob(st, c0 + 2), p->rdlen);
	p->ttl = (uint32_t)sqlite3_column_int64(st, c0 + 3);
}

/* The inverse, for the zone_diff records (they take an ldns_rr). Caller frees. */
static ldns_rr *rr_from_parts(const struct rrpart *p)
{
	static uint8_t buf[DNAME_MAX_WIRE + 10 + 65536];
	ldns_rdf *on = NULL;
	/* ldns reads the \DDD escapes that ldns_rdf2str wrote */
	if (ldns_str2rdf_dname(&on, p->owner[0] ? p->owner : ".") != LDNS_STATUS_OK)
		return NULL;
	size_t o = ldns_rdf_size(on);
	memcpy(buf, ldns_rdf_data(on), o);
	ldns_rdf_deep_free(on);
	buf[o++] = (uint8_t)(p->type >> 8);
	buf[o++] = (uint8_t)p->type;
	buf[o++] = 0;
	buf[o++] = 1;
	buf[o++] = (uint8_t)(p->ttl >> 24);
	buf[o++] = (uint8_t)(p->ttl >> 16);
	buf[o++] = (uint8_t)(p->ttl >> 8);
	buf[o++] = (uint8_t)p->ttl;
	buf[o++] = (uint8_t)(p->rdlen >> 8);
	buf[o++] = (uint8_t)p->rdlen;
	memcpy(buf + o, p->rd, p->rdlen);
	o += p->rdlen;
	ldns_rr *rr = NULL;
	size_t pos = 0;
	if (ldns_wire2rr(&rr, buf, o, &pos, LDNS_SECTION_ANSWER) != LDNS_STATUS_OK)
		return NULL;
	return rr;
}

static int soa_serial(const struct rrpart *p, uint32_t *serial)
{
	return serial_soa_fields(p->rd, p->rdlen, serial, NULL, NULL, NULL);
}

/* Run a statement that returns no rows. Returns 0 or -1. */
static int exec_stmt(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

struct apply {
	struct upstream *up;
	int baseline;
	uint32_t from, to;
	int64_t now;
	uint64_t adds, dels, obs;
};

/* Run one of the owner statements (S_NS_COUNT with zone, S_LOST_ADD, S_LOST_HAS); *out
 * (may be NULL) gets the first column of its row, or 0 when there is none. 0 or -1. */
static int owner_step(struct secondary *s, enum stmt which, const char *zone, const char *owner,
	int64_t *out)
{
	sqlite3_stmt *st = s->st[which];
	int i = 1;
	if (zone)
		sqlite3_bind_text(st, i++, zone, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, i, owner, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (out)
		*out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* keep-first-seen: no. 1 when the NS just added to the copy (p) makes its owner a name
 * returning to this zone: delegated now by this record alone, without having lost an NS
 * earlier in this transfer (that is a change of name servers), and first seen in this same
 * zone (so it was here before and was deleted; a name first observed elsewhere, by the API
 * or another zone, keeps its time). 0 when not, -1 on a store error. */
static int is_return(struct upstream *up, const struct rrpart *p)
{
	struct secondary *s = up->sec;
	int64_t nns = 0, lost = 0;
	if (owner_step(s, S_NS_COUNT, up->zone, p->owner, &nns) < 0 ||
	    owner_step(s, S_LOST_HAS, NULL, p->owner, &lost) < 0)
		return -1;
	if (nns != 1 || lost)
		return 0;
	char src[512], want[300];
	int found = store_lookup(nod_store(s->nod), p->owner, NULL, src, sizeof src, NULL);
	if (found <= 0)
		return found;
	snprintf(want, sizeof want, "zone %s serial ", up->zone);
	return strncmp(src, want, strlen(want)) == 0;
}

/* Record one change of the copy: its zone_diff record and, for an NS gained below the
 * apex, an observation. */
static int note_change(struct apply *a, const struct rrpart *p, int add)
{
	struct upstream *up = a->up;
	if (add)
		a->adds++;
	else
		a->dels++;
	if (a->baseline || p->type == LDNS_RR_TYPE_SOA)
		return 0;
	if (up->sec->ob) {
		ldns_rr *rr = rr_from_parts(p);
		int rc = rr ? record_append_zone_diff(up->sec->ob, rr, add, up->zone, a->from, a->to,
			a->now * 1000) : -1;
		ldns_rr_free(rr);
		if (rc < 0)
			return -1;
	}
	if (!observe_is_delegation(p->owner, up->zone, p->type))
		return 0;
	if (!add) {
		/* keep-first-seen: no needs to tell a name servers change from a return */
		if (!up->cfg->keep_first_seen && owner_step(up->sec, S_LOST_ADD, NULL, p->owner, NULL) < 0)
			return -1;
		return 0;
	}
	{
		char src[300];
		observe_source(src, sizeof src, up->zone, a->to, 0);
		const char *why = NULL;
		int rc;
		int back = up->cfg->keep_first_seen ? 0 : is_return(up, p);
		if (back < 0)
			return -1;
		if (back)
			rc = nod_observe_return(up->sec->nod, p->owner, a->now, src, a->now, up->zone,
				a->to, &why);
		else
			rc = nod_observe_from(up->sec->nod, p->owner, a->now, src, 0, a->now, up->zone,
				a->to, NULL, &why);
		if (rc == NOD_OBS_ERROR)
			return -1;
		if (rc == NOD_OBS_NEW)
			a->obs++;
	}
	return 0;
}

/* Run the add or delete statement of the zone copy for p. Returns the rows changed, -1 on
 * error. */
static int copy_op(struct apply *a, enum stmt which, const struct rrpart *p)
{
	struct secondary *s = a->up->sec;
	sqlite3_stmt *st = s->st[which];
	sqlite3_bind_text(st, 1, a->up->zone, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, p->owner, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, p->type);
	sqlite3_bind_blob(st, 4, p->rd, (int)p->rdlen, SQLITE_STATIC);
	if (which == S_ADD)
		sqlite3_bind_int64(st, 5, p->ttl);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? sqlite3_changes(s->db) : -1;
}

static int copy_add(struct apply *a, const struct rrpart *p, int note)
{
	int n = copy_op(a, S_ADD, p);
	if (n < 0)
		return -1;
	/* adding a record already held has no effect (as in BIND) */
	return note && n > 0 ? note_change(a, p, 1) : 0;
}

/* -1 error, -2 the record is not held (an inconsistent IXFR) */
static int copy_del(struct apply *a, const struct rrpart *p, int note)
{
	int n = copy_op(a, S_DEL, p);
	if (n < 0)
		return -1;
	if (n == 0)
		return -2;
	return note ? note_change(a, p, 0) : 0;
}

static int save_state(struct upstream *up, uint32_t serial, int64_t when)
{
	sqlite3_stmt *st = up->sec->st[S_SAVE];
	sqlite3_bind_text(st, 1, up->zone, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, serial);
	sqlite3_bind_int64(st, 3, when);
	return exec_stmt(st);
}

#define STORE_ERR(why, whylen, db) snprintf(why, whylen, "store: %s", sqlite3_errmsg(db))

/* The end of one difference: the held SOA is replaced by the difference's new one. */
static int ixfr_step_soa(struct apply *a, const struct rrpart *soa_old, const struct rrpart *soa_new)
{
	return copy_del(a, soa_old, 0) == -1 || copy_add(a, soa_new, 0) < 0 ? -1 : 0;
}

/* IXFR body, staged in order without the closing SOA:
 * SOA(new) [SOA(old) dels... SOA(next) adds...]+ */
static int apply_ixfr(struct apply *a, char *why, size_t whylen)
{
	struct secondary *s = a->up->sec;
	sqlite3_stmt *rd = s->st[S_IXFR_READ];
	static struct rrpart row, soa_old, soa_new;
	uint32_t cur = a->up->rs.serial, next = 0;
	enum { FIRST, WANT_OLD, DELS, ADDS } state = FIRST;
	uint64_t i = 0;
	int rc, ret = -1;
	while ((rc = sqlite3_step(rd)) == SQLITE_ROW) {
		rr_parts_from_row(rd, 0, &row);
		int is_soa = row.type == LDNS_RR_TYPE_SOA;
		uint32_t ser = 0;
		if (is_soa && soa_serial(&row, &ser) < 0) {
			snprintf(why, whylen, "IXFR: a malformed SOA at record %llu", (unsigned long long)i);
			goto out;
		}
		if (state == ADDS && is_soa) {
			/* the next difference starts */
			if (ixfr_step_soa(a, &soa_old, &soa_new) < 0)
				goto store;
			cur = next;
			state = WANT_OLD;
		}
		switch (state) {
		case FIRST:
			state = WANT_OLD;
			break;
		case WANT_OLD:
			if (!is_soa) {
				snprintf(why, whylen, "IXFR: expected an SOA at record %llu", (unsigned long long)i);
				goto out;
			}
			if (ser != cur) {
				snprintf(why, whylen, "IXFR: a difference starts at serial %u, we hold %u", ser, cur);
				goto out;
			}
			soa_old = row;
			state = DELS;
			break;
		case DELS:
			if (is_soa) {
				if (!serial_gt(ser, cur)) {
					snprintf(why, whylen, "IXFR: serial goes from %u to %u", cur, ser);
					goto out;
				}
				next = ser;
				soa_new = row;
				state = ADDS;
				break;
			}
			int d = copy_del(a, &row, 1);
			if (d == -2) {
				ldns_rr *rr = rr_from_parts(&row);
				char *t = rr ? ldns_rr2str(rr) : NULL;
				snprintf(why, whylen, "IXFR: deletes a record we do not hold: %.300s", t ? t : row.owner);
				free(t);
				ldns_rr_free(rr);
				goto out;
			}
			if (d < 0)
				goto store;
			break;
		case ADDS:
			if (copy_add(a, &row, 1) < 0)
				goto store;
			break;
		}
		i++;
	}
	if (rc != SQLITE_DONE)
		goto store;
	if (state == DELS || state == FIRST) {
		snprintf(why, whylen, "IXFR: a difference has no new SOA");
		goto out;
	}
	if (state == ADDS) {
		if (ixfr_step_soa(a, &soa_old, &soa_new) < 0)
			goto store;
		cur = next;
	}
	if (cur != a->to) {
		snprintf(why, whylen, "IXFR: ends at serial %u, announced %u", cur, a->to);
		goto out;
	}
	ret = 0;
	goto out;
store:
	STORE_ERR(why, whylen, s->db);
out:
	sqlite3_reset(rd);
	return ret;
}

struct diffrow {
	struct diffrow *next;
	char owner[DNAME_MAX_TEXT * 4 + 8];
	int type;
	uint32_t ttl;
	size_t rdlen;
	uint8_t rd[];
};

/* sqlite's BINARY order for TEXT and BLOB: the bytes, then the shorter first. */
static int bytes_cmp(const void *a, size_t al, const void *b, size_t bl)
{
	size_t n = al < bl ? al : bl;
	int r = n ? memcmp(a, b, n) : 0;
	return r ? r : (al > bl) - (al < bl);
}

/* The primary-key order of zone_rr (within one zone) and axfr_new: owner, type, rdata,
 * as sqlite sorts them, for the statements' current rows (columns 0..2). */
static int key_cmp(sqlite3_stmt *a, sqlite3_stmt *b)
{
	const unsigned char *oa = sqlite3_column_text(a, 0), *ob = sqlite3_column_text(b, 0);
	int r = bytes_cmp(oa, (size_t)sqlite3_column_bytes(a, 0), ob,
		(size_t)sqlite3_column_bytes(b, 0));
	if (r)
		return r;
	sqlite3_int64 ta = sqlite3_column_int64(a, 1), tb = sqlite3_column_int64(b, 1);
	if (ta != tb)
		return ta < tb ? -1 : 1;
	const void *ra = sqlite3_column_blob(a, 2), *rb = sqlite3_column_blob(b, 2);
	return bytes_cmp(ra, (size_t)sqlite3_column_bytes(a, 2), rb,
		(size_t)sqlite3_column_bytes(b, 2));
}

/* The current row (owner, type, rdata, ttl) as a list entry; NULL when out of memory. */
static struct diffrow *diffrow_from(sqlite3_stmt *st)
{
	const void *rd = sqlite3_column_blob(st, 2);
	size_t rdl = (size_t)sqlite3_column_bytes(st, 2);
	struct diffrow *r = malloc(sizeof *r + rdl);
	if (!r)
		return NULL;
	r->next = NULL;
	snprintf(r->owner, sizeof r->owner, "%s", (const char *)sqlite3_column_text(st, 0));
	r->type = sqlite3_column_int(st, 1);
	r->rdlen = rdl;
	if (rdl)
		memcpy(r->rd, rd, rdl);
	r->ttl = (uint32_t)sqlite3_column_int64(st, 3);
	return r;
}

/* AXFR body, staged in axfr_new (the closing SOA left out). The first one is the baseline:
 * its delegations are recorded as seen, none is new. Against a held copy the difference
 * is found by walking both copies in key order and applied exactly as an IXFR would
 * have been. */
static int apply_axfr(struct apply *a, char *why, size_t whylen)
{
	struct secondary *s = a->up->sec;
	if (!a->up->rs.have_copy) {
		sqlite3_bind_text(s->st[S_CLEAR], 1, a->up->zone, -1, SQLITE_STATIC);
		sqlite3_bind_text(s->st[S_BASE_COPY], 1, a->up->zone, -1, SQLITE_STATIC);
		if (exec_stmt(s->st[S_CLEAR]) < 0 || exec_stmt(s->st[S_BASE_COPY]) < 0)
			goto store_err;
		a->adds = (uint64_t)sqlite3_changes(s->db);
		char src[300];
		observe_source(src, sizeof src, a->up->zone, a->to, 1);
		sqlite3_stmt *st = s->st[S_BASE_NAMES];
		int rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			const char *owner = (const char *)sqlite3_column_text(st, 0);
			if (!observe_is_delegation(owner, a->up->zone, LDNS_RR_TYPE_NS))
				continue;
			if (nod_observe_from(s->nod, owner, a->now, src, 1, a->now, a->up->zone, a->to,
				    NULL, NULL) == NOD_OBS_ERROR) {
				sqlite3_reset(st);
				goto store_err;
			}
		}
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			goto store_err;
		return 0;
	}
	/* One ordered pass over each copy, side by side (a merge join): a key only in the
	 * stored copy is a deletion, only in the new one an addition. Probing one table per
	 * row of the other (NOT EXISTS) cost 1.2 s per 730,000 records; two scans in key
	 * order cost a fraction, and this runs on the main thread. Collected first (the
	 * statements read the tables the changes write); only the difference is held. */
	sqlite3_stmt *old = s->st[S_COPY_ORDERED], *neu = s->st[S_NEW_ORDERED];
	sqlite3_bind_text(old, 1, a->up->zone, -1, SQLITE_STATIC);
	struct diffrow *dels = NULL, **dtail = &dels, *adds = NULL, **atail = &adds;
	int ro = sqlite3_step(old), rn = sqlite3_step(neu), fail = 0;
	while (!fail && (ro == SQLITE_ROW || rn == SQLITE_ROW)) {
		int c = ro != SQLITE_ROW ? 1 : rn != SQLITE_ROW ? -1 : key_cmp(old, neu);
		if (c == 0) {
			ro = sqlite3_step(old);
			rn = sqlite3_step(neu);
			continue;
		}
		sqlite3_stmt *from = c < 0 ? old : neu;
		struct diffrow *r = diffrow_from(from);
		if (!r) {
			fail = 1;
			break;
		}
		if (c < 0) {
			*dtail = r;
			dtail = &r->next;
			ro = sqlite3_step(old);
		} else {
			*atail = r;
			atail = &r->next;
			rn = sqlite3_step(neu);
		}
	}
	fail |= (ro != SQLITE_DONE && ro != SQLITE_ROW) || (rn != SQLITE_DONE && rn != SQLITE_ROW);
	sqlite3_reset(old);
	sqlite3_reset(neu);
	/* deletions first, then additions, as in an IXFR difference */
	static struct rrpart p;
	for (int pass = 0; pass < 2; pass++) {
		struct diffrow *head = pass == 0 ? dels : adds;
		while (head) {
			struct diffrow *r = head;
			head = r->next;
			if (!fail) {
				snprintf(p.owner, sizeof p.owner, "%s", r->owner);
				p.type = r->type;
				p.ttl = r->ttl;
				p.rdlen = r->rdlen;
				memcpy(p.rd, r->rd, r->rdlen);
				fail = (pass == 0 ? copy_del(a, &p, 1) : copy_add(a, &p, 1)) < 0;
			}
			free(r);
		}
	}
	if (fail)
		goto store_err;
	return 0;
store_err:
	STORE_ERR(why, whylen, s->db);
	return -1;
}

/* Empty the staging tables (cheap: sqlite truncates a table deleted without WHERE). */
static void stage_clear(struct secondary *s)
{
	exec_stmt(s->st[S_AXFR_CLEAR]);
	exec_stmt(s->st[S_IXFR_CLEAR]);
	exec_stmt(s->st[S_LOST_CLEAR]);
}

/* Apply a complete, verified transfer in one transaction. */
static void apply(struct upstream *up)
{
	struct secondary *s = up->sec;
	struct apply a = { up, !up->rs.have_copy, up->rs.have_copy ? up->rs.serial : 0,
		up->in.new_serial, now_s(), 0, 0, 0 };
	char why[512] = "";
	int axfr = up->task == T_AXFR || up->in.style == XFRIN_STYLE_AXFR;
	struct timespec t_recv, t_done;
	clock_gettime(CLOCK_MONOTONIC, &t_recv);
	if (nod_begin(s->nod) < 0) {
		set_error(up, "store: cannot begin: %s", nod_errmsg(s->nod));
		goto fail;
	}
	/* an AXFR-style answer to IXFR was staged as an AXFR (take_records) */
	int rc = axfr ? apply_axfr(&a, why, sizeof why) : apply_ixfr(&a, why, sizeof why);
	if (rc == 0 && save_state(up, up->in.new_serial, a.now) < 0)
		STORE_ERR(why, sizeof why, s->db), rc = -1;
	if (rc < 0) {
		nod_rollback(s->nod);
		stage_clear(s);
		set_error(up, "%s; transfer discarded, serial %u still served", why, up->rs.serial);
		if (!axfr) {
			/* an inconsistent IXFR: fall back to AXFR at once */
			up->n_fail++;
			start_task(up, T_AXFR);
			return;
		}
		goto fail;
	}
	if (nod_commit(s->nod) < 0) {
		nod_rollback(s->nod);
		stage_clear(s);
		set_error(up, "store: commit failed: %s", nod_errmsg(s->nod));
		goto fail;
	}
	stage_clear(s);
	if (axfr)
		up->n_axfr++;
	else
		up->n_ixfr++;
	up->n_obs += a.obs;
	clock_gettime(CLOCK_MONOTONIC, &t_done);
	log_info("upstream %s: %s serial %u -> %u applied: %llu added, %llu removed, %llu new names%s "
		"(%llu records in %u messages received in %.2f s, applied in %.2f s)",
		up->zone[0] ? up->zone : ".", axfr ? "AXFR" : "IXFR", a.from, a.to,
		(unsigned long long)a.adds, (unsigned long long)a.dels, (unsigned long long)a.obs,
		a.baseline ? " (baseline)" : "", (unsigned long long)up->in.nrr, up->in.msgs,
		ts_diff(&up->t_start, &t_recv), ts_diff(&t_recv, &t_done));
	up->rs.have_copy = 1;
	up->rs.serial = up->in.new_serial;
	/* the zone's own SOA timers, clamped to the configured bounds */
	refresh_set_soa(&up->rs, &up->bounds, up->in.refresh, up->in.retry, up->in.expire);
	up->task = T_IDLE;
	schedule(up, refresh_success(&up->rs, a.now));
	return;
fail:
	up->n_fail++;
	up->task = T_IDLE;
	schedule(up, refresh_failure(&up->rs, &up->bounds));
}

/* ---- the TCP client -------------------------------------------------------------- */

static void task_end(struct upstream *up)
{
	if (up->bev) {
		bufferevent_free(up->bev);
		up->bev = NULL;
	}
	if (up->signed_req) {
		tsig_verifier_deinit(&up->ver);
		up->signed_req = 0;
	}
}

/* This primary failed: try the next one, or wait for the retry. */
static void task_fail(struct upstream *up)
{
	enum task t = up->task;
	task_end(up);
	stage_clear(up->sec);
	up->n_fail++;
	if (up->pi + 1 < up->nprim) {
		up->pi++;
		start_task(up, t == T_IXFR || t == T_AXFR ? T_PROBE : t);
		return;
	}
	up->task = T_IDLE;
	up->pi = 0;
	if (refresh_expired(&up->rs, now_s()))
		log_warn("upstream %s: expired: no successful refresh for %lld s (serving the last copy)",
			up->zone, (long long)(now_s() - up->rs.last_success));
	schedule(up, refresh_failure(&up->rs, &up->bounds));
}

static int build_query(struct upstream *up, uint16_t qtype, uint8_t *buf, size_t cap, size_t *len)
{
	size_t o = 0;
	up->id = (uint16_t)(random() & 0xFFFF);
	uint8_t hdr[12] = { (uint8_t)(up->id >> 8), (uint8_t)up->id, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0 };
	memcpy(buf, hdr, 12);
	o = 12;
	memcpy(buf + o, up->apex, up->apex_len);
	o += up->apex_len;
	buf[o++] = (uint8_t)(qtype >> 8);
	buf[o++] = (uint8_t)qtype;
	buf[o++] = 0;
	buf[o++] = 1;
	if (qtype == LDNS_RR_TYPE_IXFR) {
		/* our SOA in authority (RFC 1995 3); only the serial matters to the server */
		buf[9] = 1;
		buf[o++] = 0xC0;
		buf[o++] = 12;
		const uint8_t tail[] = { 0, 6, 0, 1, 0, 0, 0, 0 };
		memcpy(buf + o, tail, sizeof tail);
		o += sizeof tail;
		size_t rdl_at = o;
		o += 2;
		buf[o++] = 0; /* mname . */
		buf[o++] = 0; /* rname . */
		uint32_t v[5] = { up->rs.serial, 0, 0, 0, 0 };
		for (int i = 0; i < 5; i++) {
			buf[o++] = (uint8_t)(v[i] >> 24);
			buf[o++] = (uint8_t)(v[i] >> 16);
			buf[o++] = (uint8_t)(v[i] >> 8);
			buf[o++] = (uint8_t)v[i];
		}
		buf[rdl_at] = 0;
		buf[rdl_at + 1] = (uint8_t)(o - rdl_at - 2);
	}
	*len = o;
	const struct tsig_key *key = up->key; /* the whole transfer verifies with this one */
	if (key) {
		struct tsig_mac mac;
		if (tsig_sign_request(key, buf, o, cap, (uint64_t)now_s(), 0, &mac, len) != 0)
			return -1;
		if (tsig_verifier_init(&up->ver, key, &mac) != 0)
			return -1;
		up->signed_req = 1;
	}
	return 0;
}

/* The primary confirmed our serial: wait for the refresh timer (or probe again at once
 * after a NOTIFY that came in meanwhile). */
static void up_to_date(struct upstream *up)
{
	up->n_up_to_date++;
	up->task = T_IDLE;
	schedule(up, refresh_success(&up->rs, now_s()));
}

/* Stage one record of a transfer. Returns 0 or -1. */
static int stage_put(struct upstream *up, const struct rrpart *p)
{
	struct secondary *s = up->sec;
	sqlite3_stmt *st;
	int c = 1;
	if (up->task == T_AXFR || up->in.style == XFRIN_STYLE_AXFR) {
		st = s->st[S_AXFR_ADD];
	} else {
		st = s->st[S_IXFR_ADD];
		sqlite3_bind_int64(st, c++, (sqlite3_int64)(up->in.nrr - 1)); /* its place in the stream */
	}
	sqlite3_bind_text(st, c++, p->owner, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, c++, p->type);
	sqlite3_bind_blob(st, c++, p->rd, (int)p->rdlen, SQLITE_STATIC);
	sqlite3_bind_int64(st, c++, p->ttl);
	int rc = exec_stmt(st);
	sqlite3_clear_bindings(st);
	return rc;
}

/* The answer records of one message of a transfer: checked in order (zones/xfrin.c) and
 * staged. Returns 0, or -1 with the error set. */
static int take_records(struct upstream *up, ldns_rr_list *an)
{
	static struct rrpart p;
	for (size_t i = 0; an && i < ldns_rr_list_rr_count(an); i++) {
		ldns_rr *rr = ldns_rr_list_rr(an, i);
		const ldns_rdf *own = ldns_rr_owner(rr);
		if (!own || rr_parts(rr, &p) < 0) {
			set_error(up, "a record that cannot be stored");
			return -1;
		}
		int ws = up->in.style;
		int v = xfrin_record(&up->in, ldns_rdf_data(own), ldns_rdf_size(own), (uint16_t)p.type,
			p.rd, p.rdlen);
		if (v == XFRIN_ERROR) {
			set_error(up, "%s", up->in.err);
			return -1;
		}
		if (ws != up->in.style && up->in.style == XFRIN_STYLE_AXFR) {
			/* From here on the records go straight to the AXFR table, keyed for the diff;
			 * the one staged before the style was known (the SOA) moves there too.
			 * Copying a whole AXFR-style answer across at apply time cost a second per
			 * 700,000 records. */
			log_info("upstream %s: AXFR-style answer to IXFR", up->zone);
			if (exec_stmt(up->sec->st[S_IXFR_TO_AXFR]) < 0 ||
			    exec_stmt(up->sec->st[S_IXFR_CLEAR]) < 0) {
				set_error(up, "staging: %s", sqlite3_errmsg(up->sec->db));
				return -1;
			}
		}
		if (v == XFRIN_STAGE && stage_put(up, &p) < 0) {
			set_error(up, "staging: %s", sqlite3_errmsg(up->sec->db));
			return -1;
		}
	}
	return 0;
}

/* One complete message of the answer. Returns 1 when the task is done (applied or
 * handed on), 0 to read more, -1 on failure (already reported). */
static int on_message(struct upstream *up, const uint8_t *msg, size_t len)
{
	struct secondary *s = up->sec;
	size_t plen = len;
	if (up->signed_req) {
		struct tsig_result res;
		enum tsig_verdict v = tsig_verifier_feed(&up->ver, msg, len, (uint64_t)now_s(), &res);
		if (v != TSIG_V_OK && v != TSIG_V_UNSIGNED) {
			set_error(up, "TSIG: %s (key %s)", tsig_verdict_str(v), up->key->name_text);
			return -1;
		}
		plen = res.msg_len;
	} else if (len >= 12 && tsig_find(msg, len, &plen) != 0) {
		plen = len; /* an unexpected TSIG on an unsigned exchange: let ldns see it */
	}
	/* parse without the TSIG record: ARCOUNT must drop it too */
	static uint8_t bare[SEC_MAX_MSG];
	if (len >= 12 && plen < len) {
		memcpy(bare, msg, plen);
		unsigned ar = ((unsigned)bare[10] << 8) | bare[11];
		ar = ar ? ar - 1 : 0;
		bare[10] = (uint8_t)(ar >> 8);
		bare[11] = (uint8_t)ar;
		msg = bare;
	}
	ldns_pkt *p = NULL;
	if (len < 12 || ldns_wire2pkt(&p, msg, plen) != LDNS_STATUS_OK) {
		set_error(up, "malformed message in the answer");
		return -1;
	}
	int ret = 0;
	uint16_t id = ldns_pkt_id(p);
	ldns_pkt_rcode rc = ldns_pkt_get_rcode(p);
	if (id != up->id || !ldns_pkt_qr(p)) {
		set_error(up, "answer with a wrong ID or without QR");
		ret = -1;
		goto out;
	}
	if (rc != LDNS_RCODE_NOERROR) {
		if (up->task == T_IXFR && (rc == LDNS_RCODE_NOTIMPL || rc == LDNS_RCODE_FORMERR ||
			    rc == LDNS_RCODE_REFUSED)) {
			log_info("upstream %s: IXFR answered RCODE %d; falling back to AXFR", up->zone, (int)rc);
			task_end(up);
			start_task(up, T_AXFR);
			ret = 1;
			goto out;
		}
		set_error(up, "%s answered with RCODE %d", up->task == T_PROBE ? "SOA query" :
			up->task == T_IXFR ? "IXFR" : "AXFR", (int)rc);
		ret = -1;
		goto out;
	}
	ldns_rr_list *an = ldns_pkt_answer(p);
	if (up->task == T_PROBE) {
		ldns_rr *soa = an && ldns_rr_list_rr_count(an) ? ldns_rr_list_rr(an, 0) : NULL;
		if (!soa || ldns_rr_get_type(soa) != LDNS_RR_TYPE_SOA || ldns_rr_rd_count(soa) < 7) {
			set_error(up, "SOA query: no SOA in the answer");
			ret = -1;
			goto out;
		}
		uint32_t serial = ldns_rdf2native_int32(ldns_rr_rdf(soa, 2));
		if (up->signed_req && tsig_verifier_end(&up->ver) != TSIG_V_OK) {
			set_error(up, "SOA query: the answer is not signed");
			ret = -1;
			goto out;
		}
		task_end(up);
		switch (refresh_after_probe(&up->rs, serial)) {
		case REFRESH_OLDER:
			/* the primary answered; our copy stays */
			set_error(up, "primary has serial %u, older than our %u; keeping ours",
				serial, up->rs.serial);
			up_to_date(up);
			break;
		case REFRESH_UP_TO_DATE:
			up_to_date(up);
			break;
		case REFRESH_IXFR:
			start_task(up, T_IXFR);
			break;
		case REFRESH_AXFR:
			start_task(up, T_AXFR);
			break;
		}
		ret = 1;
		goto out;
	}
	/* the records are staged in one temp-only transaction per message: it never spans a
	 * loop turn, so it cannot mix with other writers of the connection */
	if (sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		set_error(up, "staging: %s", sqlite3_errmsg(s->db));
		ret = -1;
		goto out;
	}
	if (take_records(up, an) < 0) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		ret = -1;
		goto out;
	}
	if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		set_error(up, "staging: %s", sqlite3_errmsg(s->db));
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		ret = -1;
		goto out;
	}
	int done = xfrin_message_end(&up->in, ldns_pkt_ancount(p));
	if (done != XFRIN_MORE) {
		if (up->signed_req && tsig_verifier_end(&up->ver) != TSIG_V_OK) {
			set_error(up, "TSIG: the last message is not signed");
			ret = -1;
			goto out;
		}
		/* the task ends here; apply() may start the next one (AXFR fallback) */
		task_end(up);
		if (done == XFRIN_CURRENT) {
			stage_clear(s);
			up_to_date(up);
		} else {
			apply(up);
		}
		ret = 1;
	}
out:
	ldns_pkt_free(p);
	return ret;
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct upstream *up = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	static uint8_t msg[SEC_MAX_MSG];
	for (;;) {
		uint8_t pfx[2];
		if (evbuffer_copyout(in, pfx, 2) < 2)
			return;
		size_t len = ((size_t)pfx[0] << 8) | pfx[1];
		if (evbuffer_get_length(in) < len + 2)
			return;
		evbuffer_drain(in, 2);
		evbuffer_remove(in, msg, len);
		int r = on_message(up, msg, len);
		if (r < 0) {
			task_fail(up);
			return;
		}
		if (r > 0)
			return;
	}
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	struct upstream *up = arg;
	if (what & BEV_EVENT_CONNECTED)
		return;
	if (what & BEV_EVENT_TIMEOUT)
		set_error(up, "timed out");
	else if (what & BEV_EVENT_EOF)
		set_error(up, "connection closed in the middle of the %s",
			up->task == T_PROBE ? "SOA query" : "transfer");
	else
		set_error(up, "connection failed: %s", strerror(EVUTIL_SOCKET_ERROR()));
	task_fail(up);
}

static void start_task(struct upstream *up, enum task t)
{
	struct secondary *s = up->sec;
	up->task = t;
	xfrin_init(&up->in, up->apex, up->apex_len, t == T_IXFR, up->rs.have_copy, up->rs.serial);
	stage_clear(s);
	uint8_t q[1024];
	size_t qlen;
	uint16_t qtype = t == T_PROBE ? LDNS_RR_TYPE_SOA : t == T_IXFR ? LDNS_RR_TYPE_IXFR : LDNS_RR_TYPE_AXFR;
	if (build_query(up, qtype, q, sizeof q, &qlen) < 0) {
		set_error(up, "cannot build the query (TSIG)");
		task_fail(up);
		return;
	}
	up->bev = bufferevent_socket_new(s->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (!up->bev) {
		set_error(up, "out of memory");
		task_fail(up);
		return;
	}
	struct timeval to = { SEC_TIMEOUT, 0 };
	bufferevent_setcb(up->bev, on_read, NULL, on_event, up);
	bufferevent_set_timeouts(up->bev, &to, &to);
	uint8_t pfx[2] = { (uint8_t)(qlen >> 8), (uint8_t)qlen };
	bufferevent_write(up->bev, pfx, 2);
	bufferevent_write(up->bev, q, qlen);
	bufferevent_enable(up->bev, EV_READ | EV_WRITE);
	clock_gettime(CLOCK_MONOTONIC, &up->t_start);
	log_debug("upstream %s: %s to %s", up->zone, t == T_PROBE ? "SOA query" : t == T_IXFR ? "IXFR" : "AXFR",
		up->prim_text[up->pi]);
	if (bufferevent_socket_connect(up->bev, (struct sockaddr *)&up->prim[up->pi],
		    (int)up->prim_len[up->pi]) < 0) {
		set_error(up, "connect: %s", strerror(errno));
		task_fail(up);
	}
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct upstream *up = arg;
	if (up->task != T_IDLE)
		return;
	if (up->nprim == 0) {
		/* no primary resolved yet (offline at start?): try the names again */
		for (int j = 0; j < up->cfg->nprimaries; j++) {
			char e[300];
			if (resolve(up, up->cfg->primaries[j], e, sizeof e) < 0)
				set_error(up, "primary %s", e);
		}
		if (up->nprim == 0) {
			schedule(up, refresh_failure(&up->rs, &up->bounds));
			return;
		}
		up->last_error[0] = '\0';
	}
	up->pi = 0;
	start_task(up, T_PROBE);
}

/* ---- NOTIFY in (UDP threads) ----------------------------------------------------- */

static int same_addr(const struct sockaddr *a, const struct sockaddr_storage *b)
{
	if (a->sa_family != b->ss_family)
		return 0;
	if (a->sa_family == AF_INET)
		return memcmp(&((const struct sockaddr_in *)a)->sin_addr,
			&((const struct sockaddr_in *)b)->sin_addr, 4) == 0;
	if (a->sa_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			&((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
	return 0;
}

void secondary_set_keys(struct secondary *s, const struct tsig_keyring *kr)
{
	if (!s)
		return;
	for (int i = 0; i < s->nups; i++) {
		struct upstream *up = &s->ups[i];
		const struct tsig_key *k = up->cfg->key ? tsig_keyring_find_text(kr, up->cfg->key) : NULL;
		if (k) /* checked by keys_check_refs before the swap; never unsign an upstream */
			atomic_store(&up->key, k);
	}
	atomic_store(&s->kr, kr);
}

size_t secondary_notify(void *ctx, const uint8_t *q, size_t qlen, const struct sockaddr *peer,
	socklen_t peerlen, uint8_t *out, size_t outcap)
{
	(void)peerlen;
	struct secondary *s = ctx;
	uint8_t name[DNAME_MAX_WIRE];
	size_t nl;
	if (qlen < 12 || (q[2] & 0x80))
		return 0;
	size_t qend = dname_wire_parse(q, qlen, 12, name, &nl);
	if (!qend || qend + 4 > qlen || q[4] != 0 || q[5] != 1)
		return 0;
	qend += 4;
	int rcode = 5; /* REFUSED: not a zone we follow, or not from its primary */
	struct upstream *up = NULL;
	for (int i = 0; i < s->nups; i++)
		if (s->ups[i].apex_len == nl && memcmp(s->ups[i].apex, name, nl) == 0)
			up = &s->ups[i];
	int from_primary = 0;
	for (int i = 0; up && i < up->nprim; i++)
		from_primary |= same_addr(peer, &up->prim[i]);
	struct tsig_result res;
	memset(&res, 0, sizeof res);
	enum tsig_verdict v = TSIG_V_UNSIGNED;
	if (up && from_primary) {
		v = tsig_verify_request(atomic_load(&s->kr), q, qlen, (uint64_t)unix_now(), &res);
		const struct tsig_key *want = up->key;
		if (want && v == TSIG_V_UNSIGNED)
			rcode = 5; /* a key is configured: an unsigned NOTIFY is refused */
		else if (v == TSIG_V_OK && want && !dname_wire_equal(res.key->name,
				res.key->name_len, want->name, want->name_len))
			rcode = 5; /* signed, but with another key than the upstream's (by name:
			            * a reload may swap the keyring between the two reads) */
		else if (v == TSIG_V_OK || v == TSIG_V_UNSIGNED)
			rcode = 0;
		else if (v == TSIG_V_FORMERR)
			rcode = 1;
		else
			rcode = 9; /* NOTAUTH with the TSIG error */
	}
	if (qend > outcap)
		return 0;
	memcpy(out, q, qend);
	out[2] = (uint8_t)(0x80 | (q[2] & 0x78) | 0x04); /* QR, opcode NOTIFY, AA */
	out[3] = (uint8_t)rcode;
	memset(out + 6, 0, 6);
	size_t len = qend;
	if (v != TSIG_V_UNSIGNED && v != TSIG_V_FORMERR && up)
		tsig_sign_response(&res, out, qend, outcap, (uint64_t)unix_now(), &len);
	char pt[INET6_ADDRSTRLEN] = "?";
	if (peer->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)peer)->sin_addr, pt, sizeof pt);
	else if (peer->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)peer)->sin6_addr, pt, sizeof pt);
	if (rcode != 0) {
		log_info("NOTIFY from %s for a zone we do not follow from there, or with a bad TSIG (%s); %s",
			pt, tsig_verdict_str(v), rcode == 5 ? "refused" : "rejected");
		return len;
	}
	log_debug("NOTIFY from %s for %s", pt, up->zone);
	pthread_mutex_lock(&s->nlock);
	s->nflag[up - s->ups] = 1;
	pthread_mutex_unlock(&s->nlock);
	event_active(s->nev, EV_READ, 0);
	return len;
}

static void on_notify(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct secondary *s = arg;
	for (int i = 0; i < s->nups; i++) {
		pthread_mutex_lock(&s->nlock);
		int f = s->nflag[i];
		s->nflag[i] = 0;
		pthread_mutex_unlock(&s->nlock);
		if (!f)
			continue;
		struct upstream *up = &s->ups[i];
		if (up->task != T_IDLE) {
			up->rs.notified = 1; /* probe again when the current task ends */
			continue;
		}
		evtimer_del(up->timer);
		up->pi = 0;
		start_task(up, T_PROBE);
	}
}

/* ---- life cycle and status ------------------------------------------------------- */

static void add_addrs(struct upstream *up, const char *spec, struct evutil_addrinfo *res)
{
	for (struct evutil_addrinfo *ai = res; ai && up->nprim < CONFIG_MAX_PRIMARIES; ai = ai->ai_next) {
		memcpy(&up->prim[up->nprim], ai->ai_addr, ai->ai_addrlen);
		up->prim_len[up->nprim] = (socklen_t)ai->ai_addrlen;
		char a[INET6_ADDRSTRLEN] = "?";
		if (ai->ai_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, a, sizeof a);
		else if (ai->ai_family == AF_INET6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, a, sizeof a);
		snprintf(up->prim_text[up->nprim], sizeof up->prim_text[0], "%s (%s)", spec, a);
		up->nprim++;
	}
}

struct resolving {
	struct upstream *up;
	char spec[256];
};

static void on_resolved(int result, struct evutil_addrinfo *res, void *arg)
{
	struct resolving *r = arg;
	struct upstream *up = r->up;
	if (result != 0) {
		set_error(up, "cannot resolve primary %s: %s (retrying)", r->spec,
			evutil_gai_strerror(result));
	} else {
		int had = up->nprim;
		add_addrs(up, r->spec, res);
		evutil_freeaddrinfo(res);
		if (had == 0 && up->nprim > 0 && up->task == T_IDLE) {
			up->last_error[0] = '\0';
			schedule(up, 0);
		}
	}
	free(r);
}

/* Addresses are taken at once; host names are looked up with evdns, so an unreachable
 * resolver never blocks the loop. Returns -1 only for a malformed spec. */
static int resolve(struct upstream *up, const char *spec, char *err, size_t errlen)
{
	char host[256];
	const char *at = strrchr(spec, '@');
	size_t hl = at ? (size_t)(at - spec) : strlen(spec);
	if (hl >= sizeof host)
		hl = sizeof host - 1;
	memcpy(host, spec, hl);
	host[hl] = '\0';
	const char *port = at ? at + 1 : "53";
	struct evutil_addrinfo hints = { .ai_socktype = SOCK_STREAM,
		.ai_flags = EVUTIL_AI_NUMERICSERV | EVUTIL_AI_NUMERICHOST };
	struct evutil_addrinfo *res = NULL;
	if (evutil_getaddrinfo(host, port, &hints, &res) == 0) {
		add_addrs(up, spec, res);
		evutil_freeaddrinfo(res);
		return 0;
	}
	if (!up->sec->dns) {
		snprintf(err, errlen, "%s: no resolver", spec);
		return -1;
	}
	struct resolving *r = calloc(1, sizeof *r);
	if (!r) {
		snprintf(err, errlen, "%s: out of memory", spec);
		return -1;
	}
	r->up = up;
	snprintf(r->spec, sizeof r->spec, "%s", spec);
	hints.ai_flags = EVUTIL_AI_NUMERICSERV;
	evdns_getaddrinfo(up->sec->dns, host, port, &hints, on_resolved, r);
	return 0;
}

static const char *const sql_tmp =
	"CREATE TEMP TABLE IF NOT EXISTS axfr_new(owner TEXT, type INTEGER, rdata BLOB, ttl INTEGER,"
	" PRIMARY KEY(owner, type, rdata)) WITHOUT ROWID;"
	"CREATE TEMP TABLE IF NOT EXISTS ixfr_seq(seq INTEGER PRIMARY KEY, owner TEXT, type INTEGER,"
	" rdata BLOB, ttl INTEGER);"
	/* owners that lost an NS record earlier in the transfer being applied: an NS added to
	 * one of them later is a change of name servers, not a name returning */
	"CREATE TEMP TABLE IF NOT EXISTS ns_lost(owner TEXT PRIMARY KEY) WITHOUT ROWID";
static const char *const sql[S_COUNT] = {
	[S_LOAD] = "SELECT serial, have_copy, last_success FROM upstream WHERE zone = ?1",
	[S_SAVE] = "INSERT INTO upstream(zone, serial, have_copy, last_success) VALUES (?1, ?2, 1, ?3) "
		"ON CONFLICT(zone) DO UPDATE SET serial = excluded.serial, have_copy = 1, "
		"last_success = excluded.last_success",
	[S_ADD] = "INSERT OR IGNORE INTO zone_rr(zone, owner, type, rdata, ttl) VALUES (?1, ?2, ?3, ?4, ?5)",
	[S_DEL] = "DELETE FROM zone_rr WHERE zone = ?1 AND owner = ?2 AND type = ?3 AND rdata = ?4",
	[S_CLEAR] = "DELETE FROM zone_rr WHERE zone = ?1",
	[S_HELD_SOA] = "SELECT rdata FROM zone_rr WHERE zone = ?1 AND owner = ?1 AND type = 6",
	[S_AXFR_ADD] = "INSERT OR IGNORE INTO axfr_new(owner, type, rdata, ttl) VALUES (?1, ?2, ?3, ?4)",
	[S_AXFR_CLEAR] = "DELETE FROM axfr_new",
	/* both in primary-key order, without a sort (the AXFR diff's merge join) */
	[S_COPY_ORDERED] = "SELECT owner, type, rdata, ttl FROM zone_rr WHERE zone = ?1"
		" ORDER BY owner, type, rdata",
	[S_NEW_ORDERED] = "SELECT owner, type, rdata, ttl FROM axfr_new ORDER BY owner, type, rdata",
	[S_BASE_COPY] = "INSERT OR IGNORE INTO zone_rr(zone, owner, type, rdata, ttl)"
		" SELECT ?1, owner, type, rdata, ttl FROM axfr_new",
	[S_BASE_NAMES] = "SELECT DISTINCT owner FROM axfr_new WHERE type = 2",
	[S_IXFR_ADD] = "INSERT INTO ixfr_seq(seq, owner, type, rdata, ttl) VALUES (?1, ?2, ?3, ?4, ?5)",
	[S_IXFR_CLEAR] = "DELETE FROM ixfr_seq",
	[S_IXFR_READ] = "SELECT owner, type, rdata, ttl FROM ixfr_seq ORDER BY seq",
	[S_IXFR_TO_AXFR] = "INSERT OR IGNORE INTO axfr_new(owner, type, rdata, ttl)"
		" SELECT owner, type, rdata, ttl FROM ixfr_seq ORDER BY seq",
	[S_NS_COUNT] = "SELECT count(*) FROM zone_rr WHERE zone = ?1 AND owner = ?2 AND type = 2",
	[S_LOST_ADD] = "INSERT OR IGNORE INTO ns_lost(owner) VALUES (?1)",
	[S_LOST_HAS] = "SELECT 1 FROM ns_lost WHERE owner = ?1",
	[S_LOST_CLEAR] = "DELETE FROM ns_lost",
};

struct secondary *secondary_start(struct event_base *base, const struct nodd_config *cfg,
	nod_t *nod, outbox_t *ob, const struct tsig_keyring *kr, char *err, size_t errlen)
{
	if (cfg->nupstreams == 0)
		return NULL;
	struct secondary *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->base = base;
	s->nod = nod;
	s->ob = ob;
	atomic_init(&s->kr, kr);
	s->db = store_db(nod_store(nod));
	pthread_mutex_init(&s->nlock, NULL);
	s->dns = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS);
	if (!s->dns)
		log_warn("upstreams: no resolver configured (/etc/resolv.conf); primaries must be addresses");
	if (sqlite3_exec(s->db, sql_tmp, NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "upstreams: staging tables: %s", sqlite3_errmsg(s->db));
		secondary_stop(s);
		return NULL;
	}
	for (int i = 0; i < S_COUNT; i++)
		if (sqlite3_prepare_v2(s->db, sql[i], -1, &s->st[i], NULL) != SQLITE_OK) {
			snprintf(err, errlen, "upstreams: prepare: %s", sqlite3_errmsg(s->db));
			secondary_stop(s);
			return NULL;
		}
	s->ups = calloc((size_t)cfg->nupstreams, sizeof *s->ups);
	s->nflag = calloc((size_t)cfg->nupstreams, sizeof *s->nflag);
	s->nev = event_new(base, -1, 0, on_notify, s);
	if (!s->ups || !s->nflag || !s->nev) {
		snprintf(err, errlen, "out of memory");
		secondary_stop(s);
		return NULL;
	}
	s->nups = cfg->nupstreams;
	srandom((unsigned)unix_now() ^ (unsigned)getpid());
	for (int i = 0; i < s->nups; i++) {
		struct upstream *up = &s->ups[i];
		const struct config_upstream *cu = &cfg->upstreams[i];
		up->sec = s;
		up->cfg = cu;
		snprintf(up->zone, sizeof up->zone, "%s", cu->zone);
		int wl = dname_text_to_wire(cu->zone, up->apex);
		up->apex_len = wl > 0 ? (size_t)wl : 1;
		if (cu->key) {
			atomic_init(&up->key, tsig_keyring_find_text(kr, cu->key));
			if (!up->key) {
				/* keys_check_refs() ran first; this is only a guard */
				snprintf(err, errlen, "upstreams.key %s: not among the keys", cu->key);
				secondary_stop(s);
				return NULL;
			}
		}
		for (int j = 0; j < cu->nprimaries; j++) {
			char e[300];
			if (resolve(up, cu->primaries[j], e, sizeof e) < 0)
				log_warn("upstream %s: primary %s; skipped", up->zone, e);
		}
		up->bounds = (struct refresh_bounds){ cu->refresh_min, cu->refresh_max, cu->retry_min,
			cu->retry_max, cu->expire_min, cu->expire_max };
		refresh_init(&up->rs, &up->bounds);
		up->timer = evtimer_new(base, on_timer, up);
		sqlite3_stmt *ld = s->st[S_LOAD];
		sqlite3_bind_text(ld, 1, up->zone, -1, SQLITE_STATIC);
		if (sqlite3_step(ld) == SQLITE_ROW) {
			up->rs.serial = (uint32_t)sqlite3_column_int64(ld, 0);
			up->rs.have_copy = sqlite3_column_int(ld, 1);
			up->rs.last_success = sqlite3_column_int64(ld, 2);
		}
		sqlite3_reset(ld);
		/* the timers of the held SOA: a restart keeps the zone's own refresh/retry/expire */
		sqlite3_stmt *hs = s->st[S_HELD_SOA];
		sqlite3_bind_text(hs, 1, up->zone, -1, SQLITE_STATIC);
		uint32_t r1, r2, r3;
		if (up->rs.have_copy && sqlite3_step(hs) == SQLITE_ROW &&
		    serial_soa_fields(sqlite3_column_blob(hs, 0), (size_t)sqlite3_column_bytes(hs, 0), NULL,
			    &r1, &r2, &r3) == 0)
			refresh_set_soa(&up->rs, &up->bounds, r1, r2, r3);
		sqlite3_reset(hs);
		log_info("upstream %s: %d primaries, %s%s, %s", up->zone[0] ? up->zone : ".", up->nprim,
			up->key ? "TSIG key " : "no TSIG", up->key ? up->key->name_text : "",
			up->rs.have_copy ? "resuming from the held serial" : "no copy yet (first AXFR is the baseline)");
		if (up->rs.have_copy)
			log_info("upstream %s: held serial %u", up->zone, up->rs.serial);
		if (up->nprim == 0) {
			/* waiting for the resolver; on_resolved() starts the first refresh */
			schedule(up, (int64_t)cu->retry_min);
			continue;
		}
		schedule(up, 0);
	}
	return s;
}

void secondary_stop(struct secondary *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->nups; i++) {
		task_end(&s->ups[i]);
		if (s->ups[i].timer)
			event_free(s->ups[i].timer);
	}
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	if (s->nev)
		event_free(s->nev);
	if (s->dns)
		evdns_base_free(s->dns, 1);
	pthread_mutex_destroy(&s->nlock);
	free(s->nflag);
	free(s->ups);
	free(s);
}

json_t *secondary_status(struct secondary *s)
{
	json_t *a = json_array();
	for (int i = 0; s && i < s->nups; i++) {
		struct upstream *up = &s->ups[i];
		int64_t now = now_s();
		int expired = refresh_expired(&up->rs, now);
		json_t *o = json_pack("{s:s, s:o, s:b, s:I, s:o, s:o, s:o, s:{s:I, s:I, s:I, s:I}, s:I, s:b, s:s}",
			"zone", up->zone[0] ? up->zone : ".",
			"serial", up->rs.have_copy ? json_integer(up->rs.serial) : json_null(),
			"have_copy", up->rs.have_copy,
			"last_success", (json_int_t)up->rs.last_success,
			"last_error", up->last_error[0] ? json_string(up->last_error) : json_null(),
			"last_error_at", up->last_error_at ? json_integer(up->last_error_at) : json_null(),
			"next_refresh", up->task == T_IDLE ? json_integer(up->next_at) : json_null(),
			"transfers", "ixfr", (json_int_t)up->n_ixfr, "axfr", (json_int_t)up->n_axfr,
			"failed", (json_int_t)up->n_fail, "up_to_date", (json_int_t)up->n_up_to_date,
			"observations", (json_int_t)up->n_obs,
			"expired", expired,
			"state", up->task == T_IDLE ? "idle" : up->task == T_PROBE ? "probing" : "transferring");
		json_array_append_new(a, o);
	}
	return a;
}

void secondary_metrics(struct secondary *s, FILE *f)
{
	if (!s)
		return;
	fputs("# HELP nodd_upstream_serial SOA serial held for the upstream zone.\n"
		"# TYPE nodd_upstream_serial gauge\n", f);
	for (int i = 0; i < s->nups; i++)
		fprintf(f, "nodd_upstream_serial{zone=\"%s\"} %u\n", s->ups[i].zone, s->ups[i].rs.serial);
	fputs("# HELP nodd_upstream_transfers_total Transfers by kind and outcome.\n"
		"# TYPE nodd_upstream_transfers_total counter\n", f);
	for (int i = 0; i < s->nups; i++) {
		struct upstream *up = &s->ups[i];
		fprintf(f, "nodd_upstream_transfers_total{zone=\"%s\",kind=\"ixfr\"} %llu\n", up->zone, (unsigned long long)up->n_ixfr);
		fprintf(f, "nodd_upstream_transfers_total{zone=\"%s\",kind=\"axfr\"} %llu\n", up->zone, (unsigned long long)up->n_axfr);
		fprintf(f, "nodd_upstream_transfers_total{zone=\"%s\",kind=\"failed\"} %llu\n", up->zone, (unsigned long long)up->n_fail);
	}
	fputs("# HELP nodd_upstream_observations_total New names seen in the upstream zone.\n"
		"# TYPE nodd_upstream_observations_total counter\n", f);
	for (int i = 0; i < s->nups; i++)
		fprintf(f, "nodd_upstream_observations_total{zone=\"%s\"} %llu\n", s->ups[i].zone,
			(unsigned long long)s->ups[i].n_obs);
	fputs("# HELP nodd_upstream_expired 1 when no refresh succeeded within the expire bound.\n"
		"# TYPE nodd_upstream_expired gauge\n", f);
	for (int i = 0; i < s->nups; i++) {
		struct upstream *up = &s->ups[i];
		int expired = refresh_expired(&up->rs, now_s());
		fprintf(f, "nodd_upstream_expired{zone=\"%s\"} %d\n", up->zone, expired);
	}
}
