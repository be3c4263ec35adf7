/* copy.c -- the stored copy of the upstream zones and the staging tables: every SQL
 * statement zones/ runs, behind functions that take and give struct zone_rr. Knows
 * nothing of transfers, observations or the network. */
#include "zones/copy.h"

#include <sqlite3.h>
#include <string.h>

#include "lib/serial.h"
#include "policy/store.h"

static const char *const sql_tmp =
	/* every row keyed by its zone: transfers of several upstreams run at once, and each
	 * reads, clears and applies only its own rows */
	"CREATE TEMP TABLE IF NOT EXISTS ixfr_seq(zone TEXT, seq INTEGER, owner TEXT, type INTEGER,"
	" rdata BLOB, ttl INTEGER, PRIMARY KEY(zone, seq)) WITHOUT ROWID;"
	/* owners that lost an NS record earlier in the transfer being applied: an NS added to
	 * one of them later is a change of name servers, not a name returning */
	"CREATE TEMP TABLE IF NOT EXISTS ns_lost(zone TEXT, owner TEXT, PRIMARY KEY(zone, owner))"
	" WITHOUT ROWID";

static const char *const sql[C_COUNT] = {
	[C_LOAD] = "SELECT serial, have_copy, last_success FROM upstream WHERE zone = ?1",
	[C_SAVE] = "INSERT INTO upstream(zone, serial, have_copy, last_success) VALUES (?1, ?2, 1, ?3) "
		"ON CONFLICT(zone) DO UPDATE SET serial = excluded.serial, have_copy = 1, "
		"last_success = excluded.last_success",
	[C_ADD] = "INSERT OR IGNORE INTO zone_rr(zone, owner, type, rdata, ttl) VALUES (?1, ?2, ?3, ?4, ?5)",
	[C_DEL] = "DELETE FROM zone_rr WHERE zone = ?1 AND owner = ?2 AND type = ?3 AND rdata = ?4",
	[C_CLEAR] = "DELETE FROM zone_rr WHERE zone = ?1",
	[C_HELD_SOA] = "SELECT rdata FROM zone_rr WHERE zone = ?1 AND owner = ?1 AND type = 6",
	/* in primary-key order, without a sort (the AXFR difference's merge join) */
	[C_COPY_ORDERED] = "SELECT owner, type, rdata, ttl FROM zone_rr WHERE zone = ?1"
		" ORDER BY owner, type, rdata",
	[C_IXFR_ADD] = "INSERT INTO ixfr_seq(zone, seq, owner, type, rdata, ttl)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[C_IXFR_CLEAR] = "DELETE FROM ixfr_seq WHERE zone = ?1",
	[C_IXFR_READ] = "SELECT owner, type, rdata, ttl FROM ixfr_seq WHERE zone = ?1 ORDER BY seq",
	[C_NS_COUNT] = "SELECT count(*) FROM zone_rr WHERE zone = ?1 AND owner = ?2 AND type = 2",
	[C_LOST_ADD] = "INSERT OR IGNORE INTO ns_lost(zone, owner) VALUES (?1, ?2)",
	[C_LOST_HAS] = "SELECT 1 FROM ns_lost WHERE zone = ?1 AND owner = ?2",
	[C_LOST_CLEAR] = "DELETE FROM ns_lost WHERE zone = ?1",
};

const char *copy_db_path(struct copy *c)
{
	return sqlite3_db_filename(c->db, "main");
}

int copy_fail(struct copy *c, struct nodd_err *e, const char *what)
{
	return nodd_fail(e, NODD_E_STORE, "%s: %s", what, sqlite3_errmsg(c->db));
}

int copy_open(struct copy *c, sqlite3 *db, struct nodd_err *e)
{
	memset(c, 0, sizeof *c);
	c->db = db;
	if (sqlite3_exec(db, sql_tmp, NULL, NULL, NULL) != SQLITE_OK)
		return nodd_fail(e, NODD_E_STORE, "upstreams: staging tables: %s", sqlite3_errmsg(db));
	for (int i = 0; i < C_COUNT; i++)
		if (sqlite3_prepare_v2(db, sql[i], -1, &c->st[i], NULL) != SQLITE_OK) {
			nodd_fail(e, NODD_E_STORE, "upstreams: prepare: %s", sqlite3_errmsg(db));
			copy_close(c);
			return -1;
		}
	return 0;
}

void copy_close(struct copy *c)
{
	for (int i = 0; i < C_COUNT; i++) {
		sqlite3_finalize(c->st[i]);
		c->st[i] = NULL;
	}
}

