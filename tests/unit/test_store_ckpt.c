/* test_store_ckpt.c -- once a connection's commits leave STORE_CKPT_PAGES pages in the WAL,
 * the checkpoint runs on store_ckpt's own thread: it is counted (store_checkpoints), the
 * log is copied into the database file, and the data is whole after the thread is stopped
 * and the database reopened. 512-byte pages keep
 * the log that starts a checkpoint small (4,096 pages: 2 MiB). */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/counters.h"
#include "policy/store_ckpt.h"
#include "tests/unit/tap.h"

static long counted(const char *name)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return -1;
	counters_write(f);
	fclose(f);
	char key[96];
	snprintf(key, sizeof key, "\nnodd_%s_total ", name); /* the sample, not its # HELP line */
	const char *p = buf ? strstr(buf, key) : NULL;
	long v = p ? atol(p + strlen(key)) : 0;
	free(buf);
	return v;
}

static long long file_size(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
}

int main(void)
{
	char dir[] = "/tmp/nodd-storeckpt-XXXXXX", path[128], cmd[160];
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof path, "%s/n.db", dir);
	sqlite3 *db = NULL;
	ok(sqlite3_open(path, &db) == SQLITE_OK, "open");
	ok(sqlite3_exec(db, "PRAGMA page_size=512; PRAGMA journal_mode=WAL; "
		"CREATE TABLE t(k INTEGER PRIMARY KEY, v BLOB)", NULL, NULL, NULL) == SQLITE_OK,
		"a WAL database with 512-byte pages");
	struct nodd_err e = { 0 };
	struct store_ckpt *c = store_ckpt_start(db, path, &e);
	ok(c != NULL, "the checkpoint thread starts (%s)", e.msg);

	/* 40 commits of 100 rows of 400 bytes: about 8,000 pages of log */
	sqlite3_stmt *st = NULL;
	sqlite3_prepare_v2(db, "INSERT INTO t(v) VALUES (zeroblob(400))", -1, &st, NULL);
	int rows = 0;
	for (int tx = 0; tx < 40; tx++) {
		sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
		for (int i = 0; i < 100; i++, rows++) {
			sqlite3_step(st);
			sqlite3_reset(st);
		}
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	}
	sqlite3_finalize(st);
	long n = 0;
	for (int i = 0; i < 1000 && (n = counted("store_checkpoints")) < 1; i++)
		usleep(10000); /* bounded: 10 s */
	ok(n >= 1, "the thread checkpointed (%ld)", n);

	/* nothing else checkpoints (the hook replaced sqlite's own): the database file holds
	 * the rows only if the thread copied them there */
	long long size = 0;
	for (int i = 0; i < 1000 && (size = file_size(path)) < rows * 400LL; i++)
		usleep(10000);
	ok(size >= rows * 400LL, "the database file holds the rows (%lld bytes)", size);
	is_int((int)counted("store_checkpoint_errors"), 0, "no checkpoint failed");

	store_ckpt_stop(c);
	sqlite3_close(db);
	sqlite3_open(path, &db);
	sqlite3_prepare_v2(db, "SELECT count(*) FROM t", -1, &st, NULL);
	int have = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	sqlite3_finalize(st);
	sqlite3_close(db);
	is_int(have, rows, "every row is there after the thread stopped and a reopen");
	store_ckpt_stop(NULL);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return tap_done();
}
