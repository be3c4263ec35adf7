/* test_axfrdiff.c -- the AXFR difference: a stored copy against a new complete copy gives
 * exactly the records only in the old (removed) and only in the new (added), in key order:
 * owners that sort close together ('-' and '.' and digits), case differences in owners and
 * rdata names (no change), a TTL change alone (no change), the SOA carried like any record;
 * the apply worker (its own connection, the stage handed over) finds the same difference. */
#include "tests/unit/copy_fixture.h"
#include "tests/unit/tap.h"
#include "zones/applyjob.h"
#include "zones/axfrdiff.h"

#define SOA1 "nodtest. 300 IN SOA ns1.nodtest. h.nodtest. 1 3600 600 86400 300"
#define SOA2 "nodtest. 300 IN SOA ns1.nodtest. h.nodtest. 2 3600 600 86400 300"

struct diff_case {
	const char *what;
	const char *held[10];
	const char *neu[10];
	const char *removed;
	const char *added;
};

static const struct diff_case cases[] = {
	{ "case of owners and rdata names, and a TTL, make no difference",
		{ SOA1, "a.nodtest. 300 IN NS ns1.nodtest.", "Mx.nodtest. 300 IN MX 10 Mail.nodtest." },
		{ SOA1, "A.NodTest. 60 IN NS NS1.nodtest.", "mx.nodtest. 300 IN MX 10 mail.NODTEST." },
		"", "" },
	{ "owners that sort close together",
		{ SOA1, "a.nodtest. 300 IN NS ns1.nodtest.", "a-.nodtest. 300 IN NS ns1.nodtest.",
			"a-0.nodtest. 300 IN NS ns1.nodtest.", "a0.nodtest. 300 IN NS ns1.nodtest.",
			"aa.nodtest. 300 IN NS ns1.nodtest." },
		{ SOA1, "a.nodtest. 300 IN NS ns1.nodtest.", "a-1.nodtest. 300 IN NS ns1.nodtest.",
			"a0.nodtest. 300 IN NS ns1.nodtest.", "aa.nodtest. 300 IN NS ns1.nodtest.",
			"b-a.nodtest. 300 IN NS ns1.nodtest." },
		"a-.nodtest. 300 IN NS ns1.nodtest.; a-0.nodtest. 300 IN NS ns1.nodtest.; ",
		"a-1.nodtest. 300 IN NS ns1.nodtest.; b-a.nodtest. 300 IN NS ns1.nodtest.; " },
	{ "a new serial: the SOA removed and added like any record",
		{ SOA1, "a.nodtest. 300 IN NS ns1.nodtest." },
		{ SOA2, "a.nodtest. 300 IN NS ns1.nodtest." },
		"nodtest. 300 IN SOA ns1.nodtest. h.nodtest. 1 3600 600 86400 300; ",
		"nodtest. 300 IN SOA ns1.nodtest. h.nodtest. 2 3600 600 86400 300; " },
	{ "another rdata at the same owner and type",
		{ SOA1, "a.nodtest. 300 IN NS ns1.nodtest.", "a.nodtest. 300 IN NS ns2.nodtest." },
		{ SOA1, "a.nodtest. 300 IN NS ns2.nodtest.", "a.nodtest. 300 IN NS ns3.nodtest." },
		"a.nodtest. 300 IN NS ns1.nodtest.; ", "a.nodtest. 300 IN NS ns3.nodtest.; " },
	{ "the same owner with another type",
		{ SOA1, "x.nodtest. 300 IN A 192.0.2.1" },
		{ SOA1, "x.nodtest. 300 IN AAAA 2001:db8::1" },
		"x.nodtest. 300 IN A 192.0.2.1; ", "x.nodtest. 300 IN AAAA 2001:db8::1; " },
	{ "nothing new: everything removed",
		{ SOA1, "a.nodtest. 300 IN NS ns1.nodtest." }, { NULL },
		"a.nodtest. 300 IN NS ns1.nodtest.; nodtest. 300 IN SOA ns1.nodtest. h.nodtest. 1 3600 600 86400 300; ",
		"" },
};

static void on_done(void *ctx)
{
	*(int *)ctx = 1;
}

/* The same difference found by the apply worker (zones/applyjob.c): its own connection
 * to the store file, the new copy handed over in a stage of its own. */
static void check_worker(struct fixture *f, const struct diff_case *k, struct event_base *base)
{
	struct stage st;
	stage_init(&st);
	for (int i = 0; i < 10 && k->neu[i]; i++) {
		struct zone_rr z = rr_of(k->neu[i]);
		stage_add(&st, "nodtest", &z);
	}
	struct applyjob j;
	memset(&j, 0, sizeof j);
	struct nodd_err e = { 0 };
	int done = 0;
	is_int(applyjob_start(&j, base, copy_db_path(&f->copy), "nodtest", 1, NULL, 0, &st, on_done, &done,
		&e), 0, "%s: worker started (%s)", k->what, e.msg);
	is_int((int)st.records, 0, "%s: the stage was handed over", k->what);
	for (int turns = 0; !done && turns < 1000; turns++)
		event_base_loop(base, EVLOOP_ONCE);
	ok(done, "%s: the worker's end reached the loop", k->what);
	is_int(j.rc, 0, "%s: worker built (%s)", k->what, j.e.msg);
	char rem[2048] = "", add[2048] = "";
	for (size_t i = 0; i < j.cs.removed.n; i++)
		append_rr(rem, sizeof rem, &j.cs.removed.v[i]);
	for (size_t i = 0; i < j.cs.added.n; i++)
		append_rr(add, sizeof add, &j.cs.added.v[i]);
	is_str(rem, k->removed, "%s: worker removed", k->what);
	is_str(add, k->added, "%s: worker added", k->what);
	applyjob_end(&j);
	applyjob_end(&j); /* repeating it is safe */
}

