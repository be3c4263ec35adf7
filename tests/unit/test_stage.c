/* test_stage.c -- the in-memory AXFR stage (zones/stage.c): read back, it lists the
 * records in exactly the order sqlite keeps the stored copy's primary key (owner TEXT,
 * type, rdata BLOB, BINARY collation), which the AXFR difference's merge join relies on,
 * and a record received twice is kept once, with the first one's TTL; owners and rdata
 * shortened by the zone's name read back whole. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "zones/stage.h"

#define N 5000

static const uint8_t ZWIRE[] = "\x07nodtest"; /* and its NUL: the root label */

/* N random records staged for zone (NULL: nothing shortened) and inserted into sqlite;
 * the stage read back must be the table in its key order. */
static void against_sqlite(const char *zone)
{
	static char owners[N][32];
	static uint8_t rds[N][24];
	const char *what = zone ? zone : "no zone";
	struct stage st;
	stage_init(&st);
	sqlite3 *db = NULL;
	sqlite3_open(":memory:", &db);
	sqlite3_exec(db, "CREATE TABLE t(owner TEXT, type INTEGER, rdata BLOB, ttl INTEGER,"
		" PRIMARY KEY(owner, type, rdata)) WITHOUT ROWID", NULL, NULL, NULL);
	sqlite3_stmt *ins = NULL;
	sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO t VALUES (?1, ?2, ?3, ?4)", -1, &ins, NULL);
	srandom(7);
	int ok_add = 1;
	for (int i = 0; i < N; i++) {
		/* few distinct values, so that owners, types and rdata collide and prefixes
		 * (with and without the zone's name), bytes above 0x7f, the apex and names
		 * outside the zone are compared */
		int l = (int)(random() % 4), kind = (int)(random() % 8);
		const char *tail = kind == 0 ? "other" : kind == 1 ? "nodtest-" : "nodtest";
		if (kind == 2)
			snprintf(owners[i], sizeof owners[i], "nodtest");
		else
			snprintf(owners[i], sizeof owners[i], "%s%c%s.%s", l ? "a" : "",
				"ab-\xe9z"[random() % 5], l > 1 ? "b" : "", tail);
		size_t rdlen = (size_t)(random() % 4);
		for (size_t k = 0; k < rdlen; k++)
			rds[i][k] = (uint8_t)(random() % 3 ? random() % 2 : 0xF0);
		if (random() % 3 == 0) { /* ends in the zone's name */
			memcpy(rds[i] + rdlen, ZWIRE, sizeof ZWIRE);
			rdlen += sizeof ZWIRE;
		}
		struct zone_rr rr = { owners[i], (uint16_t)(random() % 3 ? 2 : 300),
			(uint32_t)(random() % 4 ? 3600 : i), rds[i], rdlen };
		ok_add &= stage_add(&st, zone, &rr) == 0;
		sqlite3_bind_text(ins, 1, rr.owner, -1, SQLITE_STATIC);
		sqlite3_bind_int(ins, 2, rr.type);
		sqlite3_bind_blob(ins, 3, rr.rd, (int)rr.rdlen, SQLITE_STATIC);
		sqlite3_bind_int64(ins, 4, rr.ttl);
		sqlite3_step(ins);
		sqlite3_reset(ins);
	}
	ok(ok_add, "%s: %d records staged", what, N);
	is_int(stage_sort(&st), 0, "%s: sorted", what);
	sqlite3_stmt *sel = NULL;
	sqlite3_prepare_v2(db, "SELECT owner, type, rdata, ttl FROM t ORDER BY owner, type, rdata",
		-1, &sel, NULL);
	struct stage_iter it;
	is_int(stage_iter_begin(&st, &it), 0, "%s: read back", what);
	size_t same = 0, rows = 0, read = 0;
	int increasing = 1, have = 0;
	struct zone_rr rr, prev;
	char prev_owner[64] = "";
	uint8_t prev_rd[32];
	while (sqlite3_step(sel) == SQLITE_ROW) {
		rows++;
		if (stage_iter_next(&it, &rr) <= 0)
			continue;
		read++;
		if (have) {
			prev.owner = prev_owner;
			increasing &= zone_rr_key_cmp(&prev, &rr) < 0;
		}
		size_t bl = (size_t)sqlite3_column_bytes(sel, 2);
		if (strcmp(rr.owner, (const char *)sqlite3_column_text(sel, 0)) == 0 &&
		    rr.type == sqlite3_column_int(sel, 1) && rr.rdlen == bl &&
		    (!bl || memcmp(rr.rd, sqlite3_column_blob(sel, 2), bl) == 0) &&
		    rr.ttl == (uint32_t)sqlite3_column_int64(sel, 3))
			same++;
		/* the view lasts until the next record: the previous one copied */
		snprintf(prev_owner, sizeof prev_owner, "%s", rr.owner);
		memcpy(prev_rd, rr.rd, rr.rdlen);
		prev = rr;
		prev.rd = prev_rd;
		have = 1;
	}
	read += stage_iter_next(&it, &rr) > 0;
	stage_iter_end(&it);
	ok(rows < N, "%s: duplicates were generated (%zu distinct of %d)", what, rows, N);
	is_int((int)read, (int)rows, "%s: the stage keeps each record once", what);
	is_int((int)same, (int)rows, "%s: in sqlite's key order, each with its first TTL", what);
	ok(increasing, "%s: strictly increasing by zone_rr_key_cmp", what);
	stage_clear(&st);
	is_int((int)st.n, 0, "%s: cleared", what);
	sqlite3_finalize(ins);
	sqlite3_finalize(sel);
	sqlite3_close(db);
}

