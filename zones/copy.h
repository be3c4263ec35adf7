/* copy.h -- the stored copy of every upstream zone in sqlite (table zone_rr), its refresh
 * state (table upstream), and where a transfer is staged before it is applied (an AXFR in
 * memory, in a struct stage its exchange owns, zones/stage.h; an IXFR in the temp table
 * ixfr_seq; ns_lost). The temp rows are keyed by zone, so the transfers of several
 * upstreams staged at once never see, clear or apply each other's. Every SQL
 * statement of zones/ is here; the callers see records (struct zone_rr) and counts. One
 * thread per struct copy: the main thread's is on the store's connection, the apply
 * worker opens its own (zones/applyjob.h). */
#ifndef NODD_COPY_H
#define NODD_COPY_H

#include <stdint.h>

#include "lib/err.h"
#include "zones/changeset.h"
#include "zones/stage.h"

struct sqlite3;
struct sqlite3_stmt;

enum copy_stmt {
	C_LOAD, C_SAVE, C_ADD, C_DEL, C_CLEAR, C_HELD_SOA, C_COPY_ORDERED,
	C_IXFR_ADD, C_IXFR_CLEAR, C_IXFR_READ,
	C_NS_COUNT, C_LOST_ADD, C_LOST_HAS, C_LOST_CLEAR,
	C_COUNT
};

struct copy {
	struct sqlite3 *db;                 /* borrowed (the store's connection) */
	struct sqlite3_stmt *st[C_COUNT];
};

/* Create the temp tables and prepare the statements on db (borrowed). 0, or -1 with e. */
int copy_open(struct copy *c, struct sqlite3 *db, struct nodd_err *e);
void copy_close(struct copy *c); /* a zeroed or closed copy is a no-op */

/* The file of the store's main database ("" or NULL when it has none). */
const char *copy_db_path(struct copy *c);

/* "<what>: <sqlite's last message>" as a NODD_E_STORE failure; returns -1. */
int copy_fail(struct copy *c, struct nodd_err *e, const char *what);

/* The refresh state saved for zone. */
struct copy_state {
	int have_copy;
	uint32_t serial;
	int64_t last_success;
	int have_timers;                   /* the held SOA was read: its timers follow */
	uint32_t refresh, retry, expire;
};
int copy_load_state(struct copy *c, const char *zone, struct copy_state *out);
int copy_save_state(struct copy *c, const char *zone, uint32_t serial, int64_t when);

/* The copy itself. copy_add returns the rows added (0: already held, as BIND ignores an
 * add with no effect), copy_del the rows deleted (0: not held); -1 on a store error. */
int copy_add(struct copy *c, const char *zone, const struct zone_rr *rr);
int copy_del(struct copy *c, const char *zone, const struct zone_rr *rr);
/* The first AXFR: zone's copy replaced by what is staged in st (sorted here unless it is,
 * inserted in key order). Returns the records stored, -1 on error. */
long long copy_take_stage(struct copy *c, const char *zone, struct stage *st);

/* Owners: the NS records zone's copy holds at owner; the ns_lost set of zone's transfer
 * being applied (owners that lost an NS earlier in it). 0 or -1. */
int copy_ns_count(struct copy *c, const char *zone, const char *owner, int64_t *n);
int copy_lost_add(struct copy *c, const char *zone, const char *owner);
int copy_lost_has(struct copy *c, const char *zone, const char *owner, int *has);

/* Staging: one transfer per zone at a time, any number of zones at once. An AXFR (or an
 * AXFR-style IXFR answer) goes to the exchange's own struct stage in memory (stage_add);
 * an IXFR to the temp table ixfr_seq under zone, at its place seq in the stream. */
int copy_stage_ixfr(struct copy *c, const char *zone, int64_t seq, const struct zone_rr *rr);
/* zone's IXFR turned out AXFR-style: what ixfr_seq holds of zone moves to axfr. */
int copy_stage_ixfr_to_axfr(struct copy *c, const char *zone, struct stage *axfr);
/* Empty zone's staging: axfr (its memory freed; may be NULL), zone's rows of ixfr_seq and
 * ns_lost. Another zone's staging is untouched. */
void copy_stage_clear(struct copy *c, const char *zone, struct stage *axfr);
/* A temp-only transaction around the staging of one message. 0 or -1. */
int copy_stage_begin(struct copy *c);
int copy_stage_commit(struct copy *c);
void copy_stage_rollback(struct copy *c);

/* A scan of rows in order; row is a view valid until the next copy_scan_next. */
enum copy_scan_of {
	SCAN_HELD,        /* zone's copy in key order (owner, type, rdata as sqlite sorts) */
	SCAN_STAGED_IXFR, /* zone's rows of ixfr_seq in stream order */
};
struct copy_scan {
	struct sqlite3_stmt *st;
	struct zone_rr row;
};
void copy_scan_begin(struct copy *c, enum copy_scan_of of, const char *zone,
	struct copy_scan *s);
/* 1 with a row, 0 at the end, -1 on a store error. */
int copy_scan_next(struct copy_scan *s);
void copy_scan_end(struct copy_scan *s);

#endif
