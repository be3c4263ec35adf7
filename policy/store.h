/* store.h -- the first-seen store: sqlite in WAL mode, one row per name ever observed.
 *
 * Names are in norm text (lib/dname.h): lowercase, no trailing dot. Time is unix seconds.
 * The store is used from the main thread only; it is not thread-safe.
 * All functions return 0 on success and -1 on error unless said otherwise; the error text
 * is then in store_errmsg(). */
#ifndef NODD_STORE_H
#define NODD_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

typedef struct store store_t;

/* Open (creating when absent) the database at path, its directory must exist. Sets WAL,
 * synchronous=NORMAL, busy_timeout, and runs the schema migrations. On failure returns
 * NULL with e set: NODD_E_STORE, "store: PATH: why". */
store_t *store_open(const char *path, struct nodd_err *e);

/* From now on the WAL checkpoints of s (the disk writes and fsyncs of its commits) run on
 * a thread of their own with a second connection to path, so a commit never waits for
 * them (store_ckpt.c); store_close stops it. For the connection of the thread that must
 * not wait (nod_open's); a worker's connection never checkpoints by itself (below). 0,
 * or -1 with e set. */
int store_checkpoint_in_background(store_t *s, const char *path, struct nodd_err *e);
void store_close(store_t *st); /* NULL is a no-op */
const char *store_errmsg(const store_t *st);

/* Group several writes in one transaction (BEGIN IMMEDIATE ... COMMIT). Writes outside an
 * explicit transaction each commit on their own. Nesting is not supported. A failed
 * store_commit leaves the transaction open: the caller rolls back. */
int store_begin(store_t *st);
int store_commit(store_t *st);
int store_rollback(store_t *st);
/* An apply worker's write transaction may hold the store's lock for seconds. The worker
 * marks its own connection (store_set_worker) and brackets its transaction with
 * store_worker_writing(1) .. (0); meanwhile a write on any other connection fails at once
 * (no busy wait) and store_busy() says so: the caller retries later, losing nothing.
 * Outside such a transaction a locked store is waited for up to 5 s as before.
 * store_busy_refusals counts the writes refused so. Thread-safe. */
void store_set_worker(store_t *st);
void store_worker_writing(int on);
int store_worker_busy(void);
unsigned long long store_busy_refusals(void);
/* A worker's transaction of many pages is checkpointed (copied from the WAL into the
 * database file) after its commit on a thread of its own, not by the commit: the worker
 * calls store_checkpoint_defer(1) before store_begin, and after store_commit hands its
 * connection over to store_checkpoint_detached (which closes it, then ends the deferral);
 * store_checkpoint_defer(0) when nothing was committed. Meanwhile no other connection of
 * the process checkpoints (store_checkpoint_deferred), so a main-thread commit does not
 * copy the worker's pages in the foreground. store_checkpoints_wait returns once every such thread has
 * ended (before the store is closed). A worker's connection (store_set_worker) never
 * checkpoints by itself. Thread-safe. */
void store_checkpoint_defer(int on);
int store_checkpoint_deferred(void);
void store_checkpoint_detached(store_t *st);
void store_checkpoints_wait(void);
/* 1 when the last failed write of st was refused because a worker holds the lock. */
int store_busy(const store_t *st);
/* 1 between store_begin and store_commit or store_rollback. */
int store_in_tx(const store_t *st);

/* For a module keeping its own tables in the store's database that defers writes to the
 * end of a store_begin transaction (the outbox's sequence counters): store_commit calls
 * pre_commit (may be NULL) before COMMIT, inside the transaction, and fails when it
 * returns -1; store_rollback calls rolled_back (may be NULL) after ROLLBACK. At most 4;
 * -1 when full. */
int store_on_commit(store_t *st, int (*pre_commit)(void *ctx), void (*rolled_back)(void *ctx),
	void *ctx);
/* Remove the hooks registered with ctx (before ctx goes away). */
void store_off_commit(store_t *st, void *ctx);

/* "added" is the index clock when a listed name entered it (policy/versions.h: the IXFR
 * history); STORE_ADDED_UNKNOWN is stored as NULL, read back as "always there". */
#define STORE_ADDED_UNKNOWN INT64_MIN
/* Mode of a database file store_open creates (owner only: it holds every name observed
 * and their sources). An existing file keeps its mode. */
#define STORE_MODE 0600

/* Record an observation. When the name is new a row is inserted with added; when it exists and
 * first_seen is earlier than the stored one, the row takes the earlier time (and its
 * source and baseline flag; a baseline row becoming listed takes added). *stored_fs (may
 * be NULL) receives the first_seen now stored.
 * Returns 0 with the outcome in *out, or -1 on a store error (store_errmsg). */
enum store_outcome {
	STORE_INSERTED,   /* a new row */
	STORE_LOWERED,    /* the row existed and took the earlier first_seen */
	STORE_UNCHANGED,  /* the row existed with an earlier or equal first_seen */
	STORE_RESET,      /* the row existed and took the new first_seen (store_reset) */
};
int store_observe(store_t *st, const char *name, int64_t first_seen, const char *source,
	int baseline, int64_t added, int64_t *stored_fs, enum store_outcome *out);

/* The same, telling what the row holds afterwards (kept may be NULL). */
struct store_kept {
	int64_t first_seen;
	int baseline;
};
int store_observe_kept(store_t *st, const char *name, int64_t first_seen, const char *source,
	int baseline, int64_t added, struct store_kept *kept, enum store_outcome *out);

