/* store_ckpt.c -- WAL checkpoints of the store on a thread of their own.
 *
 * In WAL mode sqlite copies the log back into the database file at checkpoints, and with
 * synchronous=NORMAL a checkpoint is where the fsyncs happen. By default the connection
 * that commits runs it (every 1,000 WAL pages), so the main thread, which commits the
 * observations of the API, of CT logs and of zone versions, would wait for the disk in
 * the middle of serving: on a CT log read at full speed that was about a tenth of the
 * wall time. Here the main connection's commit only signals (sqlite3_wal_hook, which also
 * turns its own automatic checkpoint off) and a thread with its own connection runs a
 * PASSIVE checkpoint: it copies what no reader still needs and never takes the write lock,
 * so commits go on meanwhile; once a checkpoint has copied the whole log, the next commit
 * starts the log again from its beginning.
 *
 * Bounds: a checkpoint starts once the log holds STORE_CKPT_PAGES pages. If the thread
 * cannot keep up (a reader holding an old snapshot, a slow disk) and the log reaches
 * STORE_CKPT_HARD_PAGES, the committing connection checkpoints itself as sqlite would
 * have, so the log cannot grow without end. journal_size_limit cuts the file back when
 * the log restarts after a large transaction (a zone's first transfer). That transaction,
 * an apply worker's, is checkpointed after its commit by a thread of its own with the
 * worker's connection (store_checkpoint_detached); meanwhile no commit checkpoints in
 * the foreground.
 *
 * Owns the thread and its connection; knows nothing of the tables. */
#include "policy/store_ckpt.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/counters.h"
#include "lib/log.h"
#include "policy/store.h"
#include "policy/store_busy.h"

/* 16 KiB pages (store.c): 64 MiB of log starts a checkpoint, 256 MiB makes the committer
 * do it. The larger the batch, the more pages written twice in the log are copied once. */
#define STORE_CKPT_PAGES 4096
#define STORE_CKPT_HARD_PAGES 16384
#define STORE_CKPT_SIZE_LIMIT "67108864"

struct store_ckpt {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int want; /* a commit left STORE_CKPT_PAGES or more in the log */
	int stop;
	char *path;
	sqlite3 *main_db;
	atomic_int busy; /* a checkpoint is running on the thread */
};

static void ckpt_run(sqlite3 *db, const char *who)
{
	int log_frames = 0, done = 0;
	int rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log_frames, &done);
	if (rc == SQLITE_OK) {
		metrics_inc("store_checkpoints", 1);
		log_debug("store: %s checkpoint: %d of %d log frames in the database", who, done,
			log_frames);
	} else if ((rc & 0xff) != SQLITE_BUSY) {
		/* BUSY: another connection is checkpointing; the next commit asks again */
		metrics_inc("store_checkpoint_errors", 1);
		log_warn("store: %s checkpoint: %s", who, sqlite3_errmsg(db));
	}
}

static void *ckpt_thread(void *arg)
{
	struct store_ckpt *c = arg;
	pthread_setname_np(pthread_self(), "nodd-ckpt");
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(c->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK) /* a first read puts the connection in WAL mode */
		rc = sqlite3_exec(db, "PRAGMA schema_version", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		log_warn("store: %s: checkpoint connection: %s; the committing connection "
			"checkpoints instead", c->path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		db = NULL;
	}
	pthread_mutex_lock(&c->mu);
	for (;;) {
		while (!c->want && !c->stop)
			pthread_cond_wait(&c->cv, &c->mu);
		if (c->stop)
			break;
		c->want = 0;
		pthread_mutex_unlock(&c->mu);
		if (db) {
			atomic_store(&c->busy, 1);
			ckpt_run(db, "background");
			atomic_store(&c->busy, 0);
		}
		pthread_mutex_lock(&c->mu);
	}
	pthread_mutex_unlock(&c->mu);
	sqlite3_close(db);
	return NULL;
}

/* Called by sqlite after each commit of the main connection, on its thread. */
static int ckpt_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	(void)name;
	struct store_ckpt *c = arg;
	if (pages >= STORE_CKPT_HARD_PAGES && !atomic_load(&c->busy) &&
	    !store_checkpoint_deferred()) {
		ckpt_run(db, "foreground");
		return SQLITE_OK;
	}
	if (pages >= STORE_CKPT_PAGES) {
		pthread_mutex_lock(&c->mu);
		c->want = 1;
		pthread_cond_signal(&c->cv);
		pthread_mutex_unlock(&c->mu);
	}
	return SQLITE_OK;
}

