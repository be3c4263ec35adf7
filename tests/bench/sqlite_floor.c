/* sqlite_floor.c -- what sqlite alone costs for the rows an import of new names writes.
 *
 * Builds a database with the store's tables as the migrations leave them (names, the
 * partial covering index names_since, outbox with outbox_created) and the store's settings
 * (WAL, synchronous=NORMAL, 16 KiB pages, 64 MiB cache), then inserts N random new names
 * in batches, each batch sorted by name and one transaction, as nodd does for
 * POST /api/v1/observations. Prints the CPU seconds (user + system) of the inserts and
 * the microseconds per name: the floor under nodd's own figure, since nodd does this and
 * more (HTTP, JSON, name checks, the index in memory).
 *
 * It measures; it owns nothing of nodd and must not be used as nodd's schema (the
 * statements are copies for measuring; policy/schema.c is the schema).
 *
 * usage: sqlite_floor DBFILE   (DBFILE and its -wal are replaced)
 * Environment: N names (1000000), B per batch (20000), IDX 0 = without names_since,
 * 2 = instead of it an append-only rowid table recent(first_seen, name, added), a row per
 * new name (what a start-up load from a table of recent names would cost to write),
 * OB 0 = no outbox, 1 = a row per record, 2 = a row per 512 records (as nodd stores them),
 * CACHE (PRAGMA cache_size, -65536), PS (page size, 16384), FS_NOW=1: first_seen is "now"
 * (one second later per batch, as names a transfer or a CT log shows) instead of random
 * within the last 24 h (an import of the bench's names.txt). */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

struct item {
	char name[24];
	long long fs;
};

static long env_long(const char *k, long def)
{
	const char *v = getenv(k);
	return v && *v ? atol(v) : def;
}

static double cpu_now(void)
{
	struct rusage r;
	getrusage(RUSAGE_SELF, &r);
	return (double)(r.ru_utime.tv_sec + r.ru_stime.tv_sec) +
		(double)(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
}

static void exec_or_die(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "sqlite_floor: %s: %s\n", sql, msg ? msg : "?");
		exit(1);
	}
}

static void step_or_die(sqlite3 *db, sqlite3_stmt *st)
{
	if (sqlite3_step(st) != SQLITE_DONE) {
		fprintf(stderr, "sqlite_floor: %s\n", sqlite3_errmsg(db));
		exit(1);
	}
	sqlite3_reset(st);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct item *)a)->name, ((const struct item *)b)->name);
}

