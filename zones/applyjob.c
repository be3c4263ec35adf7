/* applyjob.c -- see applyjob.h. A thread per job (a few per day per zone): nothing to keep
 * between jobs, and a job's worker is joined before its result is read. The wake is an
 * eventfd, as zones/notifygate.c does, so libevent needs no thread support. */
#include "zones/applyjob.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/grow.h"
#include "policy/store.h"
#include "zones/axfrdiff.h"
#include "zones/copy.h"
#include "zones/observe.h"

#define APPLYJOB_BUSY_MS 10000 /* a reader waits only out a WAL checkpoint's restart */
#define APPLYJOB_CACHE_KIB "8192" /* page cache of the baseline's connection */

/* The baseline's names, observed on the worker's store in batches (copied: the stage's
 * views last until its next record). */
#define APPLYJOB_BATCH 4096
struct seen {
	struct applyjob *j;
	store_t *st;
	const char *src;
	int main_needed;
	const char *owners[APPLYJOB_BATCH];
	size_t at[APPLYJOB_BATCH]; /* each owner's text in text */
	char *text;
	size_t len, cap;
	enum nod_baseline out[APPLYJOB_BATCH];
	size_t n;
};

/* Observe the batch. 0, 1 when a name needs the main thread, -1 on a store error. */
static int seen_flush(struct seen *w)
{
	size_t n = w->n;
	w->n = w->len = 0;
	for (size_t i = 0; i < n; i++)
		w->owners[i] = w->text + w->at[i];
	if (nod_baseline_observe_many(w->j->nod, w->st, w->owners, n, w->src, w->j->now,
		    w->out) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		switch (w->out[i]) {
		case NOD_BASELINE_NEW: w->j->n_new++; break;
		case NOD_BASELINE_KNOWN: w->j->n_known++; break;
		case NOD_BASELINE_REFUSED: w->j->n_refused++; break;
		case NOD_BASELINE_MAIN: w->main_needed = 1; return 1;
		}
	return 0;
}

static int seen_one(void *ctx, const char *owner)
{
	struct seen *w = ctx;
	size_t l = strlen(owner) + 1;
	if (grow_array(&w->text, &w->cap, w->len + l, 1) < 0)
		return -1;
	memcpy(w->text + w->len, owner, l);
	w->at[w->n++] = w->len;
	w->len += l;
	return w->n == APPLYJOB_BATCH ? seen_flush(w) : 0;
}

/* The first copy, its names and the refresh state in one transaction of the worker's own
 * store connection. 0 (j->written says whether it committed, or left the transfer to the
 * main thread), or -1 with j->e. */
static int write_baseline(struct applyjob *j)
{
	store_t *st = store_open(j->dbpath, &j->e);
	if (!st)
		return -1;
	store_set_worker(st);
	struct copy c;
	memset(&c, 0, sizeof c);
	j->now = unix_now();
	char src[300];
	observe_source(src, sizeof src, j->zone, j->serial, 1);
	struct seen *w = calloc(1, sizeof *w);
	if (!w) {
		store_close(st);
		return nodd_fail(&j->e, NODD_E_NOMEM, "out of memory");
	}
	*w = (struct seen){ .j = j, .st = st, .src = src };
	/* its pages are written in key order, once: a small cache spills them to the WAL
	 * as they fill instead of holding the store's 64 MiB (peak memory) */
	sqlite3_exec(store_db(st), "PRAGMA cache_size=-" APPLYJOB_CACHE_KIB, NULL, NULL, NULL);
	int rc = copy_open(&c, store_db(st), &j->e);
	/* from before BEGIN, so no main-thread write waits for the lock it takes, and no
	 * main-thread commit copies its pages from the WAL (the checkpoint's thread does) */
	store_worker_writing(1);
	store_checkpoint_defer(1);
	if (rc == 0 && store_begin(st) < 0)
		rc = nodd_fail(&j->e, NODD_E_STORE, "%s", store_errmsg(st));
	if (rc == 0) {
		long long n = copy_take_stage(&c, j->zone, &j->st);
		if (n < 0 || axfrdiff_each_delegation(&j->st, j->zone, seen_one, w) < 0 ||
		    (!w->main_needed && seen_flush(w) < 0) ||
		    copy_save_state(&c, j->zone, j->serial, j->now) < 0)
			rc = nodd_fail(&j->e, NODD_E_STORE, "store: %s", sqlite3_errmsg(store_db(st)));
		else if (!w->main_needed && store_commit(st) < 0)
			rc = nodd_fail(&j->e, NODD_E_STORE, "%s", store_errmsg(st));
		else
			j->adds = (uint64_t)n;
		if (rc < 0 || w->main_needed)
			store_rollback(st);
		else
			j->written = 1;
	}
	store_worker_writing(0);
	if (!j->written)
		j->n_new = j->n_known = j->n_refused = 0;
	free(w->text);
	free(w);
	copy_close(&c);
	if (j->written) {
		store_checkpoint_detached(st);
	} else {
		store_close(st);
		store_checkpoint_defer(0);
	}
	return rc;
}

static pthread_mutex_t write_one = PTHREAD_MUTEX_INITIALIZER;

static void *worker(void *arg)
{
	struct applyjob *j = arg;
	pthread_setname_np(pthread_self(), "nodd-apply"); /* told apart in top and perf */
	j->rc = 0;
	if (stage_sort(&j->st) < 0)
		j->rc = nodd_fail(&j->e, NODD_E_NOMEM, "out of memory");
	if (j->rc == 0 && !j->diff && j->nod) {
		/* One first copy written at a time: two zones' workers would otherwise both
		 * take BEGIN IMMEDIATE, and the second would give up after the store's busy
		 * wait (seconds) while the first writes for longer, failing its transfer. This
		 * thread may wait; the main thread never takes this lock. */
		pthread_mutex_lock(&write_one);
		j->rc = write_baseline(j);
		pthread_mutex_unlock(&write_one);
	}
	if (j->rc == 0 && j->diff) {
		sqlite3 *db = NULL;
		struct copy c;
		memset(&c, 0, sizeof c);
		if (sqlite3_open_v2(j->dbpath, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
			j->rc = nodd_fail(&j->e, NODD_E_STORE, "store: %s: %s", j->dbpath,
				db ? sqlite3_errmsg(db) : "cannot open");
		} else {
			sqlite3_busy_timeout(db, APPLYJOB_BUSY_MS);
			j->rc = copy_open(&c, db, &j->e);
			if (j->rc == 0)
				j->rc = axfrdiff_build(&c, &j->st, j->zone, &j->cs, &j->e);
			copy_close(&c);
		}
		sqlite3_close(db);
	}
	uint64_t one = 1;
	ssize_t w;
	do
		w = write(j->efd, &one, sizeof one);
	while (w < 0 && errno == EINTR);
	return NULL;
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	struct applyjob *j = arg;
	uint64_t v;
	if (read(fd, &v, sizeof v) < 0 && errno == EAGAIN)
		return;
	pthread_join(j->th, NULL);
	j->running = 0;
	j->done(j->ctx);
}

int applyjob_start(struct applyjob *j, struct event_base *base, const char *dbpath,
	const char *zone, int diff, nod_t *nod, uint32_t serial, struct stage *st,
	void (*done)(void *ctx), void *ctx, struct nodd_err *e)
{
	applyjob_end(j);
	memset(j, 0, sizeof *j);
	j->open = 1;
	changeset_init(&j->cs);
	j->dbpath = strdup(dbpath);
	j->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	j->ev = j->efd >= 0 ? event_new(base, j->efd, EV_READ | EV_PERSIST, on_wake, j) : NULL;
	if (!j->dbpath || !j->ev || event_add(j->ev, NULL) < 0) {
		applyjob_end(j);
		return nodd_fail(e, NODD_E_SYSTEM, "cannot start the apply worker");
	}
	j->zone = zone;
	j->diff = diff;
	j->nod = nod;
	j->serial = serial;
	j->done = done;
	j->ctx = ctx;
	j->st = *st;
	if (pthread_create(&j->th, NULL, worker, j) != 0) {
		stage_init(&j->st);
		applyjob_end(j);
		return nodd_fail(e, NODD_E_SYSTEM, "cannot start the apply worker");
	}
	stage_init(st);
	j->running = 1;
	return 0;
}

void applyjob_end(struct applyjob *j)
{
	if (!j->open)
		return;
	if (j->running) {
		pthread_join(j->th, NULL);
		j->running = 0;
	}
	if (j->ev)
		event_free(j->ev);
	j->ev = NULL;
	if (j->efd >= 0)
		close(j->efd);
	j->efd = -1;
	free(j->dbpath);
	j->dbpath = NULL;
	stage_clear(&j->st);
	changeset_deinit(&j->cs);
	j->open = 0;
}