struct store_ckpt *store_ckpt_start(sqlite3 *db, const char *path, struct nodd_err *e)
{
	struct store_ckpt *c = calloc(1, sizeof *c);
	if (!c || !(c->path = strdup(path))) {
		free(c);
		nodd_fail(e, NODD_E_NOMEM, "store: %s: out of memory", path);
		return NULL;
	}
	c->main_db = db;
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	int rc = pthread_create(&c->th, NULL, ckpt_thread, c);
	if (rc != 0) {
		nodd_fail(e, NODD_E_SYSTEM, "store: %s: checkpoint thread: %s", path, strerror(rc));
		pthread_mutex_destroy(&c->mu);
		pthread_cond_destroy(&c->cv);
		free(c->path);
		free(c);
		return NULL;
	}
	sqlite3_exec(db, "PRAGMA journal_size_limit=" STORE_CKPT_SIZE_LIMIT, NULL, NULL, NULL);
	sqlite3_wal_hook(db, ckpt_hook, c);
	return c;
}

void store_ckpt_stop(struct store_ckpt *c)
{
	if (!c)
		return;
	sqlite3_wal_hook(c->main_db, NULL, NULL);
	/* what the thread did not copy, closing the last connection copies */
	sqlite3_wal_autocheckpoint(c->main_db, 1000);
	pthread_mutex_lock(&c->mu);
	c->stop = 1;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->th, NULL);
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	free(c->path);
	free(c);
}

/* A worker's first copy (store_checkpoint_defer .. store_checkpoint_detached): its commit
 * does not checkpoint; a thread of its own does, with the worker's connection, while no
 * committing connection of the process checkpoints in the foreground. */
#define CKPT_FRAMES 1000        /* another connection's commit leaving more checkpoints */
#define CKPT_TRIES 200          /* passive checkpoints before leaving the rest to others */
#define CKPT_PAUSE_NS 50000000L /* between them */

static atomic_int deferred;
static pthread_mutex_t tails_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t tails_cv = PTHREAD_COND_INITIALIZER;
static int tails; /* store_checkpoint_detached threads running */

void store_checkpoint_defer(int on)
{
	atomic_fetch_add(&deferred, on ? 1 : -1);
}

int store_checkpoint_deferred(void)
{
	return atomic_load(&deferred) > 0;
}

void store_wal_commit(sqlite3 *db, const char *name, int frames, int worker)
{
	if (frames >= CKPT_FRAMES && !worker && !store_checkpoint_deferred())
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
}

static void *tail_thread(void *arg)
{
	store_t *s = arg;
	pthread_setname_np(pthread_self(), "nodd-ckpt-copy");
	/* again while another checkpoint runs (another worker's) or a reader holds back
	 * the last frames */
	int whole = 0;
	for (int i = 0; i < CKPT_TRIES; i++) {
		int log = 0, done = 0;
		int rc = sqlite3_wal_checkpoint_v2(store_db(s), NULL, SQLITE_CHECKPOINT_PASSIVE,
			&log, &done);
		whole = rc == SQLITE_OK && done >= log;
		if (whole || (rc != SQLITE_OK && rc != SQLITE_BUSY))
			break;
		nanosleep(&(struct timespec){ 0, CKPT_PAUSE_NS }, NULL);
	}
	/* The log copied whole, the next commit starts it again and cuts its file back to
	 * the limit: cutting hundreds of MB took 70 ms, here rather than in a main-thread
	 * commit. A row rewritten unchanged is that commit (by its key: sqlite writes
	 * nothing for a column set to its own value); it holds the write lock only while it
	 * commits (no wait for readers: with one still on the log, nothing is cut). */
	if (whole)
		sqlite3_exec(store_db(s), "PRAGMA journal_size_limit=" STORE_CKPT_SIZE_LIMIT ";"
			" UPDATE meta SET key = key WHERE key = 'names.count'", NULL, NULL, NULL);
	store_close(s);
	store_checkpoint_defer(0);
	pthread_mutex_lock(&tails_mu);
	tails--;
	pthread_cond_broadcast(&tails_cv);
	pthread_mutex_unlock(&tails_mu);
	return NULL;
}

void store_checkpoint_detached(store_t *s)
{
	pthread_attr_t a;
	pthread_t th;
	pthread_mutex_lock(&tails_mu);
	tails++;
	pthread_mutex_unlock(&tails_mu);
	if (pthread_attr_init(&a) == 0) {
		pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
		int rc = pthread_create(&th, &a, tail_thread, s);
		pthread_attr_destroy(&a);
		if (rc == 0)
			return;
	}
	tail_thread(s); /* no thread: here, then */
}

void store_checkpoints_wait(void)
{
	pthread_mutex_lock(&tails_mu);
	while (tails > 0)
		pthread_cond_wait(&tails_cv, &tails_mu);
	pthread_mutex_unlock(&tails_mu);
}
