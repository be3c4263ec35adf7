/* outbox.c -- durable per-topic record queues in the store's database (see outbox.h).
 *
 * Tables (created here if absent, in the store's database):
 *   outbox(topic, seq, key, payload, created)   PRIMARY KEY(topic, seq)
 *   outbox_state(topic PRIMARY KEY, last_seq, delivered)
 * last_seq is advanced in the same transaction as the row insert, so a rolled-back
 * transfer leaves no gap and no row: inside a store_begin transaction it is counted in
 * memory and stored once, just before COMMIT (a statement per record was most of the cost
 * of an import's records), otherwise by the append itself.
 *
 * Batch rows: records built as text (outbox_rec_append) inside a store_begin transaction
 * are gathered per topic and stored OUTBOX_BATCH_MAX at a time as one row, keyed by the
 * seq of its last record, before COMMIT. A row per record cost a B-tree insert in outbox
 * and in outbox_created each (a third of the CPU of importing new names); a batch row is
 * one insert (a record alone still gets a row of its own). Its payload is "\n" followed by
 * one "key\tJSON\n" line per record, in seq order (a single record's payload starts with
 * "{", and neither a key that goes into a batch nor a compact JSON text holds a tab or a
 * newline); its records have the seqs up to the row's, one apart. outbox_read and outbox_first_seq hand out records, never
 * rows, so a reader cannot tell the two apart; a row above the delivered mark is kept
 * whole by the pruning, so a batch partly delivered is never lost. */
#include "policy/outbox.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/grow.h"
#include "lib/log.h"

/* Records per batch row: the per-row cost is spread over many records, and a reader
 * resuming inside a row skips at most this many (about 70 KiB of text for imports). */
#define OUTBOX_BATCH_MAX 512

struct outbox {
	store_t *st;
	sqlite3 *db;
	sqlite3_stmt *next_seq, *insert, *read, *first, *set_delivered, *prune, *state, *set_last;
	/* In a store_begin transaction the sequences are counted here and stored once, by
	 * the pre-commit hook: last[t] is the last seq handed out, valid when have[t];
	 * stored[t] what outbox_state holds in the transaction. */
	uint64_t last[OUTBOX_TOPICS], stored[OUTBOX_TOPICS];
	int have[OUTBOX_TOPICS];
	char *rec;              /* the record being built (outbox_rec_*) */
	size_t rec_len, rec_cap;
	int rec_oom;
	/* the batch row being gathered per topic (payload text, records, last seq, created) */
	struct batch {
		char *text;
		size_t len, cap;
		int n;
		uint64_t last;
		int64_t created;
	} batch[OUTBOX_TOPICS];
	char *scratch;          /* one record of a batch row as "key\0JSON\0" for a reader */
	size_t scratch_cap;
	struct {
		void (*cb)(void *);
		void *ctx;
	} subs[8];
	int nsubs;
};

static const char *const topic_names[OUTBOX_TOPICS] = { "zone_diff", "newly_registered_domain",
	"newly_registered_fqdn", "confirmed_newly_registered_domain" };

const char *outbox_topic_name(int topic)
{
	return topic >= 0 && topic < OUTBOX_TOPICS ? topic_names[topic] : "?";
}

int outbox_topic_by_name(const char *name)
{
	for (int i = 0; i < OUTBOX_TOPICS; i++)
		if (strcmp(name, topic_names[i]) == 0)
			return i;
	return -1;
}

