/* follow.c -- one CT log's state machine (see follow.h).
 *
 * DESIGN
 * head:  poll the tree head (get-sth or checkpoint); its signature is checked by ct/sth.c.
 *        A head smaller than the verified one, another root for the same size, or a head
 *        dated before the last one accepted or too far ahead of our clock marks the log
 *        failing. A log never read gets its frontier at the start position first
 *        (RFC 6962: get-entry-and-proof of the last leaf before it; static: hash tiles).
 * read:  the target is the head's size (static logs: the last full data tile), at most
 *        ct.max-unverified entries past the committed position (static: a multiple of 256). Aligned batches, several in
 *        flight, arrive in any order and are applied in order: each leaf hash extends a
 *        working frontier, the entry's names are held. A short answer re-queues the rest.
 * check: at the target the working root must equal the signed root; a target short of the
 *        head is proved by get-sth-consistency (static logs: the hash tiles covering the rest
 *        of the checkpoint, ct/tilestart.c). A mismatch marks the log failing and drops what
 *        was held.
 * commit (ct/commit.c): once every entry held is proved, in slices of ct.commit-entries
 *        entries (ending at multiples of it), the event loop served between two. One
 *        transaction (nod_begin..nod_commit) per slice holds every observation and record
 *        of its entries and the log's position at its end, with the frontier there (kept
 *        when the entries were applied) and the verified head: a kill -9 loses nothing and
 *        repeats nothing, and a restart reads on from the slice end, proving it part of
 *        the next head as any position short of a head. While a proved range commits, the
 *        next one is read from its end (a state of its own); a range proved before the
 *        run ends waits (F_COMMIT) and reads no further: at most two ranges of
 *        ct.max-unverified are held. A log failing meanwhile lets the run finish.
 * Pacing: at most `rate` requests a second and `parallel` in flight; a failed request
 * waits 1 s doubling to 5 min with up to 50 % jitter, or what Retry-After says. */
#define LOG_CATEGORY LOG_CAT_CT
#include "ct/follow_int.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf/config.h"
#include "ct/leaf.h"
#include "ct/merkle.h"
#include "lib/clock.h"
#include "lib/log.h"

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


static void held_free(struct held *h, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(h[i].names);
}

static void batch_free(struct ct_follow *f, struct batch *b)
{
	if (b->req)
		ct_fetch_cancel(f->env.fetch, b->req);
	held_free(b->h, b->n);
	free(b->h);
	free(b->lh);
	free(b);
}

static void drop_work(struct ct_follow *f)
{
	while (f->batches) {
		struct batch *b = f->batches;
		f->batches = b->next;
		batch_free(f, b);
	}
	f->inflight = 0;
	if (f->ctl)
		ct_fetch_cancel(f->env.fetch, f->ctl);
	f->ctl = NULL;
	held_free(f->hold, f->nhold);
	f->nhold = 0;
	ct_commit_clear(f);
	f->work = *ct_follow_base(f);
	ct_tiles_free(f);
}

const struct ct_frontier *ct_follow_base(const struct ct_follow *f)
{
	return f->run.active ? &f->run.end : &f->done;
}

__attribute__((format(printf, 2, 3)))
void ct_follow_fail(struct ct_follow *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f->last_error, sizeof f->last_error, fmt, ap);
	va_end(ap);
	f->errors++;
	log_err("ct %s: %s; the log is failing, none of its unverified entries is used",
		f->desc, f->last_error);
	drop_work(f);
	f->state = F_FAILING;
}

