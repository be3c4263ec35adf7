/* state.c -- the CT source's rows in the store (see state.h): prepared statements over the
 * tables of migration 7, nothing else. Knows no log protocol and opens no transaction: the
 * caller (ct/follow.c) brackets a batch with nod_begin/nod_commit. */
#include "ct/state.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

struct ct_state {
	store_t *st;
	sqlite3 *db;
	sqlite3_stmt *load, *save, *iss, *cand_add, *cand, *fqdn, *prune_iss, *prune_fqdn;
};

void ct_state_close(struct ct_state *s)
{
	if (!s)
		return;
	sqlite3_stmt *all[] = { s->load, s->save, s->iss, s->cand_add, s->cand, s->fqdn,
		s->prune_iss, s->prune_fqdn };
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		sqlite3_finalize(all[i]);
	free(s);
}

struct ct_state *ct_state_open(store_t *st, struct nodd_err *e)
{
	struct ct_state *s = nodd_calloc(1, sizeof *s, e);
	if (!s)
		return NULL;
	s->st = st;
	s->db = store_db(st);
	struct {
		sqlite3_stmt **st;
		const char *sql;
	} stmts[] = {
		{ &s->load, "SELECT frontier, sth_size, sth_time, sth_root FROM ct_log WHERE log_id = ?1" },
		{ &s->save, "INSERT INTO ct_log(log_id, next, frontier, sth_size, sth_time, sth_root)"
			" VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(log_id) DO UPDATE SET"
			" next = excluded.next, frontier = excluded.frontier, sth_size = excluded.sth_size,"
			" sth_time = excluded.sth_time, sth_root = excluded.sth_root" },
		{ &s->iss, "INSERT OR IGNORE INTO ct_issuance(key) VALUES (?1)" },
		{ &s->cand_add, "INSERT OR IGNORE INTO ct_candidate(domain, first_seen, listed)"
			" VALUES (?1, ?2, ?3)" },
		{ &s->cand, "SELECT first_seen FROM ct_candidate WHERE domain = ?1" },
		{ &s->fqdn, "INSERT OR IGNORE INTO ct_fqdn(fqdn, seen) VALUES (?1, ?2)" },
		{ &s->prune_iss, "DELETE FROM ct_issuance WHERE rowid <= (SELECT MAX(rowid) FROM"
			" ct_issuance) - ?1" },
		{ &s->prune_fqdn, "DELETE FROM ct_fqdn WHERE seen < ?1" },
	};
	for (size_t i = 0; i < sizeof stmts / sizeof stmts[0]; i++)
		if (sqlite3_prepare_v3(s->db, stmts[i].sql, -1, SQLITE_PREPARE_PERSISTENT,
			    stmts[i].st, NULL) != SQLITE_OK) {
			nodd_fail(e, NODD_E_STORE, "ct: prepare: %s", sqlite3_errmsg(s->db));
			ct_state_close(s);
			return NULL;
		}
	return s;
}

const char *ct_state_errmsg(struct ct_state *s) { return sqlite3_errmsg(s->db); }

/* Step a write statement once and reset it: 0, or -1. */
static int run(sqlite3_stmt *q)
{
	int rc = sqlite3_step(q);
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* After reading a row (rc the step's result, found what the caller made of it): -1 when
 * the step failed, else found; the statement made reusable. */
static int done_row(sqlite3_stmt *q, int rc, int found)
{
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? found : -1;
}

int ct_state_load(struct ct_state *s, const uint8_t log_id[32], struct ct_frontier *f,
	struct ct_sth *sth)
{
	sqlite3_stmt *q = s->load;
	sqlite3_bind_blob(q, 1, log_id, 32, SQLITE_STATIC);
	int rc = sqlite3_step(q), found = 0;
	if (rc == SQLITE_ROW) {
		found = 1;
		const void *fb = sqlite3_column_blob(q, 0);
		int fl = sqlite3_column_bytes(q, 0);
		sth->tree_size = (uint64_t)sqlite3_column_int64(q, 1);
		sth->timestamp_ms = (uint64_t)sqlite3_column_int64(q, 2);
		const void *root = sqlite3_column_blob(q, 3);
		if (sqlite3_column_bytes(q, 3) != 32 || !fb ||
		    ct_frontier_decode(f, fb, (size_t)fl) < 0)
			found = -1;
		else
			memcpy(sth->root, root, 32);
	}
	return done_row(q, rc, found);
}

int ct_state_save(struct ct_state *s, const uint8_t log_id[32], const struct ct_frontier *f,
	const struct ct_sth *sth)
{
	uint8_t buf[8 + 64 * 32];
	int n = ct_frontier_encode(f, buf, sizeof buf);
	if (n < 0)
		return -1;
	sqlite3_stmt *q = s->save;
	sqlite3_bind_blob(q, 1, log_id, 32, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)f->size);
	sqlite3_bind_blob(q, 3, buf, n, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, (sqlite3_int64)sth->tree_size);
	sqlite3_bind_int64(q, 5, (sqlite3_int64)sth->timestamp_ms);
	sqlite3_bind_blob(q, 6, sth->root, 32, SQLITE_STATIC);
	return run(q);
}

int ct_state_issuance(struct ct_state *s, const uint8_t key[32])
{
	sqlite3_bind_blob(s->iss, 1, key, 32, SQLITE_STATIC);
	if (run(s->iss) < 0)
		return -1;
	return sqlite3_changes(s->db) > 0;
}

int ct_state_candidate_add(struct ct_state *s, const char *domain, int64_t fs, int listed)
{
	sqlite3_bind_text(s->cand_add, 1, domain, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s->cand_add, 2, fs);
	sqlite3_bind_int(s->cand_add, 3, listed);
	return run(s->cand_add);
}

int ct_state_candidate(struct ct_state *s, const char *domain, int64_t *fs)
{
	sqlite3_stmt *q = s->cand;
	sqlite3_bind_text(q, 1, domain, -1, SQLITE_STATIC);
	int rc = sqlite3_step(q), found = rc == SQLITE_ROW;
	if (found)
		*fs = sqlite3_column_int64(q, 0);
	return done_row(q, rc, found);
}

int ct_state_fqdn(struct ct_state *s, const char *fqdn, int64_t now)
{
	sqlite3_bind_text(s->fqdn, 1, fqdn, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s->fqdn, 2, now);
	if (run(s->fqdn) < 0)
		return -1;
	return sqlite3_changes(s->db) > 0;
}

int ct_state_prune(struct ct_state *s, int64_t now, int64_t keep)
{
	sqlite3_bind_int64(s->prune_iss, 1, keep);
	if (run(s->prune_iss) < 0)
		return -1;
	sqlite3_bind_int64(s->prune_fqdn, 1, now - 2 * 86400);
	return run(s->prune_fqdn);
}

int ct_state_learning_start(struct ct_state *s, int64_t now, int64_t *start)
{
	int rc = store_meta_get_int(s->st, "ct.learning-start", start);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	*start = now;
	return store_meta_set_int(s->st, "ct.learning-start", now);
}
