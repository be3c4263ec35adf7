/* secondary.c -- follow upstream zones as a secondary and turn their changes into
 * observations.
 *
 * DESIGN
 * Per upstream zone, one task at a time, all on the main libevent loop:
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
 *            v                                                     v
 *     apply in ONE transaction: zone copy, first-seen names, zone_diff and
 *     newly_registered_domain outbox rows, refresh state ---> commit ---> index
 *
 * Any failure (connect, timeout, bad TSIG, malformed or cut stream, IXFR that starts at the
 * wrong serial or deletes an absent record, a serial going backwards) discards the whole
 * transfer: the transaction is rolled back, the last good version keeps serving, the error
 * is kept for /api/v1/status, and the next primary is tried, then the retry timer.
 * ldns parses each message (ldns_wire2pkt); the transfer client is ours because ldns's is
 * blocking, checks no TSIG and stops after two SOAs (REFERENCE.md 0.3).
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "lib/dname.h"
#include "lib/log.h"
#include "policy/record.h"

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
	const struct tsig_key *key;

	/* held state (persisted in the upstream table) */
	int have_copy;
	uint32_t serial;
	int64_t last_success;

	/* timers */
	struct event *timer;
	int64_t next_at;
	uint32_t refresh, retry;
	int64_t backoff;
	int notified;                           /* a NOTIFY arrived while busy */

	/* the running task */
	enum task task;
	int pi;                                 /* primary being tried */
	struct bufferevent *bev;
	uint16_t id;
	struct tsig_verifier ver;
	int signed_req;
	ldns_rr_list *rrs;                      /* answer RRs collected so far */
	uint32_t new_serial;
	int soas;                               /* SOA records seen with the new serial */
	int style;                              /* 0 unknown, 1 incremental, 2 AXFR-style */
	unsigned msgs;

	/* status */
	uint64_t n_ixfr, n_axfr, n_fail, n_obs, n_up_to_date;
	char last_error[256];
	int64_t last_error_at;
};

struct secondary {
	struct event_base *base;
	nod_t *nod;
	outbox_t *ob;
	sqlite3 *db;
	const struct tsig_keyring *kr;
	struct upstream *ups;
	int nups;
	sqlite3_stmt *st_load, *st_save, *st_add, *st_del, *st_clear, *st_tmp_add, *st_adds,
		*st_dels, *st_tmp_clear;
	/* NOTIFY from the UDP threads */
	pthread_mutex_t nlock;
	int *nflag;
	struct event *nev;
	struct evdns_base *dns;   /* host names of primaries are resolved without blocking */
};

static void start_task(struct upstream *up, enum task t);
static int resolve(struct upstream *up, const char *spec, char *err, size_t errlen);

static int64_t now_s(void) { return (int64_t)time(NULL); }

static int serial_gt(uint32_t a, uint32_t b)
{
	/* RFC 1982: a > b */
	return a != b && (int32_t)(a - b) > 0;
}

static uint32_t clampu(uint32_t v, int64_t lo, int64_t hi)
{
	if ((int64_t)v < lo)
		return (uint32_t)lo;
	if ((int64_t)v > hi)
		return (uint32_t)hi;
	return v;
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
	log_warn("upstream %s: %s: %s", up->zone[0] ? up->zone : ".",
		up->pi < up->nprim ? up->prim_text[up->pi] : "-", up->last_error);
}

/* ---- the stored copy -------------------------------------------------------------- */

/* Owner text (lowercase, no trailing dot) and canonical rdata wire of rr. */
static int rr_key(const ldns_rr *rr, char *owner, size_t olen, uint8_t *rd, size_t *rdlen)
{
	char *t = ldns_rdf2str(ldns_rr_owner(rr));
	if (!t)
		return -1;
	size_t n = strlen(t);
	if (n > 1 && t[n - 1] == '.')
		t[--n] = '\0';
	else if (n == 1 && t[0] == '.')
		t[0] = '\0';
	for (char *p = t; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + 32);
	snprintf(owner, olen, "%s", t);
	free(t);
	ldns_rr *c = ldns_rr_clone(rr);
	ldns_rr2canonical(c);
	size_t o = 0;
	for (size_t i = 0; i < ldns_rr_rd_count(c); i++) {
		ldns_rdf *f = ldns_rr_rdf(c, i);
		if (o + ldns_rdf_size(f) > 65535) {
			ldns_rr_free(c);
			return -1;
		}
		memcpy(rd + o, ldns_rdf_data(f), ldns_rdf_size(f));
		o += ldns_rdf_size(f);
	}
	ldns_rr_free(c);
	*rdlen = o;
	return 0;
}