static void stage(struct stage *st, const char *const *rrs)
{
	for (int i = 0; i < 10 && rrs[i]; i++) {
		struct zone_rr z = rr_of(rrs[i]);
		stage_add(st, "nodtest", &z);
	}
}

/* A first copy of more records than one INSERT block holds, and a tail: every record
 * stored once, read back in key order with its TTL. */
static void check_take(struct fixture *f)
{
	enum { NREC = 2 * 64 + 37 };
	static char owners[NREC][32];
	static uint8_t rds[NREC][4];
	struct stage st;
	stage_init(&st);
	for (int i = NREC - 1; i >= 0; i--) { /* not in key order: sorted by the take */
		snprintf(owners[i], sizeof owners[i], "t%03d.nodtest", i / 2);
		memcpy(rds[i], (uint8_t[]){ 192, 0, 2, (uint8_t)i }, 4);
		struct zone_rr z = { owners[i], (uint16_t)(i % 2 ? 1 : 2), (uint32_t)(1000 + i),
			rds[i], 4 };
		stage_add(&st, "nodtest", &z);
	}
	is_int((int)copy_take_stage(&f->copy, "nodtest", &st), NREC, "a first copy of %d records",
		NREC);
	struct copy_scan sc;
	copy_scan_begin(&f->copy, SCAN_HELD, "nodtest", &sc);
	struct stage_iter it;
	is_int(stage_iter_begin(&st, &it), 0, "the stage reads back");
	int n = 0, same = 0;
	while (copy_scan_next(&sc) > 0) {
		struct zone_rr want;
		if (stage_iter_next(&it, &want) > 0)
			same += zone_rr_key_cmp(&sc.row, &want) == 0 && sc.row.ttl == want.ttl;
		n++;
	}
	stage_iter_end(&it);
	copy_scan_end(&sc);
	is_int(n, NREC, "each stored once");
	is_int(same, NREC, "in key order, each with its TTL");
	copy_stage_clear(&f->copy, "nodtest", &st);
}

/* A first copy received with every record seven times, more records than one INSERT
 * block but fewer distinct ones: each stored once, nothing else. */
static void check_take_repeated(struct fixture *f)
{
	enum { DISTINCT = 10, TIMES = 7 };
	static char owners[DISTINCT][32];
	static uint8_t rds[DISTINCT][4];
	struct stage st;
	stage_init(&st);
	for (int t = 0; t < TIMES; t++)
		for (int i = 0; i < DISTINCT; i++) {
			snprintf(owners[i], sizeof owners[i], "r%03d.nodtest", i);
			memcpy(rds[i], (uint8_t[]){ 192, 0, 2, (uint8_t)i }, 4);
			struct zone_rr z = { owners[i], 1, 300, rds[i], 4 };
			stage_add(&st, "nodtest", &z);
		}
	is_int((int)copy_take_stage(&f->copy, "nodtest", &st), DISTINCT,
		"%d records received %d times: %d stored", DISTINCT, TIMES, DISTINCT);
	struct copy_scan sc;
	copy_scan_begin(&f->copy, SCAN_HELD, "nodtest", &sc);
	int n = 0;
	while (copy_scan_next(&sc) > 0)
		n++;
	copy_scan_end(&sc);
	is_int(n, DISTINCT, "and nothing else");
	copy_stage_clear(&f->copy, "nodtest", &st);
}

int main(void)
{
	struct fixture f;
	if (fixture_open(&f) < 0) {
		ok(0, "fixture");
		return tap_done();
	}
	struct event_base *base = event_base_new();
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct diff_case *k = &cases[i];
		/* the held copy: staged, then taken as a baseline */
		struct stage st;
		stage_init(&st);
		stage(&st, k->held);
		copy_take_stage(&f.copy, "nodtest", &st);
		copy_stage_clear(&f.copy, "nodtest", &st);
		stage(&st, k->neu);
		struct changeset cs;
		changeset_init(&cs);
		struct nodd_err e = { 0 };
		is_int(axfrdiff_build(&f.copy, &st, "nodtest", &cs, &e), 0, "%s: built (%s)", k->what,
			e.msg);
		stage_clear(&st);
		char rem[2048] = "", add[2048] = "";
		for (size_t j = 0; j < cs.removed.n; j++)
			append_rr(rem, sizeof rem, &cs.removed.v[j]);
		for (size_t j = 0; j < cs.added.n; j++)
			append_rr(add, sizeof add, &cs.added.v[j]);
		is_str(rem, k->removed, "%s: removed", k->what);
		is_str(add, k->added, "%s: added", k->what);
		ok(cs.soa_to.type == 0, "%s: no SOA step", k->what);
		changeset_deinit(&cs);
		check_worker(&f, k, base);
	}
	check_take(&f);
	check_take_repeated(&f);
	event_base_free(base);
	fixture_close(&f);
	return tap_done();
}
