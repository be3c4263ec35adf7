/* test_allow.c -- allow-list patterns: parsing and case, exact and wildcard matching (a
 * wildcard matches below its base, never the base), entries in time for the versions, the
 * allow zone's answers and content, and the versions' diff that deletes an allowed name. */
#include <stdlib.h>
#include <string.h>

#include "lib/dname.h"
#include "policy/allow.h"
#include "policy/versions.h"
#include "policy/window.h"
#include "tap.h"

static uint8_t w[DNAME_MAX_WIRE];

static size_t rel(const char *text)
{
	if (!*text)
		return 0;
	return (size_t)dname_text_to_wire(text, w) - 1;
}

static int now_(const allow_t *a, const char *name)
{
	size_t l = rel(name);
	return allow_match_now(a, w, l);
}

static int at(const allow_t *a, const char *name, int64_t t)
{
	size_t l = rel(name);
	return allow_match_at(a, w, l, t);
}

static int zl(const allow_t *a, const char *name)
{
	size_t l = rel(name);
	return allow_zone_lookup(a, w, l);
}

static const char *parsed(const char *in)
{
	static char out[ALLOW_MAX_TEXT + 3];
	const char *why;
	return allow_parse(in, out, sizeof out, &why) == 0 ? out : NULL;
}

static void test_parse(void)
{
	is_str(parsed("Example.COM."), "example.com", "lowercase, trailing dot dropped");
	is_str(parsed("*.Bank.Example"), "*.bank.example", "wildcard kept, lowercased");
	ok(parsed("*") == NULL, "a bare * is refused");
	ok(parsed("*.") == NULL, "*. is refused");
	ok(parsed("a.*.example") == NULL, "* inside a name is refused");
	ok(parsed("*x.example") == NULL, "* in a longer label is refused");
	ok(parsed("bad..name") == NULL, "an empty label is refused");
	ok(parsed("ex ample.com") == NULL, "a space is refused");
	char longname[300];
	memset(longname, 'a', 60);
	strcpy(longname + 60, ".");
	for (int i = 0; i < 3; i++)
		strcat(longname, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.");
	strcat(longname, "example");
	ok(parsed(longname) == NULL, "a pattern over 200 characters is refused");
}

static void test_match(void)
{
	allow_t *a = allow_new();
	ok(!now_(a, "example.com"), "empty list matches nothing");
	allow_add(a, "example.com", ALLOW_CONFIG, 100, ALLOW_OPEN);
	allow_add(a, "*.bank.example", ALLOW_API, 100, ALLOW_OPEN);
	ok(!now_(a, "example.com"), "not visible before allow_rebuild");
	allow_rebuild(a, NULL);
	ok(now_(a, "example.com"), "exact name");
	ok(!now_(a, "www.example.com"), "an exact entry does not match below");
	ok(!now_(a, "com"), "nor above");
	ok(!now_(a, "xexample.com"), "nor a name with the same tail");
	ok(now_(a, "x.bank.example"), "wildcard: a child");
	ok(now_(a, "a.b.c.bank.example"), "wildcard: any depth below");
	ok(!now_(a, "bank.example"), "wildcard: not the base itself");
	ok(!now_(a, "xbank.example"), "wildcard: label boundary");
	/* names reach the match as lowercase wire: what a query in any case becomes */
	static const uint8_t pkt[] = "\003WwW\004BaNk\007ExAmPlE";
	uint8_t q[DNAME_MAX_WIRE];
	size_t ql = 0;
	ok(dname_wire_parse(pkt, sizeof pkt, 0, q, &ql) == sizeof pkt &&
		allow_match_now(a, q, ql - 1), "a query name in mixed case, lowercased by the parser");
	ok(allow_is_open(a, "example.com", ALLOW_CONFIG), "open entry");
	ok(!allow_is_open(a, "example.com", ALLOW_API), "per origin");
	is_int(allow_count_open(a), 2, "two open");
	allow_free(a);
}

static void test_case(void)
{
	allow_t *a = allow_new();
	char norm[ALLOW_MAX_TEXT + 3];
	const char *why;
	ok(allow_parse("WWW.Shop.EXAMPLE", norm, sizeof norm, &why) == 0, "mixed case parses");
	allow_add(a, norm, ALLOW_API, 0, ALLOW_OPEN);
	allow_rebuild(a, NULL);
	ok(now_(a, "www.shop.example"), "a mixed-case entry matches the name");
	ok(allow_pattern_match(norm, w, rel("www.shop.example")), "allow_pattern_match");
	ok(!allow_pattern_match("*.shop.example", w, rel("shop.example")),
		"allow_pattern_match: a wildcard not its base");
	ok(allow_pattern_match("*.shop.example", w, rel("www.shop.example")),
		"allow_pattern_match: below its base");
	allow_free(a);
}

static void test_time(void)
{
	allow_t *a = allow_new();
	allow_add(a, "x.se", ALLOW_API, 100, ALLOW_OPEN);
	allow_rebuild(a, NULL);
	ok(!at(a, "x.se", 99), "before since: not allowed");
	ok(at(a, "x.se", 100), "from since");
	is_int(allow_end(a, "x.se", ALLOW_API, 200), 1, "ended");
	is_int(allow_end(a, "x.se", ALLOW_API, 300), 0, "nothing open to end");
	allow_add(a, "x.se", ALLOW_API, 400, ALLOW_OPEN);
	allow_rebuild(a, NULL);
	ok(at(a, "x.se", 199) && !at(a, "x.se", 200) && !at(a, "x.se", 399) && at(a, "x.se", 400),
		"two intervals of one pattern");
	ok(now_(a, "x.se"), "open again now");
	is_int(allow_trim(a, 250), 1, "the ended interval trimmed");
	allow_rebuild(a, NULL);
	ok(!at(a, "x.se", 150) && at(a, "x.se", 500), "only the open one is left");
	allow_free(a);
}

static void test_config_gone(void)
{
	allow_t *a = allow_new();
	allow_add(a, "keep.example", ALLOW_CONFIG, 0, ALLOW_OPEN);
	allow_add(a, "*.drop.example", ALLOW_CONFIG, 0, ALLOW_OPEN);
	allow_add(a, "api.example", ALLOW_API, 0, ALLOW_OPEN);
	allow_add(a, "ended.example", ALLOW_CONFIG, 0, 10);
	char *const patterns[] = { "KEEP.example.", "new.example" };
	size_t n = 9;
	char (*gone)[ALLOW_MAX_TEXT + 3] = allow_config_gone(a, patterns, 2, &n);
	ok(gone && n == 1 && strcmp(gone[0], "*.drop.example") == 0,
		"config entries no longer named: only the open config one (%zu)", n);
	free(gone);
	allow_free(a);
}

struct walked {
	char s[512];
};

static int walk_cb(void *ctx, const uint8_t *owner, size_t len, int in1, int in2)
{
	struct walked *wk = ctx;
	char t[300];
	dname_wire_to_text(owner, len, t, sizeof t);
	size_t l = strlen(wk->s);
	snprintf(wk->s + l, sizeof wk->s - l, "%s%s:%d%d", l ? " " : "", t, in1, in2);
	return 0;
}

static void test_zone(void)
{
	allow_t *a = allow_new();
	allow_add(a, "example.com", ALLOW_CONFIG, 100, ALLOW_OPEN);
	allow_add(a, "example.com", ALLOW_API, 150, ALLOW_OPEN);
	allow_add(a, "*.bank.example", ALLOW_API, 100, 200);
	allow_add(a, "*.shop.example", ALLOW_API, 100, ALLOW_OPEN);
	allow_add(a, "deep.x.shop.example", ALLOW_API, 100, ALLOW_OPEN);
	allow_rebuild(a, NULL);
	struct walked wk = { "" };
	allow_zone_walk(a, 120, 120, walk_cb, &wk);
	ok(strstr(wk.s, "example.com:11") && strstr(wk.s, "*.bank.example:11") &&
		strstr(wk.s, "*.shop.example:11"), "content at 120: %s", wk.s);
	ok(strstr(wk.s + (strstr(wk.s, "example.com") - wk.s) + 1, " example.com") == NULL,
		"a pattern of two origins is one owner");
	wk.s[0] = '\0';
	allow_zone_walk(a, 120, 250, walk_cb, &wk);
	ok(strstr(wk.s, "*.bank.example:10") && strstr(wk.s, "example.com:11"),
		"diff 120 -> 250: the ended wildcard leaves (%s)", wk.s);
	wk.s[0] = '\0';
	allow_zone_walk(a, 50, 50, walk_cb, &wk);
	is_str(wk.s, "", "nothing before the first entry");

	static const struct {
		const char *name;
		int want;
		const char *what;
	} zone[] = {
		{ "example.com", 2, "exact owner" },
		{ "www.example.com", 0, "nothing below an exact owner" },
		{ "com", 1, "empty non-terminal" },
		{ "*.shop.example", 2, "the wildcard owner" },
		{ "www.shop.example", 2, "synthesised from the wildcard" },
		{ "a.b.shop.example", 2, "deeper synthesis" },
		{ "shop.example", 1, "the wildcard's base exists, no CNAME" },
		{ "x.shop.example", 1, "an ENT above an exact owner" },
		{ "q.x.shop.example", 0, "a closer encloser without a wildcard" },
		{ "x.bank.example", 0, "an ended wildcard is gone" },
		{ "other.example", 0, "nothing else" },
	};
	for (size_t i = 0; i < sizeof zone / sizeof zone[0]; i++)
		is_int(zl(a, zone[i].name), zone[i].want, "zone: %s (%s)", zone[i].what,
			zone[i].name);
	is_int(zl(a, ""), 1, "zone: apex");
	allow_free(a);
}

struct names {
	char s[512];
};

static void names_of(const struct xfr_list *l, char *out, size_t n)
{
	size_t pos = 0;
	struct xfr_entry e;
	out[0] = '\0';
	while (xfr_list_next(l, &pos, &e)) {
		char t[300];
		dname_wire_to_text(e.rel, e.len, t, sizeof t);
		size_t k = strlen(out);
		snprintf(out + k, n - k, "%s%s", k ? " " : "", t);
	}
}

/* The versions' content and diff leave out what an entry applying at T matches. */
static void test_versions(void)
{
	nindex_t *ix = nindex_new();
	allow_t *a = allow_new();
	versions_t *v = versions_new();
	versions_set_allow(v, a);
	nindex_put(ix, w, rel("x.se"), 1000, NULL);
	nindex_put(ix, w, rel("y.se"), 1000, NULL);
	uint32_t serial[NOD_ZONE_COUNT];
	int64_t vt[NOD_ZONE_COUNT];
	for (int z = 0; z < NOD_ZONE_COUNT; z++) {
		serial[z] = 1;
		vt[z] = 1010;
	}
	versions_sync(v, ix, 0, serial, vt, 1010);
	allow_add(a, "x.se", ALLOW_API, 1011, ALLOW_OPEN);
	allow_rebuild(a, ix);
	for (int z = 0; z < NOD_ZONE_COUNT; z++) {
		serial[z] = 2;
		vt[z] = 1012;
	}
	versions_sync(v, ix, (1u << NOD_ZONE_COUNT) - 1, serial, vt, 1012);
	struct xfr_list del, add;
	char d[512], ad[512];
	for (int z = 0; z <= NOD_ZONE_DNSBL; z++) {
		xfr_list_init(&del);
		xfr_list_init(&add);
		versions_diff(v, z, 1010, 1012, &del, &add);
		names_of(&del, d, sizeof d);
		names_of(&add, ad, sizeof ad);
		ok(strcmp(d, "x.se") == 0 && ad[0] == '\0', "zone %d: IXFR deletes the allowed name "
			"(del \"%s\", add \"%s\")", z, d, ad);
		xfr_list_free(&del);
		xfr_list_free(&add);
		xfr_list_init(&add);
		versions_content(v, z, 1012, &add);
		names_of(&add, ad, sizeof ad);
		is_str(ad, "y.se", "zone %d: AXFR without it", z);
		xfr_list_free(&add);
	}
	xfr_list_init(&del);
	xfr_list_init(&add);
	versions_diff(v, NOD_ZONE_ALLOW, 1010, 1012, &del, &add);
	names_of(&add, ad, sizeof ad);
	ok(del.count == 0 && strcmp(ad, "x.se") == 0, "allow zone: IXFR adds the pattern");
	xfr_list_free(&del);
	xfr_list_free(&add);
	allow_end(a, "x.se", ALLOW_API, 1013);
	allow_rebuild(a, ix);
	xfr_list_init(&del);
	xfr_list_init(&add);
	versions_diff(v, 0, 1012, 1014, &del, &add);
	names_of(&add, ad, sizeof ad);
	ok(del.count == 0 && strcmp(ad, "x.se") == 0, "unallowed: IXFR adds the name back");
	xfr_list_free(&del);
	xfr_list_free(&add);
	versions_free(v);
	allow_free(a);
	nindex_free(ix);
}

int main(void)
{
	test_parse();
	test_match();
	test_case();
	test_time();
	test_config_gone();
	test_zone();
	test_versions();
	return tap_done();
}
