/* confirm.c -- CT candidates confirmed or found known (see confirm.h). The rows are those
 * of migrations 7 and 8 (ct_candidate, rdap_queue) on the store's database; the listing
 * itself goes through policy/nod.h (the "added" stamp, the index at commit). Statements are
 * prepared per call: confirmations come at the RDAP rate and with zone transfers, not per
 * certificate. */
#define LOG_CATEGORY LOG_CAT_CT
#include "policy/confirm.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/log.h"
#include "policy/outbox.h"
#include "policy/store.h"

static struct nod_confirm_stats stats;

const struct nod_confirm_stats *nod_confirm_stats(void) { return &stats; }

/* A failure is logged here with sqlite's words; the caller rolls its transaction back. */
static int fail(nod_t *nod, sqlite3 *db)
{
	(void)nod;
	log_err("store: confirming a CT candidate: %s", sqlite3_errmsg(db));
	return -1;
}

/* Run sql with the text ?1. 0 or -1. */
static int exec_bind(sqlite3 *db, const char *sql, const char *t1)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, t1, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* The candidate's source "ct <log description> <index>" split into ct_name and
 * cert_index for the record (absent when the source has another form). */
static void ct_fields(json_t *o, const char *src)
{
	const char *sp = strrchr(src, ' ');
	if (strncmp(src, "ct ", 3) != 0 || !sp || sp <= src + 3)
		return;
	char *end;
	long long idx = strtoll(sp + 1, &end, 10);
	if (*end || idx < 0)
		return;
	json_object_set_new(o, "cert_index", json_integer(idx));
	json_object_set_new(o, "ct_name", json_stringn(src + 3, (size_t)(sp - src - 3)));
}

/* The record; src: the CT source of the sighting (NULL: the candidate's stored source),
 * lead: seconds CT was ahead of the zone (by a transfer). */
static int record(nod_t *nod, const char *domain, int64_t fs, int64_t now,
	const struct nod_confirmation *c, const char *ct_src, int64_t lead)
{
	char src[600] = "", by[700];
	if (ct_src)
		snprintf(src, sizeof src, "%s", ct_src);
	else if (store_lookup(nod_store(nod), domain, NULL, src, sizeof src, NULL) < 0)
		return -1;
	json_t *o = json_object();
	json_object_set_new(o, "domain", json_string(domain));
	json_object_set_new(o, "timestamp", json_integer(fs));
	json_object_set_new(o, "confidence", json_string("confirmed"));
	if (c->zone) {
		snprintf(by, sizeof by, "zone %s serial %lld", c->zone[0] ? c->zone : ".",
			(long long)c->serial);
		json_object_set_new(o, "zone", json_string(c->zone[0] ? c->zone : "."));
		json_object_set_new(o, "serial", json_integer(c->serial));
		json_object_set_new(o, "ct_lead_seconds", json_integer(lead));
	} else {
		char date[32];
		time_t t = (time_t)c->created;
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
		snprintf(by, sizeof by, "rdap %s", date);
		json_object_set_new(o, "registration", json_integer(c->created));
		if (c->server)
			json_object_set_new(o, "rdap_server", json_string(c->server));
	}
	json_object_set_new(o, "confirmed_by", json_string(by));
	ct_fields(o, src);
	json_object_set_new(o, "source", json_string(src));
	int rc = nod_record(nod, OUTBOX_CONFIRMED, domain, o, now);
	json_decref(o);
	return rc;
}

int nod_confirm_ct(nod_t *nod, const char *domain, int64_t now, const struct nod_confirmation *c,
	enum nod_confirm_result *res)
{
	sqlite3 *db = store_db(nod_store(nod));
	int64_t fs = 0;
	int listed = 0;
	*res = NOD_CONFIRM_NONE;
	int is = store_ct_candidate(nod_store(nod), domain, &fs, &listed);
	if (is <= 0)
		return is < 0 ? fail(nod, db) : 0;
	if (c->max_age > 0 && now - fs > c->max_age)
		return 0;
	if (exec_bind(db, "DELETE FROM rdap_queue WHERE domain = ?1", domain) < 0)
		return fail(nod, db);
	if (c->known) {
		if (exec_bind(db, "UPDATE ct_candidate SET confirmed = 2, listed = 0 WHERE domain = ?1",
			    domain) < 0)
			return fail(nod, db);
		/* listed when read (ct.list: all): out of the zones now, and for good (a
		 * baseline row is never loaded into the index nor listed again) */
		if (listed && (store_unlist(nod_store(nod), domain) < 0 ||
				      nod_unhold(nod, domain, now) < 0))
			return fail(nod, db);
		*res = NOD_CONFIRM_KNOWN;
		(*(c->zone ? &stats.known_zone : &stats.known_rdap))++;
		return 0;
	}
	if (exec_bind(db, "UPDATE ct_candidate SET confirmed = 1, listed = 1 WHERE domain = ?1",
		    domain) < 0)
		return fail(nod, db);
	if (!listed) {
		/* listed with the time nodd first read it, stamped now for the IXFR history */
		int64_t added = nod_stamp(nod, now);
		if (store_list(nod_store(nod), domain, added) < 0 ||
		    nod_hold(nod, domain, fs, added, now) < 0)
			return fail(nod, db);
	}
	/* by a transfer now: the certificate came fs, before the delegation */
	if (record(nod, domain, fs, now, c, NULL, now - fs) < 0)
		return fail(nod, db);
	*res = NOD_CONFIRM_CONFIRMED;
	(*(c->zone ? &stats.confirmed_zone : &stats.confirmed_rdap))++;
	return 0;
}

int nod_confirm_zone(nod_t *nod, const char *norm, int64_t now, const char *zone,
	int64_t serial, int baseline)
{
	/* delegated in the zone's first copy: there before nodd followed it, so before the
	 * certificate as far as anyone can tell; delegated much later than first seen: the
	 * zone does not date it (it stays unconfirmed) */
	struct nod_confirmation c = { .zone = zone, .serial = serial, .known = baseline,
		.max_age = baseline ? 0 : NOD_CONFIRM_WINDOW };
	enum nod_confirm_result res;
	return nod_confirm_ct(nod, norm, now, &c, &res);
}

int nod_confirm_zone_first(nod_t *nod, const char *norm, int64_t fs, const char *zsrc,
	const char *ct_src, int64_t now)
{
	char zone[300];
	long long serial = 0;
	if (sscanf(zsrc, "zone %299s serial %lld", zone, &serial) != 2 ||
	    now - fs >= NOD_CONFIRM_WINDOW)
		return 0;
	sqlite3 *db = store_db(nod_store(nod));
	sqlite3_stmt *st;
	/* recorded as a confirmed candidate: one record per domain, its host names streamed */
	if (sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO ct_candidate(domain, first_seen, "
		    "listed, confirmed) VALUES (?1, ?2, 1, 1)", -1, &st, NULL) != SQLITE_OK)
		return fail(nod, db);
	sqlite3_bind_text(st, 1, norm, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, fs);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return fail(nod, db);
	if (sqlite3_changes(db) == 0)
		return 0;
	struct nod_confirmation c = { .zone = strcmp(zone, ".") ? zone : "", .serial = serial };
	if (record(nod, norm, fs, now, &c, ct_src, fs - now) < 0)
		return fail(nod, db);
	stats.confirmed_zone++;
	return 0;
}
