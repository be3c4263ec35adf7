/* commit.c -- a followed log's verified entries into the store, in slices: each slice of
 * ct.commit-entries entries (ending at a multiple of it, or at the read's end) is one
 * transaction holding the observations and records of its entries (ct/ingest.c) and the
 * log's position at its end with the Merkle frontier there and the verified tree head
 * (ct/state.c); the event loop is served between two slices (a zero timer), so no slice
 * holds DNS, HTTP or NOTIFY for long. The frontier at each slice end is kept while the
 * entries are applied in order (ct/follow.c calls ct_commit_mark per entry). Called only
 * once every entry held is proved part of a signed tree head; sends no request and decides
 * nothing about what is read next (ct_follow_committed does). */
#define LOG_CATEGORY LOG_CAT_CT
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ct/follow_int.h"
#include "lib/clock.h"
#include "lib/grow.h"
#include "lib/log.h"

static double clock_s(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void ct_commit_clear(struct ct_follow *f)
{
	f->marks_len = 0;
}

void ct_commit_drop(struct ct_follow *f, int all)
{
	struct commit_run *r = &f->run;
	for (size_t i = 0; i < r->nhold; i++) {
		free(r->hold[i].names);
		r->hold[i].names = NULL;
	}
	r->nhold = r->hpos = r->marks_len = r->marks_rd = 0;
	r->active = 0;
	if (r->timer)
		evtimer_del(r->timer);
	if (all) {
		free(r->hold);
		free(r->marks);
		r->hold = NULL;
		r->marks = NULL;
		r->caphold = r->marks_cap = 0;
	}
}

int ct_commit_reserve(struct ct_follow *f, size_t n)
{
	uint64_t s = f->env.commit_entries;
	uint64_t ends = (f->work.size + n) / s - f->work.size / s;
	return grow_array(&f->marks, &f->marks_cap, f->marks_len + (size_t)ends * (8 + 64 * 32), 1);
}

void ct_commit_mark(struct ct_follow *f)
{
	if (f->work.size % f->env.commit_entries != 0 || f->work.size >= f->target)
		return;
	int n = ct_frontier_encode(&f->work, f->marks + f->marks_len, f->marks_cap - f->marks_len);
	if (n > 0) /* ct_commit_reserve made room */
		f->marks_len += (size_t)n;
}

/* The frontier the next slice ends at: the next mark (*used its bytes), or the target's
 * (f->work). */
static const struct ct_frontier *next_slice_end(struct ct_follow *f, struct ct_frontier *buf,
	size_t *used)
{
	struct commit_run *r = &f->run;
	*used = 0;
	if (r->marks_rd + 8 > r->marks_len)
		return &r->end;
	const uint8_t *p = r->marks + r->marks_rd;
	uint64_t size = 0;
	for (int i = 0; i < 8; i++)
		size = size << 8 | p[i];
	size_t len = 8 + 32 * (size_t)__builtin_popcountll(size);
	if (r->marks_rd + len > r->marks_len || ct_frontier_decode(buf, p, len) < 0)
		return &r->end; /* cannot happen: the marks are written by ct_commit_mark */
	*used = len;
	return buf;
}

/* A zero timer, not event_active: a callback activated from a callback runs before the
 * loop polls its sockets again. */
#define CT_BUSY_RETRY_US 200000 /* a refused slice waits this long (store_busy) */

void ct_commit_soon(struct ct_follow *f)
{
	if (evtimer_pending(f->run.timer, NULL))
		return;
	struct timeval zero = { 0, 0 };
	evtimer_add(f->run.timer, &zero);
}

/* The buffers of the range read become the run's; the run's emptied ones are read into
 * next. */
#define SWAP(a, b) do { __typeof__(a) t_ = (a); (a) = (b); (b) = t_; } while (0)

int ct_commit_start(struct ct_follow *f)
{
	struct commit_run *r = &f->run;
	if (r->active) {
		f->state = F_COMMIT; /* proved: commits once the run ends */
		return 0;
	}
	SWAP(r->hold, f->hold);
	SWAP(r->caphold, f->caphold);
	SWAP(r->marks, f->marks);
	SWAP(r->marks_cap, f->marks_cap);
	r->nhold = f->nhold;
	r->marks_len = f->marks_len;
	f->nhold = 0;
	f->marks_len = 0;
	r->hpos = 0;
	r->marks_rd = 0;
	r->end = f->work;
	r->sth = f->sth;
	r->active = 1;
	ct_commit_soon(f);
	return 1;
}

/* The time one slice took, for status and metrics. */
static void timed(struct ct_follow *f, double t0, double c0, size_t n)
{
	double took = clock_s(CLOCK_MONOTONIC) - t0, cpu = clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
	if (took > f->slice_max)
		f->slice_max = took;
	if (cpu > f->slice_cpu_max)
		f->slice_cpu_max = cpu;
	log_debug("ct %s: committed [%" PRIu64 ", %" PRIu64 ") in %.1f ms (%.1f ms CPU)", f->desc,
		f->done.size - n, f->done.size, took * 1000, cpu * 1000);
}

void ct_commit_slice(struct ct_follow *f)
{
	struct commit_run *r = &f->run;
	nod_t *nod = f->env.nod;
	double t0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
	int64_t now = unix_now();
	int records = 0;
	struct ct_frontier buf;
	size_t used;
	const struct ct_frontier *end = next_slice_end(f, &buf, &used);
	size_t n = (size_t)(end->size - f->done.size);
	int began = nod_begin(nod);
	if (began < 0 && store_busy(nod_store(nod))) {
		/* a zone's first copy is being written: this slice again shortly, nothing read
		 * is dropped and the state stays committing */
		struct timeval later = { 0, CT_BUSY_RETRY_US };
		evtimer_add(f->run.timer, &later);
		f->busy_retries++;
		return;
	}
	if (began < 0) {
		log_err("ct %s: store: %s", f->desc, store_errmsg(nod_store(nod)));
		ct_follow_store_failed(f);
		return;
	}
	for (size_t i = r->hpos; i < r->hpos + n; i++)
		if (ct_ingest_entry(f, &r->hold[i], now, &records) < 0)
			goto rollback;
	if (ct_state_save(f->env.st, ct_logkey_id(f->key), end, &r->sth) < 0)
		goto rollback;
	if (nod_commit(nod) < 0)
		goto rollback;
	if (records)
		outbox_notify(f->env.ob);
	f->entries += n;
	for (size_t i = r->hpos; i < r->hpos + n; i++) {
		free(r->hold[i].names);
		r->hold[i].names = NULL;
	}
	r->hpos += n;
	r->marks_rd += used;
	f->done = *end;
	f->vsth = r->sth;
	f->have_state = 1;
	ct_follow_rates(f);
	timed(f, t0, c0, n);
	if (f->done.size < r->end.size) {
		ct_commit_soon(f);
		return;
	}
	ct_commit_drop(f, 0);
	ct_follow_committed(f);
	return;
rollback:
	log_err("ct %s: store: %s%s", f->desc, ct_state_errmsg(f->env.st),
		*nod_errmsg(nod) ? nod_errmsg(nod) : "");
	nod_rollback(nod);
	ct_follow_store_failed(f);
}
