/* schema.c -- schema migrations, tracked in PRAGMA user_version.
 *
 * migrations[v] takes a database from version v to v + 1. To change the schema (new tables
 * for zone copies, the outbox, ...), append an entry here and bump SCHEMA_VERSION in
 * schema.h; never edit an entry that has shipped, since databases in the field already ran
 * it. Each migration runs in its own BEGIN IMMEDIATE transaction together with the
 * user_version bump, so a crash mid-migration leaves the previous version intact, and two
 * processes opening a fresh database at once cannot both apply the same step.
 *
 * An entry made of several string literals is parenthesised: clang's
 * -Wstring-concatenation otherwise suspects a missing comma in the array. */
#include "policy/schema.h"

#include <stdio.h>

static const char *const migrations[] = {
	/* 1: the first-seen store and small persistent state */
	("CREATE TABLE names("
	 "  name TEXT PRIMARY KEY,"
	 "  first_seen INTEGER NOT NULL,"
	 "  source TEXT NOT NULL,"
	 "  baseline INTEGER NOT NULL DEFAULT 0"
	 ") WITHOUT ROWID;"
	 "CREATE INDEX names_first_seen ON names(first_seen);"
	 "CREATE TABLE meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;"),
	/* 2: the copies of followed upstream zones and their refresh state (zones/) */
	("CREATE TABLE zone_rr("
	 "  zone TEXT NOT NULL, owner TEXT NOT NULL, type INTEGER NOT NULL,"
	 "  rdata BLOB NOT NULL, ttl INTEGER NOT NULL,"
	 "  PRIMARY KEY(zone, owner, type, rdata)"
	 ") WITHOUT ROWID;"
	 "CREATE TABLE upstream("
	 "  zone TEXT PRIMARY KEY, serial INTEGER NOT NULL, have_copy INTEGER NOT NULL,"
	 "  last_success INTEGER NOT NULL DEFAULT 0"
	 ") WITHOUT ROWID;"),
	/* 3: a covering index for the start-up load (names of the last 24 h in first_seen
	 * order without a lookup into the table per row: nod_open of 1M names 3.7 s -> 0.5 s) */
	("DROP INDEX names_first_seen;"
	 "CREATE INDEX names_first_seen ON names(first_seen, baseline, name);"),
	/* 4: the same covering index, partial: only store_each_since reads it and it skips
	 * baseline names, which are most rows (the first AXFR of a TLD). Baseline rows cost
	 * no index entry on insert, and the start-up load does not step over the baseline
	 * names of the last 24 h. */
	("DROP INDEX names_first_seen;"
	 "CREATE INDEX names_since ON names(first_seen, name) WHERE baseline = 0;"),
	/* 5: the IXFR-out history survives restarts (policy/versions.h): each name's "added"
	 * stamp (NULL: from before this version, "always there"), the versions made in the
	 * last 24 h, and the time before which versions cannot be diffed exactly -- now, since
	 * names written before this migration have no stamp. A new (empty) database has no
	 * unstamped name, so no floor: its first versions, made by nod_open() with the time
	 * taken before this ran, must stay diffable (a floor a second later than them made a
	 * restart within that second answer IXFR from them AXFR-style). The start-up load
	 * reads added from the covering index too. */
	("ALTER TABLE names ADD COLUMN added INTEGER;"
	 "DROP INDEX names_since;"
	 "CREATE INDEX names_since ON names(first_seen, name, added) WHERE baseline = 0;"
	 "CREATE TABLE zone_version("
	 "  zone INTEGER NOT NULL, vtime INTEGER NOT NULL, serial INTEGER NOT NULL,"
	 "  PRIMARY KEY(zone, vtime)"
	 ") WITHOUT ROWID;"
	 "INSERT INTO meta(key, value)"
	 "  SELECT 'versions.floor', CAST(strftime('%s', 'now') AS INTEGER)"
	 "  WHERE EXISTS (SELECT 1 FROM names WHERE baseline = 0)"
	 "  ON CONFLICT(key) DO UPDATE SET value = excluded.value;"),
	/* 6: the allow-list (policy/allow.h): one row per entry and interval; until NULL
	 * while the entry applies. Ended rows are kept a day for the IXFR history. */
	("CREATE TABLE allow_entry("
	 "  pattern TEXT NOT NULL, origin TEXT NOT NULL,"
	 "  since INTEGER NOT NULL, until INTEGER,"
	 "  PRIMARY KEY(pattern, origin, since)"
	 ") WITHOUT ROWID;"),
	/* 7: the CT source (ct/state.c): per log, the position and the compact Merkle range of
	 * the entries read (frontier, its size is the next index) with the last verified tree
	 * head; the issuance keys seen lately (a precert and its certificate, in any log, count
	 * once; bounded by ct.dedup-keep, oldest rowid first); the CT candidates (listed: in the
	 * zones already; confirmed: 0 unconfirmed, 1 confirmed, 2 known); the host names streamed
	 * under a candidate (kept a little over 24 h). */
	("CREATE TABLE ct_log("
	 "  log_id BLOB PRIMARY KEY, next INTEGER NOT NULL, frontier BLOB NOT NULL,"
	 "  sth_size INTEGER NOT NULL, sth_time INTEGER NOT NULL, sth_root BLOB NOT NULL"
	 ") WITHOUT ROWID;"
	 "CREATE TABLE ct_issuance(key BLOB NOT NULL UNIQUE);"
	 "CREATE TABLE ct_candidate("
	 "  domain TEXT PRIMARY KEY, first_seen INTEGER NOT NULL, listed INTEGER NOT NULL,"
	 "  confirmed INTEGER NOT NULL DEFAULT 0"
	 ") WITHOUT ROWID;"
	 "CREATE TABLE ct_fqdn(fqdn TEXT PRIMARY KEY, seen INTEGER NOT NULL) WITHOUT ROWID;"
	 "CREATE INDEX ct_fqdn_seen ON ct_fqdn(seen);"),
	/* 8: the RDAP queue (ct/confirm.c): candidates waiting for their registry's creation
	 * date, when they are asked next (a request in flight holds a lease) and how often
	 * they were asked. */
	("CREATE TABLE rdap_queue("
	 "  domain TEXT PRIMARY KEY, first_seen INTEGER NOT NULL, next_try INTEGER NOT NULL,"
	 "  tries INTEGER NOT NULL DEFAULT 0"
	 ") WITHOUT ROWID;"
	 "CREATE INDEX rdap_queue_next ON rdap_queue(next_try);"),
	/* 9: the number of names, counted once here and from then on kept by the store in the
	 * transaction that changes it (policy/store.h, store_names): status and /metrics read
	 * it instead of walking the table. */
	("INSERT INTO meta(key, value) SELECT 'names.count', count(*) FROM names WHERE 1"
	 "  ON CONFLICT(key) DO UPDATE SET value = excluded.value;"),
	/* 10: baseline in the start-up load's index too. sqlite 3.40 (Debian 12) counts the
	 * partial index's own WHERE column among the columns a query needs, so without it the
	 * index was not covering and every row of the load was looked up in the table again
	 * (1M names: 68 % of the start-up time). */
	("DROP INDEX names_since;"
	 "CREATE INDEX names_since ON names(first_seen, name, added, baseline) WHERE baseline = 0;"),
	/* 11: the outbox holds batch rows (policy/outbox.c: many records of one transaction in
	 * one row). Rows written before read as they were; the version bump keeps an older
	 * nodd, which would hand a batch row out as one record, from opening the store. */
	("INSERT INTO meta(key, value) VALUES ('outbox.batch_rows', 1)"
	 "  ON CONFLICT(key) DO UPDATE SET value = excluded.value;"),
	/* 12: the start-up load reads recent, a table a row is appended to whenever a name is
	 * listed (or its listed time or stamp changes), instead of names_since. An index in
	 * first_seen order took an insert at a random place per new name and made a commit
	 * write most of its pages (an import of 1M names with random times: 2 of sqlite's
	 * 5.5 us per name); an append touches the last page. names.rseq is the name's row in
	 * recent. Rows are inserted into names by policy/store.c alone, which adds a listed
	 * name's row of recent itself (a trigger on every insert cost a baseline import
	 * about 15 %); the trigger keeps one row per listed name for every writer that
	 * updates names (confirm.c too); its delete checks the name, so a stale rseq (the
	 * row purged, the seq taken again) deletes nothing else. Rows older than every
	 * window are purged by the store (store_recent_purge); the load sorts what it reads.
	 * The upgrade copies the listed names of the last 7 days (through names_since, whatever
	 * the size of the store) and, when it leaves older ones out, sets the purge floor
	 * there: a load reaching further back reads names instead. */
	("ALTER TABLE names ADD COLUMN rseq INTEGER;"
	 "CREATE TABLE recent("
	 "  seq INTEGER PRIMARY KEY, name TEXT NOT NULL, first_seen INTEGER NOT NULL,"
	 "  added INTEGER);"
	 "INSERT INTO recent(name, first_seen, added)"
	 "  SELECT name, first_seen, added FROM names WHERE baseline = 0"
	 "  AND first_seen > CAST(strftime('%s', 'now') AS INTEGER) - 604800"
	 "  ORDER BY first_seen, name;"
	 "INSERT INTO meta(key, value)"
	 "  SELECT 'recent.floor', CAST(strftime('%s', 'now') AS INTEGER) - 604800"
	 "  WHERE EXISTS (SELECT 1 FROM names WHERE baseline = 0"
	 "    AND first_seen <= CAST(strftime('%s', 'now') AS INTEGER) - 604800)"
	 "  ON CONFLICT(key) DO UPDATE SET value = excluded.value;"
	 "CREATE INDEX recent_by_name ON recent(name);"
	 "UPDATE names SET rseq = (SELECT seq FROM recent WHERE recent.name = names.name)"
	 "  WHERE name IN (SELECT name FROM recent);"
	 "DROP INDEX recent_by_name;"
	 "DROP INDEX names_since;"
	 "CREATE TRIGGER names_recent_update AFTER UPDATE OF first_seen, baseline, added ON names"
	 "  BEGIN"
	 "  DELETE FROM recent WHERE seq = old.rseq AND name = old.name;"
	 "  INSERT INTO recent(name, first_seen, added)"
	 "    SELECT new.name, new.first_seen, new.added WHERE new.baseline = 0;"
	 "  UPDATE names SET rseq = CASE WHEN new.baseline = 0"
	 "    THEN (SELECT max(seq) FROM recent) END WHERE name = new.name;"
	 "END;"),
};