/* Step a statement that returns no rows, then reset it and drop its bindings. */
static int run(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Run a statement whose one parameter is zone. */
static int run_zone(sqlite3_stmt *st, const char *zone)
{
	sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
	return run(st);
}

/* Bind rr's owner, type, rdata (and ttl when ttl_at > 0) from column i on. */
static void bind_rr(sqlite3_stmt *st, int i, const struct zone_rr *rr, int with_ttl)
{
	sqlite3_bind_text(st, i, rr->owner, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, i + 1, rr->type);
	sqlite3_bind_blob(st, i + 2, rr->rd, (int)rr->rdlen, SQLITE_STATIC);
	if (with_ttl)
		sqlite3_bind_int64(st, i + 3, rr->ttl);
}

int copy_load_state(struct copy *c, const char *zone, struct copy_state *out)
{
	memset(out, 0, sizeof *out);
	sqlite3_stmt *ld = c->st[C_LOAD];
	sqlite3_bind_text(ld, 1, zone, -1, SQLITE_STATIC);
	int rc = sqlite3_step(ld);
	if (rc == SQLITE_ROW) {
		out->serial = (uint32_t)sqlite3_column_int64(ld, 0);
		out->have_copy = sqlite3_column_int(ld, 1);
		out->last_success = sqlite3_column_int64(ld, 2);
	}
	sqlite3_reset(ld);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return -1;
	/* the timers of the held SOA: a restart keeps the zone's own refresh/retry/expire */
	sqlite3_stmt *hs = c->st[C_HELD_SOA];
	sqlite3_bind_text(hs, 1, zone, -1, SQLITE_STATIC);
	if (out->have_copy && sqlite3_step(hs) == SQLITE_ROW &&
	    serial_soa_fields(sqlite3_column_blob(hs, 0), (size_t)sqlite3_column_bytes(hs, 0), NULL,
		    &out->refresh, &out->retry, &out->expire) == 0)
		out->have_timers = 1;
	sqlite3_reset(hs);
	return 0;
}

int copy_save_state(struct copy *c, const char *zone, uint32_t serial, int64_t when)
{
	sqlite3_stmt *st = c->st[C_SAVE];
	sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, serial);
	sqlite3_bind_int64(st, 3, when);
	return run(st);
}

static int copy_op(struct copy *c, enum copy_stmt which, const char *zone, const struct zone_rr *rr)
{
	sqlite3_stmt *st = c->st[which];
	sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
	bind_rr(st, 2, rr, which == C_ADD);
	return run(st) < 0 ? -1 : sqlite3_changes(c->db);
}

int copy_add(struct copy *c, const char *zone, const struct zone_rr *rr)
{
	return copy_op(c, C_ADD, zone, rr);
}

int copy_del(struct copy *c, const char *zone, const struct zone_rr *rr)
{
	return copy_op(c, C_DEL, zone, rr);
}

/* Rows per INSERT of copy_take_stage: one statement step per block of records instead of
 * one per record (a TLD's first copy is millions of rows; each step has a fixed cost). */
#define TAKE_BLOCK 64

/* "INSERT OR IGNORE INTO zone_rr ... VALUES (?1, ?2, ?3, ?4, ?5), (?1, ?6, ...)": zone is
 * ?1, row k's owner, type, rdata, ttl are ?(2 + 4k) to ?(5 + 4k). */
static sqlite3_stmt *take_block_stmt(sqlite3 *db)
{
	char sql[128 + TAKE_BLOCK * 40];
	size_t o = store_sql_rows(sql, sizeof sql,
		"INSERT OR IGNORE INTO zone_rr(zone, owner, type, rdata, ttl) VALUES ",
		"(?1, ?#, ?#, ?#, ?#)", TAKE_BLOCK, 2, "");
	sqlite3_stmt *st = NULL;
	return o && sqlite3_prepare_v2(db, sql, (int)o, &st, NULL) == SQLITE_OK ? st : NULL;
}

