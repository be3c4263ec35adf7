/* test_outbox.c -- outbox sequences, transactions, reads, delivery mark, pruning, records
 * built as text read the same as jansson's (the zone_diff record fields: test_record.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <unistd.h>

#include "policy/outbox.h"
#include "policy/store.h"
#include "tests/unit/tap.h"

struct seen {
	uint64_t seq[16];
	char payload[16][512];
	int n;
};

static int collect(void *ctx, int topic, uint64_t seq, const char *key, const char *payload, size_t len)
{
	(void)topic;
	(void)key;
	struct seen *s = ctx;
	if (s->n < 16) {
		s->seq[s->n] = seq;
		snprintf(s->payload[s->n], sizeof s->payload[0], "%.*s", (int)len, payload);
		s->n++;
	}
	return 0;
}

/* The records read: each one's seq must follow the last, its key name its seq, its
 * payload name both. */
struct walk {
	uint64_t first, last;
	int n, bad, stop_at;
};

static int walk_cb(void *ctx, int topic, uint64_t seq, const char *key, const char *payload,
	size_t len)
{
	(void)topic;
	struct walk *w = ctx;
	char want_key[32], want[96];
	snprintf(want_key, sizeof want_key, "n%llu.se", (unsigned long long)seq);
	snprintf(want, sizeof want, "{\"domain\":\"%s\",\"seq\":%llu}", want_key,
		(unsigned long long)seq);
	if ((w->n && seq != w->last + 1) || strcmp(key, want_key) != 0 || len != strlen(want) ||
	    strcmp(payload, want) != 0) {
		if (!w->bad)
			printf("# seq %llu key %s payload %s\n", (unsigned long long)seq, key, payload);
		w->bad++;
	}
	if (!w->n)
		w->first = seq;
	w->last = seq;
	w->n++;
	return w->stop_at && w->n == w->stop_at;
}

static void text_record(outbox_t *ob, uint64_t seq)
{
	char key[32];
	snprintf(key, sizeof key, "n%llu.se", (unsigned long long)seq);
	outbox_rec_begin(ob);
	outbox_rec_str(ob, "domain", key);
	outbox_rec_append(ob, OUTBOX_NRD, key, 500, NULL);
}

static int64_t nrd_rows(store_t *st)
{
	sqlite3_stmt *q;
	int64_t n = -1;
	sqlite3_prepare_v2(store_db(st), "SELECT count(*) FROM outbox WHERE topic = 1", -1, &q, NULL);
	if (sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return n;
}

/* The records of a transaction built as text share rows; a reader sees records only. */
static void batch_rows(store_t *st, outbox_t *ob)
{
	uint64_t base = outbox_last_seq(ob, OUTBOX_NRD);
	int64_t rows0 = nrd_rows(st);
	store_begin(st);
	for (uint64_t i = 1; i <= 1300; i++) {
		if (i == 700) { /* a record of the other kind in between keeps its place */
			char key[32];
			snprintf(key, sizeof key, "n%llu.se", (unsigned long long)(base + i));
			json_t *o = json_pack("{s:s}", "domain", key);
			outbox_append(ob, OUTBOX_NRD, key, o, 500, NULL);
			json_decref(o);
			continue;
		}
		text_record(ob, base + i);
	}
	struct walk w = { 0 };
	is_int(outbox_read(ob, OUTBOX_NRD, base, 5000, walk_cb, &w), 1300,
		"the transaction reads its own records");
	is_int(store_commit(st), 0, "commit of 1300 records");
	int64_t rows = nrd_rows(st) - rows0;
	ok(rows >= 4 && rows <= 6, "1300 records in %lld rows", (long long)rows);
	memset(&w, 0, sizeof w);
	is_int(outbox_read(ob, OUTBOX_NRD, base, 5000, walk_cb, &w), 1300, "all read back");
	ok(w.bad == 0 && w.first == base + 1 && w.last == base + 1300,
		"each record once, in seq order, with its key and payload");
	memset(&w, 0, sizeof w);
	is_int(outbox_read(ob, OUTBOX_NRD, base + 100, 50, walk_cb, &w), 50,
		"a read from inside a row stops at its limit");
	ok(w.bad == 0 && w.first == base + 101 && w.last == base + 150, "records 101..150");
	memset(&w, 0, sizeof w);
	w.stop_at = 3;
	is_int(outbox_read(ob, OUTBOX_NRD, base + 510, 100, walk_cb, &w), 3,
		"a reader stopping inside a row");
	ok(w.first == base + 511 && w.last == base + 513, "stopped at 513 (%llu)",
		(unsigned long long)w.last);
	is_int(outbox_first_seq(ob, OUTBOX_NRD), base + 1, "the first record of the first row");

	/* a row partly delivered is kept whole; fully delivered rows go */
	outbox_set_delivered(ob, OUTBOX_NRD, base + 600);
	ok(outbox_prune(ob, 1000, 1) >= 1, "delivered rows pruned");
	uint64_t first = outbox_first_seq(ob, OUTBOX_NRD);
	ok(first > base + 1 && first <= base + 601, "the partly delivered row stays (first %llu)",
		(unsigned long long)first);
	memset(&w, 0, sizeof w);
	is_int(outbox_read(ob, OUTBOX_NRD, base + 600, 5000, walk_cb, &w), 700,
		"every undelivered record is still read");
	ok(w.bad == 0 && w.first == base + 601, "from the one after the mark");

	/* a rolled-back transaction leaves none of the records it gathered */
	store_begin(st);
	for (uint64_t i = 1301; i <= 1303; i++)
		text_record(ob, base + i);
	store_rollback(st);
	is_int(outbox_last_seq(ob, OUTBOX_NRD), base + 1300, "rollback: the sequence stays");
	memset(&w, 0, sizeof w);
	is_int(outbox_read(ob, OUTBOX_NRD, base + 1300, 10, walk_cb, &w), 0, "and no record");
	store_begin(st);
	text_record(ob, base + 1301);
	is_int(store_commit(st), 0, "the next record commits");
	memset(&w, 0, sizeof w);
	is_int(outbox_read(ob, OUTBOX_NRD, base + 1300, 10, walk_cb, &w), 1, "without a gap");
	ok(w.bad == 0 && w.first == base + 1301, "as %llu", (unsigned long long)(base + 1301));
	sqlite3_stmt *q;
	sqlite3_prepare_v2(store_db(st), "SELECT key, payload FROM outbox WHERE topic = 1 "
		"ORDER BY seq DESC LIMIT 1", -1, &q, NULL);
	char want[32];
	snprintf(want, sizeof want, "n%llu.se", (unsigned long long)(base + 1301));
	ok(sqlite3_step(q) == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(q, 0), want) == 0 &&
		sqlite3_column_text(q, 1)[0] == '{', "a record alone is a row of its own");
	sqlite3_finalize(q);
}

