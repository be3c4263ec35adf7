/* store.c -- the first-seen store on sqlite: one row per name ever observed.
 *
 * Durability (REFERENCE.md 0.8 and 6.4): journal_mode=WAL with synchronous=NORMAL. Every
 * commit survives a crash of the process (kill -9 tested in the lab) and the database is
 * always consistent; only an OS crash or power loss can take back the last commits, because
 * the WAL is fsynced at checkpoints, not at every commit. FULL would fsync each commit; it
 * is the choice if "nothing lost" must cover power loss, and can be made configurable later
 * (STORE_SYNCHRONOUS below). Writers take the lock up front with BEGIN IMMEDIATE, so a
 * transaction never fails half-way on a lock upgrade, and the busy handler waits for another
 * process (noddctl, a second nodd) instead of failing at once, but not for an apply
 * worker's announced transaction (store_worker_writing): that write fails at once.
 *
 * Every statement is prepared once in store_open and finalized in store_close. The meta
 * table and the name count kept there are store_meta.c's. */
#include "policy/store.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/grow.h"
#include "lib/log.h"
#include "policy/schema.h"
#include "policy/store_busy.h"
#include "policy/store_ckpt.h"
#include "policy/store_int.h"

#define STORE_SYNCHRONOUS "NORMAL"
#define STORE_BUSY_MS 5000
#define STORE_BUSY_STEP_MS 5
/* Page cache in KiB. The default (2 MiB) is far smaller than the names table once it
 * holds a TLD; random-order inserts then reread and rewrite the same B-tree pages, which
 * made a 1M-name import about 3x slower. The cache grows only as pages are used. */
#define STORE_CACHE_KIB 65536
/* Page size of a new database. Imports insert at random places of the names table and
 * of names_since; each insert dirties a page that the commit writes to the WAL and the
 * checkpoint to the file. With 16 KiB pages a 1M-name import touched a quarter as many
 * pages as with the default 4 KiB and took about 25 % less CPU (fewer pages to find,
 * journal and checksum); the serving path never reads sqlite. */
#define STORE_PAGE_SIZE "16384"
#define STORE_WALK_CACHE_KIB 2048 /* page cache during store_each_since */

static const char *const stmt_sql[S_NSTMT] = {
	/* store_observe_kept has looked the name up first; the conflict clause keeps a row
	 * written meanwhile by another connection. */
	[S_INSERT] = ("INSERT INTO names(name, first_seen, source, baseline, added, rseq) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(name) DO NOTHING"),
	/* The known-name path: only ever moves first_seen back. The condition sits in the
	 * statement, so it stays right even if another connection wrote in between.
	 * A baseline row that becomes listed takes the new "added" stamp; a listed one keeps
	 * the stamp of when it was first listed. */
	[S_LOWER] = ("UPDATE names SET first_seen = ?2, source = ?3, baseline = ?4, "
		"added = CASE WHEN baseline = 1 THEN ?5 ELSE added END "
		"WHERE name = ?1 AND first_seen > ?2"),
	/* store_reset: a returning name starts again (keep-first-seen: no). */
	[S_RESET] = ("UPDATE names SET first_seen = ?2, source = ?3, baseline = ?4, added = ?5 "
		"WHERE name = ?1"),
	[S_LOOKUP] = "SELECT first_seen, source, baseline FROM names WHERE name = ?1",
	/* the start-up load: recent in append order (store_each_since sorts) */
	[S_SINCE] = "SELECT name, first_seen, added FROM recent WHERE first_seen > ?1",
	/* ... and when rows it asks for may have been purged: every listed name */
	[S_SINCE_ALL] = ("SELECT name, first_seen, added FROM names WHERE baseline = 0 "
		"AND first_seen > ?1"),
	[S_COUNT] = "SELECT count(*) FROM names",
	[S_META_GET] = "SELECT value FROM meta WHERE key = ?1",
	[S_META_SET] = ("INSERT INTO meta(key, value) VALUES (?1, ?2) "
		"ON CONFLICT(key) DO UPDATE SET value = excluded.value"),
	[S_VER_ADD] = ("INSERT INTO zone_version(zone, vtime, serial) VALUES (?1, ?2, ?3) "
		"ON CONFLICT(zone, vtime) DO UPDATE SET serial = excluded.serial"),
	[S_VER_TRIM] = "DELETE FROM zone_version WHERE vtime < ?1",
	[S_VER_EACH] = "SELECT zone, vtime, serial FROM zone_version ORDER BY zone, vtime",
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_LIST] = "UPDATE names SET baseline = 0, added = ?2 WHERE name = ?1 AND baseline = 1",
	/* the CT candidates of migration 7 (ct/state.c writes them, policy/confirm.c reads) */
	[S_CT_CAND] = ("SELECT first_seen, listed FROM ct_candidate WHERE domain = ?1 "
		"AND confirmed = 0"),
	/* the name count moves by what this transaction changed: another connection (the
	 * apply worker's, zones/applyjob.c) may have committed names since this one read it */
	[S_META_ADD] = ("INSERT INTO meta(key, value) VALUES (?1, ?2) "
		"ON CONFLICT(key) DO UPDATE SET value = value + excluded.value"),
	/* a listed name's row of recent (schema migration 12), with the seq its names row
	 * was given (store_recent_flush writes most of them 64 to a statement) */
	[S_RECENT_ADD] = ("INSERT INTO recent(seq, name, first_seen, added) "
		"VALUES (?1, ?2, ?3, ?4)"),
	[S_RECENT_MAX] = "SELECT coalesce(max(seq), 0) + 1 FROM recent",
	/* a listed name made baseline (a CT candidate the registry knew): out of recent by
	 * the trigger */
	[S_UNLIST] = "UPDATE names SET baseline = 1 WHERE name = ?1 AND baseline = 0",
	/* store_recent_purge: the end of the next ?2 rows after seq ?1, and the old ones among them */
	[S_RECENT_NTH] = "SELECT seq FROM recent WHERE seq > ?1 ORDER BY seq LIMIT 1 OFFSET ?2",
	[S_RECENT_PURGE] = ("DELETE FROM recent WHERE seq > ?1 AND seq <= ?2 "
		"AND first_seen <= ?3"),
};

