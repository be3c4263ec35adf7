/* store_ckpt.c -- the checkpoint of an apply worker's large transaction, made on a thread
 * of its own after the commit: copying a TLD's first copy from the WAL into the database
 * file (hundreds of MB) is no part of taking the transfer, and no main-thread commit may
 * do it meanwhile (policy/store.c's WAL hook asks store_checkpoint_deferred). */
#include "policy/store_busy.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <time.h>

#include "policy/store.h"

#define CKPT_FRAMES 1000       /* a commit leaving more in the WAL checkpoints (sqlite's) */
#define CKPT_TRIES 200          /* passive checkpoints before leaving the rest to others */
#define CKPT_PAUSE_NS 50000000L /* between them */

static atomic_int deferred;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int running;

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

static void *tail(void *arg)
{
	store_t *s = arg;
	pthread_setname_np(pthread_self(), "nodd-ckpt");
	/* again while another checkpoint runs (another worker's) or a reader holds back
	 * the last frames */
	for (int i = 0; i < CKPT_TRIES; i++) {
		int log = 0, done = 0;
		int rc = sqlite3_wal_checkpoint_v2(store_db(s), NULL, SQLITE_CHECKPOINT_PASSIVE,
			&log, &done);
		if ((rc == SQLITE_OK && done >= log) || (rc != SQLITE_OK && rc != SQLITE_BUSY))
			break;
		nanosleep(&(struct timespec){ 0, CKPT_PAUSE_NS }, NULL);
	}
	store_close(s);
	store_checkpoint_defer(0);
	pthread_mutex_lock(&mu);
	running--;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	return NULL;
}

void store_checkpoint_detached(store_t *s)
{
	pthread_attr_t a;
	pthread_t th;
	pthread_mutex_lock(&mu);
	running++;
	pthread_mutex_unlock(&mu);
	if (pthread_attr_init(&a) == 0) {
		pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
		int rc = pthread_create(&th, &a, tail, s);
		pthread_attr_destroy(&a);
		if (rc == 0)
			return;
	}
	tail(s); /* no thread: here, then */
}

void store_checkpoints_wait(void)
{
	pthread_mutex_lock(&mu);
	while (running > 0)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
}
