/* test_store.c -- the first-seen store: earliest time wins, baseline names, meta,
 * transactions, reopening, schema version checks, the IXFR history (added stamps, zone
 * versions, the floor set by the migration), the name count kept without a walk. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/store.h"
#include "tests/unit/tap.h"

struct acc {
	int n;
	char names[8][64];
	int64_t fs[8], added[8];
	int stop_at;
};

static int collect(void *ctx, const char *name, int64_t fs, int64_t added)
{
	struct acc *a = ctx;
	if (a->n < 8) {
		snprintf(a->names[a->n], 64, "%s", name);
		a->fs[a->n] = fs;
		a->added[a->n] = added;
	}
	a->n++;
	return a->stop_at && a->n == a->stop_at ? 7 : 0;
}

struct vacc { int n; int zone[8]; uint32_t serial[8]; int64_t vtime[8]; };

static int vcollect(void *ctx, int zone, uint32_t serial, int64_t vtime)
{
	struct vacc *a = ctx;
	if (a->n < 8) {
		a->zone[a->n] = zone;
		a->serial[a->n] = serial;
		a->vtime[a->n] = vtime;
	}
	a->n++;
	return 0;
}

int main(void)
{
	char dir[] = "/tmp/nodd-store-XXXXXX", path[128], src[64];
	struct nodd_err err = { 0 };
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof path, "%s/t.db", dir);
	store_t *st = store_open(path, &err);
	ok(st != NULL, "opens (%s)", err.msg);
	if (!st)
		return tap_done();
	int64_t fs = 0;
	int bl = -1;
	int64_t floor = 0;
	/* nothing unstamped in a new database: no floor, so the first versions (made with a
	 * time taken before the open) stay diffable */
	is_int(store_meta_get_int(st, "versions.floor", &floor), 0,
		"a new database has no history floor");
	enum store_outcome so;
	is_int(store_observe(st, "b.se", 2000, "api", 0, 2100, &fs, &so), 0, "new name");
	is_int(so, STORE_INSERTED, "new name inserted");
	is_int(fs, 2000, "stored time");
	is_int(store_observe(st, "b.se", 3000, "later", 0, 3100, &fs, &so), 0, "known name");
	is_int(so, STORE_UNCHANGED, "known name unchanged");
	is_int(fs, 2000, "a later time does not replace the earlier");
	is_int(store_observe(st, "b.se", 1000, "earlier", 0, 3200, &fs, &so) == 0 ? (int)so : -1,
		STORE_LOWERED,
		"earlier time: known and lowered");
	is_int(fs, 1000, "the earlier time is kept");
	is_int(store_lookup(st, "b.se", &fs, src, sizeof src, &bl), 1, "lookup");
	ok(fs == 1000 && strcmp(src, "earlier") == 0 && bl == 0, "row has the earliest observation");
	is_int(store_lookup(st, "nope.se", &fs, NULL, 0, NULL), 0, "absent name");
	store_observe(st, "base.se", 500, "zone se serial 1", 1, 2200, NULL, &so);
	store_observe(st, "a.se", 1500, "api", 0, STORE_ADDED_UNKNOWN, NULL, &so);
	store_observe(st, "old.se", 100, "api", 0, 150, NULL, &so);
	is_int(store_count(st), 4, "count");
	is_int(store_names(st), 4, "the kept count agrees");
	struct acc a = { 0 };
	is_int(store_each_since(st, 200, collect, &a), 0, "each since");
	is_int(a.n, 2, "baseline and older names left out");
	ok(strcmp(a.names[0], "b.se") == 0 && strcmp(a.names[1], "a.se") == 0, "in first_seen order");
	is_int(a.added[0], 2100, "a listed name keeps the stamp of when it was first listed");
	ok(a.added[1] == STORE_ADDED_UNKNOWN, "no stamp reads back as unknown");
	/* a baseline name that becomes listed takes the new stamp */
	is_int(store_observe(st, "base.se", 400, "api", 0, 2300, NULL, &so) == 0 ? (int)so : -1,
		STORE_LOWERED, "baseline name listed");
	struct acc c = { 0 };
	store_each_since(st, 300, collect, &c);
	ok(c.n == 3 && strcmp(c.names[0], "base.se") == 0 && c.added[0] == 2300,
		"the listed baseline name has the new stamp");
	is_int(store_reset(st, "b.se", 5000, "zone se serial 9", 5100, &so) == 0 ? (int)so : -1,
		STORE_RESET, "reset a known name");
	is_int(store_reset(st, "back.se", 100, "zone se serial 9", 5100, &so) == 0 ? (int)so : -1,
		STORE_INSERTED, "reset an unknown name inserts it");
	is_int(store_names(st), 5, "reset: a known name is not counted again, a new one is");
	struct store_kept kept = { 0, -1 };
	is_int(store_observe_kept(st, "base2.se", 50, "zone", 1, STORE_ADDED_UNKNOWN, &kept, &so), 0,
		"observe, telling what the row holds");
	ok(so == STORE_INSERTED && kept.first_seen == 50 && kept.baseline == 1, "a new baseline row");
	store_observe_kept(st, "base2.se", 60, "api", 0, 2400, &kept, &so);
	ok(so == STORE_UNCHANGED && kept.first_seen == 50 && kept.baseline == 1,
		"unchanged: the row's time and baseline flag");
	store_observe_kept(st, "base2.se", 40, "api", 0, 2400, &kept, &so);
	ok(so == STORE_LOWERED && kept.first_seen == 40 && kept.baseline == 0,
		"lowered: the new time and flag");
	struct acc d = { 0 };
	store_each_since(st, 4000, collect, &d);
	ok(d.n == 1 && d.fs[0] == 5000 && d.added[0] == 5100, "reset takes the time and the stamp");

	/* zone versions for the IXFR history */
	is_int(store_version_add(st, 0, 1001, 1000), 0, "version added");
	store_version_add(st, 0, 1002, 2000);
	store_version_add(st, 7, 77, 1500);
	store_version_add(st, 0, 1003, 2000); /* same vtime: the serial is replaced */
	struct vacc va = { 0 };
	is_int(store_each_version(st, vcollect, &va), 0, "each version");
	ok(va.n == 3 && va.zone[0] == 0 && va.serial[0] == 1001 && va.serial[1] == 1003 &&
		va.zone[2] == 7 && va.vtime[2] == 1500, "in (zone, vtime) order, a vtime once");
	is_int(store_version_trim(st, 1600), 0, "trim");
	memset(&va, 0, sizeof va);
	store_each_version(st, vcollect, &va);
	ok(va.n == 1 && va.serial[0] == 1003, "versions older than the trim time dropped");
	struct acc b = { .stop_at = 1 };
	is_int(store_each_since(st, 0, collect, &b), 7, "callback stops the walk");

	int64_t v = 0;
	char t[32];
	is_int(store_meta_get_int(st, "k", &v), 0, "meta absent");
	store_meta_set_int(st, "k", 42);
	store_meta_set_int(st, "k", 43);
	ok(store_meta_get_int(st, "k", &v) == 1 && v == 43, "meta int overwritten");
	store_meta_set_text(st, "t", "hello");
	ok(store_meta_get_text(st, "t", t, sizeof t) == 1 && strcmp(t, "hello") == 0, "meta text");

	int64_t before = store_names(st);
	is_int(store_begin(st), 0, "begin");
	is_int(store_in_tx(st), 1, "in a transaction");
	store_observe(st, "gone.se", 1, "x", 0, 1, NULL, &so);
	is_int(store_names(st), before + 1, "the count includes the open transaction");
	is_int(store_rollback(st), 0, "rollback");
	is_int(store_in_tx(st), 0, "no transaction after the rollback");
	is_int(store_lookup(st, "gone.se", NULL, NULL, 0, NULL), 0, "rolled back row absent");
	is_int(store_names(st), before, "a rollback takes its names out of the count");
	store_begin(st);
	store_observe(st, "kept.se", 1, "x", 0, 1, NULL, &so);
	store_observe(st, "kept.se", 0, "x", 0, 1, NULL, &so);
	store_commit(st);
	is_int(store_names(st), before + 1, "a commit keeps its names in the count");
	/* a write inside a transaction the store did not open cannot keep the count */
	sqlite3_exec(store_db(st), "BEGIN", NULL, NULL, NULL);
	is_int(store_observe(st, "raw.se", 1, "x", 0, 1, NULL, &so), -1,
		"a name written in a foreign transaction is refused");
	sqlite3_exec(store_db(st), "ROLLBACK", NULL, NULL, NULL);
	int sv = store_schema_version(st);
	store_close(st);

	st = store_open(path, &err);
	ok(st && store_lookup(st, "kept.se", NULL, NULL, 0, NULL) == 1, "committed row survives reopen");
	ok(st && store_meta_get_int(st, "k", &v) == 1 && v == 43, "meta survives reopen");
	ok(st && store_names(st) == before + 1 && store_count(st) == before + 1,
		"the count survives reopen and matches the rows");
	store_close(st);

	/* a database from a newer nodd is refused */
	sqlite3 *db;
	sqlite3_open(path, &db);
	char sqlbuf[64];
	snprintf(sqlbuf, sizeof sqlbuf, "PRAGMA user_version = %d", sv + 5);
	sqlite3_exec(db, sqlbuf, NULL, NULL, NULL);
	sqlite3_close(db);
	st = store_open(path, &err);
	ok(!st && err.kind == NODD_E_INVALID && strstr(err.msg, "newer than this nodd"),
		"newer schema refused as invalid (%s)", err.msg);
	store_close(st);

	/* a database of schema version 4 (before the IXFR history) is upgraded: its names
	 * have no stamp (always there) and the floor is the upgrade time */
	char old4[160];
	snprintf(old4, sizeof old4, "%s/v4.db", dir);
	sqlite3_open(old4, &db);
	char *xerr = NULL;
	ok(sqlite3_exec(db,
		"CREATE TABLE names(name TEXT PRIMARY KEY, first_seen INTEGER NOT NULL,"
		" source TEXT NOT NULL, baseline INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
		"CREATE TABLE meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
		"CREATE TABLE zone_rr(zone TEXT NOT NULL, owner TEXT NOT NULL, type INTEGER NOT NULL,"
		" rdata BLOB NOT NULL, ttl INTEGER NOT NULL, PRIMARY KEY(zone, owner, type, rdata))"
		" WITHOUT ROWID;"
		"CREATE TABLE upstream(zone TEXT PRIMARY KEY, serial INTEGER NOT NULL,"
		" have_copy INTEGER NOT NULL, last_success INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
		"CREATE INDEX names_since ON names(first_seen, name) WHERE baseline = 0;"
		"INSERT INTO names VALUES ('old.ch', 1700000000, 'api', 0);"
		"PRAGMA user_version = 4;", NULL, NULL, &xerr) == SQLITE_OK, "a version 4 database (%s)",
		xerr ? xerr : "");
	sqlite3_free(xerr);
	sqlite3_close(db);
	st = store_open(old4, &err);
	ok(st != NULL, "version 4 upgraded (%s)", err.msg);
	if (st) {
		struct acc u = { 0 };
		store_each_since(st, 0, collect, &u);
		ok(u.n == 1 && u.fs[0] == 1700000000 && u.added[0] == STORE_ADDED_UNKNOWN,
			"an old name reads back without a stamp");
		floor = 0;
		ok(store_meta_get_int(st, "versions.floor", &floor) == 1 && floor > 1700000000,
			"the upgrade sets the history floor");
		is_int(store_version_add(st, 3, 5, 6), 0, "the versions table exists");
		is_int(store_names(st), 1, "the upgrade counts the names there");
		store_close(st);
	}

	/* a version 10 store (rows of the outbox one record each) is marked as holding batch
	 * rows, so a nodd that cannot read them refuses it */
	char old10[160];
	snprintf(old10, sizeof old10, "%s/v10.db", dir);
	store_close(store_open(old10, &err));
	sqlite3_open(old10, &db);
	ok(sqlite3_exec(db, "DELETE FROM meta WHERE key = 'outbox.batch_rows';"
		"DROP TRIGGER names_recent_update;"
		"DROP TABLE recent; ALTER TABLE names DROP COLUMN rseq;"
		"CREATE INDEX names_since ON names(first_seen, name, added, baseline)"
		" WHERE baseline = 0;"
		"PRAGMA user_version = 10;", NULL, NULL, NULL) == SQLITE_OK, "a version 10 database");
	sqlite3_close(db);
	st = store_open(old10, &err);
	int64_t mark = 0;
	ok(st && store_meta_get_int(st, "outbox.batch_rows", &mark) == 1 && mark == 1,
		"version 10 upgraded: the outbox is marked as holding batch rows (%s)", err.msg);
	store_close(st);
	sqlite3_open(old10, &db);
	sqlite3_stmt *uv;
	sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &uv, NULL);
	ok(sqlite3_step(uv) == SQLITE_ROW && sqlite3_column_int(uv, 0) == sv, "at the version of this build");
	sqlite3_finalize(uv);
	sqlite3_close(db);

	st = store_open("/nonexistent-dir/x.db", &err);
	ok(!st && err.kind == NODD_E_STORE && strstr(err.msg, "/nonexistent-dir/x.db"),
		"bad path named, a store error (%s)", err.msg);
	snprintf(sqlbuf, sizeof sqlbuf, "rm -rf %s", dir);
	if (system(sqlbuf) != 0)
		return 1;
	return tap_done();
}