static int notified;
static void on_rows(void *ctx) { (void)ctx; notified++; }

int main(void)
{
	char dir[] = "/tmp/nodd-outbox-XXXXXX", path[128];
	struct nodd_err err = { 0 };
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof path, "%s/t.db", dir);
	store_t *st = store_open(path, &err);
	ok(st != NULL, "store opens (%s)", err.msg);
	outbox_t *ob = outbox_open(st, &err);
	ok(ob != NULL, "outbox opens (%s)", err.msg);
	if (!st || !ob)
		return tap_done();
	outbox_subscribe(ob, on_rows, NULL);

	json_t *o = json_pack("{s:s}", "domain", "a.se");
	uint64_t seq = 0;
	is_int(outbox_append(ob, OUTBOX_NRD, "a.se", o, 100, &seq), 0, "append");
	is_int(seq, 1, "first seq is 1");
	ok(json_integer_value(json_object_get(o, "seq")) == 1, "seq put in the record");
	json_decref(o);
	o = json_pack("{s:s}", "domain", "b.se");
	outbox_append(ob, OUTBOX_NRD, "b.se", o, 200, &seq);
	json_decref(o);
	is_int(seq, 2, "seq increases");
	o = json_pack("{s:s}", "x", "y");
	outbox_append(ob, OUTBOX_ZONE_DIFF, "k", o, 200, &seq);
	json_decref(o);
	is_int(seq, 1, "seq is per topic");

	/* a rolled-back append leaves no row and no gap */
	store_begin(st);
	o = json_pack("{s:s}", "domain", "c.se");
	outbox_append(ob, OUTBOX_NRD, "c.se", o, 300, &seq);
	json_decref(o);
	store_rollback(st);
	is_int(outbox_last_seq(ob, OUTBOX_NRD), 2, "rollback keeps the sequence");
	o = json_pack("{s:s}", "domain", "d.se");
	outbox_append(ob, OUTBOX_NRD, "d.se", o, 300, &seq);
	json_decref(o);
	is_int(seq, 3, "no gap after a rollback");

	struct seen s = { .n = 0 };
	is_int(outbox_read(ob, OUTBOX_NRD, 0, 10, collect, &s), 3, "read all");
	ok(s.seq[0] == 1 && s.seq[1] == 2 && s.seq[2] == 3, "in seq order");
	ok(strstr(s.payload[2], "\"domain\":\"d.se\"") && strstr(s.payload[2], "\"seq\":3"), "payload JSON");
	s.n = 0;
	is_int(outbox_read(ob, OUTBOX_NRD, 2, 10, collect, &s), 1, "read after a seq");
	is_int(outbox_first_seq(ob, OUTBOX_NRD), 1, "first seq");

	outbox_notify(ob);
	is_int(notified, 1, "subscriber told");

	is_int(outbox_delivered(ob, OUTBOX_NRD), 0, "nothing delivered");
	outbox_set_delivered(ob, OUTBOX_NRD, 1);
	is_int(outbox_delivered(ob, OUTBOX_NRD), 1, "delivered mark");
	outbox_set_delivered(ob, OUTBOX_NRD, 0);
	is_int(outbox_delivered(ob, OUTBOX_NRD), 1, "mark never goes back");
	/* prune everything older than 1000 but keep undelivered rows */
	is_int(outbox_prune(ob, 1000, 1), 1, "prune drops only delivered rows (nrd 1)");
	is_int(outbox_first_seq(ob, OUTBOX_NRD), 2, "delivered row pruned");
	is_int(outbox_prune(ob, 1000, 0), 3, "prune without Kafka drops by age only");
	is_int(outbox_last_seq(ob, OUTBOX_NRD), 3, "sequence survives pruning");

	/* records built as text: the same JSON as jansson's, whatever the source holds */
	static const char *const sources[] = { "import", "a \"quoted\" \\ back/slash",
		"tab\there\nline\x01\x1f", "r\xc3\xa4ksm\xc3\xb6rg\xc3\xa5s \xe2\x80\xa8", "" };
	static const int64_t stamps[] = { 1700000000, 0, -7, INT64_MIN, INT64_MAX };
	store_begin(st);
	for (size_t i = 0; i < sizeof sources / sizeof sources[0]; i++) {
		o = json_pack("{s:s, s:I, s:n, s:n, s:s}", "domain", "x.se", "timestamp",
			(json_int_t)stamps[i], "zone", "serial", "source", sources[i]);
		outbox_append(ob, OUTBOX_ZONE_DIFF, "x.se", o, 300, NULL);
		json_decref(o);
		outbox_rec_begin(ob);
		outbox_rec_str(ob, "domain", "x.se");
		outbox_rec_int(ob, "timestamp", stamps[i]);
		outbox_rec_null(ob, "zone");
		outbox_rec_null(ob, "serial");
		outbox_rec_str(ob, "source", sources[i]);
		outbox_rec_append(ob, OUTBOX_ZONE_DIFF, "x.se", 300, &seq);
	}
	is_int(outbox_last_seq(ob, OUTBOX_ZONE_DIFF), 11, "the sequence counted in a transaction");
	is_int(store_commit(st), 0, "commit");
	is_int(outbox_last_seq(ob, OUTBOX_ZONE_DIFF), 11, "and stored by the commit");
	memset(&s, 0, sizeof s);
	outbox_read(ob, OUTBOX_ZONE_DIFF, 1, 16, collect, &s);
	int same = s.n == 10;
	for (int i = 0; same && i < 10; i += 2) {
		char *a = strstr(s.payload[i], ",\"seq\":"), *b = strstr(s.payload[i + 1], ",\"seq\":");
		same = a && b && a - s.payload[i] == b - s.payload[i + 1] &&
			strncmp(s.payload[i], s.payload[i + 1], (size_t)(a - s.payload[i])) == 0;
		if (!same)
			printf("# %s\n#  vs %s\n", s.payload[i], s.payload[i + 1]);
	}
	ok(same, "a text record reads as the jansson one");
	ok(strcmp(s.payload[1], "{\"domain\":\"x.se\",\"timestamp\":1700000000,\"zone\":null,"
		"\"serial\":null,\"source\":\"import\",\"seq\":3}") == 0, "the text record (%s)",
		s.payload[1]);
	outbox_rec_begin(ob);
	outbox_rec_str(ob, "source", "not \xff UTF-8");
	outbox_rec_append(ob, OUTBOX_ZONE_DIFF, "y.se", 300, &seq);
	memset(&s, 0, sizeof s);
	outbox_read(ob, OUTBOX_ZONE_DIFF, seq - 1, 1, collect, &s);
	ok(s.n == 1 && strcmp(s.payload[0], "{\"source\":null,\"seq\":12}") == 0,
		"a string that is not UTF-8 is null (%s)", s.payload[0]);

	batch_rows(st, ob);
	uint64_t last = outbox_last_seq(ob, OUTBOX_NRD);

	/* reopen: sequences persist */
	outbox_close(ob);
	store_close(st);
	st = store_open(path, &err);
	ob = outbox_open(st, &err);
	o = json_pack("{s:s}", "domain", "e.se");
	outbox_append(ob, OUTBOX_NRD, "e.se", o, 300, &seq);
	json_decref(o);
	is_int(seq, last + 1, "sequence continues after reopen, after the batch rows");

	outbox_close(ob);
	store_close(st);
	char cmd[200];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return tap_done();
}
