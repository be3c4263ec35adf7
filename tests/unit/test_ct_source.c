/* test_ct_source.c -- the CT source's own pieces: Retry-After values, the ct configuration
 * section, the rows it keeps in the store (position, issuance keys, candidates, host names)
 * and CT observations through nod (candidate, learning period, list: confirmed). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "conf/config.h"
#include "ct/fetch.h"
#include "ct/rdap.h"
#include "ct/state.h"
#include "policy/nod.h"
#include "policy/outbox.h"
#include "tests/unit/tap.h"

static char cpath[96];
static struct nodd_err e;

static struct nodd_config *load(const char *text)
{
	FILE *f = fopen(cpath, "w");
	fputs(text, f);
	fclose(f);
	memset(&e, 0, sizeof e);
	return config_load(cpath, &e);
}

#define GOOD "server:\n  database: /tmp/x.db\npublish:\n  suffix: nod.example.\n"
#define KEY "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE"

static void retry_after(void)
{
	is_int(ct_retry_after("120", 1000), 120, "Retry-After in seconds");
	is_int(ct_retry_after(" 7 ", 1000), 7, "spaces around the seconds");
	/* Wed, 21 Oct 2015 07:28:00 GMT is 1445412480 */
	is_int(ct_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412470), 10,
		"Retry-After as an HTTP-date");
	is_int(ct_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412490), 0,
		"an HTTP-date in the past is no wait");
	is_int(ct_retry_after("soon", 1000), -1, "neither form");
	is_int(ct_retry_after("12x", 1000), -1, "digits then garbage");
}

static int64_t ct_rdap_date(const char *s)
{
	int64_t t;
	return ct_rdap_time(s, &t) < 0 ? -1 : t;
}

static void rdap_dates(void)
{
	is_int(ct_rdap_date("2015-10-21T07:28:00Z"), 1445412480, "an RFC 3339 date");
	is_int(ct_rdap_date("2015-10-21T07:28:00.123Z"), 1445412480, "with a fraction");
	is_int(ct_rdap_date("2015-10-21T09:28:00+02:00"), 1445412480, "with an offset");
	is_int(ct_rdap_date("2015-10-21 07:28:00"), -1, "not RFC 3339");
	is_int(ct_rdap_date("2015-10-21T07:28:00"), -1, "no zone");
}