static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS outbox(topic INTEGER NOT NULL, seq INTEGER NOT NULL,"
	" key TEXT NOT NULL, payload TEXT NOT NULL, created INTEGER NOT NULL,"
	" PRIMARY KEY(topic, seq)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS outbox_created ON outbox(created);"
	"CREATE TABLE IF NOT EXISTS outbox_state(topic INTEGER PRIMARY KEY,"
	" last_seq INTEGER NOT NULL DEFAULT 0, delivered INTEGER NOT NULL DEFAULT 0);"
	"INSERT OR IGNORE INTO outbox_state(topic) VALUES (0), (1), (2), (3);";

void outbox_close(outbox_t *ob)
{
	if (!ob)
		return;
	store_off_commit(ob->st, ob);
	sqlite3_finalize(ob->next_seq);
	sqlite3_finalize(ob->insert);
	sqlite3_finalize(ob->read);
	sqlite3_finalize(ob->first);
	sqlite3_finalize(ob->set_delivered);
	sqlite3_finalize(ob->prune);
	sqlite3_finalize(ob->state);
	sqlite3_finalize(ob->set_last);
	for (int t = 0; t < OUTBOX_TOPICS; t++)
		free(ob->batch[t].text);
	free(ob->scratch);
	free(ob->rec);
	free(ob);
}

static int state(outbox_t *ob, int topic, uint64_t *last, uint64_t *delivered);
static int flush_batches(outbox_t *ob);

/* store_commit's hook: the batch rows and the sequences counted in the transaction,
 * stored in it. */
static int outbox_pre_commit(void *ctx)
{
	outbox_t *ob = ctx;
	int rc = flush_batches(ob);
	for (int t = 0; t < OUTBOX_TOPICS; t++) {
		if (ob->have[t] && ob->last[t] != ob->stored[t] && rc == 0) {
			sqlite3_stmt *s = ob->set_last;
			sqlite3_bind_int(s, 1, t);
			sqlite3_bind_int64(s, 2, (sqlite3_int64)ob->last[t]);
			if (sqlite3_step(s) != SQLITE_DONE) {
				log_err("outbox: store the sequence of %s: %s", outbox_topic_name(t),
					sqlite3_errmsg(ob->db));
				rc = -1;
			}
			sqlite3_reset(s);
		}
		ob->have[t] = 0; /* read again in the next transaction */
	}
	return rc;
}

static void outbox_rolled_back(void *ctx)
{
	outbox_t *ob = ctx;
	memset(ob->have, 0, sizeof ob->have);
	for (int t = 0; t < OUTBOX_TOPICS; t++)
		ob->batch[t].n = 0, ob->batch[t].len = 0;
}

outbox_t *outbox_open(store_t *st, struct nodd_err *e)
{
	outbox_t *ob = calloc(1, sizeof *ob);
	if (!ob) {
		nodd_fail(e, NODD_E_NOMEM, "out of memory");
		return NULL;
	}
	ob->st = st;
	ob->db = store_db(st);
	char *msg = NULL;
	if (sqlite3_exec(ob->db, schema_sql, NULL, NULL, &msg) != SQLITE_OK) {
		nodd_fail(e, NODD_E_STORE, "outbox: create tables: %s", msg ? msg : "?");
		sqlite3_free(msg);
		free(ob);
		return NULL;
	}
	struct {
		sqlite3_stmt **st;
		const char *sql;
	} stmts[] = {
		{ &ob->next_seq, "UPDATE outbox_state SET last_seq = last_seq + 1 WHERE topic = ?1 RETURNING last_seq" },
		{ &ob->insert, "INSERT INTO outbox(topic, seq, key, payload, created) VALUES (?1, ?2, ?3, ?4, ?5)" },
		{ &ob->read, "SELECT seq, key, payload FROM outbox WHERE topic = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3" },
		{ &ob->first, "SELECT seq, payload FROM outbox WHERE topic = ?1 ORDER BY seq LIMIT 1" },
		{ &ob->set_delivered, "UPDATE outbox_state SET delivered = ?2 WHERE topic = ?1 AND delivered < ?2" },
		{ &ob->prune, "DELETE FROM outbox WHERE created < ?1 AND (?2 = 0 OR seq <= (SELECT delivered FROM outbox_state s WHERE s.topic = outbox.topic))" },
		{ &ob->state, "SELECT last_seq, delivered FROM outbox_state WHERE topic = ?1" },
		{ &ob->set_last, "UPDATE outbox_state SET last_seq = ?2 WHERE topic = ?1" },
	};
	for (size_t i = 0; i < sizeof stmts / sizeof stmts[0]; i++) {
		if (sqlite3_prepare_v3(ob->db, stmts[i].sql, -1, SQLITE_PREPARE_PERSISTENT,
			    stmts[i].st, NULL) != SQLITE_OK) {
			nodd_fail(e, NODD_E_STORE, "outbox: prepare: %s", sqlite3_errmsg(ob->db));
			outbox_close(ob);
			return NULL;
		}
	}
	if (store_on_commit(st, outbox_pre_commit, outbox_rolled_back, ob) < 0) {
		nodd_fail(e, NODD_E_LIMIT, "outbox: too many commit hooks on the store");
		outbox_close(ob);
		return NULL;
	}
	return ob;
}

/* The next seq of topic: counted in memory inside a store_begin transaction (stored by
 * the pre-commit hook), else advanced in the table at once. 0 on error. */
static uint64_t next_seq(outbox_t *ob, int topic)
{
	if (store_in_tx(ob->st)) {
		if (!ob->have[topic]) {
			uint64_t d;
			if (state(ob, topic, &ob->stored[topic], &d) < 0) {
				log_err("outbox: read the sequence of %s: %s", outbox_topic_name(topic),
					sqlite3_errmsg(ob->db));
				return 0;
			}
			ob->last[topic] = ob->stored[topic];
			ob->have[topic] = 1;
		}
		return ++ob->last[topic];
	}
	sqlite3_stmt *s = ob->next_seq;
	sqlite3_bind_int(s, 1, topic);
	int rc = sqlite3_step(s);
	uint64_t seq = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(s, 0) : 0;
	while (rc == SQLITE_ROW)
		rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (seq == 0)
		log_err("outbox: next seq for %s: %s", outbox_topic_name(topic), sqlite3_errmsg(ob->db));
	return seq;
}

static int insert_row(outbox_t *ob, int topic, uint64_t seq, const char *key, const char *text,
	size_t len, int64_t now)
{
	sqlite3_stmt *s = ob->insert;
	sqlite3_bind_int(s, 1, topic);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)seq);
	sqlite3_bind_text(s, 3, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, text, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, now);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE) {
		log_err("outbox: insert %s #%llu: %s", outbox_topic_name(topic),
			(unsigned long long)seq, sqlite3_errmsg(ob->db));
		return -1;
	}
	return 0;
}

