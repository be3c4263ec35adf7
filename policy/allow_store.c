/* allow_store.c -- the allow-list's rows in the store (table allow_entry, schema 6).
 * Owns the SQL of that table only; the in-memory entries are policy/allow.c's and the
 * decisions (when an entry starts or ends) are policy/nod.c's. Statements are prepared
 * per call: allow-list changes are operator actions, a few a day. */
#include "policy/allow_store.h"

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
