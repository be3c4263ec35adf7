/* store.c -- the first-seen store on sqlite.
 *
 * WAL with synchronous=NORMAL: every commit survives a crash of the process (kill -9;
 * REFERENCE.md 0.8 and 6.4), and only an OS crash or power loss can take back the last
 * commits. Writers use BEGIN IMMEDIATE. Statements are prepared once. */
#include "policy/store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/schema.h"

enum {
	S_INSERT, S_LOWER, S_LOOKUP, S_SINCE, S_COUNT, S_META_GET, S_META_SET,
	S_BEGIN, S_COMMIT, S_ROLLBACK, S_NSTMT
};

static const char *const sql[S_NSTMT] = {
	[S_INSERT] = "INSERT INTO names(name, first_seen, source, baseline) VALUES (?1, ?2, ?3, ?4)",
	[S_LOWER] = "UPDATE names SET first_seen = ?2, source = ?3, baseline = ?4 WHERE name = ?1",
	[S_LOOKUP] = "SELECT first_seen, source, baseline FROM names WHERE name = ?1",
	[S_SINCE] = "SELECT name, first_seen FROM names WHERE first_seen > ?1 AND baseline = 0 "
		"ORDER BY first_seen",
	[S_COUNT] = "SELECT count(*) FROM names",
	[S_META_GET] = "SELECT value FROM meta WHERE key = ?1",
	[S_META_SET] = "INSERT INTO meta(key, value) VALUES (?1, ?2) "
		"ON CONFLICT(key) DO UPDATE SET value = excluded.value",
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
};

struct store {
	sqlite3 *db;
	sqlite3_stmt *st[S_NSTMT];
	char err[512];
};

static int fail(store_t *s, const char *what)
{
	snprintf(s->err, sizeof s->err, "store: %s: %s", what, sqlite3_errmsg(s->db));
	return -1;
}

store_t *store_open(const char *path, char *err, size_t errlen)
{
	store_t *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	int rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
		SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "database %s: %s", path,
			s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_busy_timeout(s->db, 5000);
	char *msg = NULL;
	if (sqlite3_exec(s->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
		    "PRAGMA foreign_keys=ON;", NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "database %s: %s", path, msg ? msg : sqlite3_errmsg(s->db));
		sqlite3_free(msg);
		goto fail;
	}
	char merr[256];
	if (schema_migrate(s->db, merr, sizeof merr) < 0) {
		snprintf(err, errlen, "database %s: %s", path, merr);
		goto fail;
	}
	for (int i = 0; i < S_NSTMT; i++) {
		if (sqlite3_prepare_v3(s->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL) != SQLITE_OK) {
			snprintf(err, errlen, "database %s: prepare: %s", path, sqlite3_errmsg(s->db));
			goto fail;
		}
	}
	return s;
fail:
	store_close(s);
	return NULL;
}

void store_close(store_t *s)
{
	if (!s)
		return;
	for (int i = 0; i < S_NSTMT; i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_close(s->db);
	free(s);
}

const char *store_errmsg(const store_t *s) { return s->err; }
struct sqlite3 *store_db(store_t *s) { return s->db; }
int store_schema_version(store_t *s) { (void)s; return schema_version(); }

static int run(store_t *s, int which, const char *what)
{
	sqlite3_stmt *st = s->st[which];
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : fail(s, what);
}

int store_begin(store_t *s) { return run(s, S_BEGIN, "begin"); }
int store_commit(store_t *s) { return run(s, S_COMMIT, "commit"); }
int store_rollback(store_t *s) { return run(s, S_ROLLBACK, "rollback"); }

int store_observe(store_t *s, const char *name, int64_t first_seen, const char *source,
	int baseline, int64_t *stored_fs)
{
	/* Look first, then insert or lower: the caller needs to know "new" (for counting and
	 * for the newly_registered_domain record), and the earliest first_seen always wins. */
	int64_t have = 0;
	int found = store_lookup(s, name, &have, NULL, 0, NULL);
	if (found < 0)
		return -1;
	if (found && have <= first_seen) {
		if (stored_fs)
			*stored_fs = have;
		return 0;
	}
	sqlite3_stmt *st = s->st[found ? S_LOWER : S_INSERT];
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, first_seen);
	sqlite3_bind_text(st, 3, source ? source : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, baseline ? 1 : 0);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE) {
		char what[300];
		snprintf(what, sizeof what, "%s %s", found ? "update" : "insert", name);
		return fail(s, what);
	}
	if (stored_fs)
		*stored_fs = first_seen;
	return found ? 0 : 1;
}

int store_lookup(store_t *s, const char *name, int64_t *first_seen, char *source,
	size_t srclen, int *baseline)
{
	sqlite3_stmt *st = s->st[S_LOOKUP];
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	int ret = 0;
	if (rc == SQLITE_ROW) {
		if (first_seen)
			*first_seen = sqlite3_column_int64(st, 0);
		if (source && srclen)
			snprintf(source, srclen, "%s", (const char *)sqlite3_column_text(st, 1));
		if (baseline)
			*baseline = sqlite3_column_int(st, 2);
		ret = 1;
	} else if (rc != SQLITE_DONE) {
		ret = fail(s, "lookup");
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return ret;
}

int store_each_since(store_t *s, int64_t since, store_name_cb cb, void *ctx)
{
	sqlite3_stmt *st = s->st[S_SINCE];
	sqlite3_bind_int64(st, 1, since);
	int rc, ret = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ret = cb(ctx, (const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1));
		if (ret)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = fail(s, "load names");
	sqlite3_reset(st);
	return ret;
}

int64_t store_count(store_t *s)
{
	sqlite3_stmt *st = s->st[S_COUNT];
	int64_t n = -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	else
		fail(s, "count");
	sqlite3_reset(st);
	return n;
}

static int meta_get(store_t *s, const char *key, sqlite3_value **out)
{
	(void)out;
	sqlite3_stmt *st = s->st[S_META_GET];
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return 1;
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : fail(s, "read meta");
}

int store_meta_get_int(store_t *s, const char *key, int64_t *val)
{
	int rc = meta_get(s, key, NULL);
	if (rc == 1) {
		*val = sqlite3_column_int64(s->st[S_META_GET], 0);
		sqlite3_reset(s->st[S_META_GET]);
	}
	return rc;
}

int store_meta_get_text(store_t *s, const char *key, char *buf, size_t buflen)
{
	int rc = meta_get(s, key, NULL);
	if (rc == 1) {
		const unsigned char *t = sqlite3_column_text(s->st[S_META_GET], 0);
		snprintf(buf, buflen, "%s", t ? (const char *)t : "");
		sqlite3_reset(s->st[S_META_GET]);
	}
	return rc;
}

static int meta_set(store_t *s, const char *key, int64_t ival, const char *tval)
{
	sqlite3_stmt *st = s->st[S_META_SET];
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (tval)
		sqlite3_bind_text(st, 2, tval, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(st, 2, ival);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : fail(s, "write meta");
}

int store_meta_set_int(store_t *s, const char *key, int64_t val) { return meta_set(s, key, val, NULL); }
int store_meta_set_text(store_t *s, const char *key, const char *val) { return meta_set(s, key, 0, val); }