static void config(void)
{
	struct nodd_config *c = load(GOOD);
	ok(c && !c->ct_log_list && c->nct_logs == 0 && c->ct_start == CONFIG_CT_START_END &&
		c->ct_learning_period == 7 * 86400 && c->ct_list_all == 0,
		"ct is off by default; start end, learning 7d, list confirmed (%s)", e.msg);
	config_free(c);
	c = load(GOOD "ct:\n  user-agent: \"n (ops@nodd.test)\"\n  start: 1234\n  list: all\n"
		"  logs:\n    - url: http://127.0.0.1:1/a\n      key: " KEY "\n      rate: 7\n"
		"    - monitoring-url: https://m.example/b/\n      submission-url: https://s.example/b/\n"
		"      key: K2\n");
	ok(c != NULL, "a ct section loads (%s)", e.msg);
	if (c) {
		is_int(c->nct_logs, 2, "two logs");
		is_str(c->ct_logs[0].url, "http://127.0.0.1:1/a/", "a trailing slash is added");
		is_int(c->ct_logs[0].rate, 7, "per-log rate");
		is_int(c->ct_logs[1].rate, 0, "no per-log rate: the ct default applies");
		is_int(c->ct_start, 1234, "start at an index");
		is_int(c->ct_list_all, 1, "list: all");
	}
	config_free(c);
	c = load(GOOD "ct:\n  logs:\n    - url: http://a/\n      key: " KEY "\n");
	ok(!c && strstr(e.msg, ":5: ct.user-agent: required"), "user-agent required (%s)", e.msg);
	c = load(GOOD "ct:\n  user-agent: u@x\n  logs:\n    - url: http://a/\n"
		"      monitoring-url: http://b/\n      key: " KEY "\n");
	ok(!c && strstr(e.msg, "ct.logs: a log needs url (RFC 6962) or monitoring-url"),
		"url and monitoring-url both refused (%s)", e.msg);
	c = load(GOOD "ct:\n  user-agent: u@x\n  start: latest\n");
	ok(!c && strstr(e.msg, ":7: ct.start: expected end, earliest or an entry index"),
		"a bad start (%s)", e.msg);
	c = load(GOOD "rdap:\n  enabled: yes\n");
	ok(!c && strstr(e.msg, ":5: rdap.bootstrap: required when rdap is enabled"),
		"rdap needs its bootstrap file (%s)", e.msg);
	c = load(GOOD "rdap:\n  enabled: yes\n  bootstrap: /x/dns.json\n  rate: 3/s\n");
	ok(c && c->rdap_interval_ms == 333, "rate: 3/s (%s)", e.msg);
	config_free(c);
	c = load(GOOD "rdap:\n  rate: 3/d\n");
	ok(!c && strstr(e.msg, "rdap.rate: expected requests per second"), "rate: 3/d (%s)", e.msg);
	c = load(GOOD "ct:\n  user-agent: u@x\n  log-list-key: /k.pem\n  logs:\n"
		"    - url: http://a/\n      key: K\n");
	ok(!c && strstr(e.msg, ":5: ct.log-list-key: needs ct.log-list, the list it checks"),
		"a list key without a list (%s)", e.msg);
	c = load(GOOD "ct:\n  user-agent: u@x\n  log-list: /l.json\n  log-list-signature: /l.sig\n");
	ok(!c && strstr(e.msg, ":5: ct.log-list-signature: needs ct.log-list-key"),
		"a list signature without a key (%s)", e.msg);
	c = load(GOOD "ct:\n  user-agent: u@x\n  log-list: /l.json\n  log-list-key: /k.pem\n"
		"  log-list-signature: https://x/l.sig\n");
	ok(c && strcmp(c->ct_log_list_key, "/k.pem") == 0 &&
		strcmp(c->ct_log_list_signature, "https://x/l.sig") == 0,
		"a list key and signature (%s)", e.msg);
	config_free(c);
	c = load(GOOD "ct:\n  user-agent: u@x\n  logs:\n    - url: ftp://a/\n      key: K\n");
	ok(!c && strstr(e.msg, "ct.logs.url: expected an http:// or https:// URL"),
		"a URL that is not http(s) (%s)", e.msg);
}

static void state(store_t *st)
{
	struct nodd_err se = { 0 };
	struct ct_state *s = ct_state_open(st, &se);
	ok(s != NULL, "ct state opens (%s)", se.msg);
	if (!s)
		return;
	uint8_t id[32] = { 1 }, key[32] = { 2 }, h[32] = { 3 };
	struct ct_frontier f, g;
	struct ct_sth sth = { .tree_size = 3, .timestamp_ms = 99 }, got;
	ct_frontier_init(&f);
	for (int i = 0; i < 3; i++)
		ct_frontier_append(&f, h);
	is_int(ct_state_load(s, id, &g, &got), 0, "a log never read has no row");
	is_int(ct_state_save(s, id, &f, &sth), 0, "save a position");
	is_int(ct_state_load(s, id, &g, &got), 1, "load it");
	ok(g.size == 3 && g.n == f.n && memcmp(g.h, f.h, sizeof f.h[0] * (size_t)f.n) == 0 &&
		got.tree_size == 3 && got.timestamp_ms == 99, "the frontier and head come back");
	is_int(ct_state_issuance(s, key), 1, "an issuance key is new once");
	is_int(ct_state_issuance(s, key), 0, "then seen");
	for (int i = 0; i < 5; i++) {
		key[1] = (uint8_t)(i + 1);
		ct_state_issuance(s, key);
	}
	is_int(ct_state_prune(s, 1000, 2), 0, "prune to the newest two keys");
	key[1] = 0;
	is_int(ct_state_issuance(s, key), 1, "the oldest key was dropped");
	int64_t fs = 0;
	is_int(ct_state_candidate_add(s, "cand.se", 500, 0), 0, "add a candidate");
	ok(ct_state_candidate(s, "cand.se", &fs) == 1 && fs == 500, "find it");
	is_int(ct_state_candidate(s, "other.se", &fs), 0, "not a candidate");
	is_int(ct_state_fqdn(s, "www.cand.se", 1000), 1, "a host name is new once");
	is_int(ct_state_fqdn(s, "www.cand.se", 1001), 0, "then seen");
	ct_state_prune(s, 1000 + 3 * 86400, 1000);
	is_int(ct_state_fqdn(s, "www.cand.se", 1000 + 3 * 86400), 1, "host names are kept 48 h");
	int64_t l1 = 0, l2 = 0;
	ct_state_learning_start(s, 700, &l1);
	ct_state_learning_start(s, 900, &l2);
	ok(l1 == 700 && l2 == 700, "the learning period starts once");
	ct_state_close(s);
}