/* The SQL text of an INSERT of many rows in one statement (one step per block of rows
 * instead of per row): head, then rows copies of row joined by ", ", then tail; each '#'
 * in row becomes the next parameter number, counting from first. Returns its length, or 0
 * when out (cap bytes) is too small. Used for the names here and for zones/copy.c's rows. */
size_t store_sql_rows(char *out, size_t cap, const char *head, const char *row, int rows,
	int first, const char *tail);

/* Rows for names expected to be new (a zone's first transfer: nearly every name is),
 * without looking each up first: one INSERT per block of names. Each of names[0..n) not
 * held is inserted as store_observe would, and held[i] (n bytes) set to 0; held[i] is 1
 * for a name held already (nothing written for it: the caller goes on with
 * store_observe_kept). names must be distinct. Listed names (baseline 0) are inserted
 * one by one, each with its row of the table of listed names. Returns the number
 * inserted, or -1 on error. */
int store_insert_new_many(store_t *st, const char *const *names, size_t n, int64_t first_seen,
	const char *source, int baseline, int64_t added, unsigned char *held);

/* A name that returns to its zone after being deleted, when the operator chose not to keep
 * first_seen (upstreams.keep-first-seen: no): the row takes first_seen, source, added and
 * baseline 0 whatever it held. Returns 0 with *out STORE_INSERTED (a new row) or STORE_RESET,
 * or -1 on error. */
int store_reset(store_t *st, const char *name, int64_t first_seen, const char *source,
	int64_t added, enum store_outcome *out);

/* A baseline row becomes listed, with the "added" stamp (a confirmed CT candidate keeps
 * its first_seen). 0 (also when it was not baseline) or -1. */
int store_list(store_t *st, const char *name, int64_t added);

/* A listed name becomes baseline (a CT candidate its registry knew): never loaded into
 * the index nor listed again. 0 (also when it was baseline or absent) or -1. */
int store_unlist(store_t *st, const char *name);

/* A CT candidate not confirmed yet (table ct_candidate, written by ct/): 1 with its
 * first_seen and whether it is listed, 0 when name is none, -1 on error. */
int store_ct_candidate(store_t *st, const char *name, int64_t *first_seen, int *listed);

/* Look a name up. Returns 1 when found (filling the non-NULL outputs; source is
 * truncated to srclen), 0 when absent, -1 on error. */
int store_lookup(store_t *st, const char *name, int64_t *first_seen, char *source,
	size_t srclen, int *baseline);

/* Call cb for every non-baseline name with first_seen > since, in first_seen order (names
 * of the same second in the order they were listed). The rows are read from the table of
 * listed names (recent) and sorted in memory first: about 40 bytes a name while it runs.
 * When since is older than what store_recent_purge may have removed, every row of names
 * is read instead (slower, same result). cb returns 0 to go on, non-zero to stop (then
 * store_each_since returns that value). */
typedef int (*store_name_cb)(void *ctx, const char *name, int64_t first_seen, int64_t added);
int store_each_since(store_t *st, int64_t since, store_name_cb cb, void *ctx);

/* Remove, among the next `rows` rows of the table of listed names (a cursor goes round the
 * table, one slice a call), those with first_seen <= before: no later store_each_since
 * needs them. Its own transaction (nothing done inside another). Returns the number of
 * rows removed, or -1 (the store's error; nothing changed). */
int store_recent_purge(store_t *st, int64_t before, int rows);

/* The versions of the published zones (zone index as in policy/nod.h, serial, version
 * time), kept for the IXFR history: add (or replace the serial of a vtime), drop those
 * older than before, walk them in (zone, vtime) order (cb returns non-zero to stop). */
int store_version_add(store_t *st, int zone, uint32_t serial, int64_t vtime);
int store_version_trim(store_t *st, int64_t before);
typedef int (*store_version_cb)(void *ctx, int zone, uint32_t serial, int64_t vtime);
int store_each_version(store_t *st, store_version_cb cb, void *ctx);

/* Number of rows (all names ever seen), counted by sqlite (a walk of the whole table);
 * -1 on error. */
int64_t store_count(store_t *st);
/* The same number without a walk: kept by the writes of this connection and stored in
 * the transaction that changes it, so it stays exact across restarts. Includes the rows
 * the open transaction inserted. Writes of names are made in a store_begin transaction
 * or on their own; one inside a transaction opened by other means is refused. */
int64_t store_names(const store_t *st);
/* Another connection to the same database (the apply worker's, zones/applyjob.h) committed
 * n new rows of names: counted here too. Its commit moved the stored count already (each
 * commit adds its own change to it). Outside a transaction. */
void store_names_add(store_t *st, int64_t n);

/* Small persistent key/value table for state that must survive restarts (zone serials,
 * upstream timers). get returns 1 found, 0 absent, -1 error. */
int store_meta_get_int(store_t *st, const char *key, int64_t *val);
int store_meta_set_int(store_t *st, const char *key, int64_t val);
int store_meta_get_text(store_t *st, const char *key, char *buf, size_t buflen);
int store_meta_set_text(store_t *st, const char *key, const char *val);

/* The schema version this build writes (see policy/schema.c for the migrations). */
int store_schema_version(store_t *st);

/* The underlying sqlite3 handle, for modules that keep their own tables in the same
 * database and must share its transactions (zones/, the outbox). Borrowed. */
struct sqlite3 *store_db(store_t *st);

#endif
