/* apply.h -- a complete, verified transfer applied to the stored copy in ONE store
 * transaction: the copy, the first-seen names, the zone_diff and newly_registered_domain
 * outbox rows and the refresh state commit together, or nothing does.
 *
 * The observation step: each change of the copy, as it is made, becomes a zone_diff
 * record and, for an NS gained below the apex, an observation. It runs per change (not
 * per changeset) because "is this name returning?" reads the copy as it stands after
 * that one change. Main thread; no network. */
#ifndef NODD_APPLY_H
#define NODD_APPLY_H

#include <stdint.h>

#include "lib/err.h"
#include "policy/nod.h"
#include "policy/outbox.h"
#include "zones/changeset.h"
#include "zones/copy.h"

/* One transfer being applied. The caller fills the first block; the counts are output. */
struct apply {
	struct copy *copy;          /* borrowed */
	nod_t *nod;                 /* borrowed */
	outbox_t *ob;               /* borrowed; NULL: no zone_diff records */
	const char *zone;           /* norm text, borrowed */
	int keep_first_seen;        /* upstreams.keep-first-seen */
	int baseline;               /* the first AXFR: names are seen, none is new */
	uint32_t from, to;          /* serial held (0 without a copy), serial transferred */
	int64_t now;
	const struct changeset *diff; /* an AXFR's difference found beforehand, or NULL */
	struct stage *staged;       /* the AXFR staged (this zone's own), for an AXFR */
	uint64_t adds, dels, obs;   /* changes made, names newly observed */
};

/* Apply cs to the copy: removed (each must be held), added (one already held is no
 * change), then the SOA step; every change goes through the observation step. 0, or -1
 * with e: NODD_E_PEER for a removed record the copy does not hold ("deletes a record we
 * do not hold: <record>"), NODD_E_STORE otherwise. Inside apply_transfer's transaction. */
int apply_changeset(struct apply *a, const struct changeset *cs, struct nodd_err *e);

enum apply_result {
	APPLY_COMMITTED = 0,
	APPLY_DISCARDED,   /* the transfer cannot be applied (e says why); rolled back */
	APPLY_FAILED,      /* the store could not begin or commit (e says why); rolled back */
	APPLY_BUSY,        /* another thread holds the store (store_busy): nothing written,
	                    * the staging kept; apply it again later */
};

/* What is staged for a->zone (an AXFR in a->staged, an IXFR in zone's rows of the copy's
 * staging table; zones/ixfr.c, zones/axfrdiff.c) applied as an AXFR or an IXFR, with the
 * state saved at a->to, in one transaction. That staging is emptied whatever the result
 * but APPLY_BUSY;
 * another zone's is untouched. */
enum apply_result apply_transfer(struct apply *a, int axfr, struct nodd_err *e);

#endif