/* The inverse, for records found by the AXFR diff (owner text, type, rdata, ttl). */
static ldns_rr *rr_from_parts(const char *owner, int type, const void *rd, size_t rdlen,
	uint32_t ttl)
{
	uint8_t buf[DNAME_MAX_WIRE + 10 + 65536];
	int ol = dname_text_to_wire(owner, buf);
	if (ol < 0)
		return NULL;
	size_t o = (size_t)ol;
	buf[o++] = (uint8_t)(type >> 8);
	buf[o++] = (uint8_t)type;
	buf[o++] = 0;
	buf[o++] = 1;
	buf[o++] = (uint8_t)(ttl >> 24);
	buf[o++] = (uint8_t)(ttl >> 16);
	buf[o++] = (uint8_t)(ttl >> 8);
	buf[o++] = (uint8_t)ttl;
	buf[o++] = (uint8_t)(rdlen >> 8);
	buf[o++] = (uint8_t)rdlen;
	memcpy(buf + o, rd, rdlen);
	o += rdlen;
	ldns_rr *rr = NULL;
	size_t pos = 0;
	if (ldns_wire2rr(&rr, buf, o, &pos, LDNS_SECTION_ANSWER) != LDNS_STATUS_OK)
		return NULL;
	return rr;
}

struct apply {
	struct upstream *up;
	int baseline;
	uint32_t from, to;
	int64_t now;
	uint64_t adds, dels, obs;
};

/* Record one change of the copy: its zone_diff record and, for an NS gained below the
 * apex, an observation. */
static int note_change(struct apply *a, const ldns_rr *rr, const char *owner, int add)
{
	struct upstream *up = a->up;
	ldns_rr_type t = ldns_rr_get_type(rr);
	if (add)
		a->adds++;
	else
		a->dels++;
	if (a->baseline || t == LDNS_RR_TYPE_SOA)
		return 0;
	if (up->sec->ob && record_append_zone_diff(up->sec->ob, rr, add, up->zone, a->from, a->to,
		    a->now * 1000) < 0)
		return -1;
	if (add && t == LDNS_RR_TYPE_NS && owner[0] && strcmp(owner, up->zone) != 0) {
		char src[300];
		snprintf(src, sizeof src, "zone %s serial %u", up->zone[0] ? up->zone : ".", a->to);
		const char *why = NULL;
		int rc = nod_observe_from(up->sec->nod, owner, a->now, src, 0, a->now, up->zone,
			a->to, NULL, &why);
		if (rc == NOD_OBS_ERROR)
			return -1;
		if (rc == NOD_OBS_NEW)
			a->obs++;
	}
	return 0;
}

/* Run the add or delete statement of the zone copy for rr. Returns the rows changed, -1 on
 * error; owner receives the owner text. */
static int copy_op(struct apply *a, sqlite3_stmt *st, const ldns_rr *rr, char *owner, size_t olen)
{
	static uint8_t rd[65536];
	size_t rdl;
	if (rr_key(rr, owner, olen, rd, &rdl) < 0)
		return -1;
	sqlite3_bind_text(st, 1, a->up->zone, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, owner, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 3, ldns_rr_get_type(rr));
	sqlite3_bind_blob(st, 4, rd, (int)rdl, SQLITE_TRANSIENT);
	if (st == a->up->sec->st_add)
		sqlite3_bind_int64(st, 5, ldns_rr_ttl(rr));
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? sqlite3_changes(a->up->sec->db) : -1;
}

