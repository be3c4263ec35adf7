/* nod.h -- the newly-observed-domain core: the store, the 24 h index and the versions
 * (SOA serials) of the eight published zones. Every input (HTTP API, noddctl import,
 * upstream transfers) goes through nod_observe(); every output reads from here.
 *
 * Threading: all functions are for the main thread, except nod_serial() and nod_index()
 * (with the index read lock), which the UDP threads call.
 * Knows neither the network nor the upstreams: sources call in, listeners read out. */
#ifndef NODD_NOD_H
#define NODD_NOD_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "policy/allow.h"
#include "policy/index.h"
#include "policy/store.h"
#include "policy/window.h"


typedef struct nod nod_t;

struct nod_options {
	const char *database;   /* sqlite path */
	int64_t min_interval;   /* seconds between two versions of one zone (>= 1) */
	int64_t future_skew;    /* first_seen may be at most this far ahead of now */
	const char *psl_file;   /* public suffix list (dafsa or .dat); NULL: libpsl's builtin/latest */
	const char *suffix;     /* publish.suffix: names the allow zone in its zone_diff records */
	uint32_t ttl;           /* publish.ttl: the TTL in those records */
};

/* Open the store, load the names of the last 24 h into the index and the zone serials.
 * Returns NULL with e set on failure. */
nod_t *nod_open(const struct nod_options *opt, int64_t now, struct nodd_err *e);
void nod_close(nod_t *nod); /* NULL is a no-op */

/* What became of an observation. None of these is a failure: a failure (the store, memory)
 * is the -1 a function returns, with the message in nod_errmsg(). */
enum nod_outcome {
	NOD_NEW,                    /* first observation of the name */
	NOD_KNOWN,                  /* known already; the earliest first_seen is kept */
	NOD_REFUSED_INVALID,        /* not a valid host name */
	NOD_REFUSED_PUBLIC_SUFFIX,  /* a TLD or public suffix: never listed */
	NOD_REFUSED_FUTURE,         /* first_seen beyond now + future_skew */
};

/* Validate and normalise a name as typed by a user or feed. Returns 1 with the norm text
 * in norm, or 0 with *refusal (NOD_REFUSED_INVALID or NOD_REFUSED_PUBLIC_SUFFIX) and *why
 * (may be NULL) set. Reads only what nod_open fixed (the public suffix list): safe from
 * any thread. */
int nod_check_name(nod_t *nod, const char *in, char *norm, size_t normsz,
	enum nod_outcome *refusal, const char **why);

/* Record one observation (name in any case, validated here). fs <= 0 means now.
 * baseline: recorded as seen but never listed (first AXFR of an upstream zone).
 * *stored_fs (may be NULL) gets the first_seen kept. Returns 0 with the outcome in *out
 * (*why, may be NULL, set for a refusal), or -1 on a failure. */
int nod_observe(nod_t *nod, const char *name, int64_t fs, const char *source, int baseline,
	int64_t now, int64_t *stored_fs, enum nod_outcome *out, const char **why);

/* The same for a name that nod_check_name accepted (norm is what it wrote): not checked
 * again. The HTTP API checks every item of a batch before it applies any. */
int nod_observe_checked(nod_t *nod, const char *norm, int64_t fs, const char *source,
	int baseline, int64_t now, enum nod_outcome *out, const char **why);

/* The same, for an observation that comes from an upstream zone transfer: zone (norm
 * text) and serial go into the newly_registered_domain record. When an outbox is set
 * (nod_set_outbox), every NEW non-baseline observation appends one
 * newly_registered_domain record to it, in the caller's transaction. */
int nod_observe_from(nod_t *nod, const char *name, int64_t fs, const char *source,
	int baseline, int64_t now, const char *zone, int64_t serial, int64_t *stored_fs,
	enum nod_outcome *out, const char **why);

