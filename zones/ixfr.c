/* ixfr.c -- IXFR apply: the staged stream cut into differences, each a changeset
 * (removed, added, the SOA before and after) handed to apply_changeset() as soon as it
 * ends, so that a difference starts from the copy the previous one left. Reads the
 * staging table only; the checks of the stream's framing were made as it arrived
 * (zones/xfrin.c). */
#include "zones/ixfr.h"

#include <string.h>

#include "lib/serial.h"
#include "lib/wire.h"

struct ixfr_walk {
	struct apply *a;
	struct changeset cs;
	uint32_t cur;                 /* serial the copy is at */
	enum { FIRST, WANT_OLD, DELS, ADDS } state;
	unsigned long long i;         /* records read */
};

/* The difference in w->cs is complete: apply it; the copy is now at its new serial. */
static int ixfr_step(struct ixfr_walk *w, struct nodd_err *e)
{
	if (apply_changeset(w->a, &w->cs, e) < 0)
		return e && e->kind == NODD_E_PEER ? nodd_wrap(e, "IXFR") : -1;
	w->cur = w->cs.serial_to;
	changeset_deinit(&w->cs);
	return 0;
}

/* One staged record. 0 or -1 with e. */
static int ixfr_row(struct ixfr_walk *w, const struct zone_rr *row, struct nodd_err *e)
{
	int is_soa = row->type == WIRE_T_SOA;
	uint32_t ser = 0;
	if (is_soa && serial_soa_fields(row->rd, row->rdlen, &ser, NULL, NULL, NULL) < 0)
		return nodd_fail(e, NODD_E_PEER, "IXFR: a malformed SOA at record %llu", w->i);
	if (w->state == ADDS && is_soa) { /* the next difference starts */
		if (ixfr_step(w, e) < 0)
			return -1;
		w->state = WANT_OLD;
	}
	switch (w->state) {
	case FIRST:
		w->state = WANT_OLD;
		return 0;
	case WANT_OLD:
		if (!is_soa)
			return nodd_fail(e, NODD_E_PEER, "IXFR: expected an SOA at record %llu", w->i);
		if (ser != w->cur)
			return nodd_fail(e, NODD_E_PEER,
				"IXFR: a difference starts at serial %u, we hold %u", ser, w->cur);
		w->cs.serial_from = ser;
		w->state = DELS;
		return changeset_set_soa(&w->cs.soa_from, row, e);
	case DELS:
		if (!is_soa)
			return changeset_push(&w->cs.removed, row, e);
		if (!serial_gt(ser, w->cur))
			return nodd_fail(e, NODD_E_PEER, "IXFR: serial goes from %u to %u", w->cur, ser);
		w->cs.serial_to = ser;
		w->state = ADDS;
		return changeset_set_soa(&w->cs.soa_to, row, e);
	case ADDS:
		return changeset_push(&w->cs.added, row, e);
	}
	return 0;
}

int ixfr_apply(struct apply *a, struct nodd_err *e)
{
	struct ixfr_walk w = { .a = a, .cur = a->from, .state = FIRST };
	changeset_init(&w.cs);
	struct copy_scan scan;
	copy_scan_begin(a->copy, SCAN_STAGED_IXFR, a->zone, &scan);
	int rc, ret = -1;
	while ((rc = copy_scan_next(&scan)) > 0) {
		if (ixfr_row(&w, &scan.row, e) < 0)
			goto out;
		w.i++;
	}
	if (rc < 0) {
		copy_fail(a->copy, e, "store");
		goto out;
	}
	if (w.state == DELS || w.state == FIRST) {
		nodd_fail(e, NODD_E_PEER, "IXFR: a difference has no new SOA");
		goto out;
	}
	if (w.state == ADDS && ixfr_step(&w, e) < 0)
		goto out;
	if (w.cur != a->to) {
		nodd_fail(e, NODD_E_PEER, "IXFR: ends at serial %u, announced %u", w.cur, a->to);
		goto out;
	}
	ret = 0;
out:
	copy_scan_end(&scan);
	changeset_deinit(&w.cs);
	return ret;
}