static int copy_add(struct apply *a, const ldns_rr *rr, int note)
{
	char owner[DNAME_MAX_TEXT + 8];
	int n = copy_op(a, a->up->sec->st_add, rr, owner, sizeof owner);
	if (n < 0)
		return -1;
	/* adding a record already held has no effect (as in BIND) */
	return note && n > 0 ? note_change(a, rr, owner, 1) : 0;
}

/* -1 error, -2 the record is not held (an inconsistent IXFR) */
static int copy_del(struct apply *a, const ldns_rr *rr)
{
	char owner[DNAME_MAX_TEXT + 8];
	int n = copy_op(a, a->up->sec->st_del, rr, owner, sizeof owner);
	if (n < 0)
		return -1;
	if (n == 0)
		return -2;
	return note_change(a, rr, owner, 0);
}

static int save_state(struct upstream *up, uint32_t serial, int64_t when)
{
	sqlite3_stmt *st = up->sec->st_save;
	sqlite3_bind_text(st, 1, up->zone, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, serial);
	sqlite3_bind_int64(st, 3, when);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* IXFR body: SOA(new) [SOA(old) dels... SOA(next) adds...]+ SOA(new) */
static int apply_ixfr(struct apply *a, ldns_rr_list *rrs, char *why, size_t whylen)
{
	size_t n = ldns_rr_list_rr_count(rrs);
	uint32_t cur = a->up->serial;
	size_t i = 1;
	while (i < n - 1) {
		ldns_rr *soa_old = ldns_rr_list_rr(rrs, i);
		if (ldns_rr_get_type(soa_old) != LDNS_RR_TYPE_SOA) {
			snprintf(why, whylen, "IXFR: expected an SOA at record %zu", i);
			return -1;
		}
		uint32_t old = ldns_rdf2native_int32(ldns_rr_rdf(soa_old, 2));
		if (old != cur) {
			snprintf(why, whylen, "IXFR: a difference starts at serial %u, we hold %u", old, cur);
			return -1;
		}
		for (i++; i < n && ldns_rr_get_type(ldns_rr_list_rr(rrs, i)) != LDNS_RR_TYPE_SOA; i++) {
			int rc = copy_del(a, ldns_rr_list_rr(rrs, i));
			if (rc == -2) {
				char *t = ldns_rr2str(ldns_rr_list_rr(rrs, i));
				snprintf(why, whylen, "IXFR: deletes a record we do not hold: %s", t ? t : "?");
				free(t);
				return -1;
			}
			if (rc < 0) {
				snprintf(why, whylen, "store: %s", sqlite3_errmsg(a->up->sec->db));
				return -1;
			}
		}
		if (i >= n - 1) {
			snprintf(why, whylen, "IXFR: a difference has no new SOA");
			return -1;
		}
		ldns_rr *soa_new = ldns_rr_list_rr(rrs, i);
		uint32_t next = ldns_rdf2native_int32(ldns_rr_rdf(soa_new, 2));
		if (!serial_gt(next, cur)) {
			snprintf(why, whylen, "IXFR: serial goes from %u to %u", cur, next);
			return -1;
		}
		for (i++; i < n - 1 && ldns_rr_get_type(ldns_rr_list_rr(rrs, i)) != LDNS_RR_TYPE_SOA; i++) {
			if (copy_add(a, ldns_rr_list_rr(rrs, i), 1) < 0) {
				snprintf(why, whylen, "store: %s", sqlite3_errmsg(a->up->sec->db));
				return -1;
			}
		}
		/* the apex SOA itself is part of the copy */
		if (copy_del(a, soa_old) == -1 || copy_add(a, soa_new, 0) < 0) {
			snprintf(why, whylen, "store: %s", sqlite3_errmsg(a->up->sec->db));
			return -1;
		}
		cur = next;
	}
	if (cur != a->to) {
		snprintf(why, whylen, "IXFR: ends at serial %u, announced %u", cur, a->to);
		return -1;
	}
	return 0;
}

struct diffrow {
	char owner[DNAME_MAX_TEXT + 8];
	int type;
	uint32_t ttl;
	size_t rdlen;
	uint8_t rd[];
};

/* AXFR body: SOA ... SOA. Against a held copy, the difference is computed in sqlite and
 * applied exactly as an IXFR would have been. */
static int apply_axfr(struct apply *a, ldns_rr_list *rrs, char *why, size_t whylen)
{
	struct secondary *s = a->up->sec;
	size_t n = ldns_rr_list_rr_count(rrs);
	for (size_t i = 1; i + 1 < n; i++)
		if (ldns_rr_get_type(ldns_rr_list_rr(rrs, i)) == LDNS_RR_TYPE_SOA &&
		    ldns_dname_compare(ldns_rr_owner(ldns_rr_list_rr(rrs, i)), ldns_rr_owner(ldns_rr_list_rr(rrs, 0))) == 0) {
			snprintf(why, whylen, "AXFR: an apex SOA in the middle of the transfer");
			return -1;
		}
	if (!a->up->have_copy) {
		sqlite3_bind_text(s->st_clear, 1, a->up->zone, -1, SQLITE_STATIC);
		sqlite3_step(s->st_clear);
		sqlite3_reset(s->st_clear);
		for (size_t i = 0; i + 1 < n; i++) {
			const ldns_rr *rr = ldns_rr_list_rr(rrs, i);
			if (copy_add(a, rr, 0) < 0)
				goto store_err;
			/* the first transfer is the baseline: every delegation is recorded as
			 * seen, none is new */
			char owner[DNAME_MAX_TEXT + 8];
			static uint8_t rd[65536];
			size_t rdl;
			if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NS && rr_key(rr, owner, sizeof owner, rd, &rdl) == 0 &&
			    owner[0] && strcmp(owner, a->up->zone) != 0) {
				char src[300];
				snprintf(src, sizeof src, "zone %s serial %u (baseline)", a->up->zone, a->to);
				if (nod_observe_from(s->nod, owner, a->now, src, 1, a->now, a->up->zone, a->to,
					    NULL, NULL) == NOD_OBS_ERROR)
					goto store_err;
			}
			a->adds++;
		}
		return 0;
	}
	sqlite3_step(s->st_tmp_clear);
	sqlite3_reset(s->st_tmp_clear);
	for (size_t i = 0; i + 1 < n; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(rrs, i);
		char owner[DNAME_MAX_TEXT + 8];
		static uint8_t rd[65536];
		size_t rdl;
		if (rr_key(rr, owner, sizeof owner, rd, &rdl) < 0)
			goto store_err;
		sqlite3_stmt *st = s->st_tmp_add;
		sqlite3_bind_text(st, 1, owner, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(st, 2, ldns_rr_get_type(rr));
		sqlite3_bind_blob(st, 3, rd, (int)rdl, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 4, ldns_rr_ttl(rr));
		int rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			goto store_err;
	}
	/* deletions first, then additions, as in an IXFR difference */
	for (int pass = 0; pass < 2; pass++) {
		sqlite3_stmt *st = pass == 0 ? s->st_dels : s->st_adds;
		sqlite3_bind_text(st, 1, a->up->zone, -1, SQLITE_STATIC);
		/* collect first: the statements read the tables the changes write */
		struct diffrow **rows = NULL;
		size_t nrows = 0, cap = 0;
		int rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			size_t rdl = (size_t)sqlite3_column_bytes(st, 2);
			struct diffrow *r = malloc(sizeof *r + rdl);
			if (!r || (nrows == cap && !(rows = realloc(rows, (cap = cap ? cap * 2 : 64) * sizeof *rows)))) {
				free(r);
				sqlite3_reset(st);
				goto store_err;
			}
			snprintf(r->owner, sizeof r->owner, "%s", (const char *)sqlite3_column_text(st, 0));
			r->type = sqlite3_column_int(st, 1);
			r->rdlen = rdl;
			memcpy(r->rd, sqlite3_column_blob(st, 2), rdl);
			r->ttl = (uint32_t)sqlite3_column_int64(st, 3);
			rows[nrows++] = r;
		}
		sqlite3_reset(st);
		int fail = rc != SQLITE_DONE;
		for (size_t i = 0; i < nrows; i++) {
			ldns_rr *rr = fail ? NULL : rr_from_parts(rows[i]->owner, rows[i]->type, rows[i]->rd,
				rows[i]->rdlen, rows[i]->ttl);
			if (!fail && rr) {
				int r = pass == 0 ? copy_del(a, rr) : copy_add(a, rr, 1);
				fail = r < 0;
			}
			ldns_rr_free(rr);
			free(rows[i]);
		}
		free(rows);
		if (fail)
			goto store_err;
	}
	return 0;
store_err:
	snprintf(why, whylen, "store: %s", sqlite3_errmsg(s->db));
	return -1;
}

