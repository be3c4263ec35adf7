/* test_nod_recent -- the store's rows of listed names are purged by the minute's tick once
 * no start-up load reads them (older than every window, a day's margin more), the names
 * the windows need survive a restart, and a restart with the clock set back past the
 * purge still loads every name it asks for (from the names table). */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

#include "lib/dname.h"
#include "policy/nod.h"
#include "policy/store.h"
#include "tap.h"

#define T0 1760000000
#define DAY 86400

static int64_t one_int(nod_t *nod, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t v = -1;
	if (sqlite3_prepare_v2(store_db(nod_store(nod)), sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int indexed(nod_t *nod, const char *name)
{
	uint8_t w[DNAME_MAX_WIRE];
	int wl = dname_text_to_wire(name, w);
	int64_t fs;
	return wl > 1 && nindex_get(nod_index(nod), w, (size_t)wl - 1, &fs);
}

int main(void)
{
	char dir[] = "/tmp/nodd-recent-XXXXXX", path[64], cmd[96];
	struct nodd_err err = { 0 };
	ok(mkdtemp(dir) != NULL, "temp dir");
	snprintf(path, sizeof path, "%s/t.db", dir);
	struct nod_options o = { .database = path, .min_interval = 1, .future_skew = 3600 };
	nod_t *nod = nod_open(&o, T0, &err);
	ok(nod != NULL, "nod_open: %s", nod ? "" : err.msg);
	if (!nod)
		return tap_done();
	enum nod_outcome out;
	nod_observe(nod, "old.example.se", T0 - 5 * DAY, "test", 0, T0, NULL, &out, NULL);
	nod_observe(nod, "twoday.example.se", T0 - 2 * DAY, "test", 0, T0, NULL, &out, NULL);
	nod_observe(nod, "new.example.se", T0 - 60, "test", 0, T0, NULL, &out, NULL);
	is_int((int)one_int(nod, "SELECT count(*) FROM recent"), 3, "three listed names, three rows");
	nod_tick_at(nod, T0, 1000);
	is_int((int)one_int(nod, "SELECT count(*) FROM recent WHERE name = 'old.example.se'"), 0,
		"the tick purged the row older than every window and the margin");
	is_int((int)one_int(nod, "SELECT count(*) FROM recent"), 2, "the others kept");
	ok(one_int(nod, "SELECT value FROM meta WHERE key = 'recent.floor'") < T0 - 2 * DAY,
		"the floor recorded lies below every row a restart now reads");
	nod_close(nod);

	nod = nod_open(&o, T0 + 10, &err);
	ok(nod && indexed(nod, "new.example.se") && !indexed(nod, "old.example.se"),
		"after a restart: the day's name is served, the old one not");
	nod_close(nod);

	/* the clock set back four days: the load reaches below the floor */
	nod = nod_open(&o, T0 - 4 * DAY, &err);
	ok(nod != NULL, "opened with the clock set back: %s", nod ? "" : err.msg);
	ok(nod && indexed(nod, "old.example.se"),
		"the name whose row was purged is loaded all the same (from the names table)");
	nod_close(nod);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return tap_done();
}
