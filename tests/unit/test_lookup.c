/* test_lookup.c -- zone contents: DNSBL subdomain/ENT/test rules, RPZ wildcard semantics. */
#include "lib/dname.h"
#include "policy/lookup.h"
#include "policy/window.h"
#include "tests/unit/tap.h"

static nindex_t *ix;
static allow_t *al;    /* NULL until the allow-list cases */
static uint8_t w[DNAME_MAX_WIRE];

static size_t rel(const char *text)
{
	if (!*text)
		return 0;
	return (size_t)dname_text_to_wire(text, w) - 1;
}

static void put(const char *name, int64_t fs)
{
	size_t l = rel(name);
	nindex_put(ix, w, l, fs, NULL);
}

static int bl(const char *name, int64_t now, int *code, int64_t *fs)
{
	size_t l = rel(name);
	return (int)dnsbl_lookup(ix, al, w, l, now, fs, code);
}

static int rpz(const char *win, const char *name, int64_t now)
{
	size_t l = rel(name);
	return (int)rpz_lookup(ix, al, window_by_label(win), w, l, now);
}

int main(void)
{
	const int64_t now = 1000000;
	int code;
	int64_t fs;
	ix = nindex_new();
	put("x.se", now - 10);        /* 5m */
	put("old.se", now - 1200);    /* 30m */
	put("gone.se", now - 90000);  /* older than 24 h */
	put("deep.a.b.ch", now - 100);

	is_int(bl("x.se", now, &code, &fs), NOD_LISTED, "listed");
	ok(code == 2 && fs == now - 10, "code .2 and first_seen");
	is_int(bl("mail.x.se", now, &code, &fs), NOD_LISTED, "subdomain listed");
	ok(code == 2 && fs == now - 10, "with the domain's data");
	is_int(bl("old.se", now, &code, &fs), NOD_LISTED, "20 min old listed");
	is_int(code, 4, "20 min -> .4");
	is_int(bl("x.se", now + 290, &code, &fs), NOD_LISTED, "5 min edge");
	is_int(code, 3, "after 300 s -> .3");
	is_int(bl("gone.se", now, &code, &fs), NOD_NXDOMAIN, "older than 24 h not listed");
	is_int(bl("se", now, &code, &fs), NOD_NODATA, "empty non-terminal");
	is_int(bl("b.ch", now, &code, &fs), NOD_NODATA, "deeper empty non-terminal");
	is_int(bl("z.b.ch", now, &code, &fs), NOD_NXDOMAIN, "sibling of ENT path");
	is_int(bl("y.se", now, &code, &fs), NOD_NXDOMAIN, "unlisted");
	is_int(bl("test", now, &code, &fs), NOD_LISTED, "RFC 5782 test entry");
	is_int(code, 2, "test -> .2");
	is_int(bl("invalid", now, &code, &fs), NOD_NXDOMAIN, "RFC 5782 invalid entry");
	put("x.invalid", now);
	is_int(bl("x.invalid", now, &code, &fs), NOD_NXDOMAIN, "nothing under invalid is listed");

	is_int(rpz("5m", "x.se", now), NOD_LISTED, "rpz exact");
	is_int(rpz("5m", "a.b.x.se", now), NOD_LISTED, "rpz wildcard synthesis");
	is_int(rpz("5m", "*.x.se", now), NOD_LISTED, "rpz wildcard owner");
	is_int(rpz("5m", "se", now), NOD_NODATA, "rpz ENT");
	is_int(rpz("5m", "old.se", now), NOD_NXDOMAIN, "20 min old not in 5m");
	is_int(rpz("10m", "old.se", now), NOD_NXDOMAIN, "20 min old not in 10m");
	is_int(rpz("30m", "old.se", now), NOD_LISTED, "20 min old in 30m");
	is_int(rpz("24h", "www.old.se", now), NOD_LISTED, "24h superset");
	is_int(rpz("5m", "x.se", now + 300), NOD_NXDOMAIN, "ages out of 5m");
	is_int(rpz("10m", "x.se", now + 300), NOD_LISTED, "still in 10m");
	/* closest encloser: with deep.a.b.ch listed, a.b.ch is an ENT without a wildcard */
	is_int(rpz("5m", "q.a.b.ch", now), NOD_NXDOMAIN, "no wildcard at an ENT");
	put("b.ch", now - 5);
	is_int(rpz("5m", "q.a.b.ch", now), NOD_NXDOMAIN, "closer ENT blocks the wildcard above");
	is_int(rpz("5m", "q.b.ch", now), NOD_LISTED, "wildcard of b.ch");
	is_int(rpz("5m", "q.*.x.se", now), NOD_NXDOMAIN, "below a wildcard node");
	is_int(rpz("5m", "", now), NOD_NODATA, "apex");

	/* the allow-list: an allowed name is in no zone */
	al = allow_new();
	allow_add(al, "x.se", ALLOW_API, now, ALLOW_OPEN);
	allow_add(al, "*.b.ch", ALLOW_CONFIG, now, ALLOW_OPEN);
	allow_rebuild(al, ix);
	is_int(bl("x.se", now, &code, &fs), NOD_NXDOMAIN, "allowed: not in the DNSBL");
	is_int(bl("mail.x.se", now, &code, &fs), NOD_NXDOMAIN, "nor its subdomains through it");
	is_int(bl("old.se", now, &code, &fs), NOD_LISTED, "another name still listed");
	is_int(bl("b.ch", now, &code, &fs), NOD_LISTED, "*.b.ch does not allow b.ch");
	is_int(bl("q.b.ch", now, &code, &fs), NOD_NXDOMAIN, "but a name below it");
	is_int(rpz("5m", "x.se", now), NOD_NXDOMAIN, "allowed: not in the RPZ zone");
	is_int(rpz("5m", "*.x.se", now), NOD_NXDOMAIN, "nor its wildcard owner");
	is_int(rpz("5m", "a.x.se", now), NOD_NXDOMAIN, "nor a name it synthesised");
	is_int(rpz("5m", "b.ch", now), NOD_LISTED, "the base of an allowed wildcard stays");
	is_int(rpz("5m", "deep.a.b.ch", now), NOD_NXDOMAIN, "a name below an allowed wildcard");
	allow_end(al, "x.se", ALLOW_API, now + 1);
	allow_rebuild(al, ix);
	is_int(bl("x.se", now, &code, &fs), NOD_LISTED, "unallowed: listed again");
	is_int(rpz("5m", "x.se", now), NOD_LISTED, "and in the RPZ zone");
	allow_free(al);
	nindex_free(ix);
	return tap_done();
}