/* A request failed for a reason that may pass: wait and try again. */
void ct_follow_backoff(struct ct_follow *f, const char *what, const struct ct_http *r)
{
	f->errors++;
	if (r->error)
		snprintf(f->last_error, sizeof f->last_error, "%s: %s", what, r->error);
	else
		snprintf(f->last_error, sizeof f->last_error, "%s: HTTP %ld", what, r->status);
	int64_t wait;
	if ((r->status == 429 || r->status == 503) && r->retry_after >= 0) {
		/* at most an hour: a log asking for longer is asked again then */
		wait = (r->retry_after < 3600 ? r->retry_after : 3600) * 1000;
	} else {
		int a = f->attempts < 9 ? f->attempts : 9;
		wait = 1000LL << a;
		if (wait > 300000)
			wait = 300000;
		wait += (int64_t)(random() % (wait / 2 + 1));
	}
	f->attempts++;
	int64_t t = now_ms() + wait;
	if (t > f->not_before)
		f->not_before = t;
	log_warn("ct %s: %s; next request in %.1f s", f->desc, f->last_error, (double)wait / 1000);
}

/* One request may go now (pacing); else the timer is armed for when it may. */
int ct_follow_may_send(struct ct_follow *f)
{
	int64_t now = now_ms();
	if (now < f->not_before) {
		int64_t d = f->not_before - now;
		struct timeval tv = { (time_t)(d / 1000), (suseconds_t)(d % 1000) * 1000 };
		evtimer_add(f->timer, &tv);
		return 0;
	}
	f->not_before = now + 1000 / f->rate;
	return 1;
}

int ct_follow_answered(struct ct_follow *f, const char *what, const struct ct_http *r)
{
	f->ctl = NULL;
	if (!r->error && r->status == 200)
		return 1;
	ct_follow_backoff(f, what, r);
	ct_follow_kick(f);
	return 0;
}

struct ct_req *ct_follow_get(struct ct_follow *f, const char *url, ct_http_cb cb, void *ctx)
{
	struct nodd_err e = { 0 };
	struct ct_req *r = ct_fetch_get(f->env.fetch, url, cb, ctx, &e);
	if (!r)
		log_err("ct %s: %s", f->desc, e.msg);
	return r;
}

void ct_follow_rates(struct ct_follow *f)
{
	int64_t t = now_ms();
	if (!f->rate_t) {
		f->rate_t = t;
		return;
	}
	if (t - f->rate_t < 9000)
		return;
	double s = (double)(t - f->rate_t) / 1000;
	f->eps = (double)(f->entries - f->rate_e) / s;
	f->nps = (double)(f->names - f->rate_n) / s;
	f->rate_t = t;
	f->rate_e = f->entries;
	f->rate_n = f->names;
}

/* A commit failed: the store is tried again in 5 s, from the head (what was held is read
 * again); the counters of the failed attempt are counted again on the next. */
void ct_follow_store_failed(struct ct_follow *f)
{
	f->errors++;
	snprintf(f->last_error, sizeof f->last_error, "store error");
	ct_commit_drop(f, 0);
	drop_work(f);
	f->state = F_HEAD;
	f->not_before = now_ms() + 5000;
	ct_follow_kick(f);
}

static void read_on(struct ct_follow *f);

void ct_follow_verified(struct ct_follow *f)
{
	if (ct_commit_start(f))
		read_on(f);
}

/* ---- reading entries ---- */

/* Where reading stops this round: at most ct.max-unverified entries past the position.
 * Static logs: full data tiles only, unless the head has ended in the same partial tile
 * for ct.partial-tile-wait (the spec lets a client fetch a tile that stays partial too
 * long). */
static uint64_t read_target(struct ct_follow *f)
{
	uint64_t base = ct_follow_base(f)->size;
	uint64_t t = f->sth.tree_size;
	if (f->final_size && t > f->final_size)
		t = f->final_size;
	if (f->tiled) {
		uint64_t full = t / 256 * 256;
		if (full == t || full > base) {
			f->partial_since = 0;
			if (full <= base)
				return base;
			uint64_t cap = (base + f->env.max_unverified) / 256 * 256;
			return full - base > f->env.max_unverified && cap > base
				? cap : full;
		}
		int64_t now = now_ms();
		if (!f->partial_since || f->partial_size != t) {
			f->partial_since = now;
			f->partial_size = t;
		}
		return now - f->partial_since >= f->env.partial_wait * 1000 ? t : base;
	}
	if (t - base > f->env.max_unverified)
		t = base + f->env.max_unverified;
	return t;
}

