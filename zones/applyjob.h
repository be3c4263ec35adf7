/* applyjob.h -- the slow half of applying an AXFR, off the main thread. The staged copy is
 * sorted into key order, then:
 *   - when a copy is held: its difference against the stored copy (zones/axfrdiff.c) is
 *     read through a connection of the worker's own; the main thread then writes that
 *     difference in one store transaction (zones/apply.c), so readers switch to the new
 *     version in one step at its commit and a crash leaves all of the transfer or none;
 *   - the first copy of a zone (a baseline): the worker writes it itself, in ONE
 *     transaction on its own connection: the copy, the names it delegates (seen, none
 *     new: nod_baseline_observe) and the refresh state. The main thread then only counts
 *     and logs. A name whose observation needs the main thread's state rolls that
 *     transaction back and the main thread applies the transfer as for a held copy.
 *
 * The difference only reads the store (sqlite WAL: readers never wait for the writer, and
 * the zone's rows change only by its own apply, which waits for this job). The baseline's
 * transaction holds the store's write lock while it runs: a writer of the main thread
 * meanwhile waits for it (busy timeout). One job per upstream at a time; the done callback
 * runs on the main loop after the worker has ended. */
#ifndef NODD_APPLYJOB_H
#define NODD_APPLYJOB_H

#include <event2/event.h>
#include <pthread.h>

#include "lib/err.h"
#include "policy/nod.h"
#include "zones/changeset.h"
#include "zones/stage.h"

struct applyjob {
	/* the job (applyjob_start) */
	char *dbpath;              /* owned */
	const char *zone;          /* borrowed (the upstream's) */
	int diff;                  /* find the difference (a copy is held), else write the
	                            * baseline (when nod is set) or only sort */
	nod_t *nod;                /* borrowed: checks names (thread-safe part only) */
	uint32_t serial;           /* the transferred serial, saved with the baseline */
	struct stage st;           /* owned: handed over by applyjob_start */
	void (*done)(void *ctx);
	void *ctx;
	/* the result, read in done */
	int rc;                    /* 0, or -1 with e */
	struct nodd_err e;
	struct changeset cs;       /* the difference, when diff */
	int written;               /* the baseline was committed by the worker */
	int64_t now;               /* its time (first_seen, last success) */
	uint64_t adds;             /* records it stored */
	uint64_t n_new, n_known, n_refused; /* its names */
	/* the worker */
	int open;                  /* applyjob_start ran and applyjob_end has not */
	pthread_t th;
	int running;               /* started and not yet finished (joined) */
	int efd;                   /* eventfd the worker writes when it ends */
	struct event *ev;
};

/* Run a job: the worker sorts *st (taken over: *st is left empty) and, when diff, finds the
 * difference of zone's copy in the store at dbpath (a file: the worker opens it) against
 * it; without diff and with nod set, writes it as zone's first copy at serial (see above).
 * done(ctx) follows on base's loop. 0, or -1 with e (nothing started, *st untouched). */
int applyjob_start(struct applyjob *j, struct event_base *base, const char *dbpath,
	const char *zone, int diff, nod_t *nod, uint32_t serial, struct stage *st,
	void (*done)(void *ctx), void *ctx, struct nodd_err *e);

/* After done (or to stop): wait for the worker, free the stage and the difference. Safe on
 * a zeroed job and to repeat. */
void applyjob_end(struct applyjob *j);

#endif
