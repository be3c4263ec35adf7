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

#include "zones/axfrdiff.h"
#include "zones/copy.h"

#define APPLYJOB_BUSY_MS 10000 /* a reader waits only out a WAL checkpoint's restart */

static void *worker(void *arg)
{
	struct applyjob *j = arg;
	pthread_setname_np(pthread_self(), "nodd-apply"); /* told apart in top and perf */
	j->rc = 0;
	if (stage_sort(&j->st) < 0)
		j->rc = nodd_fail(&j->e, NODD_E_NOMEM, "out of memory");
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
	const char *zone, int diff, struct stage *st, void (*done)(void *ctx), void *ctx,
	struct nodd_err *e)
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