static void start_reading(struct ct_follow *f)
{
	f->work = *ct_follow_base(f);
	ct_commit_clear(f);
	f->target = read_target(f);
	f->next_req = f->work.size;
	f->state = F_READ;
	f->attempts = 0;
}

void ct_follow_committed(struct ct_follow *f)
{
	if (f->state == F_COMMIT)
		ct_follow_verified(f);
}

/* A range is committing: read the next from its end, or wait for the next tree head. */
static void read_on(struct ct_follow *f)
{
	uint64_t base = ct_follow_base(f)->size;
	if (f->final_size && base >= f->final_size) {
		f->state = F_DONE;
		log_info("ct %s: read to its final tree head (%" PRIu64 " entries)", f->desc, base);
		return;
	}
	if (base < f->sth.tree_size && read_target(f) > base) {
		if (f->run.active)
			f->read_ahead++;
		start_reading(f);
	} else {
		f->state = F_IDLE;
		int64_t wait = f->env.poll;
		/* a log that grew since the last look is looked at again soon */
		if (base > f->idle_size && wait > 5)
			wait = 5;
		f->idle_size = base;
		if (f->partial_since && f->env.partial_wait < wait)
			wait = f->env.partial_wait; /* look again when the tail may be fetched */
		struct timeval tv = { (time_t)(wait > 0 ? wait : 1), 0 };
		evtimer_add(f->timer, &tv);
		return;
	}
	ct_follow_kick(f);
}

static void on_proof(void *ctx, const struct ct_http *r);

/* Every entry up to the target is applied: compare with the signed root. */
static void check_root(struct ct_follow *f)
{
	uint8_t root[32];
	if (f->target == f->sth.tree_size) {
		ct_frontier_root(&f->work, root);
		if (memcmp(root, f->sth.root, 32) != 0) {
			ct_follow_fail(f, "entries [%" PRIu64 ", %" PRIu64 ") do not match the signed root of "
				"size %" PRIu64, ct_follow_base(f)->size, f->target, f->sth.tree_size);
			return;
		}
		ct_follow_verified(f);
		return;
	}
	f->state = F_CHECK;
	if (f->tiled) {
		ct_tiles_check(f);
		return;
	}
	if (!ct_follow_may_send(f))
		return;
	char url[1024];
	snprintf(url, sizeof url, "%sct/v1/get-sth-consistency?first=%" PRIu64 "&second=%" PRIu64,
		f->url, f->target, f->sth.tree_size);
	f->ctl = ct_follow_get(f, url, on_proof, f);
}

static void on_proof(void *ctx, const struct ct_http *r)
{
	struct ct_follow *f = ctx;
	if (!ct_follow_answered(f, "get-sth-consistency", r))
		return;
	uint8_t proof[CT_PROOF_MAX][32], root[32];
	size_t np = 0;
	struct nodd_err e = { 0 };
	if (ct_proof_parse_json(r->body, r->len, proof, CT_PROOF_MAX, &np, NULL, NULL, &e) < 0) {
		ct_follow_fail(f, "get-sth-consistency: %s", e.msg);
		return;
	}
	ct_frontier_root(&f->work, root);
	if (!ct_verify_consistency(f->target, f->sth.tree_size, root, f->sth.root,
		    (const uint8_t (*)[32])proof, np)) {
		ct_follow_fail(f, "entries [%" PRIu64 ", %" PRIu64 ") are not consistent with the signed "
			"root of size %" PRIu64, ct_follow_base(f)->size, f->target, f->sth.tree_size);
		return;
	}
	ct_follow_verified(f);
}

