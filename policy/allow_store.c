/* allow_store.c -- the allow-list's rows in the store (table allow_entry, schema 6) and
 * the zone_diff records of the allow zone. Owns the SQL of that table only; the in-memory
 * entries are policy/allow.c's and the decisions (when an entry starts or ends, when a
 * version is made) are policy/nod.c's. Statements are prepared
 * per call: allow-list changes are operator actions, a few a day. */
#include "policy/allow_store.h"

#include "policy/record.h"
#include "policy/window.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

static const char *const origin_text[] = { [ALLOW_CONFIG] = "config", [ALLOW_API] = "api" };

const char *allow_origin_name(enum allow_origin o)
{
	return o == ALLOW_CONFIG ? origin_text[ALLOW_CONFIG] : origin_text[ALLOW_API];
}

/* Run sql with its bindings ?1, ?2 (text; NULL: not used) and ?3 (an integer). */
static int run(store_t *st, const char *sql, const char *t1, const char *t2, int64_t i3,
	char *err, size_t errsz)
{
	sqlite3 *db = store_db(st);
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
	if (rc == SQLITE_OK) {
		if (t1)
			sqlite3_bind_text(s, 1, t1, -1, SQLITE_STATIC);
		if (t2)
			sqlite3_bind_text(s, 2, t2, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, i3);
		rc = sqlite3_step(s);
	}
	if (rc != SQLITE_DONE)
		snprintf(err, errsz, "store: allow-list: %s", sqlite3_errmsg(db));
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

int allow_store_add(store_t *st, const char *pattern, enum allow_origin origin, int64_t since,
	char *err, size_t errsz)
{
	return run(st, "INSERT INTO allow_entry(pattern, origin, since, until) "
		"VALUES (?1, ?2, ?3, NULL) ON CONFLICT DO UPDATE SET until = NULL",
		pattern, allow_origin_name(origin), since, err, errsz);
}

int allow_store_end(store_t *st, const char *pattern, enum allow_origin origin, int64_t until,
	char *err, size_t errsz)
{
	return run(st, "UPDATE allow_entry SET until = ?3 "
		"WHERE pattern = ?1 AND origin = ?2 AND until IS NULL",
		pattern, allow_origin_name(origin), until, err, errsz);
}

int allow_store_trim(store_t *st, int64_t before, char *err, size_t errsz)
{
	return run(st, "DELETE FROM allow_entry WHERE until IS NOT NULL AND until < ?3",
		NULL, NULL, before, err, errsz);
}

int allow_store_load(store_t *st, allow_t *a, int64_t *newest, char *err, size_t errsz)
{
	sqlite3 *db = store_db(st);
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db, "SELECT pattern, origin, since, until FROM allow_entry "
		"ORDER BY since", -1, &s, NULL);
	*newest = INT64_MIN;
	while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		rc = SQLITE_OK;
		const char *p = (const char *)sqlite3_column_text(s, 0);
		const char *o = (const char *)sqlite3_column_text(s, 1);
		int64_t since = sqlite3_column_int64(s, 2);
		int open = sqlite3_column_type(s, 3) == SQLITE_NULL;
		int64_t until = open ? ALLOW_OPEN : sqlite3_column_int64(s, 3);
		enum allow_origin origin = o && strcmp(o, "config") == 0 ? ALLOW_CONFIG : ALLOW_API;
		if (!p || allow_add(a, p, origin, since, until) < 0)
			continue; /* a row this build cannot read: skipped, as the index does */
		if (since > *newest)
			*newest = since;
		if (!open && until > *newest)
			*newest = until;
	}
	if (rc != SQLITE_DONE)
		snprintf(err, errsz, "store: load the allow-list: %s", sqlite3_errmsg(db));
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

struct records {
	outbox_t *ob;
	char zone[DNAME_MAX_TEXT + 2];
	uint32_t ttl, from, to;
	int64_t ms;
	int n;
};

static int record_cb(void *ctx, const uint8_t *owner, size_t len, int in1, int in2)
{
	struct records *r = ctx;
	if (in1 == in2)
		return 0;
	char text[DNAME_MAX_TEXT + 4];
	if (dname_wire_to_text(owner, len, text, sizeof text) < 0)
		return 0;
	static const char *const target[] = { "rpz-passthru." };
	struct record_rr rr = { text, 5, "CNAME", r->ttl, target, 1 };
	if (record_append_zone_diff(r->ob, &rr, in2, r->zone, r->from, r->to, r->ms) < 0)
		return -1;
	r->n++;
	return 0;
}

int allow_zone_records(const allow_t *a, outbox_t *ob, const char *suffix, uint32_t ttl,
	int64_t t1, int64_t t2, uint32_t from, uint32_t to, int64_t ms)
{
	struct records r = { ob, "", ttl, from, to, ms, 0 };
	published_zone_name(NOD_ZONE_ALLOW, suffix, r.zone, sizeof r.zone);
	return allow_zone_walk(a, t1, t2, record_cb, &r) != 0 ? -1 : r.n;
}
