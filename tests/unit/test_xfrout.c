/* test_xfrout.c -- the answer to an AXFR/IXFR request (xfrout_plan): which of the whole
 * zone, the lone current SOA, an incremental IXFR or an AXFR-style IXFR a client gets,
 * from its serial and the version history, serials compared as RFC 1982 says. */
#include <string.h>

#include "server/xfrout.h"
#include "tap.h"

/* History: zone 0 issued 100 (t 1000, under the floor 1500), 200 (t 2000), 300 (t 3000,
 * current); zone 1 issued 0xFFFFFF00 (t 2000) then 5 (t 2500, current: the serial wrapped);
 * zone 2 holds 200 (t 2000) but not its current serial. */
static versions_t *history(void)
{
	versions_t *v = versions_new();
	if (!v)
		return NULL;
	versions_add(v, 0, 100, 1000);
	versions_add(v, 0, 200, 2000);
	versions_add(v, 0, 300, 3000);
	versions_add(v, 1, 0xFFFFFF00u, 2000);
	versions_add(v, 1, 5, 2500);
	versions_add(v, 2, 200, 2000);
	versions_set_floor(v, 1500);
	return v;
}

int main(void)
{
	static const struct {
		const char *what;
		int zone;
		uint16_t qtype;
		int has_serial;
		uint32_t serial, cur;
		int64_t cur_time;
		enum xfr_plan want;
		int64_t from, to;              /* from: checked for incremental plans only */
	} rows[] = {
		{ "AXFR: the whole zone", 0, 252, 0, 0, 300, 3000, XFR_PLAN_AXFR, 0, 3000 },
		{ "AXFR ignores an SOA in authority", 0, 252, 1, 200, 300, 3000, XFR_PLAN_AXFR, 0, 3000 },
		{ "IXFR without the client's SOA", 0, 251, 0, 0, 300, 3000, XFR_PLAN_AXFR_STYLE, 0, 3000 },
		{ "IXFR, serial equal: the lone SOA", 0, 251, 1, 300, 300, 3000, XFR_PLAN_CURRENT, 0, 3000 },
		{ "IXFR, serial newer: the lone SOA", 0, 251, 1, 400, 300, 3000, XFR_PLAN_CURRENT, 0, 3000 },
		{ "IXFR, older within the history", 0, 251, 1, 200, 300, 3000, XFR_PLAN_INCREMENTAL, 2000, 3000 },
		{ "IXFR, diffed up to the current serial's time in the history", 0, 251, 1, 200, 300, 3500, XFR_PLAN_INCREMENTAL, 2000, 3000 },
		{ "IXFR, older than the history floor", 0, 251, 1, 100, 300, 3000, XFR_PLAN_AXFR_STYLE, 0, 3000 },
		{ "IXFR, a serial never issued", 0, 251, 1, 150, 300, 3000, XFR_PLAN_AXFR_STYLE, 0, 3000 },
		{ "IXFR, 2^31 away (undefined order)", 0, 251, 1, 300 + 0x80000000u, 300, 3000, XFR_PLAN_AXFR_STYLE, 0, 3000 },
		{ "IXFR, a version not older than the current time", 0, 251, 1, 200, 300, 2000, XFR_PLAN_AXFR_STYLE, 0, 2000 },
		{ "IXFR, the current serial not in the history", 2, 251, 1, 200, 300, 3000, XFR_PLAN_AXFR_STYLE, 0, 3000 },
		{ "wrap-around: older across the wrap", 1, 251, 1, 0xFFFFFF00u, 5, 2500, XFR_PLAN_INCREMENTAL, 2000, 2500 },
		{ "wrap-around: newer than the wrapped current", 1, 251, 1, 10, 5, 2500, XFR_PLAN_CURRENT, 0, 2500 },
		{ "wrap-around: older, never issued", 1, 251, 1, 0xFFFFFFF0u, 5, 2500, XFR_PLAN_AXFR_STYLE, 0, 2500 },
	};
	versions_t *v = history();
	ok(v != NULL, "history built");
	if (!v)
		return tap_done();
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct xfr_req r;
		memset(&r, 0, sizeof r);
		r.zone = rows[i].zone;
		r.qtype = rows[i].qtype;
		r.has_serial = rows[i].has_serial;
		r.serial = rows[i].serial;
		int64_t from = -1, to = -1;
		enum xfr_plan p = xfrout_plan(v, &r, rows[i].cur, rows[i].cur_time, &from, &to);
		is_int(p, rows[i].want, "%s: plan", rows[i].what);
		is_int(to, rows[i].to, "%s: content at", rows[i].what);
		if (rows[i].want == XFR_PLAN_INCREMENTAL)
			is_int(from, rows[i].from, "%s: diff from", rows[i].what);
	}
	versions_free(v);
	return tap_done();
}