static int count_rows(void *ctx, int topic, uint64_t seq, const char *key, const char *p, size_t n)
{
	(void)topic, (void)seq, (void)key, (void)p, (void)n;
	(*(int *)ctx)++;
	return 0;
}

static void observe(const char *dbpath)
{
	struct nodd_err ne = { 0 };
	nod_t *nod = nod_open(&(struct nod_options){ .database = dbpath, .min_interval = 1,
		.future_skew = 300 }, 1000, &ne);
	ok(nod != NULL, "nod opens (%s)", ne.msg);
	if (!nod)
		return;
	outbox_t *ob = outbox_open(nod_store(nod), &ne);
	nod_set_outbox(nod, ob);
	struct nod_ct_fields ct = { .cert_index = 5, .ct_name = "L", .submission_timestamp = 990,
		.listed = 1 };
	enum nod_outcome out;
	is_int(nod_observe_ct(nod, "a.se", 1000, "ct L 5", 1000, &ct, &out, NULL), -1,
		"only inside a transaction");
	nod_begin(nod);
	nod_observe_ct(nod, "new.se", 1000, "ct L 5", 1000, &ct, &out, NULL);
	is_int(out, NOD_NEW, "a name never seen is new");
	ct.learning = 1;
	nod_observe_ct(nod, "learnt.se", 1000, "ct L 6", 1000, &ct, &out, NULL);
	is_int(out, NOD_NEW, "in the learning period too");
	ct.learning = 0;
	ct.listed = 0;
	nod_observe_ct(nod, "held.se", 1000, "ct L 7", 1000, &ct, &out, NULL);
	nod_observe_ct(nod, "github.io", 1000, "ct L 8", 1000, &ct, &out, NULL);
	is_int(out, NOD_REFUSED_PUBLIC_SUFFIX, "a private public suffix is refused");
	nod_observe_ct(nod, "new.se", 1000, "ct L 9", 1000, &ct, &out, NULL);
	is_int(out, NOD_KNOWN, "then known");
	nod_commit(nod);
	int bl = -1;
	store_lookup(nod_store(nod), "new.se", NULL, NULL, 0, &bl);
	is_int(bl, 0, "listed: all stores it listed");
	store_lookup(nod_store(nod), "learnt.se", NULL, NULL, 0, &bl);
	is_int(bl, 1, "the learning period stores baseline");
	store_lookup(nod_store(nod), "held.se", NULL, NULL, 0, &bl);
	is_int(bl, 1, "list: confirmed stores it unlisted");
	int n = 0;
	outbox_read(ob, OUTBOX_NRD, 0, 100, count_rows, &n);
	is_int(n, 2, "records for the two candidates, none for the learnt name");
	outbox_close(ob);
	nod_close(nod);
}

int main(void)
{
	char dir[] = "/tmp/nodd-ct-XXXXXX", db[128];
	if (!mkdtemp(dir))
		return 1;
	snprintf(cpath, sizeof cpath, "%s/nodd.yaml", dir);
	snprintf(db, sizeof db, "%s/t.db", dir);
	retry_after();
	rdap_dates();
	config();
	struct nodd_err se = { 0 };
	store_t *st = store_open(db, &se);
	ok(st != NULL, "store opens (%s)", se.msg);
	if (st)
		state(st);
	store_close(st);
	observe(db);
	char cmd[200];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return tap_done();
}