#define NMIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))
_Static_assert(NMIGRATIONS == SCHEMA_VERSION, "SCHEMA_VERSION must count the migrations");

static int read_version(sqlite3 *db, int *version, struct nodd_err *e)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return nodd_fail(e, NODD_E_STORE, "read schema version: %s", sqlite3_errmsg(db));
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*version = sqlite3_column_int(st, 0);
	else
		nodd_fail(e, NODD_E_STORE, "read schema version: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

static int too_new(int version, struct nodd_err *e)
{
	return nodd_fail(e, NODD_E_INVALID, "database schema version %d is newer than this nodd (%d)",
		version, SCHEMA_VERSION);
}

int schema_migrate(sqlite3 *db, struct nodd_err *e)
{
	int have = 0;
	if (read_version(db, &have, e) < 0)
		return -1;
	if (have > SCHEMA_VERSION)
		return too_new(have, e);
	/* Up to date: no write lock taken, so opening never waits behind another writer. */
	while (have < SCHEMA_VERSION) {
		char *msg = NULL;
		if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK) {
			nodd_fail(e, NODD_E_STORE, "schema migration %d: begin: %s", have + 1,
				msg ? msg : sqlite3_errmsg(db));
			sqlite3_free(msg);
			return -1;
		}
		/* Read again under the lock: another process may have migrated meanwhile. */
		if (read_version(db, &have, e) < 0) {
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
		if (have >= SCHEMA_VERSION) {
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return have > SCHEMA_VERSION ? too_new(have, e) : 0;
		}
		char bump[64];
		snprintf(bump, sizeof bump, "PRAGMA user_version = %d", have + 1);
		if (sqlite3_exec(db, migrations[have], NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(db, bump, NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
			nodd_fail(e, NODD_E_STORE, "schema migration %d: %s", have + 1,
				msg ? msg : sqlite3_errmsg(db));
			sqlite3_free(msg);
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
		have++;
	}
	return 0;
}
