/* ixfr.h -- IXFR apply: the staged answer of an incremental transfer (RFC 1995), read
 * difference by difference into changesets and applied to the stored copy.
 * Never talks to a primary; what was staged is all it reads. */
#ifndef NODD_IXFR_H
#define NODD_IXFR_H

#include "lib/err.h"
#include "zones/apply.h"

/* The IXFR body staged in ixfr_seq in stream order without the closing SOA:
 *     SOA(new) [SOA(old) deletions... SOA(next) additions...]+
 * Each difference must start at the serial held (a->from, then the previous
 * difference's), go forward, and the last must end at a->to. 0, or -1 with e ("IXFR:
 * ..."; NODD_E_PEER for a bad stream, NODD_E_STORE). Inside apply_transfer. */
int ixfr_apply(struct apply *a, struct nodd_err *e);

#endif