/* Store the gathered batch of topic as one row (rows stay in seq order: called before
 * any other row of the topic is inserted, and before COMMIT). */
static int flush_batch(outbox_t *ob, int topic)
{
	struct batch *b = &ob->batch[topic];
	if (b->n == 0)
		return 0;
	int rc;
	if (b->n == 1) { /* alone (one observation): a row of its own, as outbox_append's */
		char *key = b->text + 1, *tab = memchr(key, '\t', b->len - 1);
		*tab = '\0';
		rc = insert_row(ob, topic, b->last, key, tab + 1, (size_t)(b->text + b->len - 1 - tab - 1),
			b->created);
	} else {
		rc = insert_row(ob, topic, b->last, "", b->text, b->len, b->created);
	}
	b->n = 0;
	b->len = 0;
	return rc;
}

static int flush_batches(outbox_t *ob)
{
	int rc = 0;
	for (int t = 0; t < OUTBOX_TOPICS; t++)
		if (flush_batch(ob, t) < 0)
			rc = -1;
	return rc;
}

int outbox_append(outbox_t *ob, int topic, const char *key, json_t *obj, int64_t now,
	uint64_t *seqp)
{
	if (flush_batch(ob, topic) < 0)
		return -1;
	uint64_t seq = next_seq(ob, topic);
	if (seq == 0)
		return -1;
	json_object_set_new(obj, "seq", json_integer((json_int_t)seq));
	char *text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!text)
		return -1;
	int rc = insert_row(ob, topic, seq, key, text, strlen(text), now);
	free(text);
	if (rc == 0 && seqp)
		*seqp = seq;
	return rc;
}

/* ---- records built as text ---------------------------------------------------------- */

static void rec_add(outbox_t *ob, const char *s, size_t n)
{
	if (ob->rec_oom)
		return;
	if (grow_array(&ob->rec, &ob->rec_cap, ob->rec_len + n + 1, 1) < 0) {
		ob->rec_oom = 1;
		return;
	}
	memcpy(ob->rec + ob->rec_len, s, n);
	ob->rec_len += n;
	ob->rec[ob->rec_len] = '\0';
}

static void rec_key(outbox_t *ob, const char *key)
{
	rec_add(ob, ob->rec_len > 1 ? ",\"" : "\"", ob->rec_len > 1 ? 2 : 1);
	rec_add(ob, key, strlen(key));
	rec_add(ob, "\":", 2);
}

void outbox_rec_begin(outbox_t *ob)
{
	ob->rec_len = 0;
	ob->rec_oom = 0;
	rec_add(ob, "{", 1);
}

void outbox_rec_str(outbox_t *ob, const char *key, const char *val)
{
	rec_key(ob, key);
	size_t n = strlen(val);
	size_t plain = 0;
	while (plain < n && (unsigned char)val[plain] >= 0x20 && (unsigned char)val[plain] < 0x7f &&
		val[plain] != '"' && val[plain] != '\\')
		plain++;
	if (plain == n) { /* printable ASCII without quote or backslash: written as it is */
		rec_add(ob, "\"", 1);
		rec_add(ob, val, n);
		rec_add(ob, "\"", 1);
		return;
	}
	/* Anything else is escaped by jansson (and must be UTF-8, as in a json_t record). */
	json_t *j = json_stringn(val, n);
	char *t = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
	json_decref(j);
	if (t)
		rec_add(ob, t, strlen(t));
	else
		rec_add(ob, "null", 4);
	free(t);
}