long long copy_take_stage(struct copy *c, const char *zone, struct stage *st)
{
	struct stage_iter it;
	if (run_zone(c->st[C_CLEAR], zone) < 0 || stage_sort(st) < 0 ||
	    stage_iter_begin(st, &it) < 0) {
		stage_iter_end(&it);
		return -1;
	}
	/* the stage's views last until its next record: each bound as a copy (into the
	 * statement's own buffers, kept from one block to the next) */
	sqlite3_stmt *blk = st->records >= TAKE_BLOCK ? take_block_stmt(c->db) : NULL;
	long long n = 0;
	int k = 0, got;
	struct zone_rr rr;
	if (blk)
		sqlite3_bind_text(blk, 1, zone, -1, SQLITE_STATIC);
	while (n >= 0 && (got = stage_iter_next(&it, &rr)) > 0) {
		if (!blk) { /* few records: one by one */
			int one = copy_add(c, zone, &rr);
			n = one < 0 ? -1 : n + one;
			continue;
		}
		sqlite3_bind_text(blk, 2 + 4 * k, rr.owner, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(blk, 3 + 4 * k, rr.type);
		sqlite3_bind_blob(blk, 4 + 4 * k, rr.rd, (int)rr.rdlen, SQLITE_TRANSIENT);
		sqlite3_bind_int64(blk, 5 + 4 * k, rr.ttl);
		if (++k < TAKE_BLOCK)
			continue;
		k = 0;
		int rc = sqlite3_step(blk); /* in key order: appends */
		sqlite3_reset(blk);
		n = rc == SQLITE_DONE ? n + sqlite3_changes(c->db) : -1;
	}
	if (got < 0)
		n = -1;
	if (blk && k && n >= 0) {
		/* the rest: the block's other rows still hold the previous block's (stored
		 * already) or nothing (NULL, refused by the NOT NULL columns), both ignored */
		int rc = sqlite3_step(blk);
		sqlite3_reset(blk);
		n = rc == SQLITE_DONE ? n + sqlite3_changes(c->db) : -1;
	}
	sqlite3_finalize(blk);
	stage_iter_end(&it);
	return n;
}

/* Run an owner statement (zone, then owner); *out (may be NULL) gets the
 * first column of its row, or 0 when there is none. */
static int owner_step(struct copy *c, enum copy_stmt which, const char *zone, const char *owner,
	int64_t *out)
{
	sqlite3_stmt *st = c->st[which];
	sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, owner, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (out)
		*out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int copy_ns_count(struct copy *c, const char *zone, const char *owner, int64_t *n)
{
	return owner_step(c, C_NS_COUNT, zone, owner, n);
}

int copy_lost_add(struct copy *c, const char *zone, const char *owner)
{
	return owner_step(c, C_LOST_ADD, zone, owner, NULL);
}

int copy_lost_has(struct copy *c, const char *zone, const char *owner, int *has)
{
	int64_t v = 0;
	int rc = owner_step(c, C_LOST_HAS, zone, owner, &v);
	*has = v != 0;
	return rc;
}

int copy_stage_ixfr(struct copy *c, const char *zone, int64_t seq, const struct zone_rr *rr)
{
	sqlite3_stmt *st = c->st[C_IXFR_ADD];
	sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, seq);
	bind_rr(st, 3, rr, 1);
	return run(st);
}

int copy_stage_ixfr_to_axfr(struct copy *c, const char *zone, struct stage *axfr)
{
	struct copy_scan s;
	copy_scan_begin(c, SCAN_STAGED_IXFR, zone, &s);
	int rc;
	while ((rc = copy_scan_next(&s)) > 0)
		if (stage_add(axfr, zone, &s.row) < 0) {
			rc = -1;
			break;
		}
	copy_scan_end(&s);
	return rc < 0 || run_zone(c->st[C_IXFR_CLEAR], zone) < 0 ? -1 : 0;
}

void copy_stage_clear(struct copy *c, const char *zone, struct stage *axfr)
{
	if (axfr)
		stage_clear(axfr);
	run_zone(c->st[C_IXFR_CLEAR], zone);
	run_zone(c->st[C_LOST_CLEAR], zone);
}

int copy_stage_begin(struct copy *c)
{
	return sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

int copy_stage_commit(struct copy *c)
{
	return sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

void copy_stage_rollback(struct copy *c)
{
	sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
}

void copy_scan_begin(struct copy *c, enum copy_scan_of of, const char *zone, struct copy_scan *s)
{
	static const enum copy_stmt stmt[] = { [SCAN_HELD] = C_COPY_ORDERED,
		[SCAN_STAGED_IXFR] = C_IXFR_READ };
	memset(s, 0, sizeof *s);
	s->st = c->st[stmt[of]];
	sqlite3_bind_text(s->st, 1, zone, -1, SQLITE_STATIC);
}

int copy_scan_next(struct copy_scan *s)
{
	int rc = sqlite3_step(s->st);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return -1;
	const char *owner = (const char *)sqlite3_column_text(s->st, 0);
	s->row.owner = owner ? owner : "";
	s->row.type = (uint16_t)sqlite3_column_int(s->st, 1);
	s->row.rd = sqlite3_column_blob(s->st, 2);
	s->row.rdlen = (size_t)sqlite3_column_bytes(s->st, 2);
	s->row.ttl = (uint32_t)sqlite3_column_int64(s->st, 3);
	return 1;
}

void copy_scan_end(struct copy_scan *s)
{
	if (s->st) {
		sqlite3_reset(s->st);
		sqlite3_clear_bindings(s->st);
	}
	s->st = NULL;
}
