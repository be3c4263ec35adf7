/* test_store.c -- the first-seen store: earliest time wins, baseline names, meta,
 * transactions, reopening, schema version checks. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

#include "policy/store.h"
#include "tests/unit/tap.h"

struct acc {
	int n;
	char names[8][64];
	int64_t fs[8];
	int stop_at;
};

static int collect(void *ctx, const char *name, int64_t fs)
{
	struct acc *a = ctx;
	if (a->n < 8) {
		snprintf(a->names[a->n], 64, "%s", name);
		a->fs[a->n] = fs;
	}
	a->n++;
	return a->stop_at && a->n == a->stop_at ? 7 : 0;
}

int main(void)
{
	char dir[] = "/tmp/nodd-store-XXXXXX", path[128], err[512], src[64];
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof path, "%s/t.db", dir);
	store_t *st = store_open(path, err, sizeof err);
	ok(st != NULL, "opens (%s)", err);
	if (!st)
		return tap_done();
	int64_t fs = 0;
	int bl = -1;
	is_int(store_observe(st, "b.se", 2000, "api", 0, &fs), 1, "new name");
	is_int(fs, 2000, "stored time");
	is_int(store_observe(st, "b.se", 3000, "later", 0, &fs), 0, "known name");
	is_int(fs, 2000, "a later time does not replace the earlier");
	is_int(store_observe(st, "b.se", 1000, "earlier", 0, &fs), 0, "earlier time: still known");
	is_int(fs, 1000, "the earlier time is kept");
	is_int(store_lookup(st, "b.se", &fs, src, sizeof src, &bl), 1, "lookup");
	ok(fs == 1000 && strcmp(src, "earlier") == 0 && bl == 0, "row has the earliest observation");
	is_int(store_lookup(st, "nope.se", &fs, NULL, 0, NULL), 0, "absent name");
	store_observe(st, "base.se", 500, "zone se serial 1", 1, NULL);
	store_observe(st, "a.se", 1500, "api", 0, NULL);
	store_observe(st, "old.se", 100, "api", 0, NULL);
	is_int(store_count(st), 4, "count");

	struct acc a = { 0 };
	is_int(store_each_since(st, 200, collect, &a), 0, "each since");
	is_int(a.n, 2, "baseline and older names left out");
	ok(strcmp(a.names[0], "b.se") == 0 && strcmp(a.names[1], "a.se") == 0, "in first_seen order");
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

	is_int(store_begin(st), 0, "begin");
	store_observe(st, "gone.se", 1, "x", 0, NULL);
	is_int(store_rollback(st), 0, "rollback");
	is_int(store_lookup(st, "gone.se", NULL, NULL, 0, NULL), 0, "rolled back row absent");
	store_begin(st);
	store_observe(st, "kept.se", 1, "x", 0, NULL);
	store_commit(st);
	int sv = store_schema_version(st);
	store_close(st);

	st = store_open(path, err, sizeof err);
	ok(st && store_lookup(st, "kept.se", NULL, NULL, 0, NULL) == 1, "committed row survives reopen");
	ok(st && store_meta_get_int(st, "k", &v) == 1 && v == 43, "meta survives reopen");
	store_close(st);

	/* a database from a newer nodd is refused */
	sqlite3 *db;
	sqlite3_open(path, &db);
	char sqlbuf[64];
	snprintf(sqlbuf, sizeof sqlbuf, "PRAGMA user_version = %d", sv + 5);
	sqlite3_exec(db, sqlbuf, NULL, NULL, NULL);
	sqlite3_close(db);
	st = store_open(path, err, sizeof err);
	ok(!st && strstr(err, "newer than this nodd"), "newer schema refused (%s)", err);
	store_close(st);

	st = store_open("/nonexistent-dir/x.db", err, sizeof err);
	ok(!st && strstr(err, "/nonexistent-dir/x.db"), "bad path named (%s)", err);
	snprintf(sqlbuf, sizeof sqlbuf, "rm -rf %s", dir);
	if (system(sqlbuf) != 0)
		return 1;
	return tap_done();
}