void outbox_rec_int(outbox_t *ob, const char *key, int64_t val)
{
	/* written by hand: snprintf's format parsing was a visible share of a CT record */
	char num[24], *p = num + sizeof num;
	uint64_t u = val < 0 ? (uint64_t)0 - (uint64_t)val : (uint64_t)val;
	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (val < 0)
		*--p = '-';
	rec_key(ob, key);
	rec_add(ob, p, (size_t)(num + sizeof num - p));
}

void outbox_rec_null(outbox_t *ob, const char *key)
{
	rec_key(ob, key);
	rec_add(ob, "null", 4);
}

/* Add the record just built (ob->rec) to the batch of topic; -1 out of memory. */
static int batch_add(outbox_t *ob, int topic, const char *key, size_t klen, uint64_t seq,
	int64_t now)
{
	struct batch *b = &ob->batch[topic];
	if (grow_array(&b->text, &b->cap, b->len + klen + ob->rec_len + 3, 1) < 0)
		return -1;
	if (b->n == 0) {
		b->text[0] = '\n';
		b->len = 1;
		b->created = now;
	}
	memcpy(b->text + b->len, key, klen);
	b->len += klen;
	b->text[b->len++] = '\t';
	memcpy(b->text + b->len, ob->rec, ob->rec_len);
	b->len += ob->rec_len;
	b->text[b->len++] = '\n';
	b->n++;
	b->last = seq;
	return 0;
}

/* A key that can go into a batch row: no tab or newline, which split its lines. */
static int batchable_key(const char *key, size_t *klen)
{
	size_t n = strcspn(key, "\t\n");
	*klen = n;
	return key[n] == '\0';
}

int outbox_rec_append(outbox_t *ob, int topic, const char *key, int64_t now, uint64_t *seqp)
{
	size_t klen;
	int batch = store_in_tx(ob->st) && batchable_key(key, &klen);
	if (!batch && flush_batch(ob, topic) < 0)
		return -1;
	uint64_t seq = next_seq(ob, topic);
	if (seq == 0)
		return -1;
	outbox_rec_int(ob, "seq", (int64_t)seq);
	rec_add(ob, "}", 1);
	if (ob->rec_oom) {
		log_err("outbox: out of memory building a %s record", outbox_topic_name(topic));
		return -1;
	}
	if (batch) {
		if (batch_add(ob, topic, key, klen, seq, now) < 0) {
			log_err("outbox: out of memory gathering %s records", outbox_topic_name(topic));
			return -1;
		}
		if (ob->batch[topic].n >= OUTBOX_BATCH_MAX && flush_batch(ob, topic) < 0)
			return -1;
	} else if (insert_row(ob, topic, seq, key, ob->rec, ob->rec_len, now) < 0) {
		return -1;
	}
	if (seqp)
		*seqp = seq;
	return 0;
}

void outbox_notify(outbox_t *ob)
{
	for (int i = 0; i < ob->nsubs; i++)
		ob->subs[i].cb(ob->subs[i].ctx);
}

int outbox_subscribe(outbox_t *ob, void (*cb)(void *), void *ctx)
{
	if (ob->nsubs == 8)
		return -1;
	ob->subs[ob->nsubs].cb = cb;
	ob->subs[ob->nsubs].ctx = ctx;
	ob->nsubs++;
	return 0;
}

/* The records a batch row holds: the number of its lines. */
static size_t batch_count(const char *p, size_t len)
{
	size_t count = 0;
	const char *end = p + len;
	for (const char *q = p + 1; q < end && (q = memchr(q, '\n', (size_t)(end - q))); q++)
		count++;
	return count;
}

/* One record of a batch row (its line, up to nl), NUL-terminated in ob->scratch, to cb.
 * 1 when cb stops the read, 0 to go on, -1 on a malformed line or out of memory. */
static int batch_record(outbox_t *ob, int topic, uint64_t seq, const char *line,
	const char *nl, outbox_row_cb cb, void *ctx)
{
	const char *tab = memchr(line, '\t', (size_t)(nl - line));
	if (!tab) {
		log_err("outbox: %s #%llu: malformed batch row", outbox_topic_name(topic),
			(unsigned long long)seq);
		return -1;
	}
	size_t kl = (size_t)(tab - line), jl = (size_t)(nl - tab - 1);
	if (grow_array(&ob->scratch, &ob->scratch_cap, kl + jl + 2, 1) < 0)
		return -1;
	memcpy(ob->scratch, line, kl);
	ob->scratch[kl] = '\0';
	memcpy(ob->scratch + kl + 1, tab + 1, jl);
	ob->scratch[kl + 1 + jl] = '\0';
	return cb(ctx, topic, seq, ob->scratch, ob->scratch + kl + 1, jl) ? 1 : 0;
}

