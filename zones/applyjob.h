/* applyjob.h -- the slow half of applying an AXFR, off the main thread: the staged copy
 * sorted into key order and, when a copy is held, its difference against the stored copy
 * (zones/axfrdiff.c) read through a connection of the worker's own. The main thread then
 * writes that difference (or the first copy) in one store transaction (zones/apply.c), so
 * readers switch to the new version in one step at its commit and a crash leaves all of
 * the transfer or none of it.
 *
 * The worker only reads the store (sqlite WAL: readers never wait for the writer, and the
 * zone's rows change only by its own apply, which waits for this job), so no writer of the
 * main thread ever waits for it. One job per upstream at a time; the done callback runs
 * on the main loop after the worker has ended. */
#ifndef NODD_APPLYJOB_H
#define NODD_APPLYJOB_H

#include <event2/event.h>
#include <pthread.h>

#include "lib/err.h"
#include "zones/changeset.h"
#include "zones/stage.h"

struct applyjob {
	/* the job (applyjob_start) */
	char *dbpath;              /* owned */
	const char *zone;          /* borrowed (the upstream's) */
	int diff;                  /* find the difference (a copy is held), else only sort */
	struct stage st;           /* owned: handed over by applyjob_start */
	void (*done)(void *ctx);
	void *ctx;
	/* the result, read in done */
	int rc;                    /* 0, or -1 with e */
	struct nodd_err e;
	struct changeset cs;       /* the difference, when diff */
	/* the worker */
	int open;                  /* applyjob_start ran and applyjob_end has not */
	pthread_t th;
	int running;               /* started and not yet finished (joined) */
	int efd;                   /* eventfd the worker writes when it ends */
	struct event *ev;
};

/* Run a job: the worker sorts *st (taken over: *st is left empty) and, when diff, finds the
 * difference of zone's copy in the store at dbpath (a file: the worker opens it) against
 * it; done(ctx) follows on base's loop. 0, or -1 with e (nothing started, *st untouched). */
int applyjob_start(struct applyjob *j, struct event_base *base, const char *dbpath,
	const char *zone, int diff, struct stage *st, void (*done)(void *ctx), void *ctx,
	struct nodd_err *e);

/* After done (or to stop): wait for the worker, free the stage and the difference. Safe on
 * a zeroed job and to repeat. */
void applyjob_end(struct applyjob *j);

#endif