/* Apply the batches that continue the working frontier, in order. */
static void apply(struct ct_follow *f)
{
	while (f->batches && f->batches->state == B_DONE && f->batches->start == f->work.size) {
		struct batch *b = f->batches;
		if (f->nhold + b->n > f->caphold) {
			size_t cap = f->caphold ? f->caphold * 2 : 1024;
			while (cap < f->nhold + b->n)
				cap *= 2;
			struct held *nh = realloc(f->hold, cap * sizeof *nh);
			if (!nh)
				return; /* tried again with the next answer */
			f->hold = nh;
			f->caphold = cap;
		}
		if (ct_commit_reserve(f, b->n) < 0)
			return; /* tried again with the next answer */
		for (size_t i = 0; i < b->n; i++) {
			ct_frontier_append(&f->work, b->lh[i]);
			ct_commit_mark(f);
		}
		memcpy(f->hold + f->nhold, b->h, b->n * sizeof *b->h);
		f->nhold += b->n;
		b->n = 0;
		f->batches = b->next;
		batch_free(f, b);
	}
	if (f->work.size == f->target && !f->batches)
		check_root(f);
}

/* Take the entries of a get-entries answer. */
struct entries_ctx {
	struct batch *b;
	size_t cap;
};

static int take_entry(void *ctx, const uint8_t *leaf, size_t leaflen, const uint8_t *extra,
	size_t extralen)
{
	(void)extra;
	(void)extralen;
	struct entries_ctx *ec = ctx;
	struct batch *b = ec->b;
	if (b->start + b->n >= b->end)
		return 1; /* more than asked */
	ct_ingest_leaf(b->f, leaf, leaflen, b->start + b->n, &b->h[b->n], b->lh[b->n], NULL);
	b->n++;
	return 0;
}

/* Take the entries of a data tile at or past b->start. -1 with why on a bad tile. */
static int take_tile(struct batch *b, const struct ct_http *r, const char **why)
{
	const uint8_t *p = (const uint8_t *)r->body;
	size_t left = r->len;
	uint64_t i = b->start / 256 * 256;
	struct ct_leaf l;
	struct nodd_err e = { 0 };
	int rc;
	while ((rc = ct_tileleaf_next(&p, &left, &l, &e)) == 1) {
		if (l.leaf_index >= 0 && (uint64_t)l.leaf_index != i) {
			*why = "leaf_index differs from the entry's position";
			return -1;
		}
		if (i >= b->end) {
			*why = "more entries than the tile holds";
			return -1;
		}
		if (i >= b->start) {
			ct_ingest_leaf(b->f, NULL, 0, i, &b->h[b->n], b->lh[b->n], &l);
			b->n++;
		}
		i++;
	}
	if (rc < 0 || i != b->end) {
		*why = rc < 0 ? "malformed tile leaf" : "fewer entries than a full tile";
		return -1;
	}
	return 0;
}

static void on_batch(void *ctx, const struct ct_http *r)
{
	struct batch *b = ctx;
	struct ct_follow *f = b->f;
	b->req = NULL;
	f->inflight--;
	b->state = B_QUEUED;
	const char *what = f->tiled ? "data tile" : "get-entries";
	if (r->error || r->status != 200) {
		ct_follow_backoff(f, what, r);
		ct_follow_kick(f);
		return;
	}
	size_t want = (size_t)(b->end - b->start);
	b->h = calloc(want, sizeof *b->h);
	b->lh = calloc(want, sizeof *b->lh);
	const char *why = NULL;
	struct nodd_err e = { 0 };
	if (!b->h || !b->lh) {
		why = "out of memory";
	} else if (f->tiled) {
		take_tile(b, r, &why);
	} else {
		/* the plain shape every log sends is read without jansson; anything else
		 * (the fast reader declines before taking an entry) by jansson, which says
		 * what is wrong with it */
		struct entries_ctx ec = { b, want };
		long n = ct_entries_fast(r->body, r->len, 0, take_entry, &ec, &f->ebuf);
		if (n == CT_ENTRIES_DECLINED)
			n = ct_entries_parse_json(r->body, r->len, take_entry, &ec, &e);
		if (n < 0)
			why = e.msg[0] ? e.msg : "more entries than asked";
		else if (b->n == 0)
			why = "no entry";
	}
	if (why) {
		held_free(b->h, b->n);
		free(b->h);
		free(b->lh);
		b->h = NULL;
		b->lh = NULL;
		b->n = 0;
		struct ct_http bad = { .status = r->status, .error = why, .retry_after = -1 };
		ct_follow_backoff(f, what, &bad);
		ct_follow_kick(f);
		return;
	}
	f->attempts = 0;
	b->state = B_DONE;
	if (b->start + b->n < b->end) {
		/* a short answer: the rest is asked again, starting where it stopped */
		struct batch *rest = calloc(1, sizeof *rest);
		if (rest) {
			*rest = (struct batch){ .f = f, .start = b->start + b->n, .end = b->end,
				.state = B_QUEUED, .next = b->next };
			b->next = rest;
		}
		b->end = b->start + b->n;
	}
	apply(f);
	ct_follow_kick(f);
}

