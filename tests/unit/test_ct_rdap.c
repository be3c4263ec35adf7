/* test_ct_rdap.c -- confirming CT candidates: the RDAP answer parser and RFC 3339 dates,
 * the bootstrap file's longest-suffix lookup, the rdap configuration keys, and what a
 * confirmation does in the store (listed with its first_seen, a confirmed record, the queue
 * row gone; known: never listed; a zone transfer confirming or knowing a candidate). */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "conf/config.h"
#include "ct/bootstrap.h"
#include "ct/rdap.h"
#include "policy/confirm.h"
#include "policy/nod.h"
#include "policy/outbox.h"
#include "tests/unit/tap.h"

static int parse(const char *body, enum ct_rdap_answer *a, int64_t *t)
{
	struct nodd_err e = { 0 };
	return ct_rdap_parse(body, strlen(body), "shop.se", a, t, &e);
}

static void dates(void)
{
	int64_t t = 0;
	ok(ct_rdap_time("2026-12-03T10:00:00Z", &t) == 0 && t == 1796292000, "a UTC date");
	ok(ct_rdap_time("2026-12-03T12:00:00.123+02:00", &t) == 0 && t == 1796292000,
		"a fraction and an offset");
	ok(ct_rdap_time("2026-12-03T05:30:00-04:30", &t) == 0 && t == 1796292000,
		"a negative offset");
	ok(ct_rdap_time("2026-12-03", &t) < 0, "a date alone is refused");
	ok(ct_rdap_time("2026-13-03T10:00:00Z", &t) < 0, "month 13 is refused");
	ok(ct_rdap_time("2026-12-03T10:00:00", &t) < 0, "no zone is refused");
	ok(ct_rdap_time("2026-12-03T10:00:00Zjunk", &t) < 0, "trailing text is refused");
	ok(ct_rdap_time("2026-12-03T10:00:00.Z", &t) < 0, "an empty fraction is refused");
}

static void answers(void)
{
	enum ct_rdap_answer a;
	int64_t t = 0;
	ok(parse("{\"objectClassName\":\"domain\",\"ldhName\":\"SHOP.SE\",\"events\":["
		"{\"eventAction\":\"last changed\",\"eventDate\":\"2026-12-03T11:00:00Z\"},"
		"{\"eventAction\":\"registration\",\"eventDate\":\"2026-12-03T10:00:00Z\"}]}",
		&a, &t) == 0 && a == CT_RDAP_REGISTRATION && t == 1796292000,
		"the registration event among others, name in upper case");
	ok(parse("{\"objectClassName\":\"domain\",\"ldhName\":\"shop.se.\",\"events\":[]}", &a,
		&t) == 0 && a == CT_RDAP_NO_EVENT, "no registration event (trailing dot in the name)");
	ok(parse("{\"objectClassName\":\"domain\"}", &a, &t) == 0 && a == CT_RDAP_NO_EVENT,
		"no events at all");
	ok(parse("{\"objectClassName\":\"domain\",\"events\":[{\"eventAction\":\"registration\","
		"\"eventDate\":\"2020-01-01T00:00:00Z\"},{\"eventAction\":\"registration\","
		"\"eventDate\":\"2026-12-03T10:00:00Z\"}]}", &a, &t) == 0 && t == 1796292000,
		"several registrations: the latest");
	ok(parse("{\"objectClassName\":\"domain\",\"ldhName\":\"other.se\",\"events\":[]}", &a,
		&t) < 0, "another name's object is refused");
	ok(parse("{\"objectClassName\":\"entity\"}", &a, &t) < 0, "not a domain object");
	ok(parse("[1,2]", &a, &t) < 0, "not an object");
	ok(parse("{\"objectClassName\":\"domain\",\"events\":{}}", &a, &t) < 0,
		"events that are not an array");
	ok(parse("{\"objectClassName\":\"domain\",\"events\":[{\"eventAction\":\"registration\","
		"\"eventDate\":\"yesterday\"}]}", &a, &t) < 0, "an unreadable registration date");
	ok(parse("{\"objectClassName\":\"domain\",\"objectClassName\":\"domain\"}", &a, &t) < 0,
		"duplicate keys are refused");
	ok(parse("{\"objectClassName\":\"domain\"", &a, &t) < 0, "truncated JSON");
	char deep[200];
	memset(deep, '[', sizeof deep - 1);
	deep[sizeof deep - 1] = '\0';
	struct nodd_err e = { 0 };
	ok(ct_rdap_parse(deep, strlen(deep), "shop.se", &a, &t, &e) < 0 && e.kind == NODD_E_LIMIT,
		"deep nesting is refused before parsing");
	const char *brackets = "{\"objectClassName\":\"domain\",\"x\":\"[[[[[[[[[[[[[[[[[[[[[["
		"[[[[[[[[[[[[[[[[[[[[[[\"}";
	ok(ct_rdap_parse(brackets, strlen(brackets), "shop.se", &a, &t, &e) == 0,
		"brackets inside strings do not count as nesting");
	ok(ct_rdap_parse("{}", CT_RDAP_MAX_BODY + 1, "shop.se", &a, &t, &e) < 0 &&
		e.kind == NODD_E_LIMIT, "a body over the cap is refused unread");
}