/* A name that came back to its upstream zone after its delegation was deleted, with
 * upstreams.keep-first-seen: no: it is observed as new again, first_seen fs replacing the
 * stored time (and a baseline flag), with a newly_registered_domain record. Only inside
 * nod_begin()..nod_commit(). Returns 0 with the outcome (NOD_NEW or a refusal) in *out,
 * or -1 on a failure. */
int nod_observe_return(nod_t *nod, const char *name, int64_t fs, const char *source,
	int64_t now, const char *zone, int64_t serial, enum nod_outcome *out, const char **why);

/* The first transfer of an upstream zone (a baseline: every name seen, none new) recorded
 * by another thread on a store connection of its own (st, open in a store_begin
 * transaction; the apply worker's, zones/applyjob.c): each of n distinct names checked
 * as nod_check_name does and stored as seen at now with source, unless held already
 * (the new ones inserted in blocks, store_insert_new_many); out[i] says what became of
 * names[i]. Only
 * the simple cases are made here; a name whose observation needs this nod's state (a held
 * first_seen later than now, or a CT candidate the zone confirms) is NOD_BASELINE_MAIN:
 * the caller rolls its transaction back and observes the whole transfer on the main
 * thread. Touches no state of nod: the caller counts the outcomes into nod's statistics
 * (nod_count_observations) after its commit. 0, or -1 (store_errmsg(st), or out of
 * memory). */
enum nod_baseline { NOD_BASELINE_NEW, NOD_BASELINE_KNOWN, NOD_BASELINE_REFUSED,
	NOD_BASELINE_MAIN };
int nod_baseline_observe_many(nod_t *nod, store_t *st, const char *const *names, size_t n,
	const char *source, int64_t now, enum nod_baseline *out);
/* Observations made elsewhere (nod_baseline_observe_many), counted into nod_stats(). */
void nod_count_observations(nod_t *nod, uint64_t fresh, uint64_t known, uint64_t refused);

/* What a Certificate Transparency source knows of an observation. */
struct nod_ct_fields {
	int64_t cert_index;            /* the entry's index in its log */
	const char *ct_name;           /* the log's description */
	int64_t submission_timestamp;  /* the entry's timestamp (SCT), unix seconds */
	int learning;                  /* the CT learning period runs: baseline, no record */
	int listed;                    /* a candidate enters the zones now (ct.list: all) */
};

/* A registrable domain read from a CT log, first_seen fs (the time it was read). A name
 * never seen before (any source, any time) is NOD_NEW: outside the learning period a
 * candidate, with one newly_registered_domain record carrying the CT fields (domain,
 * cert_index, ct_name, timestamp, submission_timestamp, source, seq); listed at once only
 * with ct->listed, else stored unlisted (baseline flag) until confirmed. In the learning
 * period it is stored as baseline, without a record. A known name a transfer observed less
 * than a day ago is confirmed by its zone (policy/confirm.h). Only inside
 * nod_begin()..nod_commit(). Returns 0 with the outcome in *out, or -1 on a failure. */
int nod_observe_ct(nod_t *nod, const char *domain, int64_t fs, const char *source,
	int64_t now, const struct nod_ct_fields *ct, enum nod_outcome *out, const char **why);

/* For policy/confirm.c, which lists a stored, unlisted name (a confirmed CT candidate) with
 * its first_seen. nod_stamp: the "added" stamp of a name listed now (after every version
 * made so far). nod_hold: the listed name (first_seen fs, stamp added) enters the index,
 * at nod_commit() inside a transaction. nod_record: a record appended to the outbox (none
 * set: nothing), the streams told at nod_commit(). 0, or -1 (memory, the store). */
int64_t nod_stamp(nod_t *nod, int64_t now);
int nod_hold(nod_t *nod, const char *norm, int64_t fs, int64_t added, int64_t now);
/* The reverse, for a listed candidate found known: the name leaves every zone at the next
 * versions (its index time set far in the past, at nod_commit() inside a transaction), and
 * the versions made so far are no longer diffed exactly (as for a lowered first_seen).
 * The store row is the caller's. 0, or -1 (memory, the store). */