/* Apply a complete, verified transfer in one transaction. */
static void apply(struct upstream *up, ldns_rr_list *rrs)
{
	struct secondary *s = up->sec;
	struct apply a = { up, !up->have_copy, up->have_copy ? up->serial : 0, up->new_serial, now_s(), 0, 0, 0 };
	char why[512] = "";
	int axfr = up->task == T_AXFR || up->style == 2;
	if (nod_begin(s->nod) < 0) {
		set_error(up, "store: cannot begin: %s", nod_errmsg(s->nod));
		goto fail;
	}
	int rc = axfr ? apply_axfr(&a, rrs, why, sizeof why) : apply_ixfr(&a, rrs, why, sizeof why);
	if (rc == 0 && save_state(up, up->new_serial, a.now) < 0)
		snprintf(why, sizeof why, "store: %s", sqlite3_errmsg(s->db)), rc = -1;
	if (rc < 0) {
		nod_rollback(s->nod);
		set_error(up, "%s; transfer discarded, serial %u still served", why, up->serial);
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
		set_error(up, "store: commit failed: %s", nod_errmsg(s->nod));
		goto fail;
	}
	if (axfr)
		up->n_axfr++;
	else
		up->n_ixfr++;
	up->n_obs += a.obs;
	log_info("upstream %s: %s serial %u -> %u applied: %llu added, %llu removed, %llu new names%s",
		up->zone[0] ? up->zone : ".", axfr ? "AXFR" : "IXFR", a.from, a.to,
		(unsigned long long)a.adds, (unsigned long long)a.dels, (unsigned long long)a.obs,
		a.baseline ? " (baseline)" : "");
	up->have_copy = 1;
	up->serial = up->new_serial;
	up->last_success = a.now;
	up->backoff = 0;
	/* the zone's own SOA timers, clamped to the configured bounds */
	for (size_t i = 0; i < ldns_rr_list_rr_count(rrs); i++) {
		ldns_rr *rr = ldns_rr_list_rr(rrs, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA && ldns_rr_rd_count(rr) >= 7) {
			up->refresh = clampu(ldns_rdf2native_int32(ldns_rr_rdf(rr, 3)), up->cfg->refresh_min, up->cfg->refresh_max);
			up->retry = clampu(ldns_rdf2native_int32(ldns_rr_rdf(rr, 4)), up->cfg->retry_min, up->cfg->retry_max);
			break;
		}
	}
	up->task = T_IDLE;
	schedule(up, up->notified ? 0 : up->refresh);
	up->notified = 0;
	return;
fail:
	up->n_fail++;
	up->task = T_IDLE;
	up->backoff = up->backoff ? up->backoff * 2 : up->retry;
	if (up->backoff > up->cfg->retry_max)
		up->backoff = up->cfg->retry_max;
	schedule(up, up->backoff);
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
	if (up->rrs) {
		ldns_rr_list_deep_free(up->rrs);
		up->rrs = NULL;
	}
}

