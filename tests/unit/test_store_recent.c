/* test_store_recent.c -- the table of listed names the start-up load reads (recent): one
 * row per listed name whatever wrote it (the store's insert, a lowered or reset time, a
 * baseline name listed, a listed name made baseline by plain SQL, the multi-row insert),
 * the load sorted by first_seen, the purge going round the table with the floor it
 * records, the load falling back to every name below that floor, and the upgrade of a
 * version 11 store whose listed names were only in names_since. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/store.h"
#include "tests/unit/tap.h"

#define MAXN 128

struct acc {
	int n;
	char names[MAXN][32];
	int64_t fs[MAXN], added[MAXN];
};

static int collect(void *ctx, const char *name, int64_t fs, int64_t added)
{
	struct acc *a = ctx;
	if (a->n < MAXN) {
		snprintf(a->names[a->n], sizeof a->names[0], "%s", name);
		a->fs[a->n] = fs;
		a->added[a->n] = added;
	}
	a->n++;
	return 0;
}

static int64_t one_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t v = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Rows of recent for a name, and whether names.rseq points at the one there is. */
static int rows_of(store_t *st, const char *name)
{
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM recent WHERE name = '%s'", name);
	return (int)one_int(store_db(st), sql);
}

static int rseq_right(store_t *st, const char *name)
{
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM names JOIN recent ON recent.seq = names.rseq"
		" AND recent.name = names.name WHERE names.name = '%s'", name);
	return one_int(store_db(st), sql) == 1;
}

static int find(const struct acc *a, const char *name)
{
	for (int i = 0; i < a->n && i < MAXN; i++)
		if (strcmp(a->names[i], name) == 0)
			return i;
	return -1;
}

