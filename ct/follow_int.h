/* follow_int.h -- inside ct/ only: the state of one followed log, shared by the state
 * machine (follow.c), the commit of verified entries in slices (commit.c), the hash tiles
 * of static logs (tilestart.c) and what turns held entries into observations, records and
 * status (ingest.c). Nothing outside those files includes this file. */
#ifndef NODD_CT_FOLLOW_INT_H
#define NODD_CT_FOLLOW_INT_H

#include <stdint.h>

#include "ct/entriesfast.h"
#include "ct/follow.h"
#include "ct/leaf.h"
#include "ct/merkle.h"

enum fstate { F_HEAD, F_INIT, F_READ, F_CHECK, F_IDLE, F_DONE, F_FAILING, F_COMMIT };

enum { B_QUEUED, B_FLIGHT, B_DONE };

struct held {               /* an entry read and not committed yet */
	uint64_t index;
	int64_t ts;             /* its timestamp, unix seconds */
	uint8_t key[32];
	int has_key;
	char *names;            /* NUL-separated, an empty string ends them; NULL: none */
};

struct batch {
	struct ct_follow *f;
	uint64_t start, end;    /* [start, end) asked */
	int state;
	struct ct_req *req;
	struct held *h;
	uint8_t (*lh)[32];
	size_t n;
	struct batch *next;     /* sorted by start */
};

/* The proved range being committed in slices (ct/commit.c), its own buffers: the next range
 * is read meanwhile into the follower's hold and marks (at most one read range past it). */
struct commit_run {
	int active;
	struct held *hold;
	size_t nhold, caphold;
	size_t hpos;                /* the held entries [0, hpos) are committed */
	uint8_t *marks;             /* the frontier at each slice end short of `end` */
	size_t marks_len, marks_cap, marks_rd;
	struct ct_frontier end;     /* the frontier at the range's end */
	struct ct_sth sth;          /* the head it was proved part of */
	struct event *timer;        /* the next slice */
};

struct ct_follow {
	struct ct_env env;
	char *desc, *url, *mon;
	char origin[512];
	int tiled;
	struct ct_logkey *key;
	int parallel, rate, batch;
	uint64_t final_size;
	struct ct_frontier done;    /* committed: the entries [0, done.size) */
	struct ct_sth vsth;         /* the last verified head committed */
	int have_state;
	struct ct_sth sth;          /* the head being read to */
	struct ct_frontier work;    /* done + the entries applied since */
	uint64_t target, next_req;
	struct held *hold;
	size_t nhold, caphold;
	/* the working frontier at each slice end short of the target, in order, as
	 * ct_frontier_encode writes it: the position each slice commits */
	uint8_t *marks;
	size_t marks_len, marks_cap;
	struct commit_run run;      /* the range committing while the next is read */
	uint64_t read_ahead;        /* reads started while the range before them committed */
	uint64_t busy_retries; /* slices put off while a zone's first copy was written */
	double slice_max, slice_cpu_max; /* the longest commit slice: seconds, CPU seconds */
	struct batch *batches;
	int inflight;
	struct ct_entries_buf ebuf; /* the get-entries reader's scratch, kept between answers */
	struct ct_req *ctl;         /* the one head, start or proof request */
	int state;
	struct event *timer;
	int64_t not_before;         /* monotonic ms: pacing and backoff */
	int64_t partial_since;      /* monotonic ms the head first ended in a partial tile */
	uint64_t partial_size;
	uint64_t idle_size;         /* the position when the log was last caught up */
	int attempts;
	char last_error[256];
	uint64_t entries, names, candidates, errors, dups;
	int64_t rate_t;             /* entries/s and names/s over the last 10 s or more */
	uint64_t rate_e, rate_n;
	double eps, nps;
	/* static logs never read: the hash tiles holding the frontier at the start */
	struct ct_tile_span spans[64];
	int nspans, got;
	int tiles_check;            /* the tiles check a position (ct_tiles_check), not start */
	uint8_t *tiles[64];
	size_t tile_len[64];
};