static int store_recent_flush(store_t *s);
static void store_recent_forget(store_t *s);

int store_fail(store_t *s, const char *what, const char *name)
{
	if (name)
		snprintf(s->err, sizeof s->err, "store: %s %s: %s", what, name, sqlite3_errmsg(s->db));
	else
		snprintf(s->err, sizeof s->err, "store: %s: %s", what, sqlite3_errmsg(s->db));
	return -1;
}

/* sqlite's busy handler: waits up to STORE_BUSY_MS for another process (or a short WAL
 * checkpoint), but never for an apply worker's transaction, which can hold the lock for
 * seconds: the main thread would stop serving meanwhile. */
static int store_busy_wait(void *ctx, int n)
{
	store_t *s = ctx;
	if (!s->worker && store_busy_refuse()) {
		s->refused = 1;
		return 0;
	}
	if ((long)n * STORE_BUSY_STEP_MS >= STORE_BUSY_MS)
		return 0;
	sqlite3_sleep(STORE_BUSY_STEP_MS);
	return 1;
}

void store_set_worker(store_t *s)
{
	s->worker = 1;
}

int store_busy(const store_t *s)
{
	return s->refused;
}

int store_run(store_t *s, sqlite3_stmt *st, const char *what, const char *name)
{
	int rc = sqlite3_step(st);
	if (rc != SQLITE_DONE && s->refused && (rc & 0xff) == SQLITE_BUSY)
		snprintf(s->err, sizeof s->err, "store busy: %s: a zone's first transfer is being "
			"written; retry later", what);
	else if (rc != SQLITE_DONE) {
		s->refused = 0;
		store_fail(s, what, name);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Explain an open failure: sqlite's "unable to open database file" does not say that the
 * directory is missing, which is the usual cause. */
static int store_open_error(const char *path, int rc, sqlite3 *db, struct nodd_err *e)
{
	const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
	const char *slash = strrchr(path, '/');
	if ((rc & 0xff) == SQLITE_CANTOPEN && slash) {
		char dir[4096];
		snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
		struct stat sb;
		if (stat(dir, &sb) < 0)
			return nodd_fail(e, NODD_E_STORE, "store: %s: %s (directory %s: %s)", path, msg,
				dir, strerror(errno));
		if (!S_ISDIR(sb.st_mode))
			return nodd_fail(e, NODD_E_STORE, "store: %s: %s (%s is not a directory)", path,
				msg, dir);
	}
	return nodd_fail(e, NODD_E_STORE, "store: %s: %s", path, msg);
}

static int store_wal_hook(void *ctx, sqlite3 *db, const char *name, int frames)
{
	store_wal_commit(db, name, frames, ((const store_t *)ctx)->worker);
	return SQLITE_OK;
}

/* Apply the connection settings; journal_mode is checked because sqlite silently keeps
 * the old mode when it cannot switch, and our durability argument needs WAL. */
static int store_configure(store_t *s, const char *path, struct nodd_err *e)
{
	sqlite3_busy_handler(s->db, store_busy_wait, s);
	sqlite3_wal_hook(s->db, store_wal_hook, s);
	/* before WAL: a new database takes it, an existing one keeps its own */
	sqlite3_exec(s->db, "PRAGMA page_size=" STORE_PAGE_SIZE, NULL, NULL, NULL);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode=WAL", -1, &st, NULL) != SQLITE_OK)
		return nodd_fail(e, NODD_E_STORE, "store: %s: %s", path, sqlite3_errmsg(s->db));
	int rc = sqlite3_step(st);
	const char *mode = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
	int ok = mode && (strcmp(mode, "wal") == 0 || strcmp(mode, "memory") == 0);
	if (!ok) {
		if (rc == SQLITE_ROW)
			nodd_fail(e, NODD_E_STORE, "store: %s: cannot use WAL (journal_mode is %s)",
				path, mode ? mode : "unknown");
		else
			nodd_fail(e, NODD_E_STORE, "store: %s: %s", path, sqlite3_errmsg(s->db));
	}
	sqlite3_finalize(st);
	if (!ok)
		return -1;
	char *msg = NULL;
	char pragmas[160];
	snprintf(pragmas, sizeof pragmas, "PRAGMA synchronous=%s; PRAGMA foreign_keys=ON; "
		"PRAGMA cache_size=-%d;", STORE_SYNCHRONOUS, STORE_CACHE_KIB);
	if (sqlite3_exec(s->db, pragmas, NULL, NULL, &msg) != SQLITE_OK) {
		nodd_fail(e, NODD_E_STORE, "store: %s: %s", path, msg ? msg : sqlite3_errmsg(s->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* A new database file is created here with STORE_MODE before sqlite opens it, whatever
 * the umask (sqlite gives its -wal and -shm files the database's mode); an existing file
 * keeps the mode the operator gave it. Paths sqlite treats specially are left to it. */
static void store_create(const char *path)
{
	if (strcmp(path, ":memory:") == 0 || strncmp(path, "file:", 5) == 0 || !*path)
		return;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, STORE_MODE);
	if (fd < 0)
		return; /* there already, or sqlite's open names the failure */
	if (fchmod(fd, STORE_MODE) < 0)
		log_warn("store: %s: cannot set mode %o: %s", path, STORE_MODE, strerror(errno));
	close(fd);
}

void store_close(store_t *s)
{
	if (!s)
		return;
	store_ckpt_stop(s->ckpt);
	for (int i = 0; i < S_NSTMT; i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_finalize(s->rblock);
	/* Statements other modules prepared on store_db() must be finalized by then; if
	 * not, sqlite3_close_v2 still releases the handle once they are. */
	sqlite3_close_v2(s->db);
	free(s);
}

/* sqlite without its memory statistics, which take a process-wide mutex per allocation
 * (a TLD's first copy is millions of rows). Only before sqlite's first use: later it is
 * refused, harmlessly. */
static void store_sqlite_config(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

store_t *store_open(const char *path, struct nodd_err *e)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, store_sqlite_config);
	store_t *s = calloc(1, sizeof *s);
	if (!s) {
		nodd_fail(e, NODD_E_NOMEM, "store: %s: out of memory", path);
		return NULL;
	}
	store_create(path);
	int rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
		SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		store_open_error(path, rc, s->db, e);
		goto fail;
	}
	if (store_configure(s, path, e) < 0)
		goto fail;
	if (schema_migrate(s->db, e) < 0) {
		nodd_wrap(e, "store: %s", path);
		goto fail;
	}
	for (int i = 0; i < S_NSTMT; i++) {
		if (sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i],
			    NULL) != SQLITE_OK) {
			nodd_fail(e, NODD_E_STORE, "store: %s: prepare: %s", path, sqlite3_errmsg(s->db));
			goto fail;
		}
	}
	int have = store_meta_get_int(s, STORE_NAMES_KEY, &s->names);
	if (have == 0) {
		s->names = store_count(s); /* the next commit that changes names stores it */
		s->names_absolute = 1;
	}
	if (have < 0 || s->names < 0) {
		nodd_fail(e, NODD_E_STORE, "%s", s->err);
		goto fail;
	}
	s->names_committed = s->names;
	if (store_meta_get_int(s, STORE_RECENT_FLOOR_KEY, &s->recent_floor) < 0) {
		nodd_fail(e, NODD_E_STORE, "%s", s->err);
		goto fail;
	}
	return s;
fail:
	store_close(s);
	return NULL;
}

int store_checkpoint_in_background(store_t *s, const char *path, struct nodd_err *e)
{
	if (s->ckpt || strcmp(path, ":memory:") == 0 || !*path)
		return 0;
	s->ckpt = store_ckpt_start(s->db, path, e);
	return s->ckpt ? 0 : -1;
}

const char *store_errmsg(const store_t *s)
{
	return s->err;
}

struct sqlite3 *store_db(store_t *s)
{
	return s->db;
}

int store_schema_version(store_t *s)
{
	(void)s;
	return SCHEMA_VERSION;
}

int store_begin(store_t *s)
{
	s->refused = 0; /* kept until the next begin: a rollback after it does not clear it */
	store_recent_forget(s);
	int rc = store_run(s, s->st[S_BEGIN], "begin", NULL);
	s->in_tx = rc == 0;
	return rc;
}

int store_in_tx(const store_t *s)
{
	return s->in_tx;
}

int store_on_commit(store_t *s, int (*pre_commit)(void *ctx), void (*rolled_back)(void *ctx),
	void *ctx)
{
	if (s->nhooks == STORE_MAX_HOOKS)
		return -1;
	s->hooks[s->nhooks].pre_commit = pre_commit;
	s->hooks[s->nhooks].rolled_back = rolled_back;
	s->hooks[s->nhooks].ctx = ctx;
	s->nhooks++;
	return 0;
}

void store_off_commit(store_t *s, void *ctx)
{
	for (int i = 0; i < s->nhooks; i++)
		if (s->hooks[i].ctx == ctx) {
			s->hooks[i] = s->hooks[--s->nhooks];
			i--;
		}
}

int store_commit(store_t *s)
{
	if (s->in_tx) {
		/* the deferred writes belong to the transaction: made before COMMIT */
		for (int i = 0; i < s->nhooks; i++)
			if (s->hooks[i].pre_commit && s->hooks[i].pre_commit(s->hooks[i].ctx) < 0) {
				if (!s->err[0])
					snprintf(s->err, sizeof s->err, "store: commit: a deferred write failed");
				return -1;
			}
		if (store_recent_flush(s) < 0)
			return -1;
		if (s->names != s->names_committed && store_names_write(s) < 0)
			return -1;
	}
	if (store_run(s, s->st[S_COMMIT], "commit", NULL) < 0)
		return -1; /* still open: the caller rolls back */
	s->in_tx = 0;
	s->rnext = 0;
	if (s->names != s->names_committed)
		s->names_absolute = 0;
	s->names_committed = s->names;
	return 0;
}

int store_rollback(store_t *s)
{
	int rc = store_run(s, s->st[S_ROLLBACK], "rollback", NULL);
	s->in_tx = 0;
	store_recent_forget(s);
	s->names = s->names_committed;
	for (int i = 0; i < s->nhooks; i++)
		if (s->hooks[i].rolled_back)
			s->hooks[i].rolled_back(s->hooks[i].ctx);
	return rc;
}

/* A write of names outside store_begin..store_commit runs in a transaction of its own,
 * so the row and the count commit together; *own says whether one was opened. A
 * transaction opened around the store by other means cannot keep the count: refused. */
static int store_write_open(store_t *s, const char *name, int *own)
{
	*own = 0;
	if (s->in_tx)
		return 0;
	if (!sqlite3_get_autocommit(s->db)) {
		snprintf(s->err, sizeof s->err, "store: write %s: inside a transaction store_begin "
			"did not open", name);
		return -1;
	}
	*own = 1;
	return store_begin(s);
}

static int store_write_close(store_t *s, int own, int rc)
{
	if (!own)
		return rc;
	if (rc == 0 && store_commit(s) == 0)
		return 0;
	store_rollback(s);
	return -1;
}

static void store_bind_row(sqlite3_stmt *st, const char *name, int64_t first_seen,
	const char *source, int baseline, int64_t added)
{
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, first_seen);
	sqlite3_bind_text(st, 3, source ? source : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, baseline ? 1 : 0);
	if (added == STORE_ADDED_UNKNOWN)
		sqlite3_bind_null(st, 5);
	else
		sqlite3_bind_int64(st, 5, added);
}

/* The row's first_seen and baseline flag into kept: 1 found, 0 absent, -1 error. */
static int store_find(store_t *s, const char *name, struct store_kept *kept)
{
	return store_lookup(s, name, &kept->first_seen, NULL, 0, &kept->baseline);
}

/* ---- the rows of recent (schema migration 12) ----
 * A listed name's names row takes the next seq (store_recent_seq) and its row of recent
 * waits in s->rp to be written with others, one statement for 64 rows: a statement a name
 * was a seventh of an import's time. The rows are written before anything that reads
 * recent or updates names (whose trigger writes recent, taking seqs too: the count is read
 * again after it) and before the commit. */
#define STORE_RECENT_BLOCK ((int)(sizeof ((store_t *)0)->rp / sizeof ((store_t *)0)->rp[0]))

static void recent_bind(sqlite3_stmt *st, int first, const store_t *s, int i)
{
	sqlite3_bind_int64(st, first, s->rp[i].seq);
	sqlite3_bind_text(st, first + 1, s->rpa + s->rp[i].off, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, first + 2, s->rp[i].first_seen);
	if (s->rp[i].added == STORE_ADDED_UNKNOWN)
		sqlite3_bind_null(st, first + 3);
	else
		sqlite3_bind_int64(st, first + 3, s->rp[i].added);
}

static int store_recent_flush(store_t *s)
{
	int i = 0, rc = 0;
	if (s->nrp == STORE_RECENT_BLOCK) {
		if (!s->rblock) {
			char sql[64 + STORE_RECENT_BLOCK * 32];
			size_t o = store_sql_rows(sql, sizeof sql,
				"INSERT INTO recent(seq, name, first_seen, added) VALUES ",
				"(?#, ?#, ?#, ?#)", STORE_RECENT_BLOCK, 1, "");
			if (!o || sqlite3_prepare_v3(s->db, sql, (int)o, SQLITE_PREPARE_PERSISTENT,
				    &s->rblock, NULL) != SQLITE_OK)
				return store_fail(s, "prepare", NULL);
		}
		for (; i < STORE_RECENT_BLOCK; i++)
			recent_bind(s->rblock, 1 + 4 * i, s, i);
		rc = store_run(s, s->rblock, "insert", s->rpa);
	}
	for (; rc == 0 && i < s->nrp; i++) {
		recent_bind(s->st[S_RECENT_ADD], 1, s, i);
		rc = store_run(s, s->st[S_RECENT_ADD], "insert", s->rpa + s->rp[i].off);
	}
	s->nrp = 0;
	s->rpa_len = 0;
	return rc;
}

/* The seq for a listed name's row. */
static int store_recent_seq(store_t *s, int64_t *seq)
{
	if (!s->rnext) {
		sqlite3_stmt *st = s->st[S_RECENT_MAX];
		int rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			s->rnext = sqlite3_column_int64(st, 0);
		else
			store_fail(s, "insert", NULL);
		sqlite3_reset(st);
		if (rc != SQLITE_ROW)
			return -1;
	}
	*seq = s->rnext++;
	return 0;
}

static int store_recent_push(store_t *s, const char *name, int64_t seq, int64_t first_seen,
	int64_t added)
{
	size_t nl = strlen(name) + 1;
	if (nl > sizeof s->rpa) { /* a name is at most 254 bytes; the store does not check it */
		snprintf(s->err, sizeof s->err, "store: insert: a name of %zu bytes", nl - 1);
		return -1;
	}
	if (s->rpa_len + nl > sizeof s->rpa && store_recent_flush(s) < 0)
		return -1;
	struct store_recent_row *r = &s->rp[s->nrp++];
	r->seq = seq;
	r->first_seen = first_seen;
	r->added = added;
	r->off = s->rpa_len;
	memcpy(s->rpa + s->rpa_len, name, nl);
	s->rpa_len += nl;
	return s->nrp == STORE_RECENT_BLOCK ? store_recent_flush(s) : 0;
}

/* Before a statement that updates names (its trigger writes recent): the rows waiting
 * first; after it, the next seq is read again. */
static int store_update_names(store_t *s, sqlite3_stmt *st, const char *what, const char *name)
{
	if (store_recent_flush(s) < 0) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		return -1;
	}
	int rc = store_run(s, st, what, name);
	s->rnext = 0;
	return rc;
}

static void store_recent_forget(store_t *s)
{
	s->nrp = 0;
	s->rpa_len = 0;
	s->rnext = 0;
}

/* Insert a new row (a listed one with its row of recent); 1 inserted, 0 when a row was
 * there after all, -1 error. */
static int store_insert(store_t *s, const char *name, int64_t first_seen, const char *source,
	int baseline, int64_t added)
{
	int64_t seq = 0;
	if (!baseline && store_recent_seq(s, &seq) < 0)
		return -1;
	sqlite3_stmt *st = s->st[S_INSERT];
	store_bind_row(st, name, first_seen, source, baseline, added);
	if (!baseline)
		sqlite3_bind_int64(st, 6, seq);
	if (store_run(s, st, "insert", name) < 0)
		return -1;
	if (sqlite3_changes(s->db) != 1)
		return 0; /* the seq stays unused: a gap in recent costs nothing */
	if (!baseline && store_recent_push(s, name, seq, first_seen, added) < 0)
		return -1;
	s->names++;
	return 1;
}

/* A new name is one insert, a known name one lookup, then one update when its first_seen
 * moves back and nothing more when it does not (a re-import writes no page). Which comes
 * first follows the previous observation: after a new name the insert is tried first (its
 * conflict clause makes it a no-op on a known name), after a known one the lookup, so a
 * run of new names (an import) and a run of known ones (a re-import) each cost one B-tree
 * search per name, not two. The update's condition sits in the statement too, so it
 * stays right if another connection wrote in between. */
static int store_observe_tx(store_t *s, const char *name, int64_t first_seen,
	const char *source, int baseline, int64_t added, struct store_kept *kept,
	enum store_outcome *out)
{
	int found = s->insert_first ? 0 : store_find(s, name, kept);
	if (found == 0) {
		int ins = store_insert(s, name, first_seen, source, baseline, added);
		if (ins < 0)
			return -1;
		s->insert_first = ins == 1;
		if (ins == 1) {
			kept->first_seen = first_seen;
			kept->baseline = baseline ? 1 : 0;
			*out = STORE_INSERTED;
			return 0;
		}
		found = store_find(s, name, kept);
	}
	if (found <= 0) {
		if (found == 0) /* deleted by someone else in between: nothing in nodd deletes names */
			snprintf(s->err, sizeof s->err, "store: lookup %s: row vanished", name);
		return -1;
	}
	*out = STORE_UNCHANGED;
	if (first_seen >= kept->first_seen)
		return 0;
	/* Known: the earliest observation wins, with its source and baseline flag. */
	sqlite3_stmt *st = s->st[S_LOWER];
	store_bind_row(st, name, first_seen, source, baseline, added);
	if (store_update_names(s, st, "update", name) < 0)
		return -1;
	if (sqlite3_changes(s->db) == 1) {
		kept->first_seen = first_seen;
		kept->baseline = baseline ? 1 : 0;
		*out = STORE_LOWERED;
	}
	return 0;
}

int store_observe_kept(store_t *s, const char *name, int64_t first_seen, const char *source,
	int baseline, int64_t added, struct store_kept *kept, enum store_outcome *out)
{
	struct store_kept k;
	int own;
	if (store_write_open(s, name, &own) < 0)
		return -1;
	int rc = store_observe_tx(s, name, first_seen, source, baseline, added, kept ? kept : &k,
		out);
	return store_write_close(s, own, rc);
}

/* Names per INSERT of store_insert_new_many: each statement step has a fixed cost, paid
 * once per block instead of once per name. */
#define STORE_MANY_BLOCK 64

size_t store_sql_rows(char *out, size_t cap, const char *head, const char *row, int rows,
	int first, const char *tail)
{
	size_t o = (size_t)snprintf(out, cap, "%s", head);
	for (int k = 0; k < rows && o < cap; k++) {
		if (k)
			o += (size_t)snprintf(out + o, cap - o, ", ");
		for (const char *p = row; *p && o < cap; p++)
			o += *p == '#' ? (size_t)snprintf(out + o, cap - o, "%d", first++)
				: (size_t)snprintf(out + o, cap - o, "%c", *p);
	}
	if (o < cap)
		o += (size_t)snprintf(out + o, cap - o, "%s", tail);
	return o < cap ? o : 0;
}

/* "INSERT ... VALUES (?1, ?2, ?3, ?4, ?5), (?6, ?2, ...) ON CONFLICT DO NOTHING RETURNING
 * name": the first row as store_bind_row binds it, name k > 0 is ?(5 + k). */
static sqlite3_stmt *store_many_stmt(store_t *s)
{
	char sql[160 + STORE_MANY_BLOCK * 24];
	size_t o = store_sql_rows(sql, sizeof sql,
		"INSERT INTO names(name, first_seen, source, baseline, added) "
		"VALUES (?1, ?2, ?3, ?4, ?5), ",
		"(?#, ?2, ?3, ?4, ?5)", STORE_MANY_BLOCK - 1, 6,
		" ON CONFLICT(name) DO NOTHING RETURNING name");
	sqlite3_stmt *st = NULL;
	if (!o || sqlite3_prepare_v2(s->db, sql, (int)o, &st, NULL) != SQLITE_OK)
		store_fail(s, "prepare", NULL);
	return st;
}

/* One block of STORE_MANY_BLOCK names: held[] cleared for those the statement returns
 * (inserted). Returns the number inserted, or -1. */
static int store_many_block(store_t *s, sqlite3_stmt *st, const char *const *names,
	unsigned char *held)
{
	for (int k = 0; k < STORE_MANY_BLOCK; k++) {
		sqlite3_bind_text(st, k ? 5 + k : 1, names[k], -1, SQLITE_STATIC);
		held[k] = 1;
	}
	int rc, ins = 0, at = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		/* returned in the order inserted, as far as sqlite goes; any order is matched */
		for (int tries = 0; name && tries < STORE_MANY_BLOCK;
		     tries++, at = (at + 1) % STORE_MANY_BLOCK)
			if (strcmp(names[at], name) == 0) {
				held[at] = 0;
				ins++;
				break;
			}
	}
	if (rc != SQLITE_DONE)
		store_fail(s, "insert", names[0]);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? ins : -1;
}

