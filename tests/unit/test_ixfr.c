/* test_ixfr.c -- IXFR apply: a stored copy plus a staged IXFR gives exactly the records
 * after, the zone_diff records and observations made, the serial saved; a delete of a
 * record not held, a difference from another serial, a serial going back and a stream
 * ending short discard the transfer (copy, outbox and state unchanged); two differences
 * step the SOA; an add of a record held is no change. */
#include <jansson.h>

#include "tests/unit/copy_fixture.h"
#include "tests/unit/tap.h"
#include "zones/apply.h"

#define SOA(n) "nodtest. 300 IN SOA ns1.nodtest. h.nodtest. " #n " 3600 600 86400 300"
#define SOA_TEXT(n) "nodtest. 300 IN SOA ns1.nodtest. h.nodtest. " #n " 3600 600 86400 300; "
#define HELD_A "a.nodtest. 300 IN NS ns1.nodtest."
#define HELD_G "ns1.nodtest. 300 IN A 192.0.2.1"
#define HELD_TEXT "a.nodtest. 300 IN NS ns1.nodtest.; " SOA_TEXT(1) "ns1.nodtest. 300 IN A 192.0.2.1; "

struct ixfr_case {
	const char *what;
	uint32_t to;
	const char *stream[12];      /* the staged IXFR body (no closing SOA) */
	enum apply_result result;
	const char *err;
	const char *after;           /* the copy, in key order */
	const char *changes;         /* zone_diff records: op owner type */
	const char *observed;        /* newly_registered_domain records */
	uint64_t adds, dels, obs;    /* counted as applied, also when rolled back later */
};

static const struct ixfr_case cases[] = {
	{ "one difference: an NS removed, a delegation and its glue added", 2,
		{ SOA(2), SOA(1), HELD_A, SOA(2), "b.nodtest. 300 IN NS ns1.b.nodtest.",
			"ns1.b.nodtest. 300 IN A 192.0.2.2" },
		APPLY_COMMITTED, "",
		"b.nodtest. 300 IN NS ns1.b.nodtest.; " SOA_TEXT(2) "ns1.b.nodtest. 300 IN A 192.0.2.2; "
		"ns1.nodtest. 300 IN A 192.0.2.1; ",
		"del a.nodtest NS; add b.nodtest NS; add ns1.b.nodtest A; ", "b.nodtest; ", 2, 1, 1 },
	{ "two differences step the SOA 1 -> 2 -> 3", 3,
		{ SOA(3), SOA(1), SOA(2), "x.nodtest. 300 IN NS ns1.nodtest.", SOA(2),
			"x.nodtest. 300 IN NS ns1.nodtest.", SOA(3), "y.nodtest. 300 IN NS ns1.nodtest." },
		APPLY_COMMITTED, "",
		HELD_A "; " SOA_TEXT(3) "ns1.nodtest. 300 IN A 192.0.2.1; y.nodtest. 300 IN NS ns1.nodtest.; ",
		"add x.nodtest NS; del x.nodtest NS; add y.nodtest NS; ", "x.nodtest; y.nodtest; ",
		2, 1, 2 },
	{ "an add of a record already held is no change", 2,
		{ SOA(2), SOA(1), SOA(2), HELD_A },
		APPLY_COMMITTED, "",
		HELD_A "; " SOA_TEXT(2) "ns1.nodtest. 300 IN A 192.0.2.1; ", "", "", 0, 0, 0 },
	{ "a delete of a record not held", 2,
		{ SOA(2), SOA(1), "c.nodtest. 300 IN NS ns1.nodtest.", SOA(2) },
		APPLY_DISCARDED,
		"IXFR: deletes a record we do not hold: c.nodtest.\t300\tIN\tNS\tns1.nodtest.\n",
		HELD_TEXT, "", "", 0, 0, 0 },
	{ "a difference from another serial", 3,
		{ SOA(3), SOA(2), SOA(3) },
		APPLY_DISCARDED, "IXFR: a difference starts at serial 2, we hold 1",
		HELD_TEXT, "", "", 0, 0, 0 },
	{ "a serial that does not go forward", 2,
		{ SOA(2), SOA(1), SOA(1) },
		APPLY_DISCARDED, "IXFR: serial goes from 1 to 1", HELD_TEXT, "", "", 0, 0, 0 },
	{ "a stream ending short of the announced serial", 3,
		{ SOA(3), SOA(1), SOA(2), "z.nodtest. 300 IN NS ns1.nodtest." },
		APPLY_DISCARDED, "IXFR: ends at serial 2, announced 3", HELD_TEXT, "", "", 1, 0, 1 },
	{ "a difference without its new SOA", 2,
		{ SOA(2), SOA(1), HELD_A },
		APPLY_DISCARDED, "IXFR: a difference has no new SOA", HELD_TEXT, "", "", 0, 0, 0 },
	{ "records where an SOA must start a difference", 2,
		{ SOA(2), HELD_A },
		APPLY_DISCARDED, "IXFR: expected an SOA at record 1", HELD_TEXT, "", "", 0, 0, 0 },
};