/* This primary failed: try the next one, or wait for the retry. */
static void task_fail(struct upstream *up)
{
	enum task t = up->task;
	task_end(up);
	up->n_fail++;
	if (up->pi + 1 < up->nprim) {
		up->pi++;
		start_task(up, t == T_IXFR || t == T_AXFR ? T_PROBE : t);
		return;
	}
	up->task = T_IDLE;
	up->pi = 0;
	up->backoff = up->backoff ? up->backoff * 2 : up->retry;
	if (up->backoff > up->cfg->retry_max)
		up->backoff = up->cfg->retry_max;
	int64_t expire = up->cfg->expire_max;
	if (up->have_copy && up->last_success && now_s() - up->last_success > expire)
		log_warn("upstream %s: expired: no successful refresh for %lld s (serving the last copy)",
			up->zone, (long long)(now_s() - up->last_success));
	schedule(up, up->backoff);
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
		uint32_t v[5] = { up->serial, 0, 0, 0, 0 };
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
	if (up->key) {
		struct tsig_mac mac;
		if (tsig_sign_request(up->key, buf, o, cap, (uint64_t)now_s(), 0, &mac, len) != 0)
			return -1;
		if (tsig_verifier_init(&up->ver, up->key, &mac) != 0)
			return -1;
		up->signed_req = 1;
	}
	return 0;
}