static void send_batch(struct ct_follow *f, struct batch *b)
{
	char url[1024];
	if (f->tiled) {
		char path[128];
		ct_tile_path(path, sizeof path, -1, b->start / 256, (unsigned)(b->end % 256));
		snprintf(url, sizeof url, "%s%s", f->mon, path);
	} else {
		snprintf(url, sizeof url, "%sct/v1/get-entries?start=%" PRIu64 "&end=%" PRIu64,
			f->url, b->start, b->end - 1);
	}
	b->req = ct_follow_get(f, url, on_batch, b);
	if (b->req) {
		b->state = B_FLIGHT;
		f->inflight++;
	}
}

/* Start queued batches, then new ones, as pacing and parallelism allow. */
static void read_more(struct ct_follow *f)
{
	while (f->inflight < f->parallel) {
		struct batch *b = f->batches, **pp = &f->batches;
		while (b && b->state != B_QUEUED)
			b = b->next;
		if (!b) {
			if (f->next_req >= f->target)
				return;
			uint64_t size = f->tiled ? 256 : (uint64_t)f->batch;
			uint64_t end = (f->next_req / size + 1) * size; /* aligned */
			if (end > f->target)
				end = f->target;
			b = calloc(1, sizeof *b);
			if (!b)
				return;
			*b = (struct batch){ .f = f, .start = f->next_req, .end = end };
			f->next_req = end;
			while (*pp)
				pp = &(*pp)->next;
			*pp = b;
		}
		if (!ct_follow_may_send(f))
			return;
		send_batch(f, b);
		if (!b->req)
			return;
	}
}

/* ---- the tree head and the start ---- */

static void on_head(void *ctx, const struct ct_http *r);
static void on_init(void *ctx, const struct ct_http *r);

static void send_head(struct ct_follow *f)
{
	if (!ct_follow_may_send(f))
		return;
	char url[1024];
	snprintf(url, sizeof url, "%s%s", f->tiled ? f->mon : f->url,
		f->tiled ? "checkpoint" : "ct/v1/get-sth");
	f->ctl = ct_follow_get(f, url, on_head, f);
}

/* A log never read: its frontier at the start position, then reading from there. */
static void begin_log(struct ct_follow *f)
{
	uint64_t k = f->env.start == CONFIG_CT_START_END ? f->sth.tree_size
		: (uint64_t)f->env.start;
	if (k > f->sth.tree_size)
		k = f->sth.tree_size;
	if (f->final_size && k > f->final_size)
		k = f->final_size;
	ct_frontier_init(&f->done);
	if (k == 0) {
		/* the empty frontier: an empty tree is verified and committed at once (then
		 * polled like any caught-up log), a non-empty one is read from entry 0 */
		struct ct_frontier empty;
		ct_frontier_init(&empty);
		ct_follow_started(f, &empty);
		return;
	}
	f->state = F_INIT;
	f->target = k;
	if (f->tiled) {
		ct_tiles_start(f);
		return;
	}
	if (!ct_follow_may_send(f))
		return;
	char url[1024];
	snprintf(url, sizeof url, "%sct/v1/get-entry-and-proof?leaf_index=%" PRIu64
		"&tree_size=%" PRIu64, f->url, k - 1, k);
	f->ctl = ct_follow_get(f, url, on_init, f);
}

