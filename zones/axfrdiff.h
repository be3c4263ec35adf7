/* axfrdiff.h -- the AXFR difference: the stored copy against a new complete copy (staged
 * in memory, zones/stage.h), giving the changeset an IXFR would have carried.
 * Applies nothing itself beyond the changeset it hands to apply.c; never talks to a primary. */
#ifndef NODD_AXFRDIFF_H
#define NODD_AXFRDIFF_H

#include "lib/err.h"
#include "zones/apply.h"
#include "zones/changeset.h"
#include "zones/copy.h"

/* Fill cs (initialised, empty) with what zone's stored copy (read through c) holds and
 * the AXFR staged in st does not (removed, in key order) and the reverse (added, in key
 * order); the SOA goes like any other record. Records equal in owner, type and rdata are
 * the same record (a TTL change alone is no change). Reads only (st is sorted). 0, or -1
 * with e. The apply worker calls it with a connection of its own and the stage handed
 * over. */
int axfrdiff_build(struct copy *c, struct stage *st, const char *zone, struct changeset *cs,
	struct nodd_err *e);

/* cb(ctx, owner) once for each owner of the sorted stage st that zone delegates (an NS
 * strictly below the apex), in key order (owner valid during the call only); stops at
 * cb's first non-zero return and gives it back. 0 after the last owner, -1 when memory
 * runs out. */
int axfrdiff_each_delegation(const struct stage *st, const char *zone,
	int (*cb)(void *ctx, const char *owner), void *ctx);

/* The staged AXFR applied: the first one (a->baseline) replaces the copy and records its
 * delegations as seen, none new; later ones apply the difference (a->diff when it was
 * found beforehand, else found here). Inside apply_transfer. 0, or -1 with e. */
int axfrdiff_apply(struct apply *a, struct nodd_err *e);

#endif
