/* nod_int.h -- what nod.c and nod_allow.c share of the core: the struct behind nod_t and
 * the helpers both call. Private to policy/nod*.c; every other file uses policy/nod.h. */
#ifndef NODD_NOD_INT_H
#define NODD_NOD_INT_H

#include <libpsl.h>
#include <stdatomic.h>

#include "lib/dname.h"
#include "policy/allow.h"
#include "policy/nod.h"
#include "policy/outbox.h"

/* Names stay in the index until 2 minutes after they leave the 24 h window (lookups check
 * the window themselves), then in its history for a day more (policy/versions.c). */
#define NOD_INDEX_SECS (WINDOW_MAX_SECS + 120)
#define NOD_KEEP_SECS (NOD_INDEX_SECS + WINDOW_MAX_SECS)

struct nod {
	struct nod_options opt;
	store_t *st;
	nindex_t *ix;
	allow_t *allow;
	psl_ctx_t *psl;
	_Atomic uint32_t serial[NOD_ZONE_COUNT];
	int64_t vtime[NOD_ZONE_COUNT];
	int pending[NOD_ZONE_COUNT];
	int64_t vmono[NOD_ZONE_COUNT]; /* monotonic time of each zone's last version */
	int mono_set;         /* vmono holds values (set by the first tick) */
	int64_t max_added;    /* the newest "added" stamp handed out or loaded */
	int64_t last_check;   /* edges crossed up to here are accounted for */
	int64_t last_purge;   /* monotonic */
	struct nod_stats stats;
	outbox_t *ob;
	int in_tx;
	int checked;          /* inside nod_observe_checked: the name is checked norm text */
	struct pending {
		uint8_t rel[DNAME_MAX_WIRE];
		uint8_t len;
		int8_t reset;
		int64_t fs, added;
	} *pend;
	size_t npend, pend_cap;
	int ob_dirty;         /* records appended since the last notify */
	int64_t floor;        /* versions before this cannot be diffed exactly (persisted) */
	int64_t load_now;     /* nod_open's time, for load_cb */
	char err[512];
};

/* The zones a name first seen at fs is in get a new version at the next tick. */
void nod_mark_pending(nod_t *nod, int64_t now, int64_t fs);
/* "added" for the IXFR history (nod.c says why it is after every version made so far). */
int64_t nod_added_clock(nod_t *nod, int64_t now);

/* nod_allow.c: the stored allow-list loaded at open (0 or -1 with nod->err), and the
 * allow zone's zone_diff records for its version from t1 to t2 (serials from, to). */
int nod_load_allow(nod_t *nod);
int nod_allow_records(nod_t *nod, int64_t t1, int64_t t2, uint32_t from, uint32_t to);

#endif