static void on_init(void *ctx, const struct ct_http *r)
{
	struct ct_follow *f = ctx;
	if (!ct_follow_answered(f, "get-entry-and-proof", r))
		return;
	uint8_t path[CT_PROOF_MAX][32], lh[32];
	size_t np = 0, ll = 0;
	uint8_t *leaf = NULL;
	struct nodd_err e = { 0 };
	if (ct_proof_parse_json(r->body, r->len, path, CT_PROOF_MAX, &np, &leaf, &ll, &e) < 0) {
		ct_follow_fail(f, "get-entry-and-proof: %s", e.msg);
		return;
	}
	ct_hash_leaf(leaf, ll, lh);
	free(leaf);
	struct ct_frontier fr;
	if (ct_frontier_from_audit(&fr, f->target, lh, (const uint8_t (*)[32])path, np) < 0) {
		ct_follow_fail(f, "get-entry-and-proof: an audit path of the wrong length");
		return;
	}
	ct_follow_started(f, &fr);
}

void ct_follow_started(struct ct_follow *f, const struct ct_frontier *fr)
{
	/* Checked against the signed root when the reading reaches the head (at once when
	 * starting at its end). */
	f->done = *fr;
	f->have_state = 1;
	log_info("ct %s: starting at entry %" PRIu64, f->desc, fr->size);
	start_reading(f);
	if (f->target == f->done.size)
		check_root(f);
	ct_follow_kick(f);
}

static void on_head(void *ctx, const struct ct_http *r)
{
	struct ct_follow *f = ctx;
	const char *what = f->tiled ? "checkpoint" : "get-sth";
	if (!ct_follow_answered(f, what, r))
		return;
	struct ct_sth s;
	struct nodd_err e = { 0 };
	int rc = f->tiled ? ct_checkpoint_parse(r->body, r->len, f->origin, f->key, &s, &e)
		: ct_sth_parse_json(r->body, r->len, f->key, &s, &e);
	if (rc < 0) {
		ct_follow_fail(f, "%s: %s", what, e.msg);
		return;
	}
	uint64_t have = f->have_state ? f->vsth.tree_size : 0;
	if (f->have_state && s.tree_size < have) {
		ct_follow_fail(f, "the tree shrank from %" PRIu64 " to %" PRIu64 " entries", have,
			s.tree_size);
		return;
	}
	if (f->have_state && s.tree_size == have && have > 0 &&
	    memcmp(s.root, f->vsth.root, 32) != 0) {
		ct_follow_fail(f, "two different roots for the tree of %" PRIu64 " entries", have);
		return;
	}
	/* dated against the newest head accepted: the committed one, or one read since (a
	 * static log waiting out a partial tile commits nothing) */
	const struct ct_sth *last = !f->have_state ? NULL
		: f->sth.timestamp_ms > f->vsth.timestamp_ms ? &f->sth : &f->vsth;
	if (ct_sth_check_time(last, &s, unix_now_ms(), &e) < 0) {
		ct_follow_fail(f, "%s: %s", what, e.msg);
		return;
	}
	f->attempts = 0;
	f->sth = s;
	if (!f->have_state) {
		begin_log(f);
	} else if (read_target(f) > ct_follow_base(f)->size) {
		start_reading(f);
	} else {
		read_on(f);
		return;
	}
	ct_follow_kick(f);
}

/* ---- the loop ---- */

static void step(struct ct_follow *f)
{
	switch (f->state) {
	case F_HEAD:
		if (!f->ctl)
			send_head(f);
		break;
	case F_INIT:
		if (!f->ctl)
			begin_log(f);
		break;
	case F_READ:
		read_more(f);
		break;
	case F_CHECK:
		if (!f->ctl)
			check_root(f);
		break;
	default:
		break;
	}
}

