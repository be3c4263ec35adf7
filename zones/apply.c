/* apply.c -- a staged transfer into the stored copy, one transaction, each change
 * observed as it is made (zone_diff record; NS below the apex: an observation). Which
 * records are delegations and the source text are zones/observe.c; the SQL is
 * zones/copy.c. Never touches the network or the refresh timers. */
#include "zones/apply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/wire.h"
#include "zones/axfrdiff.h"
#include "zones/ixfr.h"
#include "zones/observe.h"
#include "zones/rrtext.h"

/* keep-first-seen: no. 1 when the NS just added (rr) makes its owner a name returning to
 * this zone: delegated now by this record alone, without having lost an NS earlier in
 * this transfer (that is a change of name servers), and first seen in this same zone (so
 * it was here before and was deleted; a name first observed elsewhere, by the API or
 * another zone, keeps its time). 0 when not, -1 on a store error. */
static int is_return(struct apply *a, const struct zone_rr *rr)
{
	int64_t nns = 0;
	int lost = 0;
	if (copy_ns_count(a->copy, a->zone, rr->owner, &nns) < 0 ||
	    copy_lost_has(a->copy, a->zone, rr->owner, &lost) < 0)
		return -1;
	if (nns != 1 || lost)
		return 0;
	char src[512], want[300];
	int found = store_lookup(nod_store(a->nod), rr->owner, NULL, src, sizeof src, NULL);
	if (found <= 0)
		return found;
	snprintf(want, sizeof want, "zone %s serial ", a->zone);
	return strncmp(src, want, strlen(want)) == 0;
}

/* An NS added below the apex: observed, or observed again as a returning name. */
static int observe_added_ns(struct apply *a, const struct zone_rr *rr)
{
	char src[300];
	observe_source(src, sizeof src, a->zone, a->to, 0);
	int back = a->keep_first_seen ? 0 : is_return(a, rr);
	if (back < 0)
		return -1;
	enum nod_outcome out;
	int rc = back ? nod_observe_return(a->nod, rr->owner, a->now, src, a->now, a->zone, a->to,
			&out, NULL)
		: nod_observe_from(a->nod, rr->owner, a->now, src, 0, a->now, a->zone, a->to, NULL,
			&out, NULL);
	if (rc < 0)
		return -1;
	if (out == NOD_NEW)
		a->obs++;
	return 0;
}

/* The observation step for one change made to the copy. 0 or -1 (store). */
static int observe_change(struct apply *a, const struct zone_rr *rr, int add)
{
	if (add)
		a->adds++;
	else
		a->dels++;
	if (a->baseline || rr->type == WIRE_T_SOA)
		return 0;
	if (a->ob && rrtext_append_zone_diff(a->ob, rr, add, a->zone, a->from, a->to,
		    a->now * 1000) < 0)
		return -1;
	if (!observe_is_delegation(rr->owner, a->zone, rr->type))
		return 0;
	if (add)
		return observe_added_ns(a, rr);
	/* keep-first-seen: no needs to tell a change of name servers from a return */
	return a->keep_first_seen ? 0 : copy_lost_add(a->copy, a->zone, rr->owner);
}

int apply_changeset(struct apply *a, const struct changeset *cs, struct nodd_err *e)
{
	for (size_t i = 0; i < cs->removed.n; i++) {
		const struct zone_rr *rr = &cs->removed.v[i];
		int n = copy_del(a->copy, a->zone, rr);
		if (n < 0)
			return copy_fail(a->copy, e, "store");
		if (n == 0) {
			char *t = rrtext_line(rr);
			nodd_fail(e, NODD_E_PEER, "deletes a record we do not hold: %.300s",
				t ? t : rr->owner);
			free(t);
			return -1;
		}
		if (observe_change(a, rr, 0) < 0)
			return copy_fail(a->copy, e, "store");
	}
	for (size_t i = 0; i < cs->added.n; i++) {
		const struct zone_rr *rr = &cs->added.v[i];
		int n = copy_add(a->copy, a->zone, rr);
		if (n < 0 || (n > 0 && observe_change(a, rr, 1) < 0))
			return copy_fail(a->copy, e, "store");
	}
	if (cs->soa_to.type && ((cs->soa_from.type && copy_del(a->copy, a->zone, &cs->soa_from) < 0)
		    || copy_add(a->copy, a->zone, &cs->soa_to) < 0))
		return copy_fail(a->copy, e, "store");
	return 0;
}

enum apply_result apply_transfer(struct apply *a, int axfr, struct nodd_err *e)
{
	if (nod_begin(a->nod) < 0) {
		if (store_busy(nod_store(a->nod)))
			return APPLY_BUSY;
		nodd_fail(e, NODD_E_STORE, "store: cannot begin: %s", nod_errmsg(a->nod));
		copy_stage_clear(a->copy, a->zone, a->staged);
		return APPLY_FAILED;
	}
	int rc = axfr ? axfrdiff_apply(a, e) : ixfr_apply(a, e);
	if (rc == 0 && copy_save_state(a->copy, a->zone, a->to, a->now) < 0)
		rc = copy_fail(a->copy, e, "store");
	if (rc < 0) {
		nod_rollback(a->nod);
		copy_stage_clear(a->copy, a->zone, a->staged);
		return APPLY_DISCARDED;
	}
	if (nod_commit(a->nod) < 0) {
		nodd_fail(e, NODD_E_STORE, "store: commit failed: %s", nod_errmsg(a->nod));
		nod_rollback(a->nod);
		copy_stage_clear(a->copy, a->zone, a->staged);
		return APPLY_FAILED;
	}
	copy_stage_clear(a->copy, a->zone, a->staged);
	return APPLY_COMMITTED;
}