struct rows { char text[2048]; };

static int zone_diff_row(void *ctx, int topic, uint64_t seq, const char *key,
	const char *payload, size_t len)
{
	(void)topic, (void)seq, (void)key;
	struct rows *r = ctx;
	json_t *o = json_loadb(payload, len, 0, NULL);
	size_t l = strlen(r->text);
	snprintf(r->text + l, sizeof r->text - l, "%s %s %s; ",
		json_string_value(json_object_get(o, "op")),
		json_string_value(json_object_get(o, "query_name")),
		json_string_value(json_object_get(o, "response_type")));
	json_decref(o);
	return 0;
}

static int nrd_row(void *ctx, int topic, uint64_t seq, const char *key, const char *payload,
	size_t len)
{
	(void)topic, (void)seq, (void)payload, (void)len;
	struct rows *r = ctx;
	size_t l = strlen(r->text);
	snprintf(r->text + l, sizeof r->text - l, "%s; ", key);
	return 0;
}

static void run_case(const struct ixfr_case *k)
{
	struct fixture f;
	if (fixture_open(&f) < 0) {
		ok(0, "%s: fixture", k->what);
		return;
	}
	const char *held[] = { SOA(1), HELD_A, HELD_G };
	struct stage base;
	stage_init(&base);
	for (int i = 0; i < 3; i++) {
		struct zone_rr z = rr_of(held[i]);
		stage_add(&base, "nodtest", &z);
	}
	copy_take_stage(&f.copy, "nodtest", &base);
	copy_save_state(&f.copy, "nodtest", 1, 1700000000);
	copy_stage_clear(&f.copy, "nodtest", &base);
	/* another zone's IXFR staged at the same time, at the same places in its stream: it
	 * neither collides with nor reaches this zone's apply, and stays staged after it */
	const struct zone_rr other = rr_of(HELD_G);
	for (int i = 0; i < 12 && k->stream[i]; i++) {
		struct zone_rr z = rr_of(k->stream[i]);
		ok(copy_stage_ixfr(&f.copy, "nodtest", i, &z) == 0 &&
			copy_stage_ixfr(&f.copy, "other", i, &other) == 0, "%s: staged %d", k->what, i);
	}
	struct apply a = { .copy = &f.copy, .nod = f.nod, .ob = f.ob, .zone = "nodtest",
		.keep_first_seen = 1, .from = 1, .to = k->to, .now = 1700000100 };
	struct nodd_err e = { 0 };
	is_int(apply_transfer(&a, 0, &e), k->result, "%s: result", k->what);
	struct copy_scan sc;
	copy_scan_begin(&f.copy, SCAN_STAGED_IXFR, "other", &sc);
	int left = 0;
	while (copy_scan_next(&sc) > 0)
		left++;
	copy_scan_end(&sc);
	int nstream = 0;
	while (nstream < 12 && k->stream[nstream])
		nstream++;
	is_int(left, nstream, "%s: the other zone's staging is untouched", k->what);
	copy_scan_begin(&f.copy, SCAN_STAGED_IXFR, "nodtest", &sc);
	is_int(copy_scan_next(&sc), 0, "%s: this zone's staging is emptied", k->what);
	copy_scan_end(&sc);
	is_str(e.msg, k->err, "%s: error", k->what);
	char after[4096];
	copy_dump(&f.copy, "nodtest", after, sizeof after);
	is_str(after, k->after, "%s: the copy after", k->what);
	struct rows diff = { "" }, nrd = { "" };
	outbox_read(f.ob, OUTBOX_ZONE_DIFF, 0, 100, zone_diff_row, &diff);
	outbox_read(f.ob, OUTBOX_NRD, 0, 100, nrd_row, &nrd);
	is_str(diff.text, k->changes, "%s: zone_diff records", k->what);
	is_str(nrd.text, k->observed, "%s: observations", k->what);
	ok(a.adds == k->adds && a.dels == k->dels && a.obs == k->obs,
		"%s: counts %llu added, %llu removed, %llu new", k->what,
		(unsigned long long)a.adds, (unsigned long long)a.dels, (unsigned long long)a.obs);
	struct copy_state st;
	copy_load_state(&f.copy, "nodtest", &st);
	is_int(st.serial, k->result == APPLY_COMMITTED ? k->to : 1, "%s: serial saved", k->what);
	fixture_close(&f);
}

int main(void)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		run_case(&cases[i]);
	return tap_done();
}