/* The records of a batch row (last: its seq) above after, while *n < limit. 1 when the
 * read ends here (cb stopped it, or limit), 0 to go on, -1 on error. */
static int read_batch(outbox_t *ob, int topic, uint64_t last, const char *p, size_t len,
	uint64_t after, int limit, int *n, outbox_row_cb cb, void *ctx)
{
	const char *end = p + len, *line = p + 1;
	uint64_t seq = last - batch_count(p, len) + 1;
	for (; line < end; seq++) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		if (seq > after) {
			if (*n >= limit)
				return 1;
			(*n)++;
			int rc = batch_record(ob, topic, seq, line, nl, cb, ctx);
			if (rc)
				return rc;
		}
		line = nl + 1;
	}
	return 0;
}

int outbox_read(outbox_t *ob, int topic, uint64_t after, int limit, outbox_row_cb cb, void *ctx)
{
	/* inside a transaction, its own records are read too, as before they were gathered */
	if (store_in_tx(ob->st) && flush_batches(ob) < 0)
		return -1;
	sqlite3_stmt *s = ob->read;
	sqlite3_bind_int(s, 1, topic);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)after);
	sqlite3_bind_int(s, 3, limit);
	int n = 0, rc = SQLITE_DONE, stop = 0;
	while (!stop && n < limit && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *payload = (const char *)sqlite3_column_text(s, 2);
		size_t len = (size_t)sqlite3_column_bytes(s, 2);
		uint64_t seq = (uint64_t)sqlite3_column_int64(s, 0);
		if (payload && len && payload[0] == '\n') {
			stop = read_batch(ob, topic, seq, payload, len, after, limit, &n, cb, ctx);
			if (stop < 0)
				n = -1;
			continue;
		}
		n++;
		stop = cb(ctx, topic, seq, (const char *)sqlite3_column_text(s, 1), payload, len);
	}
	if (!stop && n < limit && rc != SQLITE_DONE) {
		log_err("outbox: read %s: %s", outbox_topic_name(topic), sqlite3_errmsg(ob->db));
		n = -1;
	}
	sqlite3_reset(s);
	return n;
}

static int state(outbox_t *ob, int topic, uint64_t *last, uint64_t *delivered)
{
	sqlite3_stmt *s = ob->state;
	sqlite3_bind_int(s, 1, topic);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*last = (uint64_t)sqlite3_column_int64(s, 0);
		*delivered = (uint64_t)sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : -1;
}

uint64_t outbox_last_seq(outbox_t *ob, int topic)
{
	if (ob->have[topic])
		return ob->last[topic];
	uint64_t l = 0, d = 0;
	state(ob, topic, &l, &d);
	return l;
}

uint64_t outbox_delivered(outbox_t *ob, int topic)
{
	uint64_t l = 0, d = 0;
	state(ob, topic, &l, &d);
	return d;
}

uint64_t outbox_first_seq(outbox_t *ob, int topic)
{
	if (store_in_tx(ob->st) && flush_batches(ob) < 0)
		return 0;
	sqlite3_stmt *s = ob->first;
	sqlite3_bind_int(s, 1, topic);
	uint64_t v = 0;
	if (sqlite3_step(s) == SQLITE_ROW) {
		v = (uint64_t)sqlite3_column_int64(s, 0);
		const char *p = (const char *)sqlite3_column_text(s, 1);
		size_t len = (size_t)sqlite3_column_bytes(s, 1);
		if (p && len && p[0] == '\n') /* a batch row: its first record */
			v = v - batch_count(p, len) + 1;
	}
	sqlite3_reset(s);
	return v;
}

int outbox_set_delivered(outbox_t *ob, int topic, uint64_t upto)
{
	sqlite3_stmt *s = ob->set_delivered;
	sqlite3_bind_int(s, 1, topic);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)upto);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

long outbox_prune(outbox_t *ob, int64_t before, int keep_undelivered)
{
	sqlite3_stmt *s = ob->prune;
	sqlite3_bind_int64(s, 1, before);
	sqlite3_bind_int(s, 2, keep_undelivered);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? (long)sqlite3_changes(ob->db) : -1;
}