static void bootstrap(void)
{
	const char *j = "{\"version\":\"1.0\",\"services\":["
		"[[\"se\",\"NU\"],[\"http://se.example/rdap\",\"https://se.example/rdap/\"]],"
		"[[\"co.se\"],[\"http://co.example/\"]],"
		"[[\"bad\"],[\"ftp://x/\"]],"
		"[[\"com\"],[\"https://com.example/v1/\"]]]}";
	struct nodd_err e = { 0 };
	struct ct_bootstrap *b = ct_bootstrap_parse(j, strlen(j), &e);
	ok(b != NULL, "a bootstrap file parses (%s)", e.msg);
	is_int(ct_bootstrap_count(b), 4, "four suffixes with a usable URL");
	is_str(ct_bootstrap_lookup(b, "shop.se"), "https://se.example/rdap/", "https preferred");
	is_str(ct_bootstrap_lookup(b, "shop.nu"), "https://se.example/rdap/", "upper-case TLD");
	is_str(ct_bootstrap_lookup(b, "shop.co.se"), "http://co.example/", "the longest match");
	is_str(ct_bootstrap_lookup(b, "shopco.se"), "https://se.example/rdap/",
		"a suffix match on a label boundary only");
	ok(ct_bootstrap_lookup(b, "shop.bad") == NULL, "no http(s) URL: no server");
	ok(ct_bootstrap_lookup(b, "shop.org") == NULL, "an unknown TLD: no server");
	ct_bootstrap_free(b);
	ok(ct_bootstrap_parse("{\"services\":1}", 14, &e) == NULL, "services must be an array");
	ok(ct_bootstrap_parse("nope", 4, &e) == NULL, "not JSON");
}

static char cpath[96];

static struct nodd_config *load(const char *text, struct nodd_err *e)
{
	FILE *f = fopen(cpath, "w");
	fputs(text, f);
	fclose(f);
	memset(e, 0, sizeof *e);
	return config_load(cpath, e);
}

#define GOOD "server:\n  database: /tmp/x.db\npublish:\n  suffix: nod.example.\n"

static void config(void)
{
	struct nodd_err e;
	struct nodd_config *c = load(GOOD, &e);
	ok(c && !c->rdap_enabled && c->rdap_interval_ms == 500 && c->rdap_max_tries == 5 &&
		c->rdap_max_queue == 100000, "rdap defaults: off, 2/s, 5 tries");
	config_free(c);
	c = load(GOOD "rdap:\n  enabled: yes\n  bootstrap: /x/dns.json\n  rate: 30/m\n"
		"  retry: 10m\n  max-tries: 3\n  max-queue: 50\n", &e);
	ok(c && c->rdap_enabled && c->rdap_interval_ms == 2000 && c->rdap_retry == 600 &&
		c->rdap_max_tries == 3 && c->rdap_max_queue == 50, "rdap keys (%s)", e.msg);
	config_free(c);
	c = load(GOOD "rdap:\n  enabled: yes\n  bootstrap: /x\n  rate: 4\n", &e);
	ok(c && c->rdap_interval_ms == 250, "a bare rate is per second");
	config_free(c);
	c = load(GOOD "rdap:\n  enabled: yes\n  bootstrap: /x\n  rate: 2/day\n", &e);
	ok(!c && strstr(e.msg, "rdap.rate"), "a bad rate is refused: %s", e.msg);
	c = load(GOOD "rdap:\n  enabled: yes\n", &e);
	ok(!c && strstr(e.msg, "rdap.bootstrap"), "enabled needs a bootstrap: %s", e.msg);
}

