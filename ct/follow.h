/* follow.h -- one CT log followed: its tree heads polled and verified, its entries read in
 * aligned batches (RFC 6962 get-entries, or static-ct-api full data tiles), checked against
 * the signed root, and turned into observations, records and the log's new position in
 * store transactions of ct.commit-entries entries each, the event loop served between two. Owns the per-log state machine, pacing and backoff; HTTP is ct/fetch.h,
 * parsing and hashing ct/leaf.h, ct/names.h, ct/merkle.h, ct/sth.h. Main thread only. */
#ifndef NODD_CT_FOLLOW_H
#define NODD_CT_FOLLOW_H

#include <event2/event.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "ct/confirm.h"
#include "ct/fetch.h"
#include "ct/names.h"
#include "ct/state.h"
#include "ct/sth.h"
#include "policy/nod.h"
#include "policy/outbox.h"

/* What every follower shares (borrowed; owned by ct/source.c). */
struct ct_env {
	struct event_base *base;
	struct ct_fetch *fetch;
	nod_t *nod;
	outbox_t *ob;
	struct ct_state *st;
	struct ct_psl *psl;
	int64_t learning_end;     /* unix time the learning period ends */
	int list_all;             /* ct.list: all */
	int64_t start;            /* ct.start (CONFIG_CT_START_END or an index) */
	int64_t poll;             /* seconds between tree heads when caught up */
	uint64_t max_unverified;  /* entries held before they are verified */
	uint64_t commit_entries;  /* verified entries per commit transaction (a slice) */
	int64_t partial_wait;     /* seconds a static log's last tile may stay partial */
	struct ct_confirm *confirm; /* the RDAP queue (ct/confirm.h) */
};

/* A log to follow. Strings are copied. */
struct ct_log_spec {
	const char *description;
	const char *url;          /* RFC 6962 prefix; NULL for a static-ct-api log */
	const char *monitoring_url, *submission_url;
	const char *key_b64;
	int parallel, rate, batch;
	uint64_t final_size;      /* readonly logs: read up to this size, then stop; 0: none */
};

struct ct_follow;

/* Load the log's saved position and start following it at once. NULL with e set (a bad
 * key). */
struct ct_follow *ct_follow_start(const struct ct_env *env, const struct ct_log_spec *spec,
	struct nodd_err *e);
/* Stop: requests cancelled, entries not committed dropped (read again next time). */
void ct_follow_stop(struct ct_follow *f); /* NULL is a no-op */
/* A failing log is read again from its last verified, committed position (its tree head
 * first, checked against the verified one as at a start); other states: nothing. 1 when
 * it was failing, else 0. */
int ct_follow_retry(struct ct_follow *f);

const uint8_t *ct_follow_log_id(const struct ct_follow *f);
const char *ct_follow_description(const struct ct_follow *f);

/* Update entries/s and names/s (over the last 9 s or more); ct/source.c calls it every 10 s. */
void ct_follow_rates(struct ct_follow *f);

/* The status object of the log: state, tree size, position, lag, rates, counts, last error. */
json_t *ct_follow_status(const struct ct_follow *f);
/* The nodd_ct_* metric families for the n logs of fs, one sample per log each. */
void ct_follow_metrics(struct ct_follow *const *fs, size_t n, FILE *out);

#endif
