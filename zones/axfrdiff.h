/* axfrdiff.h -- the AXFR difference: the stored copy against a new complete copy (staged
 * in axfr_new), giving the changeset an IXFR would have carried.
 * Applies nothing itself beyond the changeset it hands to apply.c; never talks to a primary. */
#ifndef NODD_AXFRDIFF_H
#define NODD_AXFRDIFF_H

#include "lib/err.h"
#include "zones/apply.h"
#include "zones/changeset.h"
#include "zones/copy.h"

/* Fill cs (initialised, empty) with what zone's stored copy holds and axfr_new does not
 * (removed, in key order) and the reverse (added, in key order); the SOA goes like any
 * other record. Records equal in owner, type and rdata are the same record (a TTL change
 * alone is no change). Reads only. 0, or -1 with e. */
int axfrdiff_build(struct copy *c, const char *zone, struct changeset *cs, struct nodd_err *e);

/* The staged AXFR applied: the first one (a->baseline) replaces the copy and records its
 * delegations as seen, none new; later ones apply the difference. Inside apply_transfer.
 * 0, or -1 with e. */
int axfrdiff_apply(struct apply *a, struct nodd_err *e);

#endif