int store_insert_new_many(store_t *s, const char *const *names, size_t n, int64_t first_seen,
	const char *source, int baseline, int64_t added, unsigned char *held)
{
	int own;
	if (n == 0)
		return 0;
	if (store_write_open(s, names[0], &own) < 0)
		return -1;
	/* the blocks are for baseline names; a listed name needs its row of recent first */
	sqlite3_stmt *st = n >= STORE_MANY_BLOCK && baseline ? store_many_stmt(s) : NULL;
	if (st)
		store_bind_row(st, names[0], first_seen, source, baseline, added);
	int64_t total = 0;
	size_t i = 0;
	for (; st && i + STORE_MANY_BLOCK <= n; i += STORE_MANY_BLOCK) {
		int k = store_many_block(s, st, names + i, held + i);
		if (k < 0)
			break;
		total += k;
		s->names += k;
	}
	int failed = st ? i + STORE_MANY_BLOCK <= n : n >= STORE_MANY_BLOCK && baseline;
	sqlite3_finalize(st);
	for (; !failed && i < n; i++) { /* the rest, one by one */
		int k = store_insert(s, names[i], first_seen, source, baseline, added);
		failed = k < 0;
		held[i] = k == 0;
		total += k > 0;
	}
	if (store_write_close(s, own, failed ? -1 : 0) < 0)
		return -1;
	return (int)total;
}