/* One complete message of the answer. Returns 1 when the task is done (applied or
 * handed on), 0 to read more, -1 on failure (already reported). */
static int on_message(struct upstream *up, const uint8_t *msg, size_t len)
{
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
	up->msgs++;
	if (rc != LDNS_RCODE_NOERROR) {
		if (up->task == T_IXFR && (rc == LDNS_RCODE_NOTIMPL || rc == LDNS_RCODE_FORMERR ||
			    rc == LDNS_RCODE_REFUSED)) {
			log_info("upstream %s: IXFR answered %s; falling back to AXFR", up->zone,
				ldns_pkt_rcode2str(rc) ? "an error" : "?");
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
		if (up->have_copy && !serial_gt(serial, up->serial)) {
			if (serial != up->serial)
				set_error(up, "primary has serial %u, older than our %u; keeping ours",
					serial, up->serial);
			up->n_up_to_date++;
			up->last_success = now_s();
			up->task = T_IDLE;
			up->backoff = 0;
			schedule(up, up->notified ? 0 : up->refresh);
			up->notified = 0;
		} else {
			start_task(up, up->have_copy ? T_IXFR : T_AXFR);
		}
		ret = 1;
		goto out;
	}
	for (size_t i = 0; an && i < ldns_rr_list_rr_count(an); i++) {
		ldns_rr *rr = ldns_rr_list_rr(an, i);
		size_t count = ldns_rr_list_rr_count(up->rrs);
		if (count >= 2 && up->soas >= ((up->task == T_IXFR && up->style == 1) ? 3 : 2)) {
			set_error(up, "records after the end of the transfer");
			ret = -1;
			goto out;
		}
		int is_soa = ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA && ldns_rr_rd_count(rr) >= 7;
		uint32_t ser = is_soa ? ldns_rdf2native_int32(ldns_rr_rdf(rr, 2)) : 0;
		if (count == 0) {
			if (!is_soa) {
				set_error(up, "transfer does not start with an SOA");
				ret = -1;
				goto out;
			}
			up->new_serial = ser;
			up->soas = 1;
			if (up->have_copy && !serial_gt(ser, up->serial)) {
				if (ser != up->serial)
					set_error(up, "serial would go backwards from %u to %u", up->serial, ser);
				ret = ser == up->serial ? 0 : -1;
				if (ret < 0)
					goto out;
			}
		} else if (count == 1 && up->task == T_IXFR) {
			/* second record: an SOA = incremental (RFC 1995 4; if its serial is not
			 * ours the difference is inconsistent and apply_ixfr() refuses it), anything
			 * else = AXFR-style */
			up->style = is_soa ? 1 : 2;
			if (up->style == 2)
				log_info("upstream %s: AXFR-style answer to IXFR", up->zone);
		}
		if (is_soa && ser == up->new_serial && count > 0)
			up->soas++;
		ldns_rr_list_push_rr(up->rrs, ldns_rr_clone(rr));
	}
	{
		size_t count = ldns_rr_list_rr_count(up->rrs);
		int incremental = up->task == T_IXFR && up->style == 1;
		int done = 0;
		if (up->task == T_IXFR && count == 1 && ldns_pkt_ancount(p) == 1 && up->msgs == 1 &&
		    up->new_serial == up->serial) {
			/* a lone SOA: up to date */
			done = 2;
		} else if (count >= 2) {
			ldns_rr *last = ldns_rr_list_rr(up->rrs, count - 1);
			int last_soa = ldns_rr_get_type(last) == LDNS_RR_TYPE_SOA &&
				ldns_rdf2native_int32(ldns_rr_rdf(last, 2)) == up->new_serial;
			/* AXFR ends at the second SOA of the new serial; an incremental IXFR at the
			 * third (the last difference's own new SOA is the second) */
			if (last_soa && up->soas >= (incremental ? 3 : 2))
				done = 1;
		}
		if (done) {
			if (up->signed_req && tsig_verifier_end(&up->ver) != TSIG_V_OK) {
				set_error(up, "TSIG: the last message is not signed");
				ret = -1;
				goto out;
			}
			/* the task ends here; apply() may start the next one (AXFR fallback) */
			ldns_rr_list *rrs = up->rrs;
			up->rrs = NULL;
			task_end(up);
			if (done == 2) {
				up->task = T_IDLE;
				up->n_up_to_date++;
				up->last_success = now_s();
				schedule(up, up->notified ? 0 : up->refresh);
				up->notified = 0;
			} else {
				apply(up, rrs);
			}
			ldns_rr_list_deep_free(rrs);
			ret = 1;
		}
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
	up->rrs = ldns_rr_list_new();
	up->soas = 0;
	up->style = 0;
	up->msgs = 0;
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
			up->backoff = up->backoff ? up->backoff * 2 : up->cfg->retry_min;
			if (up->backoff > up->cfg->retry_max)
				up->backoff = up->cfg->retry_max;
			schedule(up, up->backoff);
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
		v = tsig_verify_request(s->kr, q, qlen, (uint64_t)time(NULL), &res);
		if (up->key && v == TSIG_V_UNSIGNED)
			rcode = 5; /* a key is configured: an unsigned NOTIFY is refused */
		else if (v == TSIG_V_OK && res.key != up->key && up->key)
			rcode = 5;
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
		tsig_sign_response(&res, out, qend, outcap, (uint64_t)time(NULL), &len);
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
			up->notified = 1; /* probe again when the current task ends */
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
		set_error(up, "primary %s: %s", r->spec, evutil_gai_strerror(result));
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

static const char *const sql_load = "SELECT serial, have_copy, last_success FROM upstream WHERE zone = ?1";
static const char *const sql_save = "INSERT INTO upstream(zone, serial, have_copy, last_success) VALUES (?1, ?2, 1, ?3) "
	"ON CONFLICT(zone) DO UPDATE SET serial = excluded.serial, have_copy = 1, last_success = excluded.last_success";
static const char *const sql_add = "INSERT OR IGNORE INTO zone_rr(zone, owner, type, rdata, ttl) VALUES (?1, ?2, ?3, ?4, ?5)";
static const char *const sql_del = "DELETE FROM zone_rr WHERE zone = ?1 AND owner = ?2 AND type = ?3 AND rdata = ?4";
static const char *const sql_clear = "DELETE FROM zone_rr WHERE zone = ?1";
static const char *const sql_tmp = "CREATE TEMP TABLE IF NOT EXISTS axfr_new(owner TEXT, type INTEGER, rdata BLOB, ttl INTEGER,"
	" PRIMARY KEY(owner, type, rdata)) WITHOUT ROWID";
static const char *const sql_tmp_add = "INSERT OR IGNORE INTO axfr_new(owner, type, rdata, ttl) VALUES (?1, ?2, ?3, ?4)";
static const char *const sql_tmp_clear = "DELETE FROM axfr_new";
static const char *const sql_adds = "SELECT owner, type, rdata, ttl FROM axfr_new n WHERE NOT EXISTS"
	" (SELECT 1 FROM zone_rr z WHERE z.zone = ?1 AND z.owner = n.owner AND z.type = n.type AND z.rdata = n.rdata)";
static const char *const sql_dels = "SELECT owner, type, rdata, ttl FROM zone_rr z WHERE z.zone = ?1 AND NOT EXISTS"
	" (SELECT 1 FROM axfr_new n WHERE n.owner = z.owner AND n.type = z.type AND n.rdata = z.rdata)";

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
	s->kr = kr;
	s->db = store_db(nod_store(nod));
	pthread_mutex_init(&s->nlock, NULL);
	s->dns = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS);
	if (!s->dns)
		log_warn("upstreams: no resolver configured (/etc/resolv.conf); primaries must be addresses");
	sqlite3_exec(s->db, sql_tmp, NULL, NULL, NULL);
	struct {
		sqlite3_stmt **st;
		const char *sql;
	} stmts[] = {
		{ &s->st_load, sql_load }, { &s->st_save, sql_save }, { &s->st_add, sql_add },
		{ &s->st_del, sql_del }, { &s->st_clear, sql_clear }, { &s->st_tmp_add, sql_tmp_add },
		{ &s->st_tmp_clear, sql_tmp_clear }, { &s->st_adds, sql_adds }, { &s->st_dels, sql_dels },
	};
	for (size_t i = 0; i < sizeof stmts / sizeof stmts[0]; i++)
		if (sqlite3_prepare_v2(s->db, stmts[i].sql, -1, stmts[i].st, NULL) != SQLITE_OK) {
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
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	for (int i = 0; i < s->nups; i++) {
		struct upstream *up = &s->ups[i];
		const struct config_upstream *cu = &cfg->upstreams[i];
		up->sec = s;
		up->cfg = cu;
		snprintf(up->zone, sizeof up->zone, "%s", cu->zone);
		int wl = dname_text_to_wire(cu->zone, up->apex);
		up->apex_len = wl > 0 ? (size_t)wl : 1;
		if (cu->key) {
			up->key = tsig_keyring_find_text(kr, cu->key);
			if (!up->key) {
				snprintf(err, errlen, "%s:%d: upstreams.key: no key named %s", cfg->path, cu->line, cu->key);
				secondary_stop(s);
				return NULL;
			}
		}
		for (int j = 0; j < cu->nprimaries; j++) {
			char e[300];
			if (resolve(up, cu->primaries[j], e, sizeof e) < 0)
				log_warn("upstream %s: primary %s; skipped", up->zone, e);
		}
		up->refresh = (uint32_t)cu->refresh_min;
		up->retry = (uint32_t)cu->retry_min;
		up->timer = evtimer_new(base, on_timer, up);
		sqlite3_bind_text(s->st_load, 1, up->zone, -1, SQLITE_STATIC);
		if (sqlite3_step(s->st_load) == SQLITE_ROW) {
			up->serial = (uint32_t)sqlite3_column_int64(s->st_load, 0);
			up->have_copy = sqlite3_column_int(s->st_load, 1);
			up->last_success = sqlite3_column_int64(s->st_load, 2);
		}
		sqlite3_reset(s->st_load);
		log_info("upstream %s: %d primaries, %s%s, %s", up->zone[0] ? up->zone : ".", up->nprim,
			up->key ? "TSIG key " : "no TSIG", up->key ? up->key->name_text : "",
			up->have_copy ? "resuming from the held serial" : "no copy yet (first AXFR is the baseline)");
		if (up->have_copy)
			log_info("upstream %s: held serial %u", up->zone, up->serial);
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
	sqlite3_stmt *sts[] = { s->st_load, s->st_save, s->st_add, s->st_del, s->st_clear,
		s->st_tmp_add, s->st_tmp_clear, s->st_adds, s->st_dels };
	for (size_t i = 0; i < sizeof sts / sizeof sts[0]; i++)
		sqlite3_finalize(sts[i]);
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
		int expired = up->have_copy && up->last_success &&
			now - up->last_success > up->cfg->expire_max;
		json_t *o = json_pack("{s:s, s:o, s:b, s:I, s:o, s:o, s:o, s:{s:I, s:I, s:I, s:I}, s:I, s:b, s:s}",
			"zone", up->zone[0] ? up->zone : ".",
			"serial", up->have_copy ? json_integer(up->serial) : json_null(),
			"have_copy", up->have_copy,
			"last_success", (json_int_t)up->last_success,
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
		fprintf(f, "nodd_upstream_serial{zone=\"%s\"} %u\n", s->ups[i].zone, s->ups[i].serial);
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
		int expired = up->have_copy && up->last_success && now_s() - up->last_success > up->cfg->expire_max;
		fprintf(f, "nodd_upstream_expired{zone=\"%s\"} %d\n", up->zone, expired);
	}
}
