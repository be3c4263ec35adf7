/* test_store_ckpt_worker.c -- a worker's large commit is not checkpointed by the commit, nor by
 * a main-thread commit while the checkpoint is deferred; store_checkpoint_detached copies
 * it into the database file on its own thread, and the deferral ends with it. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "policy/store.h"
#include "tests/unit/store_fixture.h"
#include "tests/unit/tap.h"

#define BIG_ROWS 2000 /* of 16,000 bytes: more pages than the WAL's checkpoint threshold */

static long long file_size(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
}

int main(void)
{
	struct store_pair sp;
	int opened = store_pair_open(&sp, "storeckptw");
	ok(opened == 0, "the main and the worker's handle on one store (%s)", sp.e.msg);
	if (opened < 0)
		return tap_done();
	store_t *mainst = sp.main, *w = sp.worker;
	const char *path = sp.path;
	long long before = file_size(path);

	store_checkpoint_defer(1);
	ok(store_checkpoint_deferred(), "deferred");
	is_int(store_begin(w), 0, "the worker begins");
	is_int(sqlite3_exec(store_db(w), "CREATE TABLE big(x);"
		" WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 2000)"
		" INSERT INTO big SELECT randomblob(16000) FROM c", NULL, NULL, NULL), SQLITE_OK,
		"it writes %d rows of 16,000 bytes", BIG_ROWS);
	is_int(store_commit(w), 0, "and commits");
	ok(file_size(path) < before + 1000000, "its commit copied nothing into the file");
	enum store_outcome out;
	is_int(store_observe(mainst, "x.se", 100, "t", 0, STORE_ADDED_UNKNOWN, NULL, &out), 0,
		"a main-thread write commits");
	ok(file_size(path) < before + 1000000, "nor did that commit");

	store_checkpoint_detached(w); /* closes w */
	store_checkpoints_wait();
	ok(!store_checkpoint_deferred(), "the deferral ended with the checkpoint");
	ok(file_size(path) > before + (long long)BIG_ROWS * 16000,
		"the worker's pages are in the file (%lld bytes)", file_size(path));
	int64_t fs = 0;
	is_int(store_lookup(mainst, "x.se", &fs, NULL, 0, NULL), 1, "the main write is held");

	store_close(mainst);
	if (store_pair_remove(&sp) < 0)
		return 1;
	return tap_done();
}