int nod_unhold(nod_t *nod, const char *norm, int64_t now);
int nod_record(nod_t *nod, int topic, const char *key, json_t *o, int64_t now);

struct outbox;
/* Borrowed; NULL for none. */
void nod_set_outbox(nod_t *nod, struct outbox *ob);

/* Batch several observations in one store transaction. nod_commit also tells the
 * outbox's subscribers (the streams) that records were committed. */
int nod_begin(nod_t *nod);
int nod_commit(nod_t *nod);
int nod_rollback(nod_t *nod);

/* Advance time: makes a new version (serial) of each zone whose content changed since its
 * last version (names added, or ageing across a window edge), at most one per
 * min_interval, and moves names older than 24 h from the index to its IXFR history (kept a
 * day more). Call about once a second.
 * Returns a bit mask of the zones that got a new version. */
unsigned nod_tick(nod_t *nod, int64_t now);
/* The same with the monotonic clock given (seconds, as mono_now() in lib/clock.h), which
 * paces the versions: min_interval apart on it, whatever the wall clock (now) does. */
unsigned nod_tick_at(nod_t *nod, int64_t now, int64_t mono);

/* Current serial of a published zone; safe from any thread. */
uint32_t nod_serial(const nod_t *nod, int zone);
/* Unix time of the zone's current version (ahead of the wall clock after a step back:
 * one second after the newest version until the wall clock passes it). */
int64_t nod_version_time(const nod_t *nod, int zone);

/* The IXFR-out history kept in the store (policy/versions.h): every version made in the
 * last 24 h (zone, serial, version time; nod_tick records them with the serial), and the
 * time before which versions cannot be diffed exactly (a first_seen moved then, or the
 * history started then). */
int nod_each_version(nod_t *nod, store_version_cb cb, void *ctx);
int64_t nod_history_floor(const nod_t *nod);

/* ---- the allow-list (policy/allow.h) ----
 * An entry starts or ends applying at the next version of each zone: the zones listing a
 * name it matches and the allow zone get new versions on the next tick (min_interval
 * permitting), whose IXFR from the version before deletes (or adds back) the name; the
 * answers change at once. The allow zone's new version appends one zone_diff record per
 * owner added or deleted, in its transaction. Entries are persisted with their interval. */

/* The allow-list; borrowed, lives as long as nod. */
allow_t *nod_allow(nod_t *nod);

enum nod_allow_outcome {
	NOD_ALLOW_CHANGED,     /* the entry started (or ended) */
	NOD_ALLOW_UNCHANGED,   /* it applied already (or did not apply) */
	NOD_ALLOW_INVALID,     /* not a valid pattern: *why says why */
};

/* Start (on 1) or end (on 0) the entry of origin for pattern as typed; its norm text goes
 * to norm (normsz >= ALLOW_MAX_TEXT + 3). Returns 0 with *out (*why, may be NULL, set
 * for NOD_ALLOW_INVALID), or -1 on a store failure (nod_errmsg). */
int nod_allow_set(nod_t *nod, const char *pattern, enum allow_origin origin, int on,
	int64_t now, char *norm, size_t normsz, enum nod_allow_outcome *out, const char **why);

/* Make the configuration's entries exactly these patterns (as typed; checked by the
 * configuration already): others end, new ones start. Returns the number of entries
 * started or ended, or -1 on a failure (nod_errmsg). */
int nod_allow_config(nod_t *nod, char *const *patterns, int n, int64_t now);

nindex_t *nod_index(nod_t *nod);
store_t *nod_store(nod_t *nod);
const char *nod_errmsg(const nod_t *nod);

/* Counters for /metrics and status. */
struct nod_stats {
	uint64_t observations_new;
	uint64_t observations_known;
	uint64_t observations_refused;
};
const struct nod_stats *nod_stats(const nod_t *nod);

#endif