static sqlite3 *open_db(const char *path, long idx)
{
	char wal[4096], sql[256];
	snprintf(wal, sizeof wal, "%s-wal", path);
	remove(path);
	remove(wal);
	sqlite3 *db;
	if (sqlite3_open(path, &db) != SQLITE_OK) {
		fprintf(stderr, "sqlite_floor: %s: cannot open\n", path);
		exit(1);
	}
	snprintf(sql, sizeof sql, "PRAGMA page_size=%ld", env_long("PS", 16384));
	exec_or_die(db, sql);
	exec_or_die(db, "PRAGMA journal_mode=WAL");
	snprintf(sql, sizeof sql, "PRAGMA synchronous=NORMAL; PRAGMA cache_size=%ld",
		env_long("CACHE", -65536));
	exec_or_die(db, sql);
	exec_or_die(db, "CREATE TABLE names(name TEXT PRIMARY KEY, first_seen INTEGER NOT NULL,"
		" source TEXT NOT NULL, baseline INTEGER NOT NULL DEFAULT 0, added INTEGER)"
		" WITHOUT ROWID");
	if (idx == 2)
		exec_or_die(db, "CREATE TABLE recent(id INTEGER PRIMARY KEY, first_seen INTEGER NOT NULL,"
			" name TEXT NOT NULL, added INTEGER)");
	else if (idx)
		exec_or_die(db, "CREATE INDEX names_since ON names(first_seen, name, added, baseline)"
			" WHERE baseline = 0");
	exec_or_die(db, "CREATE TABLE outbox(topic INTEGER NOT NULL, seq INTEGER NOT NULL,"
		" key TEXT NOT NULL, payload TEXT NOT NULL, created INTEGER NOT NULL,"
		" PRIMARY KEY(topic, seq)) WITHOUT ROWID;"
		"CREATE INDEX outbox_created ON outbox(created)");
	return db;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: sqlite_floor DBFILE\n");
		return 2;
	}
	long n_all = env_long("N", 1000000), per = env_long("B", 20000);
	long idx = env_long("IDX", 1), ob = env_long("OB", 2), fs_now = env_long("FS_NOW", 0);
	if (n_all < 1 || per < 1)
		return 2;
	sqlite3 *db = open_db(argv[1], idx);
	sqlite3_stmt *ins, *out, *rec = NULL;
	sqlite3_prepare_v2(db, "INSERT INTO names(name, first_seen, source, baseline, added) "
		"VALUES (?1, ?2, 'import', 0, ?3) ON CONFLICT(name) DO NOTHING", -1, &ins, NULL);
	sqlite3_prepare_v2(db, "INSERT INTO outbox(topic, seq, key, payload, created) "
		"VALUES (1, ?1, ?2, ?3, ?4)", -1, &out, NULL);
	if (idx == 2)
		sqlite3_prepare_v2(db, "INSERT INTO recent(first_seen, name, added) VALUES (?1, ?2, ?3)",
			-1, &rec, NULL);
	struct item *v = malloc((size_t)per * sizeof *v);
	char *rows = malloc(512 * 200 + 1);
	if (!v || !rows || !ins || !out)
		return 1;
	srand(42);
	long long now = (long long)time(NULL), seq = 0;
	size_t rl = 0;
	double busy = 0;
	for (long done = 0; done < n_all; done += per) {
		long n = n_all - done < per ? n_all - done : per;
		for (long i = 0; i < n; i++) {
			int l = 6 + rand() % 10;
			for (int k = 0; k < l; k++)
				v[i].name[k] = (char)('a' + rand() % 26);
			strcpy(v[i].name + l, ".se");
			v[i].fs = fs_now ? now + done / per : now - rand() % 86400;
		}
		double t0 = cpu_now();
		qsort(v, (size_t)n, sizeof *v, by_name);
		exec_or_die(db, "BEGIN IMMEDIATE");
		for (long i = 0; i < n; i++) {
			sqlite3_bind_text(ins, 1, v[i].name, -1, SQLITE_STATIC);
			sqlite3_bind_int64(ins, 2, v[i].fs);
			sqlite3_bind_int64(ins, 3, now);
			step_or_die(db, ins);
			if (rec) {
				sqlite3_bind_int64(rec, 1, v[i].fs);
				sqlite3_bind_text(rec, 2, v[i].name, -1, SQLITE_STATIC);
				sqlite3_bind_int64(rec, 3, now);
				step_or_die(db, rec);
			}
			if (!ob)
				continue;
			char rec[200];
			int len = snprintf(rec, sizeof rec, "{\"domain\":\"%s\",\"timestamp\":%lld,"
				"\"zone\":null,\"serial\":null,\"source\":\"import\",\"seq\":%lld}",
				v[i].name, v[i].fs, ++seq);
			if (ob == 2) { /* "\n" then "key\tJSON\n" per record, as policy/outbox.c */
				rl += (size_t)sprintf(rows + rl, "%s%s\t%s\n", rl ? "" : "\n", v[i].name, rec);
				if (seq % 512 && i + 1 < n)
					continue;
			}
			sqlite3_bind_int64(out, 1, seq);
			sqlite3_bind_text(out, 2, ob == 2 ? "" : v[i].name, -1, SQLITE_STATIC);
			sqlite3_bind_text(out, 3, ob == 2 ? rows : rec, ob == 2 ? (int)rl : len,
				SQLITE_STATIC);
			sqlite3_bind_int64(out, 4, now);
			step_or_die(db, out);
			rl = 0;
		}
		exec_or_die(db, "COMMIT");
		busy += cpu_now() - t0;
	}
	printf("%ld new names, batches of %ld, names_since %s, outbox %s: CPU %.2f s, "
		"%.2f us/name%s\n", n_all, per, idx == 2 ? "off, recent on" : idx ? "on" : "off",
		ob == 2 ? "512 records a row" : ob ? "a row per record" : "off", busy,
		busy * 1e6 / (double)n_all, fs_now ? " (first_seen now)" : "");
	sqlite3_finalize(ins);
	sqlite3_finalize(out);
	sqlite3_finalize(rec);
	sqlite3_close(db);
	free(v);
	free(rows);
	return 0;
}