int main(void)
{
	char dir[] = "/tmp/nodd-recent-XXXXXX", path[128], sql[512];
	struct nodd_err err = { 0 };
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof path, "%s/t.db", dir);
	store_t *st = store_open(path, &err);
	ok(st != NULL, "opens (%s)", err.msg);
	if (!st)
		return tap_done();
	sqlite3 *db = store_db(st);
	enum store_outcome so;

	/* the load reads the table in append order: no index, no sort in sqlite */
	{
		sqlite3_stmt *plan = NULL;
		char detail[512] = "";
		if (sqlite3_prepare_v2(db, "EXPLAIN QUERY PLAN SELECT name, first_seen, added "
			"FROM recent WHERE first_seen > ?1", -1, &plan, NULL) == SQLITE_OK)
			while (sqlite3_step(plan) == SQLITE_ROW)
				snprintf(detail + strlen(detail), sizeof detail - strlen(detail), "%s;",
					(const char *)sqlite3_column_text(plan, 3));
		sqlite3_finalize(plan);
		ok(strstr(detail, "SCAN recent") && !strstr(detail, "TEMP B-TREE"),
			"the load is one scan of recent (%s)", detail);
		is_int((int)one_int(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'names_since'"),
			0, "names has no index in first_seen order");
	}

	/* new names: listed ones get a row, baseline ones none */
	store_observe(st, "late.se", 5000, "api", 0, 5100, NULL, &so);
	store_observe(st, "early.se", 1000, "api", 0, 1100, NULL, &so);
	store_observe(st, "mid.se", 3000, "api", 0, STORE_ADDED_UNKNOWN, NULL, &so);
	store_observe(st, "base.se", 2000, "zone", 1, STORE_ADDED_UNKNOWN, NULL, &so);
	is_int(rows_of(st, "late.se") + rows_of(st, "early.se") + rows_of(st, "mid.se"), 3,
		"a row for each listed name");
	ok(rseq_right(st, "late.se") && rseq_right(st, "early.se"), "names.rseq is that row");
	is_int(rows_of(st, "base.se"), 0, "no row for a baseline name");
	/* the insert tried on a known name (after a new one the insert comes first) adds none */
	store_observe(st, "late.se", 6000, "api", 0, 6100, NULL, &so);
	ok(so == STORE_UNCHANGED && rows_of(st, "late.se") == 1 && rseq_right(st, "late.se"),
		"a known name observed again: still one row");

	struct acc a = { 0 };
	is_int(store_each_since(st, 0, collect, &a), 0, "load");
	ok(a.n == 3 && strcmp(a.names[0], "early.se") == 0 && strcmp(a.names[1], "mid.se") == 0 &&
		strcmp(a.names[2], "late.se") == 0, "sorted by first_seen, not by insertion");
	ok(a.added[0] == 1100 && a.added[1] == STORE_ADDED_UNKNOWN && a.fs[2] == 5000,
		"with times and stamps");

	/* every rewrite keeps exactly one row, with the new values */
	store_observe(st, "late.se", 500, "earlier", 0, 7000, NULL, &so);
	ok(so == STORE_LOWERED && rows_of(st, "late.se") == 1 && rseq_right(st, "late.se"),
		"lowered: one row");
	store_reset(st, "mid.se", 9000, "zone se serial 9", 9100, &so);
	ok(so == STORE_RESET && rows_of(st, "mid.se") == 1 && rseq_right(st, "mid.se"),
		"reset: one row");
	is_int(store_list(st, "base.se", 9200), 0, "a baseline name listed");
	ok(rows_of(st, "base.se") == 1 && rseq_right(st, "base.se"), "listed: it has its row");
	snprintf(sql, sizeof sql, "UPDATE names SET baseline = 1 WHERE name = 'early.se'");
	is_int(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK, "a listed name made baseline");
	ok(rows_of(st, "early.se") == 0 &&
		one_int(db, "SELECT count(*) FROM names WHERE name = 'early.se' AND rseq IS NULL") == 1,
		"made baseline: its row gone, rseq cleared");
	/* the insert of many listed names gives each its row */
	const char *many[70];
	char mbuf[70][16];
	for (int i = 0; i < 70; i++) {
		snprintf(mbuf[i], sizeof mbuf[i], "m%02d.se", i);
		many[i] = mbuf[i];
	}
	unsigned char held[70];
	is_int(store_insert_new_many(st, many, 70, 8000, "many", 0, 8100, held), 70,
		"70 listed names inserted in blocks");
	ok(rows_of(st, "m00.se") == 1 && rows_of(st, "m69.se") == 1 && rseq_right(st, "m00.se") &&
		rseq_right(st, "m69.se"), "each with its row and rseq");
	struct acc b = { 0 };
	store_each_since(st, 0, collect, &b);
	int il = find(&b, "late.se"), im = find(&b, "mid.se"), ib = find(&b, "base.se");
	ok(b.n == 73 && find(&b, "early.se") < 0 && il == 0 && b.fs[il] == 500 && b.added[il] == 5100,
		"load: the lowered time first (its stamp kept), the baseline name absent");
	ok(im == 72 && b.fs[im] == 9000 && b.added[im] == 9100 && ib >= 0 && b.fs[ib] == 2000 &&
		b.added[ib] == 9200, "the reset and the listed name with their new values");
	is_int((int)one_int(db, "SELECT count(*) FROM recent"),
		(int)one_int(db, "SELECT count(*) FROM names WHERE baseline = 0"),
		"as many rows as listed names");

	/* in one transaction: names waiting for their rows, a rewrite (whose trigger takes a
	 * seq) in between, more names after it; a name made baseline by the store */
	is_int(store_begin(st), 0, "a transaction");
	for (int i = 0; i < 10; i++) {
		char nm[16];
		snprintf(nm, sizeof nm, "t%d.se", i);
		store_observe(st, nm, 8500 + i, "api", 0, 8600, NULL, &so);
	}
	store_observe(st, "t3.se", 8400, "api", 0, 8700, NULL, &so);
	is_int((int)so, STORE_LOWERED, "one of them lowered");
	for (int i = 10; i < 20; i++) {
		char nm[16];
		snprintf(nm, sizeof nm, "t%d.se", i);
		store_observe(st, nm, 8500 + i, "api", 0, 8600, NULL, &so);
	}
	is_int(store_unlist(st, "t5.se"), 0, "one made baseline");
	is_int(store_commit(st), 0, "committed");
	is_int((int)one_int(db, "SELECT count(*) FROM recent WHERE name LIKE 't%'"), 19,
		"a row for each listed one");
	ok(rseq_right(st, "t3.se") && rseq_right(st, "t0.se") && rseq_right(st, "t19.se") &&
		rows_of(st, "t5.se") == 0, "each the row its rseq names; none for the baseline one");
	is_int((int)one_int(db, "SELECT count(*) FROM recent WHERE name = 't3.se' AND "
		"first_seen = 8400 AND added = 8600"), 1,
		"the lowered one's row: the new time, the stamp kept");
	/* rolled back: neither the names nor their rows */
	store_begin(st);
	store_observe(st, "gone1.se", 8800, "api", 0, 8900, NULL, &so);
	store_observe(st, "gone2.se", 8800, "api", 0, 8900, NULL, &so);
	store_rollback(st);
	is_int(rows_of(st, "gone1.se") + rows_of(st, "gone2.se"), 0, "a rollback writes no row");
	store_observe(st, "after.se", 8800, "api", 0, 8900, NULL, &so);
	ok(rows_of(st, "after.se") == 1 && rseq_right(st, "after.se"), "and the next name gets its own");
	sqlite3_exec(db, "DELETE FROM names WHERE name LIKE 't%' OR name = 'after.se';"
		"DELETE FROM recent WHERE name LIKE 't%' OR name = 'after.se';"
		"UPDATE meta SET value = value - 21 WHERE key = 'names.count'", NULL, NULL, NULL);
	store_close(st);
	st = store_open(path, &err);
	db = store_db(st);

	/* a name longer than any DNS name (the store does not check names): refused whole */
	{
		char *huge = malloc(20000);
		if (huge) {
			memset(huge, 'a', 19995);
			strcpy(huge + 19995, ".se");
			is_int(store_observe(st, huge, 8800, "api", 0, 8900, NULL, &so), -1,
				"a 19,998-byte listed name is refused");
			snprintf(sql, sizeof sql, "SELECT count(*) FROM names WHERE length(name) > 300");
			is_int((int)one_int(db, sql), 0, "and not stored");
			free(huge);
		}
	}

	/* the purge: a slice at a time from a cursor going round the table */
	int64_t before_rows = one_int(db, "SELECT count(*) FROM recent");
	int gone = 0, r;
	for (int k = 0; k < 20 && (r = store_recent_purge(st, 2500, 10)) >= 0; k++)
		gone += r;
	is_int(gone, 2, "rows with first_seen <= 2500 purged (late.se at 500, base.se at 2000)");
	is_int((int)one_int(db, "SELECT count(*) FROM recent"), (int)before_rows - 2, "the rest kept");
	int64_t fl = 0;
	ok(store_meta_get_int(st, "recent.floor", &fl) == 1 && fl == 2500, "the floor recorded");
	struct acc c = { 0 };
	store_each_since(st, 3000, collect, &c);
	is_int(c.n, 71, "a load above the floor reads recent");
	/* a stale rseq (its row purged): a later rewrite deletes nothing else */
	store_observe(st, "late.se", 400, "earlier still", 0, 9300, NULL, &so);
	ok(so == STORE_LOWERED && rows_of(st, "late.se") == 1 && rseq_right(st, "late.se"),
		"a name whose row was purged gets a new one");
	/* below the floor: every listed name is read from names */
	struct acc d = { 0 };
	is_int(store_each_since(st, 0, collect, &d), 0, "a load below the floor");
	ok(d.n == 73 && find(&d, "base.se") >= 0 && strcmp(d.names[0], "late.se") == 0 &&
		d.fs[0] == 400, "reads every listed name, sorted (the purged one too)");
	is_int(store_begin(st), 0, "in a transaction");
	is_int(store_recent_purge(st, 99999, 10), 0, "the purge does nothing inside one");
	store_rollback(st);
	store_close(st);
	st = store_open(path, &err);
	struct acc e = { 0 };
	ok(st && store_each_since(st, 0, collect, &e) == 0 && e.n == 73,
		"the floor survives a reopen (the load below it still reads names)");
	store_close(st);

	/* a version 11 store: listed names in names and names_since only */
	char old11[160];
	snprintf(old11, sizeof old11, "%s/v11.db", dir);
	store_close(store_open(old11, &err));
	sqlite3_open(old11, &db);
	ok(sqlite3_exec(db, "DROP TRIGGER names_recent_update;"
		"DROP TABLE recent; ALTER TABLE names DROP COLUMN rseq;"
		"CREATE INDEX names_since ON names(first_seen, name, added, baseline)"
		" WHERE baseline = 0;"
		"INSERT INTO names VALUES ('b.ch', strftime('%s', 'now') - 200, 'api', 0, 210),"
		" ('a.ch', strftime('%s', 'now') - 300, 'api', 0, NULL),"
		" ('old.ch', strftime('%s', 'now') - 8 * 86400, 'api', 0, 220),"
		" ('z.ch', strftime('%s', 'now') - 100, 'zone', 1, NULL);"
		"UPDATE meta SET value = 4 WHERE key = 'names.count';"
		"PRAGMA user_version = 11;", NULL, NULL, NULL) == SQLITE_OK, "a version 11 database");
	sqlite3_close(db);
	st = store_open(old11, &err);
	ok(st != NULL, "version 11 upgraded (%s)", err.msg);
	if (st) {
		int64_t now = one_int(store_db(st), "SELECT strftime('%s', 'now')");
		struct acc u = { 0 };
		store_each_since(st, now - 86400, collect, &u);
		ok(u.n == 2 && strcmp(u.names[0], "a.ch") == 0 && u.added[0] == STORE_ADDED_UNKNOWN &&
			strcmp(u.names[1], "b.ch") == 0 && u.added[1] == 210,
			"its listed names of the last day load, in order, with their stamps");
		ok(rseq_right(st, "a.ch") && rseq_right(st, "b.ch"), "each has its row and rseq");
		is_int(rows_of(st, "old.ch"), 0, "a listed name older than 7 days is not copied");
		struct acc v = { 0 };
		store_each_since(st, 0, collect, &v);
		ok(v.n == 3 && strcmp(v.names[0], "old.ch") == 0,
			"a load reaching further back reads it from names");
		store_observe(st, "b.ch", now - 250, "api", 0, 300, NULL, &so);
		ok(rows_of(st, "b.ch") == 1 && rseq_right(st, "b.ch"),
			"a rewrite after the upgrade replaces the row the upgrade wrote");
		store_close(st);
	}
	snprintf(sql, sizeof sql, "rm -rf %s", dir);
	if (system(sql) != 0)
		return 1;
	return tap_done();
}
