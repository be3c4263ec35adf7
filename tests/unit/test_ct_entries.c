/* test_ct_entries.c -- ct/entriesfast.c: the plain get-entries shape is read (whitespace,
 * either key order, padding), every other shape is declined before any entry is given,
 * a callback stops it, and extra_data is given decoded only when asked for. */
#include <string.h>

#include "ct/entriesfast.h"
#include "tap.h"

struct got {
	int n, stop_at;
	char leaf[8][16], extra[8][16];
};

static int keep(void *ctx, const uint8_t *leaf, size_t len, const uint8_t *extra, size_t elen)
{
	struct got *g = ctx;
	if (g->n < 8) {
		snprintf(g->leaf[g->n], sizeof g->leaf[0], "%.*s", (int)len, (const char *)leaf);
		snprintf(g->extra[g->n], sizeof g->extra[0], "%s",
			extra ? "" : "(none)");
		if (extra)
			snprintf(g->extra[g->n], sizeof g->extra[0], "%.*s", (int)elen,
				(const char *)extra);
	}
	g->n++;
	return g->n == g->stop_at;
}

static long run(const char *body, int want_extra, struct got *g, struct ct_entries_buf *b)
{
	memset(g, 0, sizeof *g);
	return ct_entries_fast(body, strlen(body), want_extra, keep, g, b);
}

int main(void)
{
	struct ct_entries_buf b = { 0 };
	struct got g;
	/* "leaf1" "x", "lf" "" */
	const char *two = " {\"entries\" : [ {\"leaf_input\":\"bGVhZjE=\",\"extra_data\":\"eA==\"},\n"
		"\t{\"extra_data\":\"\",\"leaf_input\":\"bGY=\"} ] }\r\n";
	is_int(run(two, 1, &g, &b), 2, "two entries read");
	is_str(g.leaf[0], "leaf1", "the first leaf_input decoded");
	is_str(g.extra[0], "x", "its extra_data decoded when asked for");
	is_str(g.leaf[1], "lf", "keys in the other order");
	is_str(g.extra[1], "", "an empty extra_data");
	is_int(run(two, 0, &g, &b), 2, "again without extra_data");
	is_str(g.extra[0], "(none)", "extra_data not given when not asked for");
	is_int(run("{\"entries\":[]}", 0, &g, &b), 0, "no entries: 0");

	g.stop_at = 1;
	g.n = 0;
	is_int(ct_entries_fast(two, strlen(two), 0, keep, &g, &b), CT_ENTRIES_STOPPED,
		"a callback stops it");
	is_int(g.n, 1, "... after the one entry it took");

	const char *declined[] = {
		"",
		"[]",
		"{\"entries\":[]} x",
		"{\"entries\":[],\"more\":1}",
		"{\"entries\":[{\"leaf_input\":\"bGY=\",\"extra_data\":\"\",\"x\":1}]}",
		"{\"entries\":[{\"leaf_input\":\"bGY=\"}]}",
		"{\"entries\":[{\"leaf_input\":\"bGY=\",\"leaf_input\":\"bGY=\",\"extra_data\":\"\"}]}",
		"{\"entries\":[{\"leaf_input\":\"b\\u0047Y=\",\"extra_data\":\"\"}]}",
		"{\"entries\":[{\"leaf_input\":\"bGY\",\"extra_data\":\"\"}]}",
		"{\"entries\":[{\"leaf_input\":\"b===\",\"extra_data\":\"\"}]}",
		"{\"entries\":[{\"leaf_input\":\"bG=Y\",\"extra_data\":\"\"}]}",
		"{\"entries\":[{\"leaf_input\":\"bGY=\",\"extra_data\":\"eA=\"}]}",
		"{\"entries\":[{\"leaf_input\":\"bGY=\",\"extra_data\":\"\"},]}",
		"{\"entries\":[{\"leaf_input\":\"bGY=\",\"extra_data\":\"\"}]",
	};
	for (size_t i = 0; i < sizeof declined / sizeof declined[0]; i++) {
		/* several have a good leaf first: a decline comes before anything is given */
		is_int(run(declined[i], 1, &g, &b), CT_ENTRIES_DECLINED, "declined: %s", declined[i]);
		is_int(g.n, 0, "... without giving an entry");
	}
	const char *late = "{\"entries\":[{\"leaf_input\":\"bGY=\",\"extra_data\":\"\"},"
		"{\"leaf_input\":\"bGY=\",\"extra_data\":\"e\"}]}";
	is_int(run(late, 0, &g, &b), CT_ENTRIES_DECLINED, "a bad second entry declines the body");
	is_int(g.n, 0, "... and the first entry was not given");
	ct_entries_buf_free(&b);
	return tap_done();
}
