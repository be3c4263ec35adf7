/* axfrdiff.c -- the difference of two copies of a zone, found by one ordered pass over
 * each side by side (a merge join): a key only in the stored copy is a deletion, only in
 * the new one an addition. Probing one table per row of the other (NOT EXISTS) costs
 * about 1.2 s per 730,000 records; two scans in key order cost a fraction, and this runs
 * on the main thread. Only the difference is held in memory; it is collected before it
 * is applied because the scans read the tables the changes write. */
#include "zones/axfrdiff.h"

#include <string.h>

#include "lib/wire.h"
#include "zones/observe.h"

/* sqlite's BINARY order for TEXT and BLOB: the bytes, then the shorter first. */
static int bytes_cmp(const void *a, size_t al, const void *b, size_t bl)
{
	size_t n = al < bl ? al : bl;
	int r = n ? memcmp(a, b, n) : 0;
	return r ? r : (al > bl) - (al < bl);
}

/* The primary-key order of zone_rr (within one zone) and axfr_new: owner, type, rdata. */
static int key_cmp(const struct zone_rr *a, const struct zone_rr *b)
{
	int r = bytes_cmp(a->owner, strlen(a->owner), b->owner, strlen(b->owner));
	if (r)
		return r;
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	return bytes_cmp(a->rd, a->rdlen, b->rd, b->rdlen);
}

int axfrdiff_build(struct copy *c, const char *zone, struct changeset *cs, struct nodd_err *e)
{
	struct copy_scan old, neu;
	copy_scan_begin(c, SCAN_HELD, zone, &old);
	copy_scan_begin(c, SCAN_STAGED_AXFR, NULL, &neu);
	int ro = copy_scan_next(&old), rn = copy_scan_next(&neu), rc = 0;
	while (rc == 0 && ro >= 0 && rn >= 0 && (ro > 0 || rn > 0)) {
		int d = ro == 0 ? 1 : rn == 0 ? -1 : key_cmp(&old.row, &neu.row);
		if (d == 0) {
			ro = copy_scan_next(&old);
			rn = copy_scan_next(&neu);
		} else if (d < 0) {
			rc = changeset_push(&cs->removed, &old.row, e);
			ro = copy_scan_next(&old);
		} else {
			rc = changeset_push(&cs->added, &neu.row, e);
			rn = copy_scan_next(&neu);
		}
	}
	if (rc == 0 && (ro < 0 || rn < 0))
		rc = copy_fail(c, e, "store");
	copy_scan_end(&old);
	copy_scan_end(&neu);
	return rc;
}

/* The first AXFR: the copy is what was staged; its delegations are seen, none is new. */
static int take_baseline(struct apply *a, struct nodd_err *e)
{
	long long n = copy_take_baseline(a->copy, a->zone);
	if (n < 0)
		return copy_fail(a->copy, e, "store");
	a->adds = (uint64_t)n;
	char src[300];
	observe_source(src, sizeof src, a->zone, a->to, 1);
	struct copy_scan names;
	copy_scan_begin(a->copy, SCAN_BASE_NAMES, NULL, &names);
	int rc;
	while ((rc = copy_scan_next(&names)) > 0) {
		const char *owner = names.row.owner;
		if (!observe_is_delegation(owner, a->zone, WIRE_T_NS))
			continue;
		enum nod_outcome out;
		if (nod_observe_from(a->nod, owner, a->now, src, 1, a->now, a->zone, a->to, NULL,
			    &out, NULL) < 0) {
			rc = -1;
			break;
		}
	}
	copy_scan_end(&names);
	return rc < 0 ? copy_fail(a->copy, e, "store") : 0;
}

int axfrdiff_apply(struct apply *a, struct nodd_err *e)
{
	if (a->baseline)
		return take_baseline(a, e);
	struct changeset cs;
	changeset_init(&cs);
	cs.serial_from = a->from;
	cs.serial_to = a->to;
	int rc = axfrdiff_build(a->copy, a->zone, &cs, e);
	if (rc == 0)
		rc = apply_changeset(a, &cs, e);
	changeset_deinit(&cs);
	return rc;
}