/* follow.c, for the other files of the follower: a check failed (the log is failing, what
 * was held dropped); a request failed (wait, then again); may a request go now (else the
 * timer is armed); start a GET; take the next step; the frontier at the start position
 * is known (reading begins). */
__attribute__((format(printf, 2, 3)))
void ct_follow_fail(struct ct_follow *f, const char *fmt, ...);
void ct_follow_backoff(struct ct_follow *f, const char *what, const struct ct_http *r);
int ct_follow_may_send(struct ct_follow *f);
struct ct_req *ct_follow_get(struct ct_follow *f, const char *url, ct_http_cb cb, void *ctx);
/* The answer to the one control request (head, start, proof, tile) came: 1 when it is a
 * 200, else 0 after scheduling the retry. */
int ct_follow_answered(struct ct_follow *f, const char *what, const struct ct_http *r);
void ct_follow_kick(struct ct_follow *f);
void ct_follow_started(struct ct_follow *f, const struct ct_frontier *fr);
/* The entries read up to f->target are proved part of the tree head: commit them. */
void ct_follow_verified(struct ct_follow *f);
/* The last slice is committed: a range proved meanwhile commits next. */
void ct_follow_committed(struct ct_follow *f);
/* Where the next read starts: the end of the committing range, else the position. */
const struct ct_frontier *ct_follow_base(const struct ct_follow *f);
/* A commit failed: drop what was held, try again from the tree head in 5 s. */
void ct_follow_store_failed(struct ct_follow *f);

/* commit.c: the entries held, [base, target), all proved, are committed in slices: they
 * move to f->run (ct_commit_start; a proved range waits in state F_COMMIT while another
 * run is active), one slice per zero timer (ct_commit_slice), then ct_follow_committed.
 * While entries are applied: ct_commit_reserve room for n more (-1: out of memory, apply
 * nothing), ct_commit_mark after each (the frontier at a slice end is kept);
 * ct_commit_clear forgets the marks. ct_commit_soon arms the timer of the next slice.
 * ct_commit_start: 1 when the range runs, 0 when it waits for the run before it. */
int ct_commit_start(struct ct_follow *f);
void ct_commit_soon(struct ct_follow *f);
void ct_commit_slice(struct ct_follow *f);
int ct_commit_reserve(struct ct_follow *f, size_t n);
void ct_commit_mark(struct ct_follow *f);
void ct_commit_clear(struct ct_follow *f);
/* commit.c: drop the committing range (a store error, stop); free its buffers too when
 * all is set. */
void ct_commit_drop(struct ct_follow *f, int all);

/* tilestart.c: a static log never read, starting at f->target: fetch the hash tiles that
 * hold its frontier there, then ct_follow_started. Again from the start when called again;
 * ct_tiles_free drops what was fetched. */
void ct_tiles_start(struct ct_follow *f);
/* tilestart.c: prove the frontier of [0, f->target) a prefix of the tree head from the hash
 * tiles covering [target, tree size), then ct_follow_verified (or the log fails). Resumes
 * when called again. */
void ct_tiles_check(struct ct_follow *f);
void ct_tiles_free(struct ct_follow *f);

/* ingest.c: read an entry's leaf hash, timestamp, names and issuance key into h (a
 * malformed leaf or certificate holds no name; its hash still counts). parsed: the leaf
 * already parsed (a tile leaf), else leaf/len are parsed here. */
void ct_ingest_leaf(struct ct_follow *f, const uint8_t *leaf, size_t len, uint64_t index,
	struct held *h, uint8_t lh[32], const struct ct_leaf *parsed);
/* ingest.c: the observations and records of one held entry, inside the caller's
 * transaction; *records counts the newly_registered_fqdn records appended. 0 or -1. */
int ct_ingest_entry(struct ct_follow *f, const struct held *h, int64_t now, int *records);

#endif