void ct_follow_kick(struct ct_follow *f)
{
	step(f);
}

static void on_slice(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	ct_commit_slice(arg);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct ct_follow *f = arg;
	if (f->state == F_IDLE)
		f->state = F_HEAD;
	step(f);
}

struct ct_follow *ct_follow_start(const struct ct_env *env, const struct ct_log_spec *spec,
	struct nodd_err *e)
{
	struct ct_follow *f = nodd_calloc(1, sizeof *f, e);
	if (!f)
		return NULL;
	f->env = *env;
	f->tiled = spec->url == NULL;
	f->desc = strdup(spec->description ? spec->description
		: f->tiled ? spec->monitoring_url : spec->url);
	f->url = spec->url ? strdup(spec->url) : NULL;
	f->mon = spec->monitoring_url ? strdup(spec->monitoring_url) : NULL;
	f->parallel = spec->parallel > 0 ? spec->parallel : 1;
	f->rate = spec->rate > 0 ? spec->rate : 1;
	f->batch = spec->batch > 0 ? spec->batch : 256;
	f->final_size = spec->final_size;
	f->timer = evtimer_new(env->base, on_timer, f);
	f->run.timer = evtimer_new(env->base, on_slice, f);
	if (!f->desc || (spec->url && !f->url) || (!spec->url && !f->mon) || !f->timer ||
	    !f->run.timer) {
		nodd_fail(e, NODD_E_NOMEM, "out of memory");
		goto fail;
	}
	if (f->tiled && ct_origin_from_url(spec->submission_url ? spec->submission_url : "",
		    f->origin, sizeof f->origin) < 0) {
		nodd_fail(e, NODD_E_INVALID, "ct log %s: submission URL too long", f->desc);
		goto fail;
	}
	f->key = ct_logkey_new(spec->key_b64, e);
	if (!f->key)
		goto fail;
	int rc = ct_state_load(env->st, ct_logkey_id(f->key), &f->done, &f->vsth);
	if (rc < 0) {
		nodd_fail(e, NODD_E_STORE, "ct log %s: cannot read its saved position", f->desc);
		goto fail;
	}
	f->have_state = rc == 1;
	f->work = f->done;
	f->state = F_HEAD;
	log_info("ct %s: following (%s)%s", f->desc, f->tiled ? "static-ct-api" : "RFC 6962",
		f->have_state ? "" : ", never read before");
	ct_follow_kick(f);
	return f;
fail:
	ct_follow_stop(f);
	return NULL;
}

int ct_follow_retry(struct ct_follow *f)
{
	if (f->state != F_FAILING)
		return 0;
	/* a proved range still committing: read on from its end (the store lags it) */
	int rc = f->run.active ? 1 : ct_state_load(f->env.st, ct_logkey_id(f->key), &f->done,
		&f->vsth);
	if (rc < 0) {
		snprintf(f->last_error, sizeof f->last_error, "cannot read its saved position");
		return 1;
	}
	log_info("ct %s: failing (%s): read again from entry %" PRIu64, f->desc, f->last_error,
		rc == 1 ? f->done.size : 0);
	f->have_state = rc == 1;
	f->work = *ct_follow_base(f);
	f->attempts = 0;
	f->not_before = 0;
	f->state = F_HEAD;
	ct_follow_kick(f);
	return 1;
}

void ct_follow_stop(struct ct_follow *f)
{
	if (!f)
		return;
	drop_work(f);
	ct_commit_drop(f, 1);
	if (f->run.timer)
		event_free(f->run.timer);
	free(f->hold);
	free(f->marks);
	ct_entries_buf_free(&f->ebuf);
	if (f->timer)
		event_free(f->timer);
	ct_logkey_free(f->key);
	free(f->desc);
	free(f->url);
	free(f->mon);
	free(f);
}

const uint8_t *ct_follow_log_id(const struct ct_follow *f) { return ct_logkey_id(f->key); }
const char *ct_follow_description(const struct ct_follow *f) { return f->desc; }