int store_observe(store_t *s, const char *name, int64_t first_seen, const char *source,
	int baseline, int64_t added, int64_t *stored_fs, enum store_outcome *out)
{
	struct store_kept k;
	int rc = store_observe_kept(s, name, first_seen, source, baseline, added, &k, out);
	if (rc == 0 && stored_fs)
		*stored_fs = k.first_seen;
	return rc;
}

int store_reset(store_t *s, const char *name, int64_t first_seen, const char *source,
	int64_t added, enum store_outcome *out)
{
	int own;
	if (store_write_open(s, name, &own) < 0)
		return -1;
	int ins = store_insert(s, name, first_seen, source, 0, added);
	int rc = ins < 0 ? -1 : 0;
	*out = STORE_INSERTED;
	if (ins == 0) {
		*out = STORE_RESET;
		sqlite3_stmt *st = s->st[S_RESET];
		store_bind_row(st, name, first_seen, source, 0, added);
		rc = store_update_names(s, st, "reset", name);
	}
	return store_write_close(s, own, rc);
}

int store_lookup(store_t *s, const char *name, int64_t *first_seen, char *source,
	size_t srclen, int *baseline)
{
	sqlite3_stmt *st = s->st[S_LOOKUP];
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	int ret = 0;
	if (rc == SQLITE_ROW) {
		if (first_seen)
			*first_seen = sqlite3_column_int64(st, 0);
		if (source && srclen) {
			const unsigned char *t = sqlite3_column_text(st, 1);
			snprintf(source, srclen, "%s", t ? (const char *)t : "");
		}
		if (baseline)
			*baseline = sqlite3_column_int(st, 2);
		ret = 1;
	} else if (rc != SQLITE_DONE) {
		ret = store_fail(s, "lookup", name);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return ret;
}

static void set_cache_kib(store_t *s, int kib)
{
	char pragma[64];
	snprintf(pragma, sizeof pragma, "PRAGMA cache_size=-%d", kib);
	sqlite3_exec(s->db, pragma, NULL, NULL, NULL);
}

/* The rows of a load, held to be sorted: recent is in the order names were listed, the
 * index wants them in first_seen order. A name is kept as its stamp (8 bytes), its text
 * and a NUL in one arena; rows[] holds each one's first_seen and arena offset. */
struct load_set {
	char *arena;
	size_t len, cap;
	struct load_row { int64_t fs; size_t off; } *rows, *tmp;
	size_t n, rcap;
};

static int load_push(struct load_set *ls, const char *name, int64_t fs, int64_t added)
{
	size_t nl = strlen(name) + 1, need = sizeof added + nl;
	if (grow_array(&ls->arena, &ls->cap, ls->len + need, 1) < 0 ||
	    grow_array(&ls->rows, &ls->rcap, ls->n + 1, sizeof *ls->rows) < 0)
		return -1;
	memcpy(ls->arena + ls->len, &added, sizeof added);
	memcpy(ls->arena + ls->len + sizeof added, name, nl);
	ls->rows[ls->n].fs = fs;
	ls->rows[ls->n++].off = ls->len;
	ls->len += need;
	return 0;
}

/* Stable sort of the rows by first_seen: an LSD radix sort over the bits that differ
 * (11 a pass: a day of seconds is two passes). Rows already in order (names stored as
 * they were seen) cost one check. qsort would need a tie-break to be stable and is about
 * five times slower on a million rows. */
static int load_sort(struct load_set *ls)
{
	size_t n = ls->n;
	int sorted = 1;
	int64_t lo = n ? ls->rows[0].fs : 0, hi = lo;
	for (size_t i = 1; i < n; i++) {
		int64_t f = ls->rows[i].fs;
		sorted &= f >= ls->rows[i - 1].fs;
		lo = f < lo ? f : lo;
		hi = f > hi ? f : hi;
	}
	if (sorted)
		return 0;
	ls->tmp = malloc(n * sizeof *ls->tmp);
	if (!ls->tmp)
		return -1;
	uint64_t range = (uint64_t)hi - (uint64_t)lo;
	struct load_row *from = ls->rows, *to = ls->tmp;
	for (int shift = 0; shift < 64 && (range >> shift); shift += 11) {
		size_t count[2049] = { 0 };
		for (size_t i = 0; i < n; i++)
			count[((((uint64_t)from[i].fs - (uint64_t)lo) >> shift) & 2047) + 1]++;
		for (int d = 0; d < 2048; d++)
			count[d + 1] += count[d];
		for (size_t i = 0; i < n; i++)
			to[count[(((uint64_t)from[i].fs - (uint64_t)lo) >> shift) & 2047]++] = from[i];
		struct load_row *t = from;
		from = to;
		to = t;
	}
	ls->rows = from;
	free(to); /* before the caller builds its index from the rows */
	ls->tmp = NULL;
	return 0;
}

static void load_free(struct load_set *ls)
{
	free(ls->arena);
	free(ls->rows);
	free(ls->tmp);
}

int store_each_since(store_t *s, int64_t since, store_name_cb cb, void *ctx)
{
	/* One prepared statement: a callback calling back in would reset it mid-walk. */
	if (s->walking) {
		snprintf(s->err, sizeof s->err, "store: load names: store_each_since is not reentrant");
		return -1;
	}
	if (store_recent_flush(s) < 0)
		return -1;
	/* rows the purge may have taken (the clock went back since): every listed name,
	 * a walk over the whole table */
	int all = since < s->recent_floor;
	if (all)
		log_warn("store: loading names since %lld, before the purged %lld: reading every "
			"name", (long long)since, (long long)s->recent_floor);
	sqlite3_stmt *st = s->st[all ? S_SINCE_ALL : S_SINCE];
	sqlite3_bind_int64(st, 1, since);
	s->walking = 1;
	/* One pass over the table, each page read once: a small cache does, and the process
	 * does not peak at the whole table on top of what the caller builds from it. */
	set_cache_kib(s, STORE_WALK_CACHE_KIB);
	struct load_set ls = { 0 };
	int rc, ret = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *name = sqlite3_column_text(st, 0);
		int64_t added = sqlite3_column_type(st, 2) == SQLITE_NULL ? STORE_ADDED_UNKNOWN :
			sqlite3_column_int64(st, 2);
		if (load_push(&ls, name ? (const char *)name : "", sqlite3_column_int64(st, 1),
			    added) < 0) {
			ret = -1;
			snprintf(s->err, sizeof s->err, "store: load names: out of memory");
			break;
		}
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = store_fail(s, "load names", NULL);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	/* Those pages are not read again: give them back, and the heap they leave. */
	sqlite3_db_release_memory(s->db);
	set_cache_kib(s, STORE_CACHE_KIB);
	if (ret == 0 && load_sort(&ls) < 0) {
		ret = -1;
		snprintf(s->err, sizeof s->err, "store: load names: out of memory");
	}
	for (size_t i = 0; ret == 0 && i < ls.n; i++) {
		/* sorted, the rows point all over the arena: ask for a later one's line now */
		if (i + 16 < ls.n)
			__builtin_prefetch(ls.arena + ls.rows[i + 16].off);
		int64_t added;
		memcpy(&added, ls.arena + ls.rows[i].off, sizeof added);
		ret = cb(ctx, ls.arena + ls.rows[i].off + sizeof added, ls.rows[i].fs, added);
	}
	s->walking = 0;
	load_free(&ls);
#ifdef __GLIBC__
	malloc_trim(0);
#endif
	return ret;
}

int store_recent_purge(store_t *s, int64_t before, int rows)
{
	if (s->in_tx || rows < 1)
		return 0;
	sqlite3_stmt *st = s->st[S_RECENT_NTH];
	sqlite3_bind_int64(st, 1, s->purge_at);
	sqlite3_bind_int(st, 2, rows - 1);
	int rc = sqlite3_step(st);
	int64_t end = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : INT64_MAX;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		store_fail(s, "purge recent names", NULL);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return -1;
	if (store_begin(s) < 0)
		return -1;
	int ok = 1;
	if (before > s->recent_floor) /* first: a load asking for purged rows reads names */
		ok = store_meta_set_int(s, STORE_RECENT_FLOOR_KEY, before) == 0;
	st = s->st[S_RECENT_PURGE];
	sqlite3_bind_int64(st, 1, s->purge_at);
	sqlite3_bind_int64(st, 2, end);
	sqlite3_bind_int64(st, 3, before);
	ok = ok && store_run(s, st, "purge recent names", NULL) == 0;
	int gone = ok ? sqlite3_changes(s->db) : 0;
	if (!ok || store_commit(s) < 0) {
		store_rollback(s);
		return -1;
	}
	if (before > s->recent_floor)
		s->recent_floor = before;
	/* the end of the table: the next call starts over from its front */
	s->purge_at = end == INT64_MAX ? 0 : end;
	return gone;
}

int store_version_add(store_t *s, int zone, uint32_t serial, int64_t vtime)
{
	sqlite3_stmt *st = s->st[S_VER_ADD];
	sqlite3_bind_int(st, 1, zone);
	sqlite3_bind_int64(st, 2, vtime);
	sqlite3_bind_int64(st, 3, (int64_t)serial);
	return store_run(s, st, "record a zone version", NULL);
}

int store_version_trim(store_t *s, int64_t before)
{
	sqlite3_stmt *st = s->st[S_VER_TRIM];
	sqlite3_bind_int64(st, 1, before);
	return store_run(s, st, "trim zone versions", NULL);
}

int store_each_version(store_t *s, store_version_cb cb, void *ctx)
{
	sqlite3_stmt *st = s->st[S_VER_EACH];
	int rc, ret = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ret = cb(ctx, sqlite3_column_int(st, 0), (uint32_t)sqlite3_column_int64(st, 2),
			sqlite3_column_int64(st, 1));
		if (ret)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = store_fail(s, "load zone versions", NULL);
	sqlite3_reset(st);
	return ret;
}

int64_t store_count(store_t *s)
{
	sqlite3_stmt *st = s->st[S_COUNT];
	int64_t n = -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	else
		store_fail(s, "count", NULL);
	sqlite3_reset(st);
	return n;
}

int store_list(store_t *s, const char *name, int64_t added)
{
	sqlite3_stmt *st = s->st[S_LIST];
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, added);
	return store_update_names(s, st, "list", name);
}

int store_unlist(store_t *s, const char *name)
{
	sqlite3_stmt *st = s->st[S_UNLIST];
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	return store_update_names(s, st, "unlist", name);
}

int store_ct_candidate(store_t *s, const char *name, int64_t *first_seen, int *listed)
{
	sqlite3_stmt *st = s->st[S_CT_CAND];
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st), ret = 0;
	if (rc == SQLITE_ROW) {
		*first_seen = sqlite3_column_int64(st, 0);
		*listed = sqlite3_column_int(st, 1);
		ret = 1;
	} else if (rc != SQLITE_DONE) {
		ret = store_fail(s, "candidate", name);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return ret;
}