int main(void)
{
	against_sqlite("nodtest");
	against_sqlite(NULL);

	/* an owner under the zone: its text once, without the zone's name; a record with the
	 * stage's TTL and an rdata ending in the zone's name: two bytes and the rest */
	struct stage st;
	stage_init(&st);
	static const uint8_t ns[3][14] = { "\x02ns\x01" "a\x07nodtest", "\x02ns\x01" "b\x07nodtest",
		"\x02ns\x01" "c\x07nodtest" };
	int ok_run = 1;
	for (int k = 2; k >= 0; k--) {
		struct zone_rr rr = { "a.nodtest", 2, 100, ns[k], sizeof ns[k] };
		ok_run &= stage_add(&st, "nodtest", &rr) == 0;
	}
	ok(ok_run, "three records staged");
	is_int((int)st.len, 4 + 3 * (2 + 5), "kept as a group of shortened records");
	is_int(stage_sort(&st), 0, "sorted");
	struct stage_iter it;
	is_int(stage_iter_begin(&st, &it), 0, "read back");
	int back = 0;
	struct zone_rr rr;
	for (int k = 0; stage_iter_next(&it, &rr) > 0; k++)
		back += k < 3 && strcmp(rr.owner, "a.nodtest") == 0 && rr.type == 2 &&
			rr.ttl == 100 && rr.rdlen == sizeof ns[k] && memcmp(rr.rd, ns[k], rr.rdlen) == 0;
	stage_iter_end(&it);
	is_int(back, 3, "whole again, in key order");
	stage_clear(&st);

	/* more records of one owner in a row than a group holds: read back as one owner */
	enum { MANY = 600 };
	ok_run = 1;
	for (int k = MANY - 1; k >= 0; k--) {
		uint8_t rd[2] = { (uint8_t)(k >> 8), (uint8_t)k };
		struct zone_rr r = { "m.nodtest", 16, 100, rd, 2 };
		ok_run &= stage_add(&st, "nodtest", &r) == 0;
	}
	ok(ok_run && st.n > 1, "%d records of one owner staged in %zu groups", MANY, st.n);
	stage_sort(&st);
	stage_iter_begin(&st, &it);
	int inorder = 0;
	for (int k = 0; stage_iter_next(&it, &rr) > 0; k++)
		inorder += rr.rdlen == 2 && rr.rd[0] == (uint8_t)(k >> 8) && rr.rd[1] == (uint8_t)k;
	stage_iter_end(&it);
	is_int(inorder, MANY, "read back in key order");
	stage_clear(&st);
	return tap_done();
}