static int last_cb(void *ctx, int topic, uint64_t seq, const char *key, const char *payload,
	size_t len)
{
	(void)topic;
	(void)seq;
	(void)key;
	snprintf(ctx, 1024, "%.*s", (int)len, payload);
	return 0;
}

static int64_t queue_rows(nod_t *nod)
{
	sqlite3_stmt *st;
	sqlite3_prepare_v2(store_db(nod_store(nod)), "SELECT count(*) FROM rdap_queue", -1, &st,
		NULL);
	sqlite3_step(st);
	int64_t n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static void add_listed(nod_t *nod, const char *d, int64_t fs, int listed)
{
	struct nod_ct_fields ct = { .cert_index = 7, .ct_name = "log a", .listed = listed };
	enum nod_outcome out;
	char sql[300];
	nod_begin(nod);
	nod_observe_ct(nod, d, fs, "ct log a 7", fs, &ct, &out, NULL);
	snprintf(sql, sizeof sql, "INSERT INTO ct_candidate(domain, first_seen, listed) "
		"VALUES ('%s', %lld, %d); INSERT INTO rdap_queue(domain, first_seen, next_try) "
		"VALUES ('%s', %lld, 0);", d, (long long)fs, listed, d, (long long)fs);
	sqlite3_exec(store_db(nod_store(nod)), sql, NULL, NULL, NULL);
	nod_commit(nod);
}

static void add_candidate(nod_t *nod, const char *d, int64_t fs)
{
	add_listed(nod, d, fs, 0);
}

static void confirmations(void)
{
	char db[] = "/tmp/nodd-rdap-XXXXXX";
	int fd = mkstemp(db);
	close(fd);
	unlink(db);
	struct nodd_err e = { 0 };
	struct nod_options o = { .database = db, .min_interval = 1, .future_skew = 60 };
	int64_t now = 1796292000;
	nod_t *nod = nod_open(&o, now, &e);
	outbox_t *ob = outbox_open(nod_store(nod), &e);
	nod_set_outbox(nod, ob);
	add_candidate(nod, "fresh.se", now - 100);
	add_candidate(nod, "old.se", now - 100);
	int bl = 0;
	ok(store_lookup(nod_store(nod), "fresh.se", NULL, NULL, 0, &bl) == 1 && bl == 1,
		"an unconfirmed candidate is stored unlisted");
	is_int(queue_rows(nod), 2, "two queued");

	enum nod_confirm_result res;
	struct nod_confirmation c = { .created = now - 3600, .server = "https://r.example/" };
	nod_begin(nod);
	ok(nod_confirm_ct(nod, "fresh.se", now, &c, &res) == 0 && res == NOD_CONFIRM_CONFIRMED,
		"a recent registration confirms");
	nod_commit(nod);
	int64_t fs = 0;
	ok(store_lookup(nod_store(nod), "fresh.se", &fs, NULL, 0, &bl) == 1 && bl == 0 &&
		fs == now - 100, "listed with its first_seen");
	char json[1024] = "";
	outbox_read(ob, OUTBOX_CONFIRMED, 0, 10, last_cb, json);
	ok(strstr(json, "\"domain\":\"fresh.se\"") != NULL,
		"a confirmed record: %s", json);
	ok(strstr(json, "rdap 2026-12-03T09:00:00Z") && strstr(json, "\"cert_index\"") &&
		strstr(json, "log a"), "with what confirmed it and the CT fields");
	nod_begin(nod);
	ok(nod_confirm_ct(nod, "fresh.se", now, &c, &res) == 0 && res == NOD_CONFIRM_NONE,
		"confirmed once only");
	c.known = 1;
	ok(nod_confirm_ct(nod, "old.se", now, &c, &res) == 0 && res == NOD_CONFIRM_KNOWN,
		"an old registration: known");
	nod_commit(nod);
	ok(store_lookup(nod_store(nod), "old.se", NULL, NULL, 0, &bl) == 1 && bl == 1,
		"a known candidate stays unlisted");
	is_int(queue_rows(nod), 0, "both queue rows gone with the answer");
	is_int(outbox_last_seq(ob, OUTBOX_CONFIRMED), 1, "one confirmed record in all");

	/* a transfer delegating a candidate: confirmed within the day, known in a baseline */
	add_candidate(nod, "zoned.se", now - 50);
	add_candidate(nod, "inbase.se", now - 50);
	add_candidate(nod, "late.se", now - 2 * 86400);
	enum nod_outcome out;
	nod_begin(nod);
	nod_observe_from(nod, "zoned.se", now, "zone se serial 9", 0, now, "se", 9, NULL, &out, NULL);
	nod_observe_from(nod, "inbase.se", now, "zone se serial 9", 1, now, "se", 9, NULL, &out, NULL);
	nod_observe_from(nod, "late.se", now, "zone se serial 9", 0, now, "se", 9, NULL, &out, NULL);
	nod_commit(nod);
	ok(store_lookup(nod_store(nod), "zoned.se", &fs, NULL, 0, &bl) == 1 && bl == 0 &&
		fs == now - 50, "delegated by a transfer: listed with its CT first_seen");
	outbox_read(ob, OUTBOX_CONFIRMED, 1, 10, last_cb, json);
	ok(strstr(json, "zone se serial 9") && strstr(json, "\"ct_lead_seconds\":50"),
		"its record names the zone and serial and how far CT was ahead: %s", json);
	ok(store_lookup(nod_store(nod), "inbase.se", NULL, NULL, 0, &bl) == 1 && bl == 1,
		"in the zone's baseline: known, unlisted");
	ok(store_lookup(nod_store(nod), "late.se", NULL, NULL, 0, &bl) == 1 && bl == 1,
		"delegated two days after first_seen: not confirmed by the zone");
	is_int(outbox_last_seq(ob, OUTBOX_CONFIRMED), 2, "two confirmed records in all");

	/* a transfer first, then a certificate: the zone confirms the sighting at once */
	nod_begin(nod);
	nod_observe_from(nod, "zfirst.se", now - 30, "zone se serial 10", 0, now - 30, "se", 10,
		NULL, &out, NULL);
	nod_observe_from(nod, "zbase.se", now - 30, "zone se serial 10 (baseline)", 1, now - 30,
		"se", 10, NULL, &out, NULL);
	struct nod_ct_fields ct = { .cert_index = 8, .ct_name = "log b" };
	ok(nod_observe_ct(nod, "zfirst.se", now, "ct log b 8", now, &ct, &out, NULL) == 0 &&
		out == NOD_KNOWN, "a name a transfer showed first is known to CT");
	nod_observe_ct(nod, "zfirst.se", now + 5, "ct log b 9", now + 5, &ct, &out, NULL);
	nod_observe_ct(nod, "zbase.se", now, "ct log b 8", now, &ct, &out, NULL);
	nod_commit(nod);
	outbox_read(ob, OUTBOX_CONFIRMED, 2, 10, last_cb, json);
	ok(strstr(json, "\"domain\":\"zfirst.se\"") && strstr(json, "\"ct_lead_seconds\":-30") &&
		strstr(json, "zone se serial 10") && strstr(json, "ct log b 8"),
		"confirmed by the zone, which was 30 s ahead: %s", json);
	is_int(outbox_last_seq(ob, OUTBOX_CONFIRMED), 3,
		"once per domain; a baseline name gives none");

	/* ct.list: all: listed from the start; confirming adds the record only */
	add_listed(nod, "all.se", now - 10, 1);
	c.known = 0;
	nod_begin(nod);
	ok(nod_confirm_ct(nod, "all.se", now, &c, &res) == 0 && res == NOD_CONFIRM_CONFIRMED,
		"a listed candidate is confirmed");
	nod_commit(nod);
	ok(store_lookup(nod_store(nod), "all.se", &fs, NULL, 0, &bl) == 1 && bl == 0 &&
		fs == now - 10, "still listed, first_seen kept");
	is_int(outbox_last_seq(ob, OUTBOX_CONFIRMED), 4, "its record");

	const struct nod_confirm_stats *s = nod_confirm_stats();
	ok(s->confirmed_rdap == 2 && s->known_rdap == 1 && s->confirmed_zone == 2 &&
		s->known_zone == 1, "counted by source");
	outbox_close(ob);
	nod_close(nod);
	unlink(db);
}

int main(void)
{
	snprintf(cpath, sizeof cpath, "/tmp/nodd-rdap-conf-%d.yaml", (int)getpid());
	dates();
	answers();
	bootstrap();
	config();
	confirmations();
	unlink(cpath);
	return tap_done();
}
