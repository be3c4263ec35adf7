/* test_stage.c -- the in-memory AXFR stage (zones/stage.c): sorted, it lists the records
 * in exactly the order sqlite keeps the stored copy's primary key (owner TEXT, type,
 * rdata BLOB, BINARY collation), which the AXFR difference's merge join relies on, and a
 * record received twice is kept once, with the first one's TTL. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "zones/stage.h"

#define N 5000

int main(void)
{
	static char owners[N][32];
	static uint8_t rds[N][8];
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
		/* few distinct values, so that owners, types and rdata collide and prefixes and
		 * bytes above 0x7f are compared */
		int l = (int)(random() % 4);
		snprintf(owners[i], sizeof owners[i], "%s%c%s.nodtest", l ? "a" : "",
			"ab-\xe9z"[random() % 5], l > 1 ? "b" : "");
		size_t rdlen = (size_t)(random() % 4);
		for (size_t k = 0; k < rdlen; k++)
			rds[i][k] = (uint8_t)(random() % 3 ? random() % 2 : 0xF0);
		struct zone_rr rr = { owners[i], (uint16_t)(random() % 3 ? 2 : 300), (uint32_t)i,
			rds[i], rdlen };
		ok_add &= stage_add(&st, &rr) == 0;
		sqlite3_bind_text(ins, 1, rr.owner, -1, SQLITE_STATIC);
		sqlite3_bind_int(ins, 2, rr.type);
		sqlite3_bind_blob(ins, 3, rr.rd, (int)rr.rdlen, SQLITE_STATIC);
		sqlite3_bind_int64(ins, 4, rr.ttl);
		sqlite3_step(ins);
		sqlite3_reset(ins);
	}
	ok(ok_add, "%d records staged", N);
	is_int(stage_sort(&st), 0, "sorted");
	sqlite3_stmt *sel = NULL;
	sqlite3_prepare_v2(db, "SELECT owner, type, rdata, ttl FROM t ORDER BY owner, type, rdata",
		-1, &sel, NULL);
	size_t i = 0, same = 0, rows = 0;
	while (sqlite3_step(sel) == SQLITE_ROW) {
		rows++;
		if (i >= st.n)
			continue;
		struct zone_rr rr;
		stage_get(&st, i++, &rr);
		size_t bl = (size_t)sqlite3_column_bytes(sel, 2);
		if (strcmp(rr.owner, (const char *)sqlite3_column_text(sel, 0)) == 0 &&
		    rr.type == sqlite3_column_int(sel, 1) && rr.rdlen == bl &&
		    (!bl || memcmp(rr.rd, sqlite3_column_blob(sel, 2), bl) == 0) &&
		    rr.ttl == (uint32_t)sqlite3_column_int64(sel, 3))
			same++;
	}
	ok(rows < N, "duplicates were generated (%zu distinct of %d)", rows, N);
	is_int((int)st.n, (int)rows, "the stage keeps each record once");
	is_int((int)same, (int)rows, "in sqlite's key order, each with its first TTL");
	int increasing = 1;
	for (size_t k = 1; k < st.n; k++) {
		struct zone_rr a, b;
		stage_get(&st, k - 1, &a);
		stage_get(&st, k, &b);
		increasing &= zone_rr_key_cmp(&a, &b) < 0;
	}
	ok(increasing, "strictly increasing by zone_rr_key_cmp");
	stage_clear(&st);
	is_int((int)st.n, 0, "cleared");

	/* an owner repeated from the record before is kept once; each record reads back */
	const char *run[] = { "a.nodtest", "a.nodtest", "a.nodtest", "b.nodtest", "a.nodtest",
		"", "", "ns1.a.nodtest" };
	const uint8_t rd4[4] = { 192, 0, 2, 1 };
	size_t inline_len = 0;
	int ok_run = 1;
	for (int k = 0; k < 8; k++) {
		struct zone_rr rr = { run[k], (uint16_t)(k + 1), (uint32_t)(100 + k), rd4,
			(size_t)(k % 5) };
		ok_run &= stage_add(&st, &rr) == 0;
		inline_len += 8 + 1 + strlen(run[k]) + 1 + rr.rdlen;
	}
	int back = ok_run;
	for (int k = 0; k < 8; k++) {
		struct zone_rr rr;
		stage_get(&st, (size_t)k, &rr);
		back &= strcmp(rr.owner, run[k]) == 0 && rr.type == k + 1 && rr.ttl == 100u + k &&
			rr.rdlen == (size_t)(k % 5) && memcmp(rr.rd, rd4, rr.rdlen) == 0;
	}
	ok(back, "records with repeated owners read back as added");
	/* two repeats of a.nodtest save 10 - 4 bytes each, the root repeated costs 4 - 1 */
	is_int((int)st.len, (int)inline_len - 2 * 6 + 3, "three repeats kept as references");
	is_int(stage_sort(&st), 0, "sorted");
	struct zone_rr first, last;
	stage_get(&st, 0, &first);
	stage_get(&st, st.n - 1, &last);
	ok(strcmp(first.owner, "") == 0 && first.type == 6 && strcmp(last.owner, "ns1.a.nodtest") == 0,
		"in key order (%s/%u first, %s last)", first.owner, first.type, last.owner);
	stage_clear(&st);
	sqlite3_finalize(ins);
	sqlite3_finalize(sel);
	sqlite3_close(db);
	return tap_done();
}
