/* store_int.h -- what store.c and store_meta.c share of the store: the prepared
 * statements, the connection's state and the error helpers. Private to policy/store*.c;
 * every other file uses policy/store.h. */
#ifndef NODD_STORE_INT_H
#define NODD_STORE_INT_H

#include <sqlite3.h>
#include <stdint.h>

#include "policy/store.h"

enum {
	S_INSERT, S_LOWER, S_RESET, S_LOOKUP, S_SINCE, S_COUNT, S_META_GET, S_META_SET,
	S_VER_ADD, S_VER_TRIM, S_VER_EACH, S_BEGIN, S_COMMIT, S_ROLLBACK, S_LIST, S_CT_CAND,
	S_META_ADD, S_RECENT_ADD, S_RECENT_MAX, S_SINCE_ALL, S_RECENT_NTH, S_RECENT_PURGE,
	S_UNLIST, S_NSTMT
};

/* The meta key holding the number of rows of names, kept in the transaction that
 * changes it (schema migration 6 counted the rows once). */
#define STORE_NAMES_KEY "names.count"
#define STORE_MAX_HOOKS 4
/* The meta key holding the first_seen up to which store_recent_purge may have taken rows
 * of recent (schema migration 12). */
#define STORE_RECENT_FLOOR_KEY "recent.floor"

struct store {
	sqlite3 *db;
	sqlite3_stmt *st[S_NSTMT];
	int walking; /* inside store_each_since: its statement is in use */
	int in_tx;   /* between store_begin and store_commit or store_rollback */
	int insert_first; /* the last observation inserted a row: try the insert first */
	int64_t names;           /* rows of names, with the open transaction's inserts */
	int64_t names_committed; /* ... as committed (the meta row) */
	int names_absolute;      /* the meta row was missing: the next commit writes it whole */
	struct {
		int (*pre_commit)(void *ctx);
		void (*rolled_back)(void *ctx);
		void *ctx;
	} hooks[STORE_MAX_HOOKS];
	int nhooks;
	struct store_ckpt *ckpt; /* checkpoints on their own thread, or NULL */
	int64_t recent_floor; /* rows of recent with first_seen <= this may be purged */
	/* Rows of recent for the names this transaction listed, written a block at a time
	 * (store.c: store_recent_flush); their seqs are counted from rnext (0: not read yet
	 * in this transaction, which holds the write lock: no other connection takes one). */
	struct store_recent_row { int64_t seq, first_seen, added; size_t off; } rp[64];
	int nrp;
	char rpa[64 * 256]; /* their names, NUL-terminated, at rp[i].off */
	size_t rpa_len;
	int64_t rnext;
	sqlite3_stmt *rblock; /* INSERT of 64 rows, prepared on first use */
	int64_t purge_at;     /* store_recent_purge goes on after this seq of recent */
	int worker;  /* a worker's connection: waits for the lock like any other process */
	int refused; /* the last statement was refused: a worker holds the write lock */
	char err[512];
};

/* Record the last sqlite error with what we were doing; call before sqlite3_reset. */
int store_fail(store_t *s, const char *what, const char *name);
/* Step a statement that returns no rows, then make it reusable. */
int store_run(store_t *s, sqlite3_stmt *st, const char *what, const char *name);
/* The name count into the meta row, in the open transaction: moved by this transaction's
 * change (whole when the row was missing at open). */
int store_names_write(store_t *s);

#endif
